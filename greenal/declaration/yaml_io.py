"""Declarations as YAML: read with line numbers for errors; write the commented template."""
from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import ScalarNode

from greenal.declaration.fields import QUALITY_FLAGS, SCHEMA_VERSION, SECTIONS, STAGE_SECTIONS, total_field
from greenal.declaration.model import Declaration, parse
from greenal.errors import InputError, yaml_error
from greenal.files import read_text_input

MAX_BYTES = 1_000_000  # a declaration is a few kB; 200 supply rows are under 50 kB
MAX_NODES = 100_000  # values, keys and containers in one file
MAX_DEPTH = 16  # a declaration nests 4 deep (electricity.supplies[i].mwh)
MAX_SCALAR = 2_000  # characters in one value (text fields are shorter still, see fields.MAX_TEXT)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: one fast pass
CONTAINERS = {yaml.MappingStartEvent: "tag:yaml.org,2002:map", yaml.SequenceStartEvent: "tag:yaml.org,2002:seq"}


def _line(event) -> int:
    return event.start_mark.line + 1


def _scalar(loader, event, file: str):
    """One scalar, resolved and constructed as yaml.safe_load would (bool, int, float, date, str)."""
    if len(event.value) > MAX_SCALAR:
        raise InputError(file, f"line {_line(event)}", f"{len(event.value)} characters",
                         f"a value under {MAX_SCALAR} characters")
    tag = event.tag if event.tag not in (None, "!") else loader.resolve(ScalarNode, event.value, event.implicit)
    construct = loader.yaml_constructors.get(tag)
    if tag == "tag:yaml.org,2002:merge":
        raise InputError(file, f"line {_line(event)}", "<<", "plain keys (YAML merge keys are not read)")
    if construct is None or tag in (None, "tag:yaml.org,2002:binary"):
        raise InputError(file, f"line {_line(event)}", event.tag or tag, "a plain value (YAML tags are not read)")
    try:
        value = construct(loader, ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
    except (ValueError, OverflowError, yaml.YAMLError) as exc:  # 2024-02-30, a bad timestamp, ...
        raise InputError(file, f"line {_line(event)}", event.value,
                         f"a valid value ({exc})".replace("\n", " ")) from None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(file, f"line {_line(event)}", value, "text without lone surrogate characters") from None
    return value


def load_yaml(path: Path, what: str = "declaration") -> tuple[object, dict]:
    """(data, lines): one YAML document read in a single pass over the parser's events, and each key
    path's line number (1-based). Refused with the line: anchors and aliases (no alias expansion, no
    self-reference), duplicate keys (naming both lines), keys that are not plain values, more than
    one document, nesting deeper than MAX_DEPTH, more than MAX_NODES values, non-UTF-8 files."""
    file = str(path)
    text = read_text_input(Path(path), MAX_BYTES, f"{what} (.yaml)")
    loader = LOADER(text)
    lines: dict[tuple, int] = {}
    # each open container: [container, key path, {key: line} (mappings), (pending key,) or None, start event]
    stack: list[list] = []
    root, done, nodes = None, False, 0

    def attach(value, event, container_path):
        nonlocal root, done
        if not stack:
            root, done = value, True
            return
        frame = stack[-1]
        container, path, keys, pending = frame[:4]
        if isinstance(container, list):
            lines[path + (len(container),)] = _line(event)
            container.append(value)
        elif pending is None:  # a key
            if container_path is not None:
                raise InputError(file, f"line {_line(event)}", "a mapping or list as a key", "a plain key")
            if value in keys:
                place = f"{'.'.join(map(str, path + (value,)))} (lines {keys[value]} and {_line(event)})"
                raise InputError(file, place, value, "each key once (a repeated key would silently replace the first)")
            keys[value] = _line(event)
            lines[path + (value,)] = _line(event)
            frame[3] = (value,)
        else:
            container[pending[0]] = value
            frame[3] = None

    try:
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, (yaml.StreamStartEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                if done:
                    raise InputError(file, f"line {_line(event)}", "a second document (---)", "one YAML document")
                continue
            nodes += 1
            if nodes > MAX_NODES:
                raise InputError(file, f"line {_line(event)}", f"more than {MAX_NODES:,} values",
                                 "a declaration of ordinary size")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = f"*{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"&{event.anchor}"
                raise InputError(file, f"line {_line(event)}", mark,
                                 "plain values: YAML anchors (&) and aliases (*) are not read")
            if isinstance(event, yaml.ScalarEvent):
                attach(_scalar(loader, event, file), event, None)
            elif type(event) in CONTAINERS:
                if event.tag not in (None, "!", CONTAINERS[type(event)]):
                    raise InputError(file, f"line {_line(event)}", event.tag,
                                     "a plain mapping or list (YAML tags are not read)")
                if len(stack) >= MAX_DEPTH:
                    raise InputError(file, f"line {_line(event)}", f"nesting deeper than {MAX_DEPTH} levels",
                                     "the declaration's sections, fields and rows")
                if stack and stack[-1][3] is None and isinstance(stack[-1][0], dict):
                    raise InputError(file, f"line {_line(event)}", "a mapping or list as a key", "a plain key")
                key_path: tuple = ()
                if stack:
                    parent, parent_path, _, pending = stack[-1][:4]
                    key_path = parent_path + ((len(parent),) if isinstance(parent, list) else pending)
                container: dict | list = {} if isinstance(event, yaml.MappingStartEvent) else []
                stack.append([container, key_path, {}, None, event])
            else:  # MappingEnd / SequenceEnd
                container, key_path, _, _, start = stack.pop()
                attach(container, start, key_path)
    except yaml.YAMLError as exc:
        raise yaml_error(file, exc) from None
    finally:
        loader.dispose()
    return root, lines


def locator(lines: dict):
    """A `where` function: a field path named with the line of its nearest ancestor in the file."""
    def where(field_path: tuple) -> str:
        name = ".".join(map(str, field_path))
        for n in range(len(field_path), 0, -1):
            if field_path[:n] in lines:
                return f"{name} (line {lines[field_path[:n]]})"
        return name
    return where


def read_yaml(path: Path) -> Declaration:
    """A declaration from YAML: checked field by field (declaration/model.py, whose messages name
    the field, its line and a unit-slip hint), then against the JSON Schema's model generated
    from the catalogue (greenal/schemas.py), so the file is exactly what `greenal schema` describes."""
    from greenal.schemas import check_declaration

    path = Path(path)
    data, lines = load_yaml(path)
    declaration = parse(data, str(path), locator(lines))
    check_declaration(data, str(path), locator(lines))
    return declaration


def yaml_template(lang: str = "en") -> str:
    """A commented YAML declaration with every field, to fill in."""
    zh = lang == "zh"
    intro = ("填写本单位数据；留空的字段使用默认值。" if zh
             else "Fill in your site data; fields left empty take the sourced defaults.")
    out = [f"# greenal declaration (schema {SCHEMA_VERSION}). {intro}",
           f"schema_version: {SCHEMA_VERSION}"]
    for name, section in SECTIONS.items():
        if section.table:
            continue
        optional = name in STAGE_SECTIONS
        per = f" — per {section.per}" if section.per else ""
        out.append(f"\n# {section.zh if zh else section.en} / {section.en if zh else section.zh}{per}"
                   + (" (delete the section if not operated on site)" if optional else ""))
        out.append(f"{name}:")
        if optional:
            out.append("  # output_t:   # t made in the period; needed for amounts given as period totals "
                       "(<field>_<unit>_total) unless this stage makes the declared product")
        nested_open = None
        for f in section.fields:
            head, _, tail = f.key.partition(".")
            total = total_field(f)
            comment = f"# {f.header(lang)}" + (f"; {' | '.join(f.choices)}" if f.choices else "") + (
                f"; {f.note}" if f.note else "") + (
                f"; or {total.key.partition('.')[2] or total.key}: period total in {total.unit}" if total else "")
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
    evidence = "每行数据的来源凭证（文件、仪表、发票）" if zh else "Evidence per line (document, meter, invoice)"
    out += ["\n# " + evidence
            + ": 'stage' or 'section.field' -> text, e.g. electrolysis.ac_kwh_per_t: DCS potline report 2024",
            "evidence: {}",
            "# " + ("数据质量" if zh else "Data quality per line")
            + f": 'stage' or 'stage.field' -> {' | '.join(QUALITY_FLAGS)} or the five pedigree scores "
              "{reliability, completeness, temporal, geographical, technological: 1..5}",
            "data_quality: {}"]
    return "\n".join(out) + "\n"
