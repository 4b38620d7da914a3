"""A site's electricity: supplies and energy attribute certificates, accounted on every basis a
frame asks for.

Bases (each supply carries its own factor on each):
- life-cycle, location-based and market-based (GB/T 24067-2024 §6 electricity, ISO 14067
  6.4.9.4; GHG Protocol Scope 2 Guidance 2015 dual reporting): lines per kWh consumed that a
  stage multiplies by its kWh (purchases of background electricity, and for captive plants the
  fuel bought and the gases emitted on site);
- combustion-only (official MEE/NBS factors and technologies' direct emissions), kg CO2/kWh:
  scope 2 location and market (GHG Protocol definition, for scope 1+2 claims), CBAM indirect
  (transitional-period reporting) and CN-ETS purchased power.

Certificates carry renewable attributes. In China the 绿证 (GEC) is the sole proof of them
(发改能源〔2023〕1044号): a renewable PPA or direct line without retired certificates is grid
power in the market-based results. Elsewhere a renewable PPA or direct line conveys its
attributes (Scope 2 Quality Criterion 7) and GO / I-REC certificates cover grid power.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from greenal.declaration.model import Certificate, Declaration, Supply
from greenal.errors import InputError
from greenal.inventory import Inventory
from greenal.model.formulas import parameters

# Each certificate and supply rule: id -> (name, what it demands, where it comes from).
RULES = {
    "EAC-1": ("certificates-within-consumption",
              "certificates retired do not exceed the metered consumption of the power they cover",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criteria 2-3 (unique, retired claims)"),
    "EAC-2": ("serial-unique", "no certificate serial is claimed twice in one declaration (serials compared "
              "after normalising case, separators and leading zeros)",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criterion 2"),
    "EAC-3": ("vintage-in-period", "every month of a certificate's vintage lies in the reporting period "
              "(± stated tolerance)", "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criterion 4"),
    "EAC-4": ("same-market", "Chinese consumption is covered by Chinese certificates (绿证 GEC or 绿电交易); "
              "a site elsewhere by certificates of its own market",
              "发改能源〔2023〕1044号 (绿证 the sole proof of renewable attributes); Scope 2 Quality Criterion 5"),
    "EAC-5": ("one-certificate-one-mwh", "1 certificate = 1 MWh: the serial range counts the MWh claimed",
              "发改能源〔2023〕1044号 (1 绿证 = 1000 kWh)"),
    "EAC-6": ("null-power", "own renewable power whose certificates were sold counts as residual grid power",
              "GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criteria 2 and 8"),
    "EAC-7": ("scheme-technology", "a certificate's technology is one its scheme certifies (GEC and 绿电交易: "
              "wind, solar, conventional hydro, biomass, geothermal, ocean energy; no nuclear, no fossil)",
              "发改能源〔2023〕1044号 (scope of 绿证 issuance)"),
    "EAC-8": ("supplies-match-use", "declared supplies match the stages' metered use within the stated tolerance",
              "greenal rule (inventories/parameters.yaml supplies_use_tolerance)"),
    "EAC-9": ("grid-of-the-site", "grid power uses the factor of the site's province, its regional grid or the "
              "national average, unless a cross-regional contract is declared",
              "GHG Protocol Scope 2 Guidance (2015), location-based method "
              "(grid of the consumption's location); MEE/NBS regional and provincial factors"),
    "EAC-10": ("kind-and-technology", "a supply's kind and technology agree (own hydro is hydropower)",
               "consistency of the declaration"),
    "EAC-11": ("contract-attributes", "in China a renewable PPA or direct line carries green attributes only "
               "through 绿证 retired with it", "发改能源〔2023〕1044号"),
}
OWN_RENEWABLE = {"hydro": ("hydro",), "wind": ("wind-onshore", "wind-offshore"),
                 "solar": ("solar-pv-utility", "solar-pv-rooftop")}
CAPTIVE_FUEL = {"captive-coal": "coal", "captive-gas": "natural_gas"}
CAPTIVE_TECHNOLOGY = {"captive-coal": ("coal-pc",), "captive-gas": ("gas-cc",)}
DEFAULT_CAPTIVE_PLANT = {"captive-coal": "electricity-captive-coal-cn"}  # its heat rate is the default
FOSSIL = ("coal-pc", "gas-cc")
# Technologies each certificate scheme certifies (EAC-7). GEC / 绿电交易: 发改能源〔2023〕1044号;
# I-REC and GO may certify any source; fossil ones are refused as they carry no renewable claim.
SCHEME_TECHNOLOGIES = {
    "GEC": ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop", "biomass-dedicated",
            "geothermal"),
    "green-power-trade": ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop",
                          "biomass-dedicated", "geothermal"),
    "I-REC": ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop", "nuclear",
              "geothermal", "biomass-dedicated"),
    "GO": ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop", "nuclear",
           "geothermal", "biomass-dedicated"),
}
CHINESE_SCHEMES = ("GEC", "green-power-trade")
SERIAL = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")
SERIAL_SEPARATORS = re.compile(r"[\s\-_./:]+")
COUNTRY = re.compile(r"^[A-Z]{2}$")
SERIAL_DIGITS = 40  # a running number longer than this is not a certificate serial
# The combustion-only bases, each a kg CO2/kWh per supply.
OFFICIAL_BASES = ("scope2-location", "scope2-market", "cbam", "cets")


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
class SupplyAccount:
    """One supply on every basis: life-cycle lines per kWh of this supply, combustion-only factors."""
    supply: Supply
    certified_mwh: float  # certificates retired against this supply's power
    location: tuple[ElectricityLine, ...]
    market: tuple[ElectricityLine, ...]
    # basis (OFFICIAL_BASES) -> kg CO2/kWh of this supply; "cets" None: purchased power at the
    # national factor of the ETS reporting year (cets.py picks the year)
    official_kg_per_kwh: dict
    basis_notes: dict  # basis -> how the factor was chosen, with its source; "codes": factor processes
    green: bool = False  # carries renewable attributes in market-based results and 绿电 claims
    residual_year: int | None = None  # year of the residual mix its uncovered power counts at
    grid_average_kg_per_kwh: float | None = None  # average factor of the grid its uncovered power is part of

    @property
    def id(self) -> str:
        return self.supply.id

    @property
    def kind(self) -> str:
        return self.supply.kind

    @property
    def mwh(self) -> float:
        return self.supply.mwh

    @property
    def supplier_specific(self) -> bool:
        return self.supply.supplier_factor_kg_per_kwh is not None


@dataclass(frozen=True)
class ElectricityAccount:
    consumption_mwh: float  # declared supplies in the period
    use_mwh: float | None  # the stages' metered use (kWh/t x output), None before it is known
    supplies: tuple[SupplyAccount, ...]
    certificates: tuple[Certificate, ...]
    default_supply: bool  # no supplies declared: the conservative default was used
    notes: tuple[str, ...] = field(default=())

    def _lines(self, basis: str) -> tuple[ElectricityLine, ...]:
        out = []
        for s in self.supplies:
            share = s.mwh / self.consumption_mwh
            out += [ElectricityLine(x.kind, x.target, x.amount * share, x.scope, x.primary)
                    for x in getattr(s, basis)]
        return tuple(out)

    @property
    def location(self) -> tuple[ElectricityLine, ...]:
        return self._lines("location")

    @property
    def market(self) -> tuple[ElectricityLine, ...]:
        return self._lines("market")

    def official_kg_per_kwh(self, basis: str) -> float:
        """Combustion-only factor per kWh consumed on one of OFFICIAL_BASES."""
        return sum(s.mwh * (s.official_kg_per_kwh[basis] or 0.0) for s in self.supplies) / self.consumption_mwh

    @property
    def scope2_location_kg_per_kwh(self) -> float:
        return self.official_kg_per_kwh("scope2-location")

    @property
    def scope2_market_kg_per_kwh(self) -> float:
        return self.official_kg_per_kwh("scope2-market")

    @property
    def grid_mwh(self) -> float:
        return sum(s.mwh for s in self.supplies if s.kind == "grid")

    @property
    def null_mwh(self) -> float:
        return sum(s.mwh for s in self.supplies if s.kind in OWN_RENEWABLE and s.supply.certificates_sold)

    @property
    def certified_mwh(self) -> float:
        return sum(c.mwh for c in self.certificates)

    @property
    def green_mwh(self) -> float:
        """MWh carrying renewable attributes: certificates retired, own renewables that kept them,
        and (outside China) renewable contracts."""
        return self.certified_mwh + sum(s.mwh for s in self.supplies if s.green and s.kind != "grid"
                                        and not s.certified_mwh)

    @property
    def factors(self) -> tuple[str, ...]:
        """The official factor processes used, for the report."""
        return tuple(dict.fromkeys(n for s in self.supplies for n in s.basis_notes.get("codes", ())))


# --- reading the bundled factors ------------------------------------------------------------------

def official_factor(inventory: Inventory, key: str, file: str, where: str) -> float:
    code = f"electricity-cn-mee-{key}"
    if code not in inventory.processes:
        available = sorted(c.removeprefix("electricity-cn-mee-") for c in inventory.processes
                           if c.startswith("electricity-cn-mee-") and not c.startswith("electricity-cn-mee-fossil"))
        raise InputError(file, where, key, f"a grid and year with an MEE/NBS factor: {available}")
    return sum(e.amount for e in inventory.processes[code].emissions if e.target == "co2-fossil")


def _life_cycle_mix(inventory: Inventory, key: str, file: str, where: str) -> str:
    """The life-cycle mix for a grid and year; some official factors (e.g. the ETS reporting
    factor) have none, and a declaration cannot use them for the product footprint."""
    code = f"electricity-lc-cn-{key}"
    if code not in inventory.processes:
        available = sorted(c.removeprefix("electricity-lc-cn-") for c in inventory.processes
                           if c.startswith("electricity-lc-cn-") and c[-4:].isdigit())
        raise InputError(file, where, key, f"a grid and year with a life-cycle mix: {available}")
    return code


def _country_grid(inventory: Inventory, key: str, country: str, file: str, where: str) -> tuple[str, float]:
    """The site's own country grid (location = the declarant's country) and its factor."""
    code = f"electricity-grid-{key}"
    own = sorted(c.removeprefix("electricity-grid-") for c, p in inventory.processes.items()
                 if c.startswith("electricity-grid-") and p.location == country)
    if code not in inventory.processes or inventory.processes[code].location != country:
        raise InputError(file, where, key, f"a grid and year of the site's country {country}: {own or 'none bundled'}")
    factor = sum(e.amount for e in inventory.processes[code].emissions)
    if factor <= 0:
        raise InputError(file, where, key, "a country grid with its own factor (this row has none)")
    return code, factor


def direct_kg_per_kwh(technology: str) -> float:
    """Combustion emissions at the plant per kWh (0 for non-fossil technologies)."""
    return parameters()["technology_direct_kg_per_kwh"].get(technology, {"value": 0.0})["value"]


def default_heat_rate(inventory: Inventory, kind: str, conservative: bool = False) -> float | None:
    """gce/kWh of the bundled default plant: its coal MJ per kWh / 29.307 MJ/kgce x 1000; with
    `conservative`, the upper end of its stated range (what an undeclared heat rate takes, so
    leaving it out never lowers a footprint)."""
    code = DEFAULT_CAPTIVE_PLANT.get(kind)
    if code is None:
        return None
    fuel = next(e for e in inventory.processes[code].inputs if e.target.startswith("fuel-"))
    mj = (fuel.uncertainty or {}).get("maximum", fuel.amount) if conservative else fuel.amount
    return mj / parameters()["coal_equivalent_mj_per_kgce"]["value"] * 1000


def contract_direct_kg_per_kwh(inventory: Inventory, technology: str | None, country: str) -> float:
    """Combustion CO2 per kWh of a contract's technology: in China, coal power at the bundled
    Chinese coal plant (the same coal factors as captive and grid coal), else the IPCC AR5 direct
    median; 0 for non-fossil technologies."""
    if technology == "coal-pc" and country == "CN":
        heat_rate = default_heat_rate(inventory, "captive-coal")
        assert heat_rate is not None  # captive coal has a bundled default plant
        return captive_co2_kg_per_kwh(captive_lines(inventory, "captive-coal", heat_rate, True))
    return direct_kg_per_kwh(technology) if technology else 0.0


def contract_life_cycle(technology: str, country: str) -> str:
    """The life-cycle process of a contract's technology (Chinese coal at the Chinese coal plant)."""
    return DEFAULT_CAPTIVE_PLANT["captive-coal"] if technology == "coal-pc" and country == "CN" \
        else f"electricity-tech-{technology}"


