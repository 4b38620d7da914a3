"""A site's electricity: supplies and energy attribute certificates, accounted location-based
and market-based (GHG Protocol Scope 2 Guidance 2015, dual reporting; GB/T 24067-2024 life-cycle
factors for product footprints).

The result is a set of lines per kWh consumed, for each basis, that a stage multiplies by its
own kWh: purchases of background electricity (life-cycle factors) and, for captive plants,
fuel bought and CO2 emitted on site. Beside them, the official MEE/NBS combustion-only factors
give scope 2 as the accounting frames (ETS, scope 2 reporting) need it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from greenal.declaration.model import Declaration, Supply
from greenal.errors import InputError
from greenal.inventory import Inventory
from greenal.model.formulas import fuel_co2_kg_per_mj, parameters

# Each certificate rule: id, name, what it demands, and where it comes from.
RULES = {
    "EAC-1": ("certificates-within-consumption",
              "certificates retired do not exceed the grid electricity they are claimed against",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criteria 2-3 (unique, retired claims)"),
    "EAC-2": ("serial-unique", "no certificate serial is claimed twice in one declaration",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criterion 2"),
    "EAC-3": ("vintage-in-period", "certificate vintage lies in the reporting period (± stated tolerance)",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criterion 4"),
    "EAC-4": ("same-market", "Chinese consumption is covered by Chinese certificates (绿证 GEC or 绿电交易)",
              "发改能源〔2023〕1044号 (绿证 the sole proof of renewable attributes); Scope 2 Quality Criterion 5"),
    "EAC-5": ("one-certificate-one-mwh", "1 certificate = 1 MWh: the serial range counts the MWh claimed",
              "发改能源〔2023〕1044号 (1 绿证 = 1000 kWh)"),
    "EAC-6": ("null-power", "own renewable power whose certificates were sold counts as residual grid power",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criteria 2 and 8"),
}
OWN_RENEWABLE_TECHNOLOGY = {"hydro": "hydro", "wind": "wind-onshore", "solar": "solar-pv-utility"}
CAPTIVE_FUEL = {"captive-coal": "coal", "captive-gas": "natural_gas"}
DEFAULT_CAPTIVE_PLANT = {"captive-coal": "electricity-captive-coal-cn"}  # its heat rate is the default
NON_FOSSIL = ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop", "nuclear",
              "geothermal", "biomass-dedicated")
SERIAL = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


def rule_text(rule: str) -> str:
    name, demand, source = RULES[rule]
    return f"rule {rule} {name}: {demand} ({source})"


@dataclass(frozen=True)
class ElectricityLine:
    """Per kWh consumed: buy `amount` of `target` (kind 'input') or emit it (kind 'emission')."""
    kind: str
    target: str
    amount: float
    scope: int
    primary: bool


@dataclass(frozen=True)
class ElectricityAccount:
    consumption_mwh: float
    grid_mwh: float
    null_mwh: float
    certified_mwh: float
    location: tuple[ElectricityLine, ...]
    market: tuple[ElectricityLine, ...]
    scope2_location_kg_per_kwh: float  # official MEE/NBS average factors on purchased grid power
    scope2_market_kg_per_kwh: float  # official residual factor on grid power not covered by certificates
    factors: tuple[str, ...]  # the official factor processes used, for the report


def _mee(inventory: Inventory, key: str, where: str, file: str) -> float:
    code = f"electricity-cn-mee-{key}"
    if code not in inventory.processes:
        available = sorted(c.removeprefix("electricity-cn-mee-") for c in inventory.processes
                           if c.startswith("electricity-cn-mee-") and not c.startswith("electricity-cn-mee-fossil"))
        raise InputError(file, where, key, f"a grid and year with an MEE/NBS factor: {available}")
    (exchange,) = inventory.processes[code].exchanges
    return exchange.amount


def _serial_range(cert, i: int, decl: Declaration) -> tuple[str, int, int]:
    first = SERIAL.match(cert.serial_from)
    last = SERIAL.match(cert.serial_to or cert.serial_from)
    where = decl.locate("electricity", "certificates", i, "serial_to")
    if not first or not last or first["prefix"] != last["prefix"] or int(last["number"]) < int(first["number"]):
        raise InputError(decl.file, where, f"{cert.serial_from} .. {cert.serial_to}",
                         "a serial range PREFIX<n> .. PREFIX<m> with m >= n")
    return first["prefix"], int(first["number"]), int(last["number"])


def check_certificates(decl: Declaration, grid_and_null_mwh: float) -> None:
    """Refuse certificates that break a rule; each message names the rule and its source."""
    seen: dict[str, list[tuple[int, int, str]]] = {}
    start, end, tolerance = decl.period["start"], decl.period["end"], decl.vintage_tolerance_months
    for i, cert in enumerate(decl.certificates):
        prefix, low, high = _serial_range(cert, i, decl)
        for other_low, other_high, other_id in seen.get(prefix, []):
            if low <= other_high and other_low <= high:
                raise InputError(decl.file, decl.locate("electricity", "certificates", i, "serial_from"),
                                 f"{cert.serial_from} .. {cert.serial_to or cert.serial_from}",
                                 f"serials not already claimed by certificate {other_id!r}", rule_text("EAC-2"))
        seen.setdefault(prefix, []).append((low, high, cert.id))
        if high - low + 1 != cert.mwh:
            raise InputError(decl.file, decl.locate("electricity", "certificates", i, "mwh"), cert.mwh,
                             f"{high - low + 1} MWh, the number of certificates in the serial range", rule_text("EAC-5"))
        first_year = (start.year * 12 + start.month - 1 - tolerance) // 12
        last_year = (end.year * 12 + end.month - 1 + tolerance) // 12
        if not first_year <= cert.vintage <= last_year:
            raise InputError(decl.file, decl.locate("electricity", "certificates", i, "vintage"), cert.vintage,
                             f"a vintage within the reporting period {start} .. {end} "
                             f"(tolerance {tolerance} months)", rule_text("EAC-3"))
        if cert.technology not in NON_FOSSIL:
            raise InputError(decl.file, decl.locate("electricity", "certificates", i, "technology"), cert.technology,
                             f"a renewable or non-fossil technology: {list(NON_FOSSIL)}", rule_text("EAC-4"))
        if not cert.region.startswith("CN") or cert.scheme == "I-REC":
            raise InputError(decl.file, decl.locate("electricity", "certificates", i, "scheme"),
                             f"{cert.scheme} / {cert.region}", "a GEC or green-power-trade certificate issued in China",
                             rule_text("EAC-4"))
    total = sum(c.mwh for c in decl.certificates)
    if total > grid_and_null_mwh * (1 + 1e-12):
        raise InputError(decl.file, decl.locate("electricity", "certificates"), f"{total:g} MWh",
                         f"at most {grid_and_null_mwh:g} MWh, the grid and null power they can cover",
                         rule_text("EAC-1"))


def default_heat_rate(inventory: Inventory, kind: str) -> float | None:
    """gce/kWh of the bundled default plant: its coal MJ per kWh / 29.307 MJ/kgce x 1000."""
    code = DEFAULT_CAPTIVE_PLANT.get(kind)
    if code is None:
        return None
    (fuel,) = inventory.processes[code].inputs
    return fuel.amount / parameters()["coal_equivalent_mj_per_kgce"]["value"] * 1000


def _life_cycle_mix(inventory: Inventory, key: str, where: str, file: str) -> str:
    """The life-cycle mix for a grid and year; some official factors (e.g. the ETS reporting
    factor) have none, and a declaration cannot use them for the product footprint."""
    code = f"electricity-lc-cn-{key}"
    if code not in inventory.processes:
        available = sorted(c.removeprefix("electricity-lc-cn-") for c in inventory.processes
                           if c.startswith("electricity-lc-cn-") and c[-4:].isdigit())
        raise InputError(file, where, key, f"a grid and year with a life-cycle mix: {available}")
    return code


def captive_lines(kind: str, heat_rate_gce_per_kwh: float, share: float, primary: bool) -> list[ElectricityLine]:
    """Captive plant per kWh: fuel MJ = heat rate (kgce/kWh) x 29.307 MJ/kgce; CO2 by the fuel formula."""
    fuel = CAPTIVE_FUEL[kind]
    mj = heat_rate_gce_per_kwh / 1000 * parameters()["coal_equivalent_mj_per_kgce"]["value"]
    upstream = parameters()["fuels"][fuel]["upstream"]
    return [ElectricityLine("input", upstream, mj * share, 3, primary),
            ElectricityLine("emission", "co2-fossil", mj * fuel_co2_kg_per_mj(fuel) * share, 1, primary)]


def account(decl: Declaration, inventory: Inventory) -> ElectricityAccount:
    supplies = decl.supplies
    default = not supplies
    if default:  # no supplies declared: the national grid of the latest year with a life-cycle mix
        supplies = (Supply("default-grid", "grid", 1.0, "national", 2022),)
    total = sum(s.mwh for s in supplies)
    if total <= 0:
        raise InputError(decl.file, decl.locate("electricity", "supplies"), total, "supplies adding up to more than 0 MWh")
    null = [s for s in supplies if s.kind in OWN_RENEWABLE_TECHNOLOGY and s.certificates_sold]
    grid_mwh = sum(s.mwh for s in supplies if s.kind == "grid")
    null_mwh = sum(s.mwh for s in null)
    check_certificates(decl, grid_mwh + null_mwh)
    certified = sum(c.mwh for c in decl.certificates)
    covered = certified / (grid_mwh + null_mwh) if certified else 0.0
    location, market, factors = [], [], []
    scope2_location = scope2_market = 0.0
    primary = not default
    for i, s in enumerate(supplies):
        share = s.mwh / total
        where = decl.locate("electricity", "supplies", i)
        if s.kind in ("grid", "ppa"):
            if s.grid is None or s.factor_year is None:
                raise InputError(decl.file, where, s.id, "a grid area or province and a factor_year for grid power")
            key = f"{s.grid}-{s.factor_year}"
            scope2_location += share * _mee(inventory, key, where, decl.file)
            factors.append(f"electricity-cn-mee-{key}")
            location.append(ElectricityLine("input", _life_cycle_mix(inventory, key, where, decl.file), share, 2,
                                            primary))
        if s.kind == "grid":
            residual = f"residual-{s.factor_year}"
            scope2_market += share * (1 - covered) * _mee(inventory, residual, where, decl.file)
            factors.append(f"electricity-cn-mee-{residual}")
            market.append(ElectricityLine("input", f"electricity-lc-cn-{residual}", share * (1 - covered), 2, primary))
        elif s.kind in ("ppa", "direct-line"):
            if s.technology is None:
                raise InputError(decl.file, where, s.id, "the generation technology of a PPA or direct line")
            tech = ElectricityLine("input", f"electricity-tech-{s.technology}", share, 2, primary)
            market.append(tech)
            if s.kind == "direct-line":
                location.append(tech)
        elif s.kind in OWN_RENEWABLE_TECHNOLOGY:
            tech = ElectricityLine("input", f"electricity-tech-{s.technology or OWN_RENEWABLE_TECHNOLOGY[s.kind]}",
                                   share, 3, primary)
            location.append(tech)
            if s.certificates_sold:  # null power: its attributes went with the certificates (EAC-6)
                if s.factor_year is None:
                    raise InputError(decl.file, where, s.id, "a factor_year for the residual factor of null power",
                                     rule_text("EAC-6"))
                year = s.factor_year
                scope2_market += share * (1 - covered) * _mee(inventory, f"residual-{year}", where, decl.file)
                market.append(ElectricityLine("input", f"electricity-lc-cn-residual-{year}", share * (1 - covered),
                                              2, primary))
            else:
                market.append(tech)
        elif s.kind in CAPTIVE_FUEL:
            heat_rate = s.heat_rate_gce_per_kwh or default_heat_rate(inventory, s.kind)
            if heat_rate is None:
                raise InputError(decl.file, where, s.id, "the heat rate (gce/kWh) of a captive gas plant")
            lines = captive_lines(s.kind, heat_rate, share, primary)
            location += lines
            market += lines
    if certified:  # certified MWh carry the life-cycle factor of their technology
        for cert in decl.certificates:
            market.append(ElectricityLine("input", f"electricity-tech-{cert.technology}", cert.mwh / total, 2, True))
    return ElectricityAccount(total, grid_mwh, null_mwh, certified, tuple(location), tuple(market),
                              scope2_location, scope2_market, tuple(dict.fromkeys(factors)))
