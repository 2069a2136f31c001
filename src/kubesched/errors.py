"""The one error type for a user's mistake: the CLI prints it on one line and exits 2."""

from __future__ import annotations


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
        where = [part for part in (self.file, self.obj, self.field) if part]
        return ": ".join([*where, self.problem])
