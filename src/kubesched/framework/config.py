"""Read a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) into profiles.

Strict like the API: unknown fields, unknown plugins, plugins enabled at an extension point
they do not implement and invalid args are errors that name the field's path.
"""

from __future__ import annotations

from kubesched.errors import InputError
from kubesched.framework.component_config import ComponentConfig, parse_duration, read_component_config
from kubesched.framework.profile import Profile
from kubesched.inputs import parse_yaml, read_bytes
from kubesched.framework.python_plugins import is_import_path, load_plugin
from kubesched.model.fields import describe, shorten_number
from kubesched.plugins import (ALL_POINTS, BY_ARGS_KIND, CORE_FILTERS, CORE_PREFILTERS, CORE_SCORES, DEFAULT_PLUGINS,
                               EXTENSION_POINTS, GPU_SCORES)

API_VERSION = "kubescheduler.config.k8s.io/v1"
OBJECT = "KubeSchedulerConfiguration"

TOP_FIELDS = {"apiVersion", "kind", "parallelism", "leaderElection", "clientConnection",
              "healthzBindAddress", "metricsBindAddress", "enableProfiling", "enableContentionProfiling",
              "percentageOfNodesToScore", "podInitialBackoffSeconds", "podMaxBackoffSeconds",
              "profiles", "extenders", "delayCacheUntilActive"}
PROFILE_FIELDS = {"schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig"}
PLUGIN_SET_FIELDS = {"enabled", "disabled"}
PLUGIN_FIELDS = {"name", "weight"}
ARGS_FIELDS = {"apiVersion", "kind"}  # of every plugin's args, beside its own (plugins/)