def burned_fuel(fuel: str) -> str:
    """The inventory process of one MJ of a fuel burned: its supply chain and its gases."""
    return f"fuel-{fuel.replace('_', '-')}-burned"


def captive_lines(inventory: Inventory, kind: str, heat_rate_gce_per_kwh: float,
                  primary: bool) -> tuple[ElectricityLine, ...]:
    """Captive plant per kWh: fuel MJ = heat rate (kgce/kWh) x 29.307 MJ/kgce, times every exchange
    of the fuel's burned process (the same factors as the bundled default plant): the fuel's
    supply chain (scope 3) and CO2, CH4 and N2O of combustion on site (scope 1)."""
    mj = heat_rate_gce_per_kwh / 1000 * parameters()["coal_equivalent_mj_per_kgce"]["value"]
    process = inventory.processes[burned_fuel(CAPTIVE_FUEL[kind])]
    return tuple(ElectricityLine("input" if e.kind == "technosphere" else "emission", e.target, e.amount * mj,
                                 3 if e.kind == "technosphere" else 1, primary) for e in process.exchanges)


def captive_co2_kg_per_kwh(lines: tuple[ElectricityLine, ...]) -> float:
    return sum(x.amount for x in lines if x.kind == "emission" and x.target == "co2-fossil")


# --- checks ---------------------------------------------------------------------------------------

