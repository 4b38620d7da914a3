"""Inline SVG charts for the reports: no scripts, no network, readable in print.
Every label is escaped; the SVG is returned as Markup for the (autoescaping) templates."""
from __future__ import annotations

import math

from markupsafe import Markup, escape

from greenal.inventory import in_stage_order

COLOURS = {"mining": "#8c6d31", "refining": "#d6616b", "anode": "#636363", "electrolysis": "#3182bd",
           "casting": "#31a354", "recycling": "#74c476", "transport": "#9e9ac8",
           "scope 1": "#e6550d", "scope 2": "#3182bd", "scope 3": "#969696",
           "location": "#6baed6", "market": "#08519c", "pass": "#31a354", "fail": "#de2d26"}
FONT = 'font-family="Noto Sans CJK SC, Noto Sans, Arial, sans-serif" font-size="11"'


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
                  f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">'
                  + "".join(body) + "</svg>")


def bars(items: list[tuple[str, float]], label: str, unit: str, colour_of=None) -> Markup:
    """Horizontal bars, one per item, value printed at the end."""
    width, left, row = 640, 170, 24
    top = max([v for _, v in items] + [1e-9])
    body = []
    for i, (name, value) in enumerate(items):
        y = 6 + i * row
        w = max(0.0, 380 * value / top)
        colour = (colour_of or (lambda n: COLOURS.get(n, "#4a7a5c")))(name)
        body.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" {FONT}>{escape(name)}</text>'
                    f'<rect x="{left}" y="{y}" width="{w:.2f}" height="18" fill="{colour}"/>'
                    f'<text x="{left + w + 6:.2f}" y="{y + 14}" {FONT}>{value:,.3f} {escape(unit)}</text>')
    return _svg(width, 12 + row * len(items), body, label)


def paired_bars(names: list[str], left_values: dict, right_values: dict, label: str, legend: tuple[str, str],
                t=None) -> Markup:
    """Location- vs market-based side by side, per stage (`t` names the stages in the report's language)."""
    width, left, row = 640, 170, 38
    top = max(list(left_values.values()) + list(right_values.values()) + [1e-9])
    body = [f'<rect x="{left}" y="4" width="12" height="10" fill="{COLOURS["location"]}"/>'
            f'<text x="{left + 16}" y="13" {FONT}>{escape(legend[0])}</text>'
            f'<rect x="{left + 150}" y="4" width="12" height="10" fill="{COLOURS["market"]}"/>'
            f'<text x="{left + 166}" y="13" {FONT}>{escape(legend[1])}</text>']
    for i, name in enumerate(names):
        y = 22 + i * row
        shown = t.term("stage", name) if t else name
        body.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end" {FONT}>{escape(shown)}</text>')
        for j, (values, colour) in enumerate(((left_values, COLOURS["location"]), (right_values, COLOURS["market"]))):
            value = values.get(name, 0.0)
            w = max(0.0, 380 * value / top)
            body.append(f'<rect x="{left}" y="{y + j * 15}" width="{w:.2f}" height="13" fill="{colour}"/>'
                        f'<text x="{left + w + 6:.2f}" y="{y + j * 15 + 11}" {FONT}>{value:,.3f}</text>')
    return _svg(width, 28 + row * len(names), body, label)


def stacked(parts: list[tuple[str, float]], label: str, unit: str, t=None) -> Markup:
    """One stacked bar (the scope split) with a legend below (`t` names the scopes)."""
    width, total = 640, sum(v for _, v in parts) or 1e-9
    body, x = [], 10.0
    for name, value in parts:
        w = 620 * max(value, 0) / total
        body.append(f'<rect x="{x:.2f}" y="6" width="{w:.2f}" height="22" fill="{COLOURS.get(name, "#4a7a5c")}"/>')
        x += w
    for i, (name, value) in enumerate(parts):
        body.append(f'<rect x="{10 + i * 200}" y="38" width="12" height="10" fill="{COLOURS.get(name, "#4a7a5c")}"/>'
                    f'<text x="{26 + i * 200}" y="47" {FONT}>'
                    f'{escape(t.term("scope", name) if t else name)}: {value:,.3f} {escape(unit)} '
                    f'({100 * value / total:.0f} %)</text>')
    return _svg(width, 56, body, label)


