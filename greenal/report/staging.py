"""Temporary folders for one report run, removed in `finally`, after a SIGTERM/SIGHUP (the CLI
turns those into SystemExit) and, after a SIGKILL, by the next run: each folder's name carries
the process id that made it, and folders of processes that no longer exist are swept."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from greenal.errors import InputError

PREFIX = ".greenal-"
_NAME = re.compile(r"^\.greenal-[a-z]+-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep(parent: Path) -> None:
    """Remove greenal temp folders in `parent` left by processes that were killed."""
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return
    for entry in entries:
        match = _NAME.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def temp_dir(parent: Path | None, purpose: str):
    """A fresh folder `<parent>/.greenal-<purpose>-<pid>-<random>` (parent: the system temp dir
    by default), removed with everything in it when the block ends, however it ends."""
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    sweep(parent)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{purpose}-{os.getpid()}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def writable_folder(out: Path, create: bool = True) -> Path:
    """`out`, created if missing (with create=False only checked: its nearest existing folder must
    take writes); a folder greenal cannot write to is bad input (one line, exit 2)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("report", "output folder", str(out), "a folder (this is a file)")
    try:
        if create:
            out.mkdir(parents=True, exist_ok=True)
        existing = next(p for p in (out.absolute(), *out.absolute().parents) if p.exists())
        if not existing.is_dir():
            raise NotADirectoryError(20, "a file is in the way", str(existing))
        probe = Path(tempfile.mkdtemp(prefix=f"{PREFIX}probe-{os.getpid()}-", dir=existing))
        probe.rmdir()
    except OSError as exc:
        raise InputError("report", "output folder", str(out),
                         f"a folder greenal can write to ({exc.strerror or exc})") from None
    return out


def move_into_place(stage: Path, names: list[str], out: Path) -> None:
    """Move finished files from `stage` to `out` (same file system: each move is a rename),
    with the user's usual file mode (temp files are private)."""
    umask = os.umask(0)
    os.umask(umask)
    for name in names:
        os.chmod(stage / name, 0o666 & ~umask)
        os.replace(stage / name, out / name)