def normalised_serial(text: str) -> tuple[str, int] | None:
    """PREFIX and number of a serial, compared case- and separator-blind (GEC-2024-gx-0001 ==
    gec2024GX1): the same certificate cannot be claimed twice by writing it differently."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits and hyphens are the same characters
    if not text.isascii():
        return None
    match = SERIAL.match(SERIAL_SEPARATORS.sub("", text).upper())
    if not match or len(match["number"].lstrip("0")) > SERIAL_DIGITS:
        return None
    return match["prefix"], int(match["number"])


def _grouped_serial(text: str) -> tuple[str, int] | None:
    """The reading of a serial written with separators in which the running number is its last
    group: GEC-2024-000001 -> ('GEC2024', 1), so that GEC-2024-001 is the same certificate."""
    text = unicodedata.normalize("NFKC", text)
    parts = SERIAL_SEPARATORS.split(text.strip().upper()) if text.isascii() else []
    if len(parts) < 2 or not parts[-1].isdigit() or len(parts[-1].lstrip("0")) > SERIAL_DIGITS:
        return None
    return "".join(parts[:-1]), int(parts[-1])


def serial_readings(serial_from: str, serial_to: str | None) -> list[tuple[str, int, int]]:
    """(prefix, first, last) of a serial range in each way it can be read: separators dropped
    (GEC-2024-000001 == GEC2024000001) and, when written with separators, the last group as the
    running number (GEC-2024-000001 == GEC-2024-001). Two ranges are the same certificates if any
    readings share a prefix and overlap. Empty when the range cannot be read at all."""
    readings = []
    for read in (normalised_serial, _grouped_serial):
        first, last = read(serial_from), read(serial_to or serial_from)
        if first and last and first[0] == last[0] and last[1] >= first[1]:
            readings.append((first[0], first[1], last[1]))
        elif read is normalised_serial:
            return []
    return readings


def serial_ranges_overlap(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]]) -> bool:
    return any(pa == pb and lo_a <= hi_b and lo_b <= hi_a for pa, lo_a, hi_a in a for pb, lo_b, hi_b in b)


def _serial_range(cert: Certificate, i: int, decl: Declaration) -> tuple[str, int, int]:
    first = normalised_serial(cert.serial_from)
    last = normalised_serial(cert.serial_to or cert.serial_from)
    where = decl.locate("electricity", "certificates", i, "serial_to")
    if not first or not last or first[0] != last[0] or last[1] < first[1]:
        raise InputError(decl.file, where, f"{cert.serial_from} .. {cert.serial_to}",
                         "a serial range PREFIX<n> .. PREFIX<m> with m >= n")
    return first[0], first[1], last[1]


def _check_certificate(decl: Declaration, i: int, cert: Certificate, chinese_site: bool) -> None:
    where = lambda key: decl.locate("electricity", "certificates", i, key)  # noqa: E731
    if cert.technology not in SCHEME_TECHNOLOGIES[cert.scheme]:
        raise InputError(decl.file, where("technology"), cert.technology,
                         f"a technology {cert.scheme} certifies: {list(SCHEME_TECHNOLOGIES[cert.scheme])}",
                         rule_text("EAC-7"))
    start, end, tolerance = decl.period["start"], decl.period["end"], decl.vintage_tolerance_months
    first, last = cert.vintage_months()
    low = start.year * 12 + start.month - 1 - tolerance
    high = end.year * 12 + end.month - 1 + tolerance
    if not (low <= first and last <= high):
        raise InputError(decl.file, where("vintage"), cert.vintage,
                         f"a vintage whose every month lies within the reporting period {start} .. {end} "
                         f"(tolerance {tolerance} months; a bare year spans January to December)", rule_text("EAC-3"))
    chinese_certificate = cert.scheme in CHINESE_SCHEMES and cert.region.upper().startswith("CN")
    if chinese_site != chinese_certificate or (not chinese_site and not cert.region.upper().startswith(decl.country)):
        expected = ("a GEC or green-power-trade certificate issued in China" if chinese_site else
                    f"a GO or I-REC certificate issued in the site's market ({decl.country})")
        raise InputError(decl.file, where("scheme"), f"{cert.scheme} / {cert.region}", expected, rule_text("EAC-4"))


def _check_ids(decl: Declaration) -> None:
    """Each supply and each certificate has its own id (linked certificates name a supply)."""
    sections: tuple[tuple[str, tuple[Supply | Certificate, ...]], ...] = (
        ("supplies", decl.supplies), ("certificates", decl.certificates))
    for section, rows in sections:
        seen: dict[str, int] = {}
        for i, row in enumerate(rows):
            if row.id in seen:
                raise InputError(decl.file, decl.locate("electricity", section, i, "id"), row.id,
                                 f"an id not already used by {section} row {seen[row.id] + 1}")
            seen[row.id] = i


def check_certificates(decl: Declaration) -> None:
    """Refuse certificates that break a rule on their own; each message names the rule and its source."""
    _check_ids(decl)
    # certificates by the prefix of their first reading: readings that can match share it
    seen: dict[str, list[tuple[list[tuple[str, int, int]], str]]] = {}
    chinese_site = decl.country == "CN"
    for i, cert in enumerate(decl.certificates):
        prefix, low, high = _serial_range(cert, i, decl)
        readings = serial_readings(cert.serial_from, cert.serial_to)
        for other, other_id in seen.get(prefix, []):
            if serial_ranges_overlap(readings, other):
                raise InputError(decl.file, decl.locate("electricity", "certificates", i, "serial_from"),
                                 f"{cert.serial_from} .. {cert.serial_to or cert.serial_from}",
                                 f"serials not already claimed by certificate {other_id!r}", rule_text("EAC-2"))
        seen.setdefault(prefix, []).append((readings, cert.id))
        if high - low + 1 != cert.mwh:
            raise InputError(decl.file, decl.locate("electricity", "certificates", i, "mwh"), cert.mwh,
                             f"{high - low + 1} MWh, the number of certificates in the serial range",
                             rule_text("EAC-5"))
        _check_certificate(decl, i, cert, chinese_site)


def _check_supply(decl: Declaration, inventory: Inventory, i: int, s: Supply) -> None:
    allowed = OWN_RENEWABLE.get(s.kind) or CAPTIVE_TECHNOLOGY.get(s.kind)
    if s.technology and (s.kind == "grid" or allowed and s.technology not in allowed):
        raise InputError(decl.file, decl.locate("electricity", "supplies", i, "technology"), s.technology,
                         f"{'no technology for grid power' if s.kind == 'grid' else list(allowed or ())} "
                         f"(supply kind {s.kind})", rule_text("EAC-10"))
    needs_evidence = s.supplier_factor_kg_per_kwh is not None or s.kind == "direct-line"
    if needs_evidence and not (s.evidence or "").strip():
        raise InputError(decl.file, decl.locate("electricity", "supplies", i, "evidence"), s.evidence,
                         "an evidence reference (contract, metering, verification) for a supplier-specific factor or a "
                         "direct line")
    factor = s.supplier_factor_kg_per_kwh
    if factor is not None:
        where = decl.locate("electricity", "supplies", i, "supplier_factor_kg_per_kwh")
        if s.kind not in ("grid", "ppa", "direct-line"):
            raise InputError(decl.file, where, factor, f"no supplier factor on a {s.kind} supply: own and captive "
                             "plants are accounted from their own data (heat rate, technology)")
        floor = contract_direct_kg_per_kwh(inventory, s.technology, decl.country) if s.technology in FOSSIL else 0.0
        if factor < floor:
            raise InputError(decl.file, where, factor, f"at least {floor:g} kg/kWh, the direct emissions of "
                             f"{s.technology} power")
        if decl.country == "CN" and s.technology not in FOSSIL:
            raise InputError(decl.file, where, factor, "in China, green attributes only through 绿证 retired against "
                             "the supply (certificates with supply: <id>), not a supplier factor", rule_text("EAC-11"))
    if s.kind in ("grid", "ppa") and decl.country == "CN" and s.grid and not s.cross_regional_contract:
        regions = parameters()["cn_grid_regions"]["regions"]
        known = set(regions) | {p for members in regions.values() for p in members}
        own = own_grids(decl)
        if s.grid in known and s.grid not in own:
            raise InputError(decl.file, decl.locate("electricity", "supplies", i, "grid"), s.grid,
                             f"the site's province or regional grid ({sorted(own)}), or a cross_regional_contract "
                             "reference", rule_text("EAC-9"))


def own_grids(decl: Declaration) -> set[str]:
    """The grids of a Chinese site: its province, its regional grid(s) and the national average
    (the official reporting factor, always allowed)."""
    province = (decl.declarant.get("province") or "").strip().lower()
    regions = parameters()["cn_grid_regions"]["regions"]
    return {province, "national"} | {region for region, members in regions.items() if province in members}


def site_grid(decl: Declaration, year: int, inventory: Inventory) -> str:
    """The grid a Chinese site's location-based factor comes from: its province where a factor of
    that year exists, else its regional grid, else the national average."""
    regions = parameters()["cn_grid_regions"]["regions"]
    province = (decl.declarant.get("province") or "").strip().lower()
    candidates = [province] + sorted(r for r, members in regions.items() if province in members) + ["national"]
    return next(g for g in candidates if f"electricity-cn-mee-{g}-{year}" in inventory.processes)


def check_use(decl: Declaration, total_mwh: float, use_mwh: float) -> None:
    """Supplies (MWh in the period) and the stages' metered use (kWh/t x output) must agree:
    a factor near 1000 is a kWh/MWh slip; beyond the tolerance the supplies are incomplete."""
    ratio = total_mwh / use_mwh
    where = decl.locate("electricity", "supplies")
    if ratio > 30 or ratio < 1 / 30:
        hint = ("x 1000 apart: were the supplies given in kWh instead of MWh?" if ratio > 30
                else "1000 x apart: were the supplies given in GWh, or the output in kt?")
        raise InputError(decl.file, where, f"{total_mwh:g} MWh", f"about {use_mwh:g} MWh, the declared use", hint)
    tolerance = parameters()["supplies_use_tolerance"]["value"]
    if abs(ratio - 1) > tolerance:
        raise InputError(decl.file, where, f"{total_mwh:g} MWh",
                         f"supplies within {tolerance:.0%} of the stages' metered use, {use_mwh:,.0f} MWh "
                         "(kWh/t of each stage x annual output)", rule_text("EAC-8"))


# --- the account ----------------------------------------------------------------------------------

def _coverage(decl: Declaration, pool: dict[str, float], use_mwh: float | None) -> tuple[dict, dict]:
    """MWh of certificates retired against each pool supply, in all and linked (certificate.supply:
    retired with its PPA or direct line); unlinked ones spread over the rest of the pool. All of
    them together never exceed the metered use (EAC-1)."""
    ids = {s.id for s in decl.supplies}
    linked = {sid: 0.0 for sid in pool}
    unlinked = 0.0
    for i, cert in enumerate(decl.certificates):
        if cert.supply:
            if cert.supply not in pool:
                raise InputError(decl.file, decl.locate("electricity", "certificates", i, "supply"), cert.supply,
                                 f"the id of a supply these certificates can cover: {sorted(pool)}"
                                 + ("" if cert.supply in ids else " (no supply has this id)"), rule_text("EAC-1"))
            linked[cert.supply] += cert.mwh
        else:
            unlinked += cert.mwh
    for sid, mwh in linked.items():
        if mwh > pool[sid] * (1 + 1e-12):
            raise InputError(decl.file, decl.locate("electricity", "certificates"), f"{mwh:g} MWh on {sid}",
                             f"at most {pool[sid]:g} MWh, the power of supply {sid}", rule_text("EAC-1"))
    room = {sid: pool[sid] - linked[sid] for sid in pool}
    total = unlinked + sum(linked.values())
    limit = min(sum(pool.values()), use_mwh or float("inf"))
    if unlinked > sum(room.values()) * (1 + 1e-12) or total > limit * (1 + 1e-12):
        raise InputError(decl.file, decl.locate("electricity", "certificates"), f"{total:g} MWh",
                         f"at most {limit:g} MWh, the metered grid, null and contract power they can cover",
                         rule_text("EAC-1"))
    spread = sum(room.values())
    covered = {sid: linked[sid] + (unlinked * room[sid] / spread if spread else 0.0) for sid in pool}
    return covered, linked


def account(decl: Declaration, inventory: Inventory, use_mwh: float | None = None) -> ElectricityAccount:
    """Every supply on every basis. `use_mwh`, the stages' metered use, bounds the certificates."""
    if not COUNTRY.match(decl.country):
        raise InputError(decl.file, decl.locate("declarant", "country"), decl.declarant.get("country"),
                         "an ISO 3166 alpha-2 country code in capitals, e.g. CN, NO, CA")
    check_certificates(decl)
    if not decl.supplies:
        return _default_account(decl, inventory, use_mwh)
    for i, s in enumerate(decl.supplies):
        _check_supply(decl, inventory, i, s)
    total = sum(s.mwh for s in decl.supplies)
    if total <= 0:
        raise InputError(decl.file, decl.locate("electricity", "supplies"), total,
                         "supplies adding up to more than 0 MWh")
    if use_mwh:
        check_use(decl, total, use_mwh)
    chinese = decl.country == "CN"
    # Power certificates can cover: grid, null power, and in China renewable contracts (EAC-11).
    pool = {s.id: s.mwh for s in decl.supplies
            if s.kind == "grid" or (s.kind in OWN_RENEWABLE and s.certificates_sold)
            or (chinese and s.kind in ("ppa", "direct-line") and s.technology not in FOSSIL)}
    covered, linked = _coverage(decl, pool, use_mwh)
    notes, out = [], []
    for i, s in enumerate(decl.supplies):
        where = decl.locate("electricity", "supplies", i)
        certified = covered.get(s.id, 0.0)
        out.append(_supply(decl, inventory, s, where, certified, linked.get(s.id, 0.0)))
        if chinese and s.kind in ("ppa", "direct-line") and s.technology not in FOSSIL and certified < s.mwh:
            notes.append(f"supply {s.id}: a renewable {s.kind} without 绿证 retired with it for "
                         f"{s.mwh - certified:,.0f} MWh counts as grid power in market-based results and "
                         f"green-electricity claims ({rule_text('EAC-11')})")
        if s.kind in CAPTIVE_FUEL and not s.heat_rate_gce_per_kwh:
            notes.append(f"supply {s.id}: no heat rate declared; the upper end of the bundled plant's range, "
                         f"{default_heat_rate(inventory, s.kind, conservative=True):g} gce/kWh, is used")
    if use_mwh and use_mwh > total * (1 + 1e-9):  # metered use the supplies do not cover: grid power, never green
        shortfall = _shortfall(decl, inventory, use_mwh - total)
        out.append(shortfall)
        notes.append(f"supplies fall {use_mwh - total:,.0f} MWh short of the metered use: counted as "
                     f"{shortfall.basis_notes['all']}")
        total = use_mwh
    return ElectricityAccount(total, use_mwh, tuple(out), decl.certificates, False, tuple(notes))