class _Reader:
    """Walks the document, remembering the file for error messages."""

    def __init__(self, file: str):
        self.file = file
        self.profile = ""  # the schedulerName of the profile being read, for messages

    def fail(self, field: str, problem: str) -> InputError:
        return InputError(problem, file=self.file, obj=OBJECT, field=field)

    def plugin(self, name: str, field: str):
        """A Python plugin loaded, its errors located in this file and profile."""
        try:
            return load_plugin(name, field)
        except InputError as error:
            raise self.fail(field, f"{error.problem} (in profile {self.profile})") from None

    def mapping(self, value, field: str, allowed: set[str]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a mapping, got {describe(value)}")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{field}.{key}" if field else key, "unknown field")
        return value

    def sequence(self, value, field: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(field, f"expected a list, got {describe(value)}")
        return value

    def integer(self, value, field: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"expected an integer, got {describe(value)}")
        if not low <= value <= high:
            raise self.fail(field, f"must be between {low} and {high}, got {shorten_number(value)}")
        return value

    def string(self, value, field: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(field, f"expected a non-empty string, got {value!r}")
        return value

    def duration(self, value, field: str) -> float:
        """Seconds in a Go duration ("15s", "1m30s")."""
        seconds = parse_duration(value)
        if seconds is None:
            raise self.fail(field, f'time: invalid duration "{value}"')
        return seconds


def load_config(path: str) -> dict[str, Profile]:
    """The profiles, for `plan`; the rest of the file is validated too (it decides nothing
    offline), but extenders, which would decide, are refused."""
    profiles, component = load_scheduler_config(path)
    if component.extenders:
        raise InputError("extenders are called by `kubesched run`, simulate and explain; plan "
                         "cannot honour them", file=path, obj=OBJECT, field="extenders")
    return profiles


def load_config_with_extenders(path: str) -> tuple[dict[str, Profile], tuple]:
    """The profiles and the extenders (framework.extender_config.ExtenderConfig, in calling order), for
    simulate and explain; the profiles ignore the resources the extenders manage when told."""
    from kubesched.framework.extender_config import ignoring_managed_resources

    profiles, component = load_scheduler_config(path)
    return ignoring_managed_resources(profiles, component.extenders), component.extenders


def load_scheduler_config(path: str) -> tuple[dict[str, Profile], ComponentConfig]:
    """The profiles and the rest of the configuration, as `kubesched run` honours it."""
    document = _read(path)
    profiles = parse_config(document, path)
    return profiles, read_component_config(_Reader(path), document)


def _read(path: str):
    documents = [d for d in parse_yaml(read_bytes(path), path) if d is not None]
    if len(documents) > 1:
        raise InputError("expected one KubeSchedulerConfiguration, got several YAML documents", file=path)
    return documents[0] if documents else None


def parse_config(document, file: str = "") -> dict[str, Profile]:
    """Profiles by schedulerName."""
    r = _Reader(file)
    top = r.mapping(document, "", TOP_FIELDS)
    if top.get("apiVersion") != API_VERSION:
        raise r.fail("apiVersion", f"expected {API_VERSION!r}, got {top.get('apiVersion')!r}")
    if top.get("kind") != OBJECT:
        raise r.fail("kind", f"expected {OBJECT!r}, got {top.get('kind')!r}")
    percentage = 100
    if "percentageOfNodesToScore" in top:
        percentage = r.integer(top["percentageOfNodesToScore"], "percentageOfNodesToScore", 0, 100)
    profiles: dict[str, Profile] = {}
    entries = r.sequence(top.get("profiles"), "profiles") or [{}]
    for i, entry in enumerate(entries):
        profile = _profile(r, entry, f"profiles[{i}]", percentage)
        if profile.scheduler_name in profiles:
            raise r.fail(f"profiles[{i}].schedulerName", f"duplicate profile {profile.scheduler_name!r}")
        profiles[profile.scheduler_name] = profile
    return profiles


def _profile(r: _Reader, entry, field: str, percentage: int) -> Profile:
    entry = r.mapping(entry, field, PROFILE_FIELDS)
    name = r.string(entry.get("schedulerName", "default-scheduler"), f"{field}.schedulerName")
    r.profile = name
    if "percentageOfNodesToScore" in entry:
        percentage = r.integer(entry["percentageOfNodesToScore"], f"{field}.percentageOfNodesToScore", 0, 100)
    prefilters, filters, weights, python_filters, python_scores, post_filters = _plugins(
        r, entry.get("plugins"), f"{field}.plugins")
    profile = Profile(scheduler_name=name, prefilters=prefilters, filters=filters, weights=weights,
                      percentage_of_nodes_to_score=percentage, python_filters=python_filters,
                      python_scores=python_scores,
                      preemption=(10, 100) if "DefaultPreemption" in post_filters else None,
                      dra_post_filter="DynamicResources" in post_filters)
    configured: set[str] = set()
    for j, config in enumerate(r.sequence(entry.get("pluginConfig"), f"{field}.pluginConfig")):
        profile = _plugin_args(r, profile, config, f"{field}.pluginConfig[{j}]")
        name = config["name"]
        if name in configured:
            raise r.fail(f"{field}.pluginConfig[{j}].name", f"duplicate pluginConfig for {name!r}")
        configured.add(name)
    return profile


def _plugin_list(r: _Reader, value, field: str) -> list[tuple[str, int]]:
    result = []
    for k, plugin in enumerate(r.sequence(value, field)):
        plugin = r.mapping(plugin, f"{field}[{k}]", PLUGIN_FIELDS)
        name = r.string(plugin.get("name"), f"{field}[{k}].name")
        if is_import_path(name):
            r.plugin(name, f"{field}[{k}].name")
        elif name != "*" and name not in EXTENSION_POINTS:
            raise r.fail(f"{field}[{k}].name", f"unknown plugin {name!r}")
        weight = r.integer(plugin.get("weight", 0), f"{field}[{k}].weight", 0, 100)
        result.append((name, weight))
    return result


def _plugins(r: _Reader, value, field: str) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, int],
                                                     tuple, tuple, frozenset[str]]:
    """Upstream's merge: defaults via multiPoint, then each extension point's own
    disabled/enabled lists, which take precedence."""
    plugins = r.mapping(value, field, {"multiPoint", *ALL_POINTS})
    sets = {point: r.mapping(plugins.get(point), f"{field}.{point}", PLUGIN_SET_FIELDS)
            for point in ("multiPoint", *ALL_POINTS)}

    multi_disabled = {n for n, _ in _plugin_list(r, sets["multiPoint"].get("disabled"), f"{field}.multiPoint.disabled")}
    multi: dict[str, int] = {}
    if "*" not in multi_disabled:
        multi = {n: w for n, w in DEFAULT_PLUGINS if n not in multi_disabled}
    for name, weight in _plugin_list(r, sets["multiPoint"].get("enabled"), f"{field}.multiPoint.enabled"):
        multi[name] = weight or multi.get(name, 0)

    def resolve(point: str) -> dict[str, int]:
        enabled = {n: w for n, w in multi.items() if point in EXTENSION_POINTS[n]}
        disabled = {n for n, _ in _plugin_list(r, sets[point].get("disabled"), f"{field}.{point}.disabled")}
        if "*" in disabled:
            enabled = {}
        enabled = {n: w for n, w in enabled.items() if n not in disabled}
        for k, (name, weight) in enumerate(_plugin_list(r, sets[point].get("enabled"), f"{field}.{point}.enabled")):
            if is_import_path(name):
                plugin = r.plugin(name, f"{field}.{point}.enabled[{k}].name")
                if point not in ("filter", "score") or not callable(getattr(plugin, point, None)):
                    raise r.fail(f"{field}.{point}.enabled[{k}].name", f"Python plugin {name!r} has no {point} method")
                enabled[name] = weight
                continue
            if point not in EXTENSION_POINTS.get(name, ()):
                raise r.fail(f"{field}.{point}.enabled[{k}].name", f"plugin {name!r} does not implement {point}")
            enabled[name] = weight or enabled.get(name, 0)
        return enabled

    prefilter_set, filter_set, score_set = resolve("preFilter"), resolve("filter"), resolve("score")
    prefilters = tuple(n for n in CORE_PREFILTERS if n in prefilter_set)
    filters = tuple(n for n in CORE_FILTERS if n in filter_set)
    weights = {n: (w or 1) for n, w in score_set.items() if n in CORE_SCORES or n in GPU_SCORES}
    python_filters = tuple(n for n in filter_set if is_import_path(n))
    python_scores = tuple((n, w or 1) for n, w in score_set.items() if is_import_path(n))
    post_filters = frozenset(resolve("postFilter"))
    for point in ALL_POINTS:
        if point not in ("preFilter", "filter", "score", "postFilter"):
            resolve(point)  # validates names
    return prefilters, filters, weights, python_filters, python_scores, post_filters


def _plugin_args(r: _Reader, profile: Profile, config, field: str) -> Profile:
    config = r.mapping(config, field, {"name", "args"})
    name = r.string(config.get("name"), f"{field}.name")
    kind = f"{name}Args"
    plugin = BY_ARGS_KIND.get(kind)
    if plugin is None:
        raise r.fail(f"{field}.name", f"plugin {name!r} takes no args" if name in EXTENSION_POINTS
                     else f"unknown plugin {name!r}")
    args = r.mapping(config.get("args"), f"{field}.args", ARGS_FIELDS | plugin.args_fields)
    if "kind" in args and args["kind"] != kind:
        raise r.fail(f"{field}.args.kind", f"expected {kind!r}, got {args['kind']!r}")
    if plugin.read_args is None:
        return profile  # args of plugins that decide nothing here: validated, not used
    return plugin.read_args(r, profile, args, f"{field}.args")
