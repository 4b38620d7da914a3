import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from greenal import api


# Under pytest-xdist (`make test`: -n 2 --dist loadgroup) the tests of these files stay on one worker,
# so their expensive module fixtures (every report rendered, the wheel built, the Monte Carlo run)
# are built once; every other test goes to whichever worker is free. (xdist starts the largest
# groups first.)
WHOLE_FILES = {"test_reports.py", "test_wheel.py", "test_documents.py", "test_uncertainty.py", "test_service_pact.py",
               "test_service_web.py", "test_service_browser.py", "test_certificate_pdf.py", "test_service_postgres.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class WholeFiles(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return file if Path(file).name in WHOLE_FILES else super()._split_scope(nodeid)

    return WholeFiles(config, log)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests never reach the network: any internet connection attempt fails loudly."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class Burst:
    """A deterministic burst of `size` requests: a stubbed check calls `hold()` and waits there until
    every request of the burst has reached it or been refused (`refused()`), so all of them are in
    flight at once before any is answered."""

    def __init__(self, size: int):
        import threading

        self.size, self.arrived, self._lock, self._everyone = size, 0, threading.Lock(), threading.Event()

    def _arrive(self) -> None:
        with self._lock:
            self.arrived += 1
            if self.arrived == self.size:
                self._everyone.set()

    def hold(self) -> None:
        self._arrive()
        self._everyone.wait(120)

    def refused(self) -> None:
        self._arrive()


@dataclass
class CliRun:
    """What a user sees of one command: exit status, stdout, stderr (as subprocess.CompletedProcess)."""
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capfd, monkeypatch):
    """greenal's real entry point (greenal.cli.run, the console script) in-process, with the warning
    filters of a fresh `python -m greenal.cli` process and its file descriptors captured (so what a
    child process such as Chromium prints is seen too): bad input ends in exit status 2 and one line
    on stderr; any other exception escapes and fails the test (a traceback a user would have seen)."""
    from greenal import cli

    def run(*args, env: dict | None = None) -> CliRun:
        capfd.readouterr()  # only this command's output
        handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
        with monkeypatch.context() as patch, warnings.catch_warnings():  # run() replaces showwarning
            patch.setattr(sys, "argv", ["greenal", *map(str, args)])
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            warnings.resetwarnings()  # CPython's default filters (no -W, no PYTHONWARNINGS)
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.filterwarnings("ignore", category=category)
            try:
                cli.run()
                code = 0
            except SystemExit as end:
                code = end.code if isinstance(end.code, int) else 0 if end.code is None else 1
            finally:
                for number, handler in handlers.items():
                    signal.signal(number, handler)
        out, err = capfd.readouterr()
        return CliRun(code, out, err)
    return run


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster on a unix socket (Debian's `postgresql`: initdb/pg_ctl as the
    `postgres` user, no TCP), one per test session (test_registry.py, test_service_postgres.py);
    yields the socket directory. Skips, with the reason, where it cannot start."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        pytest.skip("PostgreSQL not installed (Debian package postgresql; `make test` installs it)")
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("PostgreSQL cluster needs root to run initdb as the postgres user")
    bindir = Path(initdb[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="gpg", dir="/tmp"))  # short: unix socket paths are limited to 107 bytes
    shutil.chown(base, "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(base / "data"), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "log"), "-w",
                        "-o", f"-c listen_addresses='' -c unix_socket_directories={base} -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL cluster could not start: {error}")
    yield base
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "stop"],
                   capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("greenal-data")


@pytest.fixture(scope="session")
def engine(data_dir):
    return api.engine(data_dir)


def potline_declaration(ac_kwh_per_t: float, output_t: float, grid: str, **changes):
    """A potline declaration on one grid supply sized to its use; `changes` set fields by
    'section__field' paths (e.g. electricity__certificates=[...])."""
    import copy
    import datetime as dt

    from greenal.declaration.model import parse

    data = {
        "schema_version": 1,
        "declarant": {"name": "Test potline", "uscc": "91450000MA5K8XXX1A", "province": "guangxi"},
        "period": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
        "product": {"kind": "primary-liquid", "annual_output_t": output_t},
        "electrolysis": {"ac_kwh_per_t": ac_kwh_per_t},
        "electricity": {"supplies": [{"id": "grid", "kind": "grid", "mwh": ac_kwh_per_t * output_t / 1000,
                                      "grid": grid, "factor_year": 2022}], "certificates": []},
    }
    data = copy.deepcopy(data)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = data
        for key in head:
            node = node[key]
        node[last] = value
    return parse(data, "test.yaml", lambda p: ".".join(map(str, p)))


@pytest.fixture
def data_copy(tmp_path):
    """A copy of the bundled inventories/ and methods/ in tmp_path, and edit(relative, old, new)
    replacing the first `old` in one of its files; returns (inventories, methods, line edited)."""
    root = Path(__file__).resolve().parents[1]
    inv, meth = tmp_path / "inventories", tmp_path / "methods"
    shutil.copytree(root / "inventories", inv)
    shutil.copytree(root / "methods", meth)

    def edit(relative: str, old: str, new: str):
        path = tmp_path / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return inv, meth, text[:text.index(old)].count("\n") + 1
    return edit