def _shortfall(decl: Declaration, inventory: Inventory, mwh: float) -> SupplyAccount:
    """Metered use the declared supplies do not cover: uncertified power of the first grid supply,
    or the conservative default where no grid is declared."""
    grid = next((s for s in decl.supplies if s.kind == "grid"), None)
    if grid is None:
        return _conservative_supply(inventory, mwh, "uncovered-use")
    supply = Supply("uncovered-use", "grid", mwh, grid.grid, grid.factor_year)
    account = _supply(decl, inventory, supply, decl.locate("electricity", "supplies"), 0.0, 0.0)
    return SupplyAccount(supply, 0.0, account.location, account.market, account.official_kg_per_kwh,
                         {**account.basis_notes, "all": f"uncertified grid power ({grid.grid}, {grid.factor_year})"},
                         False, account.residual_year, account.grid_average_kg_per_kwh)


def _conservative_supply(inventory: Inventory, mwh: float, sid: str) -> SupplyAccount:
    """Power of unknown origin: captive coal at the upper end of the bundled plant's heat-rate
    range, the highest bundled Chinese supply, so leaving data out never lowers a footprint."""
    heat_rate = default_heat_rate(inventory, "captive-coal", conservative=True)
    assert heat_rate is not None  # captive coal has a bundled default plant
    lines = tuple(ElectricityLine(x.kind, x.target, x.amount, 2 if x.kind == "input" else 1, False)
                  for x in captive_lines(inventory, "captive-coal", heat_rate, False))
    co2 = captive_co2_kg_per_kwh(lines)
    official: dict[str, float | None] = {"scope2-location": co2, "scope2-market": co2, "cbam": co2, "cets": co2}
    return SupplyAccount(Supply(sid, "default", mwh), 0.0, lines, lines, official,
                         {"all": f"power of unknown origin at captive coal, {heat_rate:g} gce/kWh (conservative)"})


