"""klog-style logs: the text and JSON line formats, verbosity, library noise kept out."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kubesched.logs import KObj, V, configure, kv

pytestmark = pytest.mark.unit


@pytest.fixture
def captured():
    stream = io.StringIO()
    yield stream
    configure(0, "text", io.StringIO())


def test_text_line_as_klog_writes_it(captured):
    configure(2, "text", captured)
    logging.getLogger("kubesched.live").log(
        V(2), "Successfully bound pod to node",
        extra=kv(pod=KObj("default", "p0"), node="n1", evaluatedNodes=6, feasibleNodes=4))
    line = captured.getvalue().strip()
    assert line.startswith("I")
    assert line.split("] ", 1)[1] == ('"Successfully bound pod to node" pod="default/p0" node="n1" '
                                      'evaluatedNodes=6 feasibleNodes=4')


def test_json_line_as_component_base_writes_it(captured):
    configure(2, "json", captured)
    logging.getLogger("kubesched.live").log(
        V(2), "Successfully bound pod to node", extra=kv(pod=KObj("default", "p0"), node="n1"))
    logging.getLogger("kubesched.live").warning("binding failed")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert first["msg"] == "Successfully bound pod to node" and first["v"] == 2
    assert first["pod"] == {"name": "p0", "namespace": "default"} and first["node"] == "n1"
    assert isinstance(first["ts"], float) and ":" in first["caller"]
    assert second["msg"] == "binding failed" and "v" not in second


def test_verbosity_gates_lines(captured):
    configure(1, "text", captured)
    log = logging.getLogger("kubesched.live")
    log.log(V(2), "hidden")
    log.log(V(1), "shown")
    log.info("shown too")
    assert [line.split("] ", 1)[1] for line in captured.getvalue().splitlines()] == ['"shown"', '"shown too"']


def test_library_noise_only_from_verbosity_6(captured):
    configure(5, "text", captured)
    logging.getLogger("urllib3.connectionpool").warning("Connection pool is full")
    assert captured.getvalue() == ""
    logging.getLogger("kubernetes").error("exec: process returned 1")
    assert "exec: process returned 1" in captured.getvalue()
    configure(6, "text", captured)
    logging.getLogger("urllib3.connectionpool").debug("Starting new HTTPS connection")
    assert "Starting new HTTPS connection" in captured.getvalue()
