"""A group of plants (a company's potlines or smelters, a province's smelters) against the
fleet-level targets: share of capacity at the 标杆 level (MIIT plan, Guangxi decision)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from greenal.errors import InputError
from greenal.standards.engine import Verdict, indicator, judge, schemes

BENCHMARK_RULE = ("ndrc-benchmark", "NDRC-1")  # the 标杆 limit the fleet share counts against


@dataclass(frozen=True)
class FleetPlant:
    name: str
    capacity_t: float
    liquid_ac_kwh_per_t: float


@dataclass(frozen=True)
class Fleet:
    name: str
    region: str | None
    plants: tuple[FleetPlant, ...]

    @property
    def benchmark_kwh_per_t(self) -> float:
        scheme, rule_id = BENCHMARK_RULE
        threshold = next(r.threshold for r in schemes()[scheme].rules if r.id == rule_id)
        assert threshold is not None  # the benchmark rule has a fixed threshold
        return threshold


def read_fleet(path: Path) -> Fleet:
    """fleet.yaml: name, region (province the targets apply in), plants with capacity_t and either
    liquid_ac_kwh_per_t or a declaration file (relative to fleet.yaml) to read it from."""
    from greenal.api import read_declaration
    from greenal.declaration.yaml_io import load_yaml

    path, file = Path(path), str(path)
    data, lines = load_yaml(path, "fleet file")

    def at(*keys) -> str:
        name = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        return f"{name} (line {lines[keys]})" if keys in lines else name

    if not isinstance(data, dict) or not isinstance(data.get("plants"), list) or not data["plants"]:
        raise InputError(file, at("plants"), (data or {}).get("plants") if isinstance(data, dict) else data,
                         "a list of plants with name and capacity_t")
    for key in ("name", "region"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise InputError(file, at(key), data[key], f"the fleet's {key} as text")
    plants = []
    for i, raw in enumerate(data["plants"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
            raise InputError(file, at("plants", i, "name"), raw, "a plant name (text)")
        capacity = raw.get("capacity_t")
        if isinstance(capacity, bool) or not isinstance(capacity, (int, float)) or not 0 < capacity <= 20_000_000:
            raise InputError(file, at("plants", i, "capacity_t"), capacity, "capacity in t/yr between 0 and 20,000,000")
        if "declaration" in raw:
            target = raw["declaration"]
            if not isinstance(target, str) or not target.strip() or "\x00" in target:
                raise InputError(file, at("plants", i, "declaration"), target,
                                 "a declaration file name (.yaml or .xlsx), relative to the fleet file")
            decl = read_declaration(path.parent / target.strip())
            ac = decl.stages.get("electrolysis", {}).get("ac_kwh_per_t")
            if ac is None:
                raise InputError(str(decl.file), decl.locate("electrolysis", "ac_kwh_per_t"), None,
                                 f"the AC electricity that fleet plant {raw['name']!r} is graded on")
        else:
            ac = raw.get("liquid_ac_kwh_per_t")
            if isinstance(ac, bool) or not isinstance(ac, (int, float)) or not 11_500 <= ac <= 17_500:
                raise InputError(file, at("plants", i, "liquid_ac_kwh_per_t"), ac,
                                 "铝液交流电耗 between 11500 and 17500 kWh/t (or a 'declaration' file)")
        plants.append(FleetPlant(raw["name"].strip(), float(capacity), float(ac)))
    return Fleet(data.get("name", path.stem).strip(), data.get("region"), tuple(plants))


def assess_fleet(fleet: Fleet, scheme_codes: list[str] | None = None) -> list[Verdict]:
    chosen = [schemes()[c] for c in (scheme_codes or schemes())]
    # plants graded on liquid Al
    return [judge(rule, indicator(rule, fleet), product="primary-liquid", province=fleet.region)
            for scheme in chosen for rule in scheme.rules if rule.level == "fleet"]
