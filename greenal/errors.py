"""The errors users see, one family: each names the file, the field or cell, the value and what
was expected. The CLI prints them as one line; none of them ever shows a traceback.

GreenalError            base of every error greenal raises on purpose
├── InputError          bad input data (also a ValueError): exit status 2
├── DataError           the bundled data or a scheme file is inconsistent: exit status 2
├── StandardsError      a rule cannot be applied as asked (unknown scheme, bad rule): exit status 2
├── RegistryError       the registry refuses (double claim, unknown id, bad signature): exit status 2
└── MissingTool         a program greenal needs is not installed: exit status 3

All are picklable (they cross process boundaries in batch runs).
"""
from __future__ import annotations

from collections.abc import Iterable


# control characters and line separators, written as escapes
ONE_LINE = {c: repr(chr(c))[1:-1] for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)}


class GreenalError(Exception):
    """Base of every error greenal raises on purpose."""
    exit_status = 2


class _Located(GreenalError):
    """An error at a place: file, where (field, line, sheet/cell), the value found, what was expected."""

    def __init__(self, file: str, where: str, value: object, expected: str, hint: str = ""):
        self.file, self.where, self.value, self.expected, self.hint = file, where, value, expected, hint
        super().__init__(str(self))

    def __reduce__(self):
        return type(self), (self.file, self.where, self.value, self.expected, self.hint)

    def __str__(self) -> str:
        message = f"{self.file}: {self.where}: got {self.value!r}; expected {self.expected}"
        message = f"{message}. {self.hint}" if self.hint else message
        return message.translate(ONE_LINE)  # a key or file name with a newline still gives one line


class InputError(_Located, ValueError):
    """Bad input data. The CLI prints it and exits with status 2; it never shows a traceback."""


class DataError(_Located):
    """The bundled data (inventories/, methods/) or a scheme file breaks a rule of the data."""


class StandardsError(_Located):
    """A rule set cannot be applied as asked."""


class RegistryError(GreenalError):
    """The registry refuses an operation; the message says why and names the earlier record."""


class MissingTool(GreenalError):
    """A program greenal needs is not installed (exit status 3, one line, how to install it)."""
    exit_status = 3


def parse_choices(value, allowed: tuple[str, ...], where: str, field: str) -> list[str]:
    """The comma-separated choices of `value` ('a,b', or a sequence of names), each once, in the
    order given, every one of `allowed`; otherwise an InputError naming the first wrong one (or the
    whole value when it names none: None, a number, bytes, an empty list)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        text = repr(value)
    else:
        text = ",".join(map(str, value))
    chosen = list(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    wrong = next((c for c in chosen if c not in allowed), None)
    if not chosen or wrong is not None:
        raise InputError(where, field, text if wrong is None else wrong,
                         f"a comma-separated list of {', '.join(allowed)}")
    return chosen


def yaml_error(file: str, exc, kind: type[_Located] = InputError) -> _Located:
    """A YAML syntax error naming line and column (an InputError, or `kind` for bundled data)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
    return kind(file, where, getattr(exc, "problem", None) or str(exc), "valid YAML")


class DataDirRepaired(UserWarning):
    """A warning, not an error: the data directory was damaged and has been rebuilt (the message
    says what was wrong). The command line shows it as a note; the library never prints."""
