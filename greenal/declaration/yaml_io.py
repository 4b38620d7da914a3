"""Declarations as YAML: read with line numbers for errors; write the commented template."""
from __future__ import annotations

from pathlib import Path

import yaml

from greenal.declaration.fields import SCHEMA_VERSION, SECTIONS, STAGE_SECTIONS
from greenal.declaration.model import Declaration, parse
from greenal.errors import InputError, yaml_error

MAX_BYTES = 5_000_000


def _lines(node, path=(), out=None) -> dict:
    """Map each key path of a composed YAML document to its line number (1-based)."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            out[sub] = key.start_mark.line + 1
            _lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _lines(item, path + (i,), out)
    return out


def read_yaml(path: Path) -> Declaration:
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise InputError(str(path), "file", f"{path.stat().st_size} bytes", f"a declaration under {MAX_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        lines = _lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise yaml_error(str(path), exc) from None

    def where(field_path: tuple) -> str:
        name = ".".join(map(str, field_path))
        for n in range(len(field_path), 0, -1):  # nearest ancestor that is in the file
            if field_path[:n] in lines:
                return f"{name} (line {lines[field_path[:n]]})"
        return name

    return parse(data, str(path), where)


def yaml_template(lang: str = "en") -> str:
    """A commented YAML declaration with every field, to fill in."""
    zh = lang == "zh"
    out = [f"# greenal declaration (schema {SCHEMA_VERSION}). {'填写本单位数据；留空的字段使用默认值。' if zh else 'Fill in your site data; fields left empty take the sourced defaults.'}",
           f"schema_version: {SCHEMA_VERSION}"]
    for name, section in SECTIONS.items():
        if section.table:
            continue
        optional = name in STAGE_SECTIONS
        per = f" — per {section.per}" if section.per else ""
        out.append(f"\n# {section.zh if zh else section.en} / {section.en if zh else section.zh}{per}"
                   + (" (delete the section if not operated on site)" if optional else ""))
        out.append(f"{name}:")
        nested_open = None
        for f in section.fields:
            head, _, tail = f.key.partition(".")
            comment = f"# {f.header(lang)}" + (f"; {' | '.join(f.choices)}" if f.choices else "") + (
                f"; {f.note}" if f.note else "")
            if tail:
                if nested_open != head:
                    out.append(f"  {head}:")
                    nested_open = head
                out.append(f"    {tail}:   {comment}")
            else:
                nested_open = None
                out.append(f"  {f.key}:   {comment}")
    out.append("\nelectricity:")
    for name in ("supplies", "certificates"):
        section = SECTIONS[name]
        out.append(f"  # {section.zh if zh else section.en}: one entry per row; fields:")
        for f in section.fields:
            out.append(f"  #   {f.key}: {f.header(lang)}" + (f"; {' | '.join(f.choices)}" if f.choices else "")
                       + (f"; {f.note}" if f.note else ""))
        out.append(f"  {name}: []")
    return "\n".join(out) + "\n"
