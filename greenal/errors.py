"""The one exception users see: bad input, named precisely (file, field or cell, value, expected)."""
from __future__ import annotations


# control characters and line separators, written as escapes
ONE_LINE = {c: repr(chr(c))[1:-1] for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)}


class InputError(Exception):
    """Bad input data. The CLI prints it and exits with status 2; it never shows a traceback."""

    def __init__(self, file: str, where: str, value: object, expected: str, hint: str = ""):
        self.file, self.where, self.value, self.expected, self.hint = file, where, value, expected, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        message = f"{self.file}: {self.where}: got {self.value!r}; expected {self.expected}"
        message = f"{message}. {self.hint}" if self.hint else message
        return message.translate(ONE_LINE)  # a key or file name with a newline still gives one line


def yaml_error(file: str, exc) -> InputError:
    """A YAML syntax error as an InputError naming line and column."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
    return InputError(file, where, getattr(exc, "problem", None) or str(exc), "valid YAML")


class MissingTool(Exception):
    """A program greenal needs is not installed (exit status 3, one line, how to install it)."""
