"""Files: outputs written so that a crash never leaves half a file behind; inputs read with a
size limit and as UTF-8 text only."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from greenal.errors import InputError


@contextlib.contextmanager
def atomic_target(path: Path):
    """Yield a temporary path beside `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the user's usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, text: str) -> None:
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


# --- reading input files: bounded size, UTF-8 text only ------------------------------------

def _readable(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file", str(path), f"an existing {what}")
    return path


def read_input_bytes(path: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of an input file of at most `max_bytes` (checked before reading a byte more)."""
    path = _readable(path, what)
    try:
        size = path.stat().st_size
        if size <= max_bytes:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
                size = len(data)
    except OSError as exc:
        raise InputError(str(path), "file", exc.strerror or type(exc).__name__, f"a readable {what}") from None
    if size > max_bytes:
        raise InputError(str(path), "file", f"{size} bytes", f"a {what} under {max_bytes} bytes")
    return data


def read_text_input(path: Path, max_bytes: int, what: str) -> str:
    """An input text file as str: UTF-8 (a leading BOM is dropped), at most `max_bytes`.
    Workbooks, UTF-16, GBK and binary files are refused with the byte and line where they fail."""
    data = read_input_bytes(path, max_bytes, what)
    file = str(path)
    if data.startswith(b"PK\x03\x04"):
        raise InputError(file, "file", "a zip archive (an .xlsx workbook renamed?)",
                         f"a UTF-8 text {what}; give a workbook its .xlsx name")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(file, "file", "UTF-16 text", f"a UTF-8 text {what} (save it as UTF-8)")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(file, f"line {line}, byte {exc.start}", data[exc.start:exc.start + 4],
                         f"a UTF-8 text {what} (GBK, UTF-16 and binary files are not read; save it as UTF-8)") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(file, f"line {line}", "a NUL byte", f"a UTF-8 text {what}, not a binary file")
    return text
