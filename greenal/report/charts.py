"""Inline SVG charts for the reports: no scripts, no network, readable in print.
Every label is escaped; the SVG is returned as Markup for the (autoescaping) templates."""
from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = {"mining": "#8c6d31", "refining": "#d6616b", "anode": "#636363", "electrolysis": "#3182bd",
           "casting": "#31a354", "recycling": "#74c476", "transport": "#9e9ac8",
           "scope 1": "#e6550d", "scope 2": "#3182bd", "scope 3": "#969696",
           "location": "#6baed6", "market": "#08519c", "pass": "#31a354", "fail": "#de2d26"}
FONT = 'font-family="Noto Sans CJK SC, Noto Sans, Arial, sans-serif" font-size="11"'


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" '
                  f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">' + "".join(body) + "</svg>")


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


def paired_bars(names: list[str], left_values: dict, right_values: dict, label: str, legend: tuple[str, str]) -> Markup:
    """Location- vs market-based side by side, per name."""
    width, left, row = 640, 170, 38
    top = max(list(left_values.values()) + list(right_values.values()) + [1e-9])
    body = [f'<rect x="{left}" y="4" width="12" height="10" fill="{COLOURS["location"]}"/>'
            f'<text x="{left + 16}" y="13" {FONT}>{escape(legend[0])}</text>'
            f'<rect x="{left + 150}" y="4" width="12" height="10" fill="{COLOURS["market"]}"/>'
            f'<text x="{left + 166}" y="13" {FONT}>{escape(legend[1])}</text>']
    for i, name in enumerate(names):
        y = 22 + i * row
        body.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end" {FONT}>{escape(name)}</text>')
        for j, (values, colour) in enumerate(((left_values, COLOURS["location"]), (right_values, COLOURS["market"]))):
            value = values.get(name, 0.0)
            w = max(0.0, 380 * value / top)
            body.append(f'<rect x="{left}" y="{y + j * 15}" width="{w:.2f}" height="13" fill="{colour}"/>'
                        f'<text x="{left + w + 6:.2f}" y="{y + j * 15 + 11}" {FONT}>{value:,.3f}</text>')
    return _svg(width, 28 + row * len(names), body, label)


def stacked(parts: list[tuple[str, float]], label: str, unit: str) -> Markup:
    """One stacked bar (e.g. the scope split) with a legend below."""
    width, total = 640, sum(v for _, v in parts) or 1e-9
    body, x = [], 10.0
    for name, value in parts:
        w = 620 * max(value, 0) / total
        body.append(f'<rect x="{x:.2f}" y="6" width="{w:.2f}" height="22" fill="{COLOURS.get(name, "#4a7a5c")}"/>')
        x += w
    for i, (name, value) in enumerate(parts):
        body.append(f'<rect x="{10 + i * 200}" y="38" width="12" height="10" fill="{COLOURS.get(name, "#4a7a5c")}"/>'
                    f'<text x="{26 + i * 200}" y="47" {FONT}>{escape(name)}: {value:,.3f} {escape(unit)} '
                    f'({100 * value / total:.0f} %)</text>')
    return _svg(width, 56, body, label)


def margins(verdicts: list[dict], label: str) -> Markup:
    """Pass/fail rules with a numeric threshold: margin relative to the threshold, ±100 % scale."""
    rows = [v for v in verdicts if v["verdict"] in ("pass", "fail") and v["margin"] is not None
            and v["unit"] != "yes/no" and v["limit"]]
    width, mid, row, half = 640, 360, 20, 200
    body = [f'<line x1="{mid}" y1="0" x2="{mid}" y2="{row * len(rows) + 8}" stroke="#444" stroke-width="1"/>']
    for i, v in enumerate(rows):
        reference = abs(v["limit"])
        relative = max(-1.0, min(1.0, v["margin"] / reference))
        w = half * abs(relative)
        x = mid if relative >= 0 else mid - w
        y = 4 + i * row
        label_x = mid + w + 5 if relative >= 0 else mid - w - 5
        body.append(f'<text x="8" y="{y + 12}" {FONT}>{escape(v["rule"])}</text>'
                    f'<rect x="{x:.2f}" y="{y}" width="{max(w, 1):.2f}" height="14" fill="{COLOURS[v["verdict"]]}"/>'
                    f'<text x="{label_x:.2f}" y="{y + 12}" text-anchor="{"start" if relative >= 0 else "end"}" '
                    f'{FONT}>{100 * relative:+.1f} %</text>')
    return _svg(width, 10 + row * len(rows), body, label)


def flow(nodes: list[dict], label: str) -> Markup:
    """Process flow: one column per stage (mining to casting), arrows from supplier to user."""
    order = ["mining", "transport", "refining", "anode", "electrolysis", "casting", "recycling"]
    columns = [s for s in order if any(n["stage"] == s for n in nodes)]
    width, box_w, box_h = 700, 92, 34
    gap = (width - 20) / max(len(columns), 1)
    place, per_column = {}, {}
    for node in nodes:
        c = columns.index(node["stage"])
        k = per_column.get(c, 0)
        per_column[c] = k + 1
        place[node["code"]] = (10 + c * gap, 10 + k * (box_h + 18))
    height = 20 + max(per_column.values(), default=1) * (box_h + 18)
    body = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for node in nodes:
        x, y = place[node["code"]]
        for target in node["feeds"]:
            tx, ty = place[target]
            body.append(f'<line x1="{x + box_w:.1f}" y1="{y + box_h / 2:.1f}" x2="{tx:.1f}" y2="{ty + box_h / 2:.1f}" '
                        f'stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for node in nodes:
        x, y = place[node["code"]]
        fill = "#e5f2e8" if node["own"] else "#f2f2f2"
        stroke = "#2d6a3e" if node["own"] else "#999"
        text = node["label"] if len(node["label"]) <= 16 else node["label"][:15] + "…"
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="4" fill="{fill}" '
                    f'stroke="{stroke}"/><text x="{x + box_w / 2:.1f}" y="{y + 14:.1f}" text-anchor="middle" '
                    f'{FONT}>{escape(node["stage"])}</text><text x="{x + box_w / 2:.1f}" y="{y + 27:.1f}" '
                    f'text-anchor="middle" {FONT} fill="#555">{escape(text)}</text>')
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
    for count, a, b in zip(counts, edges[:-1], edges[1:]):
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
