"""The one message catalogue (templates/messages.yaml) for every user-facing string: HTML/PDF
report and certificate, the results workbook, the terminal. Keys give {zh, en}; coded terms
(stages, scopes, products, supply kinds...) are keys "<kind>.<code>"; sentences the model
writes in English (verdict notes, factor notes) are translated by the catalogue's `phrases`
(regular expression -> Chinese template), one "; "-separated part at a time."""
from __future__ import annotations

import re
from functools import cache

import yaml
from markupsafe import Markup, escape

from greenal.paths import bundled

LANGS = ("zh", "en")
FALLBACK = {"grid": "province"}  # a supply's grid may be a province


@cache
def catalogue() -> dict:
    return yaml.safe_load((bundled("templates") / "messages.yaml").read_text(encoding="utf-8"))


def messages() -> dict:
    """key -> {zh, en}, without the phrase table."""
    return {k: v for k, v in catalogue().items() if k != "phrases"}


@cache
def phrases() -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(p["en"] + r"\Z"), p["zh"]) for p in catalogue()["phrases"])


class Translator:
    """t(key) for fixed text, t.term(kind, code) for coded values, t.text(sentence) for model prose."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            raise ValueError(f"language {lang!r}: one of {LANGS}")
        self.lang = lang
        self.table = messages()

    def __call__(self, key: str, **values) -> str:
        text = self.table[key][self.lang]
        if any(isinstance(v, Markup) for v in values.values()):  # marked-up values (e.g. names not to translate)
            return Markup(escape(text)).format(**values)
        return text.format(**values) if values else text

    def term(self, kind: str, code) -> str:
        """A coded value in words (stage 'electrolysis' -> 电解); unknown codes are shown as written."""
        if code is None or code == "":
            return ""
        entry = self.table.get(f"{kind}.{code}") or self.table.get(f"{FALLBACK.get(kind)}.{code}")
        return entry[self.lang] if entry else str(code)

    def text(self, sentence: str) -> str:
        """Model prose: in English as written; in Chinese each '; '-part through the phrase table
        (parts without a phrase stay as written, which the untranslated-text test reports)."""
        if self.lang == "en" or not sentence:
            return sentence or ""
        whole = self._part(sentence)
        return whole if whole != sentence else "；".join(self._part(p) for p in sentence.split("; "))

    def _part(self, part: str) -> str:
        for pattern, template in phrases():
            match = pattern.match(part)
            if match:
                groups = {k: self._group(k, v) for k, v in match.groupdict().items()}
                return template.format(**groups)
        return part

    def _group(self, name: str, value: str | None) -> str:
        """Named groups: 'term_<kind>' groups are coded lists ('a, b'), 'text' groups recurse."""
        if value is None:
            return ""
        if name.startswith("term_"):
            kind = name.removeprefix("term_").rstrip("0123456789")
            return "、".join(self.term(kind, v.strip()) for v in value.split(","))
        if name.startswith("text"):
            return self.text(value)
        return value


def translator(lang: str) -> Translator:
    return Translator(lang)