def _default_account(decl: Declaration, inventory: Inventory, use_mwh: float | None) -> ElectricityAccount:
    """No supplies declared: a conservative default (captive coal at the upper end of the bundled
    plant's range); every claim that needs the supplies gets 'insufficient data'."""
    if decl.certificates:
        raise InputError(decl.file, decl.locate("electricity", "supplies"), None,
                         "the supplies the certificates are retired against")
    supply = _conservative_supply(inventory, use_mwh or 1.0, "default-supply")
    note = (f"no electricity supplies declared: the footprint uses a conservative default, "
            f"{supply.basis_notes['all']}; claims that rest on the supplies are 'insufficient data'")
    return ElectricityAccount(supply.mwh, use_mwh, (supply,), (), True, (note,))


@dataclass(frozen=True)
class GridFactors:
    """One grid and year: life-cycle codes and combustion-only factors (kg CO2/kWh)."""
    key: str
    location_code: str  # life-cycle mix, location-based
    residual_code: str  # life-cycle residual mix, market-based
    average: float  # official average factor of the grid
    residual: float  # official residual factor
    country: float  # the country's average factor (CBAM default basis)
    codes: tuple[str, ...] = ()
    residual_note: str = ""


def grid_factors(decl: Declaration, inventory: Inventory, grid: str | None, year: int | None,
                 where: str, what: str = "grid power") -> GridFactors:
    file = decl.file
    if grid is None or year is None:
        raise InputError(file, where, grid, f"a grid area or province and a factor_year for {what}")
    key = f"{grid}-{year}"
    if decl.country != "CN":
        code, factor = _country_grid(inventory, key, decl.country, file, where)
        return GridFactors(key, code, code, factor, factor, factor, (), f"no residual mix bundled for {grid}: the "
                           "grid average is used (Scope 2 Quality Criterion 8, disclosed)")
    return GridFactors(key, _life_cycle_mix(inventory, key, file, where),
                       _life_cycle_mix(inventory, f"residual-{year}", file, where),
                       official_factor(inventory, key, file, where),
                       official_factor(inventory, f"residual-{year}", file, where),
                       official_factor(inventory, f"national-{year}", file, where),
                       (f"electricity-cn-mee-{key}", f"electricity-cn-mee-residual-{year}",
                        f"electricity-cn-mee-national-{year}"))


