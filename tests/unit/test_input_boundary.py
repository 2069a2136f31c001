"""The input boundary: what any file the commands read must be before it is parsed."""

import os

import pytest

from kubesched import inputs
from kubesched.errors import InputError, one_line
from kubesched.framework.config import load_config
from kubesched.model.manifests import load_manifests

POD = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"


def message(call, *args) -> str:
    with pytest.raises(InputError) as caught:
        call(*args)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pods.yaml"
    os.mkfifo(fifo)
    assert message(load_manifests, [str(fifo)]) == f"{fifo}: not a regular file (a FIFO); give a file, a directory or -"
    assert "a FIFO" in message(load_config, str(fifo))


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert "not a regular file (a character device)" in message(load_manifests, [str(link)])
    assert "not a regular file" in message(load_manifests, [str(tmp_path)])  # found by the directory walk too


def test_a_symlink_loop_and_an_empty_name_are_said_as_such(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert "symbolic links" in message(load_manifests, [str(loop)])
    assert message(load_manifests, [""]) == "'': empty file name"
    assert message(load_manifests, [str(tmp_path / "nope.yaml")]).endswith("no such file or directory")


def test_size_is_bounded(tmp_path, monkeypatch):
    file = tmp_path / "big.yaml"
    file.write_text(POD * 10)
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 100)
    assert "too large" in message(load_manifests, [str(file)])


def test_non_utf8_is_refused_with_its_line(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes(POD.encode() + b"# caf\xe9\n")
    assert message(load_manifests, [str(file)]) == f"{file}: line 4: not valid UTF-8 (byte {len(POD) + 5})"
    config = tmp_path / "config.yaml"
    config.write_bytes(b"\xff\xfe")
    assert "not valid UTF-8" in message(load_config, str(config))


@pytest.mark.parametrize("name, text, words", [
    ("dup.yaml", "kind: Pod\nkind: Node\n", "line 2: invalid YAML: duplicate key 'kind' in a mapping"),
    ("dup.yaml", "kind: Pod\nmetadata: {name: a, name: b}\n", "duplicate key 'name'"),
    ("dup.json", '{"kind": "Pod", "metadata": {"name": "a", "name": "b"}}', "invalid JSON: duplicate key 'name'"),
    ("nan.json", '{"kind": "Pod", "x": NaN}', "NaN is not valid JSON"),
])
def test_repeated_keys_are_refused(tmp_path, name, text, words):
    file = tmp_path / name
    file.write_text(text)
    assert words in message(load_manifests, [str(file)])


def test_a_merge_key_may_be_overridden(tmp_path):
    file = tmp_path / "merge.yaml"
    file.write_text("base: &b {name: a}\nkind: Pod\nmetadata:\n  <<: *b\n  name: c\n")
    assert load_manifests([str(file)])[0].obj["metadata"] == {"name": "c"}


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(["kind: Pod", "metadata: {name: p}", "spec:", "  containers:",
                      *("  - " + line if n == 0 else "    " + line for n, line in enumerate(lines))]) + "\n"


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    file = tmp_path / "bomb.yaml"
    file.write_text(alias_bomb())
    assert len(file.read_bytes()) < 2000
    assert "refusing an alias bomb" in message(load_manifests, [str(file)])


def test_a_few_aliases_are_fine(tmp_path):
    file = tmp_path / "ok.yaml"
    file.write_text("kind: Pod\nmetadata: {name: p, labels: &l {app: x}}\nspec: {nodeSelector: *l}\n")
    assert load_manifests([str(file)])[0].obj["spec"]["nodeSelector"] == {"app": "x"}


def test_a_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    file = tmp_path / "loop.yaml"
    file.write_text("kind: Pod\nmetadata: {name: p}\nspec: &s {containers: [*s]}\n")
    assert "an alias refers to a value that contains it" in message(load_manifests, [str(file)])
    deep = tmp_path / "deep.yaml"
    for depth in (500, 5000):  # ours, libyaml's
        deep.write_text("kind: Pod\nx: " + "[" * depth + "]" * depth + "\n")
        assert "nest" in message(load_manifests, [str(deep)])
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"kind": "Pod", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested" in message(load_manifests, [str(deep_json)])


def test_error_lines_escape_control_characters_and_shorten_values(tmp_path):
    file = tmp_path / "a\nb.yaml"
    file.write_text("kind: Pod\nmetadata: {name: p, labels: {a: " + "v" * 100_000 + "}}\n")
    error = InputError("x" * 100_000, file=str(file), obj="Pod default/p", field="metadata.labels.a")
    text = str(error)
    assert "\n" not in text and "a\\nb.yaml" in text and len(text) < 2000
    assert one_line("tab\there\x1b") == "tab\\there\\x1b"
