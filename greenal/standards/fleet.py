"""A group of plants (a company's potlines or smelters, a province's smelters) against the
fleet-level targets: share of capacity at the 标杆 level (MIIT plan, Guangxi decision)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from greenal.errors import InputError, yaml_error
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
        return next(r.threshold for r in schemes()[scheme].rules if r.id == rule_id)


def read_fleet(path: Path) -> Fleet:
    """fleet.yaml: name, region (province the targets apply in), plants with capacity_t and either
    liquid_ac_kwh_per_t or a declaration file (relative to fleet.yaml) to read it from."""
    from greenal.api import read_declaration

    path, file = Path(path), str(path)
    if not path.is_file():
        raise InputError(file, "file", file, "an existing fleet file (.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise yaml_error(file, exc) from None
    if not isinstance(data, dict) or not isinstance(data.get("plants"), list) or not data["plants"]:
        raise InputError(file, "plants", (data or {}).get("plants") if isinstance(data, dict) else data,
                         "a list of plants with name and capacity_t")
    plants = []
    for i, raw in enumerate(data["plants"]):
        where = f"plants[{i}]"
        if not isinstance(raw, dict) or not raw.get("name"):
            raise InputError(file, f"{where}.name", raw, "a plant name")
        capacity = raw.get("capacity_t")
        if isinstance(capacity, bool) or not isinstance(capacity, (int, float)) or not 0 < capacity <= 20_000_000:
            raise InputError(file, f"{where}.capacity_t", capacity, "capacity in t/yr between 0 and 20,000,000")
        if "declaration" in raw:
            decl = read_declaration(path.parent / raw["declaration"])
            ac = decl.stages.get("electrolysis", {}).get("ac_kwh_per_t")
            if ac is None:
                raise InputError(str(decl.file), decl.locate("electrolysis", "ac_kwh_per_t"), None,
                                 f"the AC electricity that fleet plant {raw['name']!r} is graded on")
        else:
            ac = raw.get("liquid_ac_kwh_per_t")
            if isinstance(ac, bool) or not isinstance(ac, (int, float)) or not 11_500 <= ac <= 17_500:
                raise InputError(file, f"{where}.liquid_ac_kwh_per_t", ac,
                                 "铝液交流电耗 between 11500 and 17500 kWh/t (or a 'declaration' file)")
        plants.append(FleetPlant(str(raw["name"]), float(capacity), float(ac)))
    return Fleet(str(data.get("name", path.stem)), data.get("region"), tuple(plants))


def assess_fleet(fleet: Fleet, scheme_codes: list[str] | None = None) -> list[Verdict]:
    chosen = [schemes()[c] for c in (scheme_codes or schemes())]
    return [judge(rule, indicator(rule, fleet), product="primary-liquid", province=fleet.region)  # plants graded on liquid Al
            for scheme in chosen for rule in scheme.rules if rule.level == "fleet"]
