"""Outputs that stay whole and never surprise: no live formulas in any workbook, CSS/HTML
escaping in every context, a report set written whole or not at all, temp folders and Chromium
cleaned up (also after a failure or a kill), no silent overwrite, names from the declaration."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from greenal.declaration.excel import write_workbook
from greenal.declaration.yaml_io import read_yaml
from greenal.errors import InputError, MissingTool
from greenal.model.site import declaration_footprint
from greenal.report import data, html, pdf
from greenal.report.render import output_stem, slug, write_reports
from greenal.standards.engine import assess

ROOT = Path(__file__).resolve().parents[1]
RECYCLER = ROOT / "examples" / "scrap-recycler.yaml"
SMELTER = ROOT / "examples" / "guangxi-smelter.yaml"
FORMULA_TEXTS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "  +cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
                 "\t=1+1", "#N/A"]


def hostile_result(engine, name: str, site: str = "佛山市 Foshan"):
    """The recycler example with the declarant's text replaced after reading: the writers are
    under test here, whatever the readers accept."""
    result = declaration_footprint(engine, read_yaml(RECYCLER))
    result.declaration.declarant["name"] = name
    result.declaration.declarant["site"] = site
    return result


def no_formula_xml(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                xml = archive.read(member).decode("utf-8")
                assert not re.search(r"<f[ >]", xml), f"{path.name}:{member} holds a formula"
                assert 't="e"' not in xml, f"{path.name}:{member} holds an error value"


def text_cells(path: Path) -> dict[str, openpyxl.cell.Cell]:
    book = openpyxl.load_workbook(path)
    return {cell.value: cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)}


@pytest.mark.parametrize("text", FORMULA_TEXTS)
def test_text_that_looks_like_a_formula_stays_text_in_every_workbook(engine, tmp_path, text):
    result = hostile_result(engine, text, site=text)
    paths = write_reports(result, engine, ["xlsx", "cbam"], "en", tmp_path / "out")
    questionnaire = tmp_path / "questionnaire.xlsx"

    class Filled:  # the questionnaire writer reads only the mapping
        def to_mapping(self):
            return result.declaration.to_mapping()

    write_workbook(questionnaire, "en", Filled())
    for path in [*paths, questionnaire]:
        no_formula_xml(path)
        cells = text_cells(path)
        assert text in cells, path.name  # written as the declarant wrote it
        cell = cells[text]
        assert cell.data_type == "s"
        assert cell.quotePrefix == text.lstrip().startswith(("=", "+", "-", "@")), path.name


def test_control_characters_do_not_break_a_workbook(engine, tmp_path):
    name = "Plant\x0cOne\x00\x1b[31m"
    paths = write_reports(hostile_result(engine, name), engine, ["xlsx", "cbam"], "en", tmp_path)
    for path in paths:
        assert "Plant\ufffdOne\ufffd\ufffd[31m" in text_cells(path)  # XML 1.0 cannot carry them


def decode_css_string(body: str) -> str:
    """CSS Syntax 3 §4.3.7: backslash + 1-6 hex digits + one optional white space; an independent reading."""
    assert not re.search(r"[\"'\n\r\x0c<&]", body), body
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), body)


HOSTILE_NAMES = ["A\x0cB", "new\nline\r", "back\\slash", "quote\" 'single'", "</style><script>alert(1)</script>",
                 "line\u2028sep\u2029", "tab\tvt\x0b", "comment /* x */ } @page { content: 'y' }", "中文 & <b>"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_page_header_string_holds_any_name(engine, name):
    result = hostile_result(engine, name)
    report = data.build(result, assess(result), engine, "ar6")
    for kind in ("report", "certificate"):
        page = html.render(report, kind, "en")
        style = page.split("<style>", 1)[1].split("</style>", 1)[0]  # the first </style> ends the style
        header = re.search(r'@top-left \{ content: "([^"]*)";', style)
        assert header, kind
        assert decode_css_string(header.group(1)) == name
        assert page.count("<script>") == 0
        assert "</style>" not in style and len(re.findall(r"@top-left", style)) == 1


def test_hostile_name_prints_in_the_pdf_header(engine, tmp_path):
    name = 'Tricky\x0cPlant "Q"\\ </style>'
    paths = write_reports(hostile_result(engine, name), engine, ["pdf"], "en", tmp_path)
    text = subprocess.run(["pdftotext", str(paths[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert 'Plant "Q"\\ </style>' in text


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """The system temp dir of this test: any greenal folder left in it is visible."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def leftovers(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if p.name.startswith((".greenal-", "greenal-"))]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_failing_pdf_step_leaves_the_previous_set_untouched(engine, tmp_path, private_tmp, monkeypatch):
    out = tmp_path / "out"
    result = hostile_result(engine, "Plant one")
    write_reports(result, engine, ["html", "xlsx", "pact"], "en", out)
    before = snapshot(out)
    assert len(before) == 4

    monkeypatch.setattr(pdf, "browser", lambda: "/bin/false")  # a browser that dies at start
    result.declaration.declarant["site"] = "changed"  # a new run would change the workbook
    with pytest.raises(MissingTool):
        write_reports(result, engine, ["html", "pdf", "xlsx", "pact", "cbam"], "en", out)
    assert snapshot(out) == before
    assert leftovers(out, private_tmp) == []


