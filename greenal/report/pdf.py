"""PDF from HTML with headless Chromium (Debian `chromium`): the same engine the browser test
uses, and since Chromium 131 it lays out CSS @page margin boxes (header, footer, page numbers).

One Chromium process prints every document of a run (`print_all`): it is driven over the
DevTools protocol on a pipe (`--remote-debugging-pipe`: commands in on fd 3, replies out on
fd 4, each a JSON message ended by a NUL byte), a tab per document, loaded and printed side by
side, `Page.printToPDF` with
the parameters Chromium's own `--print-to-pdf` uses (backgrounds printed, the CSS @page size,
no browser header or footer).

Chromium runs in its own process group with a throw-away profile inside a greenal temp folder;
whatever ends the call (error, timeout, SIGTERM turned into SystemExit by the CLI), the whole
group is killed and the folder removed."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from greenal.errors import MissingTool
from greenal.files import atomic_target
from greenal.report.staging import temp_dir

# Chromium's headless shell (Debian chromium-headless-shell, the "old headless" build made for
# automation and printing) first: the same Blink layout and Skia PDF, started and printing in
# about half the time of the full browser; the full browser where it is not installed.
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe")
TIMEOUT_S = 180  # for the whole run: start, every page and every print
# Page.printToPDF as `--print-to-pdf` calls it (headless_command_handler: backgrounds, CSS page size)
PRINT_PARAMS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
                "transferMode": "ReturnAsBase64"}


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise MissingTool("PDF output needs headless Chromium: install Debian's 'chromium-headless-shell' or 'chromium' "
                      "(apt-get install chromium-headless-shell)")


def check_cjk_font() -> None:
    fc_list = shutil.which("fc-list")
    listed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout if fc_list else ""
    if not listed.strip():
        raise MissingTool("no CJK font found for Chinese text in the PDF: install Debian's 'fonts-noto-cjk' "
                          "(apt-get install fonts-noto-cjk)")


def _high(fds: tuple[int, int]) -> tuple[int, int]:
    """The pipe's two ends moved to descriptors >= 10 (close-on-exec), clear of 3 and 4."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved[0], moved[1]


class _Chromium:
    """One headless Chromium in its own process group, spoken to over the DevTools pipe."""

    def __init__(self, executable: str, folder: Path, deadline: float):
        self.deadline, self.log_path, self._next_id = deadline, folder / "chromium.log", 0
        self.executable = executable  # named in every error: with two browsers installed, which one failed
        to_browser_r, self._to_browser = _high(os.pipe())
        self._from_browser, from_browser_w = _high(os.pipe())

        def pipe_fds() -> None:  # in the child: the protocol's fixed descriptors 3 and 4, inherited
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        try:
            with open(self.log_path, "wb") as log:
                # close_fds=False: only 3 and 4 (dup2 makes them inheritable) and the standard streams
                # cross exec; every other descriptor of this process is close-on-exec (PEP 446).
                self.process = subprocess.Popen(
                    [executable, *FLAGS, f"--user-data-dir={folder / 'profile'}", "about:blank"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                    close_fds=False, preexec_fn=pipe_fds)
        except BaseException:
            for fd in (to_browser_r, self._to_browser, self._from_browser, from_browser_w):
                os.close(fd)
            raise
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""

    def close(self) -> None:
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        try:  # Chromium's helpers may outlive the browser process
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def _failed(self, what: str) -> MissingTool:
        try:
            tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-300:].strip()
        except OSError:
            tail = ""
        code = self.process.poll()
        return MissingTool(f"Chromium ({self.executable}) could not print the PDF ({what}"
                           f"{'' if code is None else f', exit {code}'})" + (f": {tail}" if tail else ""))

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise MissingTool(f"Chromium ({self.executable}) did not print the PDF within {TIMEOUT_S} s")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise self._failed("it stopped")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call_all(self, commands: list[tuple[str, dict, str]]) -> list[dict]:
        """Send (method, params, session id or '') commands at once and return their results in
        order (events read meanwhile are dropped): the tabs load and print side by side."""
        ids = []
        for method, params, session in commands:
            self._next_id += 1
            command: dict = {"id": self._next_id, "method": method, "params": params}
            if session:
                command["sessionId"] = session
            try:
                os.write(self._to_browser, json.dumps(command).encode() + b"\0")
            except BrokenPipeError:
                raise self._failed("it stopped") from None
            ids.append(self._next_id)
        results: dict[int, dict] = {}
        while len(results) < len(ids):
            message = self._read_message()
            if message.get("id") in ids:
                if "error" in message:
                    method = commands[ids.index(message["id"])][0]
                    raise self._failed(f"{method}: {message['error'].get('message', message['error'])}")
                results[message["id"]] = message.get("result", {})
        return [results[i] for i in ids]

    def print_pages(self, urls: list[str]) -> list[bytes]:
        """Load each URL in a tab of its own, wait for its load event and its fonts, print it."""
        targets = self.call_all([("Target.createTarget", {"url": "about:blank"}, "") for _ in urls])
        sessions = [r["sessionId"] for r in self.call_all(
            [("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True}, "") for t in targets])]
        self.call_all([("Page.navigate", {"url": url}, s) for url, s in zip(urls, sessions, strict=True)])
        ready = "new Promise(done => { const go = () => document.fonts.ready.then(() => done(true)); " \
                "document.readyState === 'complete' ? go() : addEventListener('load', go); })"
        self.call_all([("Runtime.evaluate", {"expression": ready, "awaitPromise": True}, s) for s in sessions])
        printed = self.call_all([("Page.printToPDF", PRINT_PARAMS, s) for s in sessions])
        return [base64.b64decode(r["data"]) for r in printed]


def print_all(documents: Iterable[tuple[str, Path]], work_dir: Path | None = None) -> list[Path]:
    """Print each (html, path) with one Chromium process, in order; each PDF is written
    atomically. Chromium's page copies and profile live in a temp folder under `work_dir`
    (default: the system temp dir) that is removed afterwards."""
    documents = list(documents)
    if not documents:
        return []
    check_cjk_font()
    executable = browser()
    with temp_dir(work_dir, "chromium") as tmp:
        tmp = Path(tmp).resolve()  # an --out given as a relative folder: Chromium needs absolute paths
        chromium = _Chromium(executable, tmp, time.monotonic() + TIMEOUT_S)
        try:
            urls = []
            for number, (html, _) in enumerate(documents):
                page = tmp / f"page-{number}.html"
                page.write_text(html, encoding="utf-8")
                urls.append(page.as_uri())
            for data, (_, path) in zip(chromium.print_pages(urls), documents, strict=True):
                if not data.startswith(b"%PDF-"):
                    raise chromium._failed("no PDF returned")
                with atomic_target(Path(path).resolve()) as target:
                    target.write_bytes(data)
        finally:
            chromium.close()
    return [Path(path) for _, path in documents]


def html_to_pdf(html: str, path: Path, work_dir: Path | None = None) -> Path:
    """Print one document (see `print_all` for a run of several)."""
    return print_all([(html, Path(path))], work_dir)[0]
