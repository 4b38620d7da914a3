"""PDF from the HTML with headless Chromium (Debian `chromium`): the same engine the browser test
uses, and since Chromium 131 it lays out CSS @page margin boxes (header, footer, page numbers)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from greenal.errors import MissingTool
from greenal.files import atomic_target

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")


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


def html_to_pdf(html: str, path: Path) -> Path:
    check_cjk_font()
    executable = browser()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        with atomic_target(Path(path)) as target:
            done = subprocess.run([executable, *FLAGS, f"--user-data-dir={tmp}/profile",
                                   f"--print-to-pdf={target}", page.as_uri()],
                                  capture_output=True, text=True, timeout=180)
            if done.returncode != 0 or not target.stat().st_size:
                raise MissingTool(f"Chromium could not print the PDF (exit {done.returncode}): {done.stderr[-300:]}")
    return Path(path)