def test_normal_run_leaves_no_temp_folders(engine, tmp_path, private_tmp):
    out = tmp_path / "out"
    paths = write_reports(hostile_result(engine, "Plant one"), engine, ["html", "pdf"], "en", out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert leftovers(out, private_tmp) == []
    pdf.html_to_pdf("<p>x</p>", tmp_path / "alone.pdf")  # the standalone call cleans up as well
    assert leftovers(private_tmp) == []


def test_folders_of_killed_runs_are_swept(engine, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    stale = out / f".greenal-report-{dead.pid}-abc123" / f".greenal-chromium-{dead.pid}-def456" / "profile"
    stale.mkdir(parents=True)
    write_reports(hostile_result(engine, "Plant one"), engine, ["pact"], "en", out)
    assert leftovers(out) == []


def checked(done, check_status):
    assert done.returncode == check_status, done.stderr
    assert "Traceback" not in done.stderr
    if check_status == 2:
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
    return done


def process(data_dir, *args, env=None, check_status=0):
    """greenal in its own process (signals, TMPDIR)."""
    return checked(subprocess.run([sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), *args],
                                  capture_output=True, text=True, timeout=300, env=env), check_status)


@pytest.fixture
def greenal(run_cli):
    """The console script's entry point in-process."""
    def run(data_dir, *args, check_status=0):
        return checked(run_cli("--data-dir", data_dir, *args), check_status)
    return run


def test_sigterm_during_pdf_stops_chromium_and_removes_temp_folders(engine, data_dir, tmp_path):
    out, system_tmp = tmp_path / "out", tmp_path / "system-tmp"
    system_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(system_tmp)}
    process(data_dir, "report", str(SMELTER), "--format", "pact", "--out", str(out), env=env)
    before = snapshot(out)
    run = subprocess.Popen([sys.executable, "-m", "greenal.cli", "--data-dir", str(data_dir), "report", str(SMELTER),
                            "--format", "html,pdf", "--out", str(out)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    profile = None
    for _ in range(2400):  # Chromium has started once its profile folder exists
        profile = next(out.glob(".greenal-report-*/.greenal-chromium-*/profile"), None)
        if profile or run.poll() is not None:
            break
        time.sleep(0.05)
    assert profile, "Chromium never started"
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out, system_tmp) == []
    still = subprocess.run(["pgrep", "-f", str(profile)], capture_output=True, text=True).stdout
    assert still.strip() == ""  # no Chromium process of that run survives


def test_read_only_out_is_one_line_and_exit_2(engine, data_dir, tmp_path, greenal):
    greenal(data_dir, "report", str(SMELTER), "--format", "pact", "--out", "/sys", check_status=2)
    greenal(data_dir, "footprint", "--route", "cn-hydro", "--out", "/sys/greenal", check_status=2)
    (tmp_path / "file").write_text("x")
    greenal(data_dir, "report", str(SMELTER), "--out", str(tmp_path / "file"), check_status=2)
    if os.geteuid() != 0:  # root writes into read-only folders
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        greenal(data_dir, "report", str(SMELTER), "--format", "pact", "--out", str(locked), check_status=2)
    with pytest.raises(InputError, match="output folder"):
        write_reports(declaration_footprint(engine, read_yaml(SMELTER)), engine, ["pact"], "en", Path("/sys"))


def test_format_and_route_misuse_refused(data_dir, greenal):
    for formats in ("", " , ", ","):
        greenal(data_dir, "report", str(SMELTER), "--format", formats, check_status=2)
    done = greenal(data_dir, "footprint", str(SMELTER), "--route", "cn-hydro", check_status=2)
    assert "--route" in done.stderr
    for langs in ("fr", "", "zh,fr", "zh;en"):
        done = greenal(data_dir, "report", str(SMELTER), "--format", "pact", "--lang", langs, check_status=2)
        assert "expected a comma-separated list of zh, en" in done.stderr, langs


def test_template_never_overwrites_without_force(data_dir, tmp_path, greenal):
    for name, extra in (("q.xlsx", []), ("plant.yaml", ["--yaml"])):
        path = tmp_path / name
        path.write_bytes(b"the user's own file")
        done = greenal(data_dir, "template", *extra, str(path), check_status=2)
        assert "--force" in done.stderr
        assert path.read_bytes() == b"the user's own file"
        greenal(data_dir, "template", *extra, "--force", str(path))
        assert path.read_bytes() != b"the user's own file" and path.stat().st_size > 100
    greenal(data_dir, "template", str(tmp_path / "new.xlsx"))
    assert (tmp_path / "new.xlsx").stat().st_size > 1000


def test_two_plants_named_plant_yaml_keep_their_own_outputs(data_dir, tmp_path, greenal):
    out = tmp_path / "out"
    for folder, example in (("a", SMELTER), ("b", RECYCLER)):
        (tmp_path / folder).mkdir()
        shutil.copy(example, tmp_path / folder / "plant.yaml")
        greenal(data_dir, "report", str(tmp_path / folder / "plant.yaml"), "--format", "pact", "--lang", "en",
                "--out", str(out))
        greenal(data_dir, "footprint", str(tmp_path / folder / "plant.yaml"), "--out", str(out))
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([
        "广西示例铝业有限公司-guangxi-example-aluminium-co-primary-ingot-2024.pact.json",
        "广西示例铝业有限公司-guangxi-example-aluminium-co-primary-ingot-2024.json",
        "广东示例再生铝有限公司-guangdong-example-recycled-aluminium-recycled-ingot-2024.pact.json",
        "广东示例再生铝有限公司-guangdong-example-recycled-aluminium-recycled-ingot-2024.json"])


def test_slug_is_safe_for_file_systems():
    assert slug("广西示例铝业有限公司 (Guangxi Example Aluminium Co.)") == \
        "广西示例铝业有限公司-guangxi-example-aluminium-co"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug('a/b\\c:d*e?f"g<h>i|j\x00k_l') == "a-b-c-d-e-f-g-h-i-j-k-l"
    assert slug(".hidden") == "hidden"
    assert slug("Ｆｕｌｌ　Ｗｉｄｔｈ") == "full-width"  # NFKC folds full-width forms
    assert slug("x" * 300) == "x" * 48
    assert slug("  ") == ""


def test_output_stem_when_the_name_has_no_letters(engine):
    result = hostile_result(engine, "../..")
    assert output_stem(result.declaration) == "declarant-recycled-ingot-2024"


def test_pdf_into_a_relative_out_folder(engine, tmp_path, monkeypatch):
    """`make demo` writes to out/demo: a relative folder must work for the PDF step too."""
    monkeypatch.chdir(tmp_path)
    result = declaration_footprint(engine, read_yaml(SMELTER))
    written = write_reports(result, engine, ["pdf"], "en", Path("out") / "demo")
    assert written and all(p.read_bytes()[:5] == b"%PDF-" for p in written)
