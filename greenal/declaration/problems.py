"""Every bad field of a declaration in one run: the readers collect errors and raise them together.

One error is raised as itself (an InputError naming file, place, value and what was expected);
several as one InputErrors, which is an InputError too (the first one's place) whose message
lists every error, one per line, in the order of the file.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from greenal.errors import InputError

MAX_SHOWN = 50  # problems listed in one message; the rest are counted


class InputErrors(InputError):
    """Several bad fields of one file; `errors` holds each InputError."""

    def __init__(self, errors: list[InputError] | tuple[InputError, ...]):
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(first.file, first.where, first.value, first.expected, first.hint)

    def __reduce__(self):
        return type(self), (self.errors,)

    def __str__(self) -> str:
        lines = [f"{self.file}: {len(self.errors)} problems, one per line:"]
        for error in self.errors[:MAX_SHOWN]:
            line = str(error)
            lines.append("  " + (line[len(error.file) + 2:] if error.file == self.file else line))
        if len(self.errors) > MAX_SHOWN:
            lines.append(f"  ... and {len(self.errors) - MAX_SHOWN} more")
        return "\n".join(lines)


class Problems:
    """Collects InputErrors of one file; `raise_any` raises them (one as itself, several together)."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[InputError] = []

    def add(self, error: InputError) -> None:
        self.errors.extend(error.errors if isinstance(error, InputErrors) else (error,))

    @contextmanager
    def check(self) -> Iterator[None]:
        """Run a block; an InputError it raises is kept and the caller carries on after the block."""
        try:
            yield
        except InputError as exc:
            self.add(exc)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        errors: dict[str, InputError] = {}
        for error in self.errors:  # one problem per place: the first (a formula cell is not also "missing")
            errors.setdefault(error.where, error)
        if len(errors) == 1:
            raise next(iter(errors.values()))
        if errors:
            raise InputErrors(list(errors.values()))
