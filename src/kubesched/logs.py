"""Logs as klog writes them, so that kube-scheduler's log tooling reads ours.

`configure(verbosity, format)` sends the `kubesched` loggers to stderr as klog's text
(`I1201 21:51:44.123456   12345 scheduler.py:42] "Successfully bound pod to node"
pod="default/p" node="n1"`) or as component-base's JSON (`{"ts":…,"caller":…,"msg":…,"v":2,
…}`). `log.log(V(2), message, extra=kv(pod=KObj(ns, name), node=…))` logs at verbosity 2.
Libraries (urllib3, the kubernetes client) log only their errors unless verbosity ≥ 6."""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass

import orjson

LIBRARY_VERBOSITY = 6
FORMATS = ("text", "json")


def V(level: int) -> int:  # noqa: N802 (klog's name)
    """The logging level of klog's verbosity `level` (0 is INFO)."""
    return logging.INFO - level


@dataclass(frozen=True)
class KObj:
    """An object reference, rendered as klog.KObj renders it."""
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def kv(**pairs) -> dict:
    """`extra=` for a log call: the structured key/value pairs, in order."""
    return {"kv": pairs}


def _verbosity(record: logging.LogRecord) -> int:
    return max(0, logging.INFO - record.levelno)


def _severity(record: logging.LogRecord) -> str:
    if record.levelno >= logging.ERROR:
        return "E"
    return "W" if record.levelno >= logging.WARNING else "I"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = time.localtime(record.created)
        micros = int((record.created % 1) * 1_000_000)
        header = (f"{_severity(record)}{time.strftime('%m%d %H:%M:%S', moment)}.{micros:06d} "
                  f"{os.getpid():7d} {record.filename}:{record.lineno}]")
        parts = [header, _quote(record.getMessage())]
        for key, value in (getattr(record, "kv", None) or {}).items():
            parts.append(f"{key}={_text_value(value)}")
        if record.exc_info:
            parts.append(f"err={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created * 1000, 3), "caller": f"{record.module}/{record.filename}:{record.lineno}",
                 "msg": record.getMessage()}
        if record.levelno < logging.WARNING:
            entry["v"] = _verbosity(record)
        for key, value in (getattr(record, "kv", None) or {}).items():
            entry[key] = {"name": value.name, "namespace": value.namespace} if isinstance(value, KObj) else value
        if record.exc_info:
            entry["err"] = self.formatException(record.exc_info)
        elif record.levelno >= logging.ERROR and "err" not in entry:
            entry["err"] = record.getMessage()
        return orjson.dumps(entry, default=str).decode()


def _quote(text: str) -> str:
    return orjson.dumps(text).decode()


def _text_value(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _quote(str(value))


def configure(verbosity: int = 0, logging_format: str = "text", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if logging_format == "json" else TextFormatter())
    ours = logging.getLogger("kubesched")
    ours.handlers[:] = [handler]
    ours.setLevel(V(verbosity))
    ours.propagate = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbosity >= LIBRARY_VERBOSITY else logging.ERROR)
