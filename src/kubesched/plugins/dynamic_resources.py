"""DynamicResources (DRA, kubesched.dra): the core carries each node's verdict per pod class."""

from dataclasses import replace

from kubesched.plugins.plugin import Plugin, Reason, ReasonKind, points


def read_args(r, profile, args: dict, path: str):
    """bindingTimeout: how long PreBind waits for devices' binding conditions (at least 1s);
    filterTimeout (zero or positive; zero: none): how long `run` lets one node's device search
    take (offline decisions have no wall-clock limit)."""
    seconds = {key: r.duration(args[key], f"{path}.{key}")
               for key in ("filterTimeout", "bindingTimeout") if args.get(key) is not None}
    if seconds.get("filterTimeout", 0) < 0:
        raise r.fail(f"{path}.filterTimeout", "must be zero or positive")
    if seconds.get("bindingTimeout", 1) < 1:
        raise r.fail(f"{path}.bindingTimeout", "must be at least 1 second")
    return replace(profile,
                   dra_binding_timeout_seconds=seconds.get("bindingTimeout", profile.dra_binding_timeout_seconds),
                   dra_filter_timeout_seconds=seconds.get("filterTimeout", profile.dra_filter_timeout_seconds))


# DRA is GA: upstream inserts it before DefaultPreemption in the default profile.
PLUGIN = Plugin("DynamicResources", points("preEnqueue", "preFilter", "filter", "postFilter", "score", "reserve",
                                           "preBind"),
                default_weight=2, core_filter=8, core_score=14,
                args_fields=frozenset({"filterTimeout", "bindingTimeout"}), read_args=read_args, reasons=(
                    Reason(ReasonKind.DYNAMIC_RESOURCES, 1, "cannot allocate all claims", unresolvable=True),
                    Reason(ReasonKind.DYNAMIC_RESOURCES, 2, "resourceclaim not available on the node",
                           unresolvable=True),
                    Reason(ReasonKind.DYNAMIC_RESOURCES, 3, "invalid resource pools were encountered",
                           unresolvable=True),
                ))
