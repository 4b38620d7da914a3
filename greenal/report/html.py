"""HTML reports from templates/ (jinja2, autoescaping on): one template set, two languages
through templates/messages.yaml."""
from __future__ import annotations

from functools import cache

import jinja2
import yaml
from markupsafe import Markup

from greenal.paths import bundled
from greenal.report import charts
from greenal.report.i18n import LANGS, translator  # noqa: F401 (LANGS: the languages a report is written in)


@cache
def assumptions() -> list:
    return yaml.safe_load((bundled("templates") / "assumptions.yaml").read_text(encoding="utf-8"))


def number(value, digits: int | None = None, signed: bool = False) -> str:
    """Thousands separators; by default 3 decimals below 100, 1 below 1000, none above."""
    if value is None:
        return "–"
    if digits is None:
        digits = 3 if abs(value) < 100 else 1 if abs(value) < 1000 else 0
    return f"{value:{'+' if signed else ''},.{digits}f}"


CSS_SAFE_PUNCTUATION = frozenset(" !#$%()*+,-./:;=?[]^_`{|}~")


def percent(value, digits: int = 1) -> str:
    """A share (0.123) as per cent (12.3 %)."""
    return "–" if value is None else f"{100 * value:,.{digits}f} %"


def css_string(value) -> Markup:
    """Text for a CSS string (the @page header and footer). Only letters, digits and plain
    punctuation pass as they are; everything else (quotes, backslash, newline, form feed and the
    other CSS string terminators (CSS Syntax 3 §4.3.5), control and format characters, line and
    paragraph separators, '<' and '&' that could end the <style> element) becomes a CSS hex escape
    (§4.3.7), which keeps the text as written. NUL and lone surrogates become U+FFFD, as CSS does."""
    out = []
    for ch in str(value):
        code = ord(ch)
        if code == 0 or 0xD800 <= code <= 0xDFFF:
            code = 0xFFFD
        elif ch.isalnum() or ch in CSS_SAFE_PUNCTUATION:
            out.append(ch)
            continue
        out.append(f"\\{code:x} ")
    return Markup("".join(out))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(bundled("templates")), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = number
    env.filters["pct"] = percent
    env.filters["notr"] = lambda value: Markup('<span translate="no">{}</span>').format(value)
    env.filters["css_string"] = css_string
    env.globals["charts"] = charts
    return env


def render(report: dict, kind: str, lang: str) -> str:
    """kind: 'report' (the CFP study report) or 'certificate' (the assessment certificate)."""
    t = translator(lang)
    footer = f"{t('certificate_number')} {report['certificate_number']} · {report['created']}"
    return environment().get_template(f"{kind}.html.j2").render(
        r=report, lang=lang, t=t, footer=footer, assumptions=[a[lang] for a in assumptions()])
