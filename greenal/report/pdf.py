"""PDF from the HTML with headless Chromium (Debian `chromium`): the same engine the browser test
uses, and since Chromium 131 it lays out CSS @page margin boxes (header, footer, page numbers).

Chromium runs in its own process group with a throw-away profile inside a greenal temp folder;
whatever ends the call (error, timeout, SIGTERM turned into SystemExit by the CLI), the whole
group is killed and the folder removed."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from greenal.errors import MissingTool
from greenal.files import atomic_target
from greenal.report.staging import temp_dir

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
TIMEOUT_S = 180


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise MissingTool("PDF output needs headless Chromium: install Debian's 'chromium' (apt-get install chromium)")


def check_cjk_font() -> None:
    fc_list = shutil.which("fc-list")
    listed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout if fc_list else ""
    if not listed.strip():
        raise MissingTool("no CJK font found for Chinese text in the PDF: install Debian's 'fonts-noto-cjk' "
                          "(apt-get install fonts-noto-cjk)")


def _run_group(command: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """Run `command` in a new process group; kill the whole group if the wait ends any other way."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout_s)
    except BaseException:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.communicate()
        raise
    try:  # Chromium's helpers may outlive the browser process
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def html_to_pdf(html: str, path: Path, work_dir: Path | None = None) -> Path:
    """Print `html` to `path`; Chromium's page copy and profile live in a temp folder under
    `work_dir` (default: the system temp dir) that is removed afterwards."""
    check_cjk_font()
    executable = browser()
    with temp_dir(work_dir, "chromium") as tmp:
        tmp = Path(tmp).resolve()  # an --out given as a relative folder: Chromium needs absolute paths
        page = tmp / "report.html"
        page.write_text(html, encoding="utf-8")
        with atomic_target(Path(path).resolve()) as target:
            try:
                done = _run_group([executable, *FLAGS, f"--user-data-dir={tmp / 'profile'}",
                                   f"--print-to-pdf={target}", page.as_uri()], TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise MissingTool(f"Chromium did not print the PDF within {TIMEOUT_S} s") from None
            if done.returncode != 0 or not target.stat().st_size:
                raise MissingTool(f"Chromium could not print the PDF (exit {done.returncode}): {done.stderr[-300:]}")
    return Path(path)