def margin_rows(verdicts: list[dict]) -> list[dict]:
    """Pass/fail rules with a numeric threshold and their margin relative to it (-1.53 = -153 %)."""
    return [{**v, "relative": v["margin"] / abs(v["limit"])} for v in verdicts
            if v["verdict"] in ("pass", "fail") and v["margin"] is not None and v["unit"] != "yes/no" and v["limit"]]


def percent(relative: float) -> str:
    """A relative margin as printed on the chart: whole per cent from 10 %, one decimal below,
    with a true minus sign (−153 %)."""
    value = 100 * relative
    if value == 0:
        return "0 %"
    text = f"{value:+.{0 if abs(value) >= 10 else 1}f} %"
    return text.replace("-", "−")


def margins(verdicts: list[dict], label: str) -> Markup:
    """Margin of each pass/fail rule relative to its threshold; the axis spans the data, so
    every bar ends at its value and every label prints it (nothing clipped)."""
    rows = margin_rows(verdicts)
    width, left, label_room, row = 640, 70, 64, 20
    low = min([r["relative"] for r in rows] + [0.0])
    high = max([r["relative"] for r in rows] + [0.0])
    span = (high - low) or 1.0
    scale = (width - left - 2 * label_room) / span  # px per unit of relative margin
    mid = left + label_room + (-low) * scale
    height = 24 + row * len(rows)
    body = [f'<line x1="{mid:.2f}" y1="0" x2="{mid:.2f}" y2="{height - 16}" stroke="#444" stroke-width="1"/>']
    for tick in _ticks(low, high):
        x = mid + tick * scale
        body.append(f'<line x1="{x:.2f}" y1="{height - 18}" x2="{x:.2f}" y2="{height - 13}" stroke="#888"/>'
                    f'<text x="{x:.2f}" y="{height - 3}" text-anchor="middle" {FONT} fill="#666">'
                    f'{escape(percent(tick))}</text>')
    for i, r in enumerate(rows):
        w = abs(r["relative"]) * scale
        x = mid if r["relative"] >= 0 else mid - w
        y = 4 + i * row
        label_x = mid + w + 5 if r["relative"] >= 0 else mid - w - 5
        body.append(f'<text x="8" y="{y + 12}" {FONT}>{escape(r["rule"])}</text>'
                    f'<rect x="{x:.2f}" y="{y}" width="{max(w, 1):.2f}" height="14" fill="{COLOURS[r["verdict"]]}"/>'
                    f'<text class="margin-label" data-rule="{escape(r["rule"])}" x="{label_x:.2f}" y="{y + 12}" '
                    f'text-anchor="{"start" if r["relative"] >= 0 else "end"}" {FONT}>'
                    f'{escape(percent(r["relative"]))}</text>')
    return _svg(width, height, body, label)


def _ticks(low: float, high: float) -> list[float]:
    """Axis ticks at a round step (10 %, 25 %, 50 %, 100 %, 200 %...) spanning the data."""
    span = high - low or 1.0
    step = next((s for s in (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0) if span / s <= 5), 100.0)
    return [k * step for k in range(math.ceil(low / step), math.floor(high / step) + 1)]


def flow_layout(nodes: list[dict]) -> dict[str, tuple[int, int]]:
    """Column and row of each process: a process sits one column before the first process it
    feeds (column = longest path to the declared product, counted from the left), so parallel
    suppliers (alumina and anodes into electrolysis) share a column; rows in life-cycle order."""
    feeds = {n["code"]: n["feeds"] for n in nodes}
    height: dict[str, int] = {}

    def to_product(code: str, seen: tuple = ()) -> int:
        if code not in height:
            targets = [t for t in feeds[code] if t in feeds and t not in seen]
            height[code] = 1 + max((to_product(t, seen + (code,)) for t in targets), default=-1)
        return height[code]

    deepest = max((to_product(n["code"]) for n in nodes), default=0)
    columns: dict[int, list[dict]] = {}
    for n in nodes:
        columns.setdefault(deepest - to_product(n["code"]), []).append(n)
    place = {}
    for column, members in columns.items():
        stage_rank = {s: i for i, s in enumerate(in_stage_order(list(dict.fromkeys(m["stage"] for m in members))))}
        for k, n in enumerate(sorted(members, key=lambda m: stage_rank[m["stage"]])):
            place[n["code"]] = (column, k)
    return place


