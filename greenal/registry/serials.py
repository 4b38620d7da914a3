"""Certificate serial ranges as comparable numbers: normalised prefix + trailing digits.

'GEC2024GX000000001' -> prefix 'GEC2024GX', number 1. Two claims overlap when their prefixes
are equal and their number ranges intersect, whatever the scheme (as EAC-2 within a declaration).
Numbers are kept as 40-digit zero-padded text so that plain text order is numeric order in SQLite
and PostgreSQL alike.
"""
from __future__ import annotations

from greenal.errors import InputError
from greenal.model.electricity import SERIAL_DIGITS as WIDTH
from greenal.model.electricity import normalised_serial


def split(serial: str, file: str, where: str) -> tuple[str, int]:
    """Prefix and running number, normalised as the declaration's own no-serial-twice rule does
    (EAC-2: case, separators, leading zeros), so a range written differently is the same range."""
    parts = normalised_serial(str(serial))
    if parts is None:
        raise InputError(file, where, serial, f"a serial ending in its running number (at most {WIDTH} digits)")
    return parts


def padded(number: int) -> str:
    return f"{number:0{WIDTH}d}"


def parse_range(scheme: str, serial_from: str, serial_to: str | None, file: str, where: str) -> dict:
    """One claim row: scheme, prefix, padded numbers and the serials as declared."""
    prefix, first = split(serial_from, file, f"{where}.serial_from")
    last_serial = serial_to or serial_from
    prefix_to, last = split(last_serial, file, f"{where}.serial_to")
    if prefix_to != prefix:
        raise InputError(file, f"{where}.serial_to", serial_to, f"a serial with the same prefix as {serial_from!r}")
    if last < first:
        raise InputError(file, f"{where}.serial_to", serial_to, f"a serial not before {serial_from!r}")
    return {"scheme": scheme, "prefix": prefix, "number_from": padded(first), "number_to": padded(last),
            "serial_from": str(serial_from), "serial_to": str(last_serial)}


def count(claim: dict) -> int:
    """How many certificates the range holds (both ends included)."""
    return int(claim["number_to"]) - int(claim["number_from"]) + 1



