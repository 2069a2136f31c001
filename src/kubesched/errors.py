"""The one error type for a user's mistake: the CLI prints it on one line and exits 2."""

from __future__ import annotations

import re

# Parts of a message longer than this are cut in the middle: a 100 KB value echoed back
# helps nobody, its two ends say which one it was.
MAX_PART = 240
MAX_PROBLEM = 480
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: object, limit: int = MAX_PART) -> str:
    """`text` with control characters escaped (a file name may hold a newline), shortened to
    about `limit` characters."""
    text = _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                               else f"\\u{ord(m.group()):04x}"), str(text))
    # A name read from the command line may carry undecodable bytes (surrogate escapes).
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        keep = (limit - 5) // 2
        text = f"{text[:keep]} … {text[-keep:]}"
    return text


class InputError(Exception):
    """Bad input, located as precisely as we can: file, object and field."""

    def __init__(self, problem: str, *, file: str | None = None, obj: str | None = None,
                 field: str | None = None):
        self.problem = problem
        self.file = file
        self.obj = obj
        self.field = field
        super().__init__(str(self))

    def located(self, *, file: str | None = None, obj: str | None = None) -> "InputError":
        """The same error with a file or object filled in where it was not known yet."""
        return InputError(self.problem, file=self.file or file, obj=self.obj or obj,
                          field=self.field)

    def __str__(self) -> str:
        where = [one_line(part, limit) for part, limit in ((self.file, MAX_PART), (self.obj, MAX_PART),
                                                            (self.field, MAX_PROBLEM)) if part]
        return ": ".join([*where, one_line(self.problem, MAX_PROBLEM)])