def flow(nodes: list[dict], label: str, t) -> Markup:
    """Process flow as a small layered graph: suppliers left of what they feed, arrows from
    supplier to user; the declarant's own processes framed green, defaults grey."""
    place = flow_layout(nodes)
    n_columns = 1 + max((c for c, _ in place.values()), default=0)
    n_rows = 1 + max((k for _, k in place.values()), default=0)
    width, box_w, box_h, v_gap = 700, 120, 40, 16
    gap = (width - 20 - box_w) / max(n_columns - 1, 1)
    height = 16 + n_rows * (box_h + v_gap)
    per_column = {c: 1 + max(k for cc, k in place.values() if cc == c) for c, _ in place.values()}
    xy = {}
    for code, (c, k) in place.items():
        offset = (n_rows - per_column[c]) * (box_h + v_gap) / 2  # centre short columns
        xy[code] = (10 + c * gap, 8 + offset + k * (box_h + v_gap))
    body = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for node in nodes:
        x, y = xy[node["code"]]
        for target in node["feeds"]:
            if target in xy:
                tx, ty = xy[target]
                body.append(f'<line class="edge" data-from="{escape(node["code"])}" data-to="{escape(target)}" '
                            f'x1="{x + box_w:.1f}" y1="{y + box_h / 2:.1f}" x2="{tx:.1f}" y2="{ty + box_h / 2:.1f}" '
                            f'stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for node in nodes:
        x, y = xy[node["code"]]
        fill = "#e5f2e8" if node["own"] else "#f2f2f2"
        stroke = "#2d6a3e" if node["own"] else "#999"
        kind = t("flow_own") if node["own"] else t("flow_default")
        body.append(f'<g class="node" data-code="{escape(node["code"])}" data-column="{place[node["code"]][0]}">'
                    f'<title>{escape(node["code"])}</title>'
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="4" fill="{fill}" '
                    f'stroke="{stroke}"/><text x="{x + box_w / 2:.1f}" y="{y + 16:.1f}" text-anchor="middle" '
                    f'{FONT} font-weight="600">{escape(t.term("stage", node["stage"]))}</text>'
                    f'<text x="{x + box_w / 2:.1f}" y="{y + 31:.1f}" text-anchor="middle" {FONT} fill="#555">'
                    f'{escape(kind)}</text></g>')
    return _svg(width, int(height), body, label)


def histogram(hist: dict, label: str, unit: str, threshold: float | None = None, threshold_label: str = "") -> Markup:
    """Monte Carlo histogram (counts per bin) with an optional threshold line (issue 13)."""
    counts, edges = hist["counts"], hist["edges"]
    width, height, left, bottom = 640, 150, 40, 24
    lo, hi = min(edges[0], threshold if threshold is not None else edges[0]), \
        max(edges[-1], threshold if threshold is not None else edges[-1])
    span = (hi - lo) or 1.0
    top = max(counts + [1])

    def x(value):
        return left + (width - left - 10) * (value - lo) / span

    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#444"/>']
    for count, a, b in zip(counts, edges[:-1], edges[1:], strict=True):
        h = (height - bottom - 8) * count / top
        body.append(f'<rect x="{x(a):.2f}" y="{height - bottom - h:.2f}" width="{max(x(b) - x(a) - 0.5, 0.5):.2f}" '
                    f'height="{h:.2f}" fill="{COLOURS["market"]}"/>')
    for value in (lo, (lo + hi) / 2, hi):
        body.append(f'<text x="{x(value):.2f}" y="{height - 8}" text-anchor="middle" {FONT}>{value:,.3g}</text>')
    body.append(f'<text x="{width - 10}" y="12" text-anchor="end" {FONT}>{escape(unit)}</text>')
    if threshold is not None:
        body.append(f'<line x1="{x(threshold):.2f}" y1="4" x2="{x(threshold):.2f}" y2="{height - bottom}" '
                    f'stroke="{COLOURS["fail"]}" stroke-width="2" stroke-dasharray="5,3"/>'
                    f'<text x="{x(threshold) + 4:.2f}" y="14" {FONT}>{escape(threshold_label)}</text>')
    return _svg(width, height, body, label)