def _supply(decl: Declaration, inventory: Inventory, s: Supply, where: str, certified_mwh: float,
            linked_mwh: float) -> SupplyAccount:
    """One supply on every basis (per kWh of this supply); `linked_mwh` of its certificates were
    retired with it (certificate.supply), the rest of `certified_mwh` spread from grid certificates."""
    uncovered = 1 - certified_mwh / s.mwh if s.mwh else 0.0
    official: dict[str, float | None] = dict.fromkeys(OFFICIAL_BASES, 0.0)
    notes: dict = {}
    location: list[ElectricityLine] = []
    market: list[ElectricityLine] = []

    residual_year = grid_average = None

    def residual_with_certificates(grid: GridFactors) -> None:
        """Market-based: certified MWh at their technologies' life-cycle factor (0 on the official
        basis), the rest at the residual mix (GHG Protocol Scope 2 hierarchy)."""
        nonlocal residual_year, grid_average
        residual_year = int(grid.key[-4:]) if decl.country == "CN" else None
        grid_average = grid.average
        market.append(ElectricityLine("input", grid.residual_code, uncovered, 2, True))
        official["scope2-market"] = uncovered * grid.residual
        if certified_mwh:
            certs = [c for c in decl.certificates if c.supply == s.id] or \
                    [c for c in decl.certificates if c.supply is None]
            mwh = sum(c.mwh for c in certs)
            market.extend(ElectricityLine("input", f"electricity-tech-{c.technology}",
                                          (1 - uncovered) * c.mwh / mwh, 2, True) for c in certs)
        if grid.residual_note:
            notes["market"] = grid.residual_note

    green = certified_mwh > 0
    tech_code = contract_life_cycle(s.technology, decl.country) if s.technology else ""
    if s.kind == "grid":
        grid = grid_factors(decl, inventory, s.grid, s.factor_year, where)
        if decl.country == "CN" and s.cross_regional_contract and s.grid not in own_grids(decl) and s.factor_year:
            # location-based is the grid where the power is used, whatever the contract (GHG Protocol
            # Scope 2 Guidance, location-based method); the contract is shown, not counted
            grid = grid_factors(decl, inventory, site_grid(decl, s.factor_year, inventory), s.factor_year, where)
            notes["location"] = (f"cross-regional contract {s.cross_regional_contract} ({s.grid}): location-based at "
                                 f"the site's own grid {grid.key}")
        location.append(ElectricityLine("input", grid.location_code, 1.0, 2, True))
        official.update({"scope2-location": grid.average, "cbam": grid.country, "cets": None})
        residual_with_certificates(grid)
        notes.update(codes=grid.codes, cets="purchased grid power at the national factor",
                     cbam=f"country grid factor ({grid.country:g} kg/kWh); the grid's own {grid.key}: "
                          f"{grid.average:g}")
    elif s.kind in ("ppa", "direct-line"):
        if s.technology is None:
            raise InputError(decl.file, where, s.id, "the generation technology of a PPA or direct line")
        direct = contract_direct_kg_per_kwh(inventory, s.technology, decl.country)
        if s.kind == "direct-line" or s.technology in FOSSIL:
            # Physical delivery (direct line), or a fossil contract counted at its technology on
            # every basis (conservative; a location-based grid average could be lower).
            location.append(ElectricityLine("input", tech_code, 1.0, 2, True))
            official.update({"scope2-location": direct, "cbam": direct})
            notes["cbam"] = f"{s.kind}: {s.technology} at its direct factor {direct:g} kg/kWh (direct technical " \
                            f"link or PPA; {tech_code})"
        if s.technology in FOSSIL:
            market.append(ElectricityLine("input", tech_code, 1.0, 2, True))
            official.update({"scope2-market": direct, "cets": direct})
            notes["cets"] = f"fossil {s.kind} at its technology's direct factor"
            green = False
        elif decl.country == "CN":  # green only with 绿证 retired against it (EAC-11)
            year = s.factor_year or latest_year(inventory, "residual", decl.period["end"].year)
            grid = grid_factors(decl, inventory, s.grid or "national", year, where, f"a {s.kind}")
            if s.kind == "ppa":  # qualifies for CBAM only with the 绿证 retired with it
                qualified = linked_mwh / s.mwh if s.mwh else 0.0
                location.append(ElectricityLine("input", grid.location_code, 1.0, 2, True))
                official.update({"scope2-location": grid.average, "cbam": grid.country * (1 - qualified)})
                notes["cbam"] = (f"PPA with 绿证 retired with it: qualifies for {qualified:.0%}, the rest at the "
                                 f"country grid factor {grid.country:g}")
            residual_with_certificates(grid)
            official["cets"] = None
            notes["cets"] = ("purchased power at the national factor: how CETS-AG-04.01-V01-2024 treats "
                             "market-traded green power is unconfirmed, so it is not zero-rated")
            notes["codes"] = grid.codes
        else:  # a renewable contract elsewhere conveys its attributes (Scope 2 Quality Criterion 7)
            if s.kind == "ppa":
                grid = grid_factors(decl, inventory, s.grid, s.factor_year, where, "a PPA")
                location.append(ElectricityLine("input", grid.location_code, 1.0, 2, True))
                official["scope2-location"] = grid.average
                official["cets"] = None
            market.append(ElectricityLine("input", tech_code, 1.0, 2, True))
            notes["cbam"] = f"non-fossil {s.kind}: qualifies"
            green = s.technology in SCHEME_TECHNOLOGIES["GEC"]  # renewable (nuclear is not green power)
    elif s.kind in OWN_RENEWABLE:
        tech = ElectricityLine("input", f"electricity-tech-{s.technology or OWN_RENEWABLE[s.kind][0]}", 1.0, 3, True)
        location.append(tech)
        if s.certificates_sold:  # null power: its attributes went with the certificates (EAC-6)
            if s.factor_year is None:
                raise InputError(decl.file, where, s.id, "a factor_year for the residual factor of null power",
                                 rule_text("EAC-6"))
            grid = grid_factors(decl, inventory, s.grid or "national", s.factor_year, where, "null power")
            residual_with_certificates(grid)
            notes["codes"] = grid.codes
        else:
            market.append(tech)
            green = True
        notes.update(cbam="own plant (direct technical link)", cets="own generation: not purchased power")
    elif s.kind in CAPTIVE_FUEL:
        heat_rate = s.heat_rate_gce_per_kwh or default_heat_rate(inventory, s.kind, conservative=True)
        if heat_rate is None:
            raise InputError(decl.file, where, s.id, "the heat rate (gce/kWh) of a captive gas plant")
        lines = captive_lines(inventory, s.kind, heat_rate, True)
        location += lines
        market += lines
        official["cbam"] = captive_co2_kg_per_kwh(lines)
        notes.update(cbam=f"own plant (direct technical link), {heat_rate:g} gce/kWh",
                     cets="captive power plant: outside the aluminium guideline's boundary (reported under the "
                          "power-generation guideline, CETS-AG-04.01-V01-2024 scope)")
    if s.supplier_factor_kg_per_kwh is not None:  # the supplier's own factor (Scope 2 hierarchy, market-based)
        factor = s.supplier_factor_kg_per_kwh
        market[:] = [ElectricityLine("emission", "co2e-aggregated", factor, 2, True)]
        official["scope2-market"] = factor
        notes["market"] = f"supplier-specific factor {factor:g} kg CO2e/kWh (evidence: {s.evidence})"
    return SupplyAccount(s, certified_mwh, tuple(location), tuple(market), official, notes, green, residual_year,
                         grid_average)


def latest_year(inventory: Inventory, row: str, year: int) -> int:
    """The latest year <= `year` with an MEE/NBS `row` factor (e.g. 'residual'), else the earliest."""
    years = sorted(int(c[-4:]) for c in inventory.processes if c.startswith(f"electricity-cn-mee-{row}-"))
    return max((y for y in years if y <= year), default=years[0])
