"""PDF printing, in one command: `make bench` (or `python benchmarks/pdf.py`).

Prints the time to print a report run's two documents (the Guangxi example's report and
certificate) with one Chromium (greenal.report.pdf.print_all, as `greenal report` does), beside
one Chromium print of the report alone, and their ratio (issue 12's target: <= 1.3x).
Medians of ROUNDS alternating runs; the pages are rendered once beforehand (greenal's default
data directory: the first run builds the Brightway project there).
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from greenal import api
from greenal.report import data, html, pdf
from greenal.standards.engine import assess

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "guangxi-smelter.yaml"
ROUNDS = 5
TARGET = 1.3


def pages(lang: str = "en") -> dict[str, str]:
    engine = api.engine()
    result = api.declaration_footprint(EXAMPLE)
    report = data.build(result, assess(result, gwp="ar6"), engine, "ar6")
    return {kind: html.render(report, kind, lang) for kind in ("report", "certificate")}


def seconds(documents: list[tuple[str, Path]], folder: Path) -> float:
    start = time.perf_counter()
    pdf.print_all(documents, work_dir=folder)
    return time.perf_counter() - start


def main() -> None:
    rendered = pages()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        both = [(rendered["report"], folder / "report.pdf"), (rendered["certificate"], folder / "certificate.pdf")]
        alone = [(rendered["report"], folder / "alone.pdf")]
        seconds(alone, folder)  # warm the page cache for Chromium's files
        one, two = [], []
        for _ in range(ROUNDS):
            one.append(seconds(alone, folder))
            two.append(seconds(both, folder))
    one_s, two_s = statistics.median(one), statistics.median(two)
    print(f"one Chromium print (report):           {one_s:6.2f} s  (median of {ROUNDS})")
    print(f"report + certificate, one Chromium:    {two_s:6.2f} s  (median of {ROUNDS})")
    print(f"ratio: {two_s / one_s:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
