"""Issue 15: purchases, certificates, scrap classes and missing data, each rule by hand.

A potline of 13.5 MWh/t x 100,000 t (standards.md §8 T5/T6) on the national grid, 2022 factors:
average 0.5366, residual 0.5856 kg CO2/kWh (MEE/NBS 公告2024年第33号). A Chinese coal contract
burns coal as the bundled Chinese coal plant does: 0.320 kgce/kWh x 29.307 MJ/kgce x the raw-coal
factors of parameters.yaml (26.37 tC/TJ, oxidation 0.94) x 44/12.
"""
import copy
import datetime as dt

import pytest
from conftest import potline_declaration

from greenal.declaration.model import parse
from greenal.errors import InputError
from greenal.model.site import declaration_footprint
from greenal.standards.engine import assess

AVERAGE_2022, RESIDUAL_2022 = 0.5366, 0.5856
COAL_DIRECT = 0.320 * 29.307 * 26.37e-3 * 0.94 * 44 / 12  # kg CO2/kWh, Chinese coal power
MWH = 1_350_000


def declaration(**changes):
    return potline_declaration(13_500, 100_000, "national", **changes)


def cert(mwh, first=1, cid="c1", scheme="GEC", technology="wind-onshore", vintage=2024, region="CN-GX", **extra):
    return {"id": cid, "scheme": scheme, "serial_from": f"GEC{first:09d}", "serial_to": f"GEC{first + mwh - 1:09d}",
            "mwh": mwh, "technology": technology, "vintage": vintage, "region": region, **extra}


def grid(mwh, **extra):
    return {"id": "grid", "kind": "grid", "mwh": mwh, "grid": "national", "factor_year": 2022, **extra}


def verdict_values(result, scheme):
    return {v.rule.id: v for v in assess(result, [scheme], gwp="ar5")}


# --- fossil contracts count on every basis ------------------------------------------------------

@pytest.mark.parametrize("kind", ["ppa", "direct-line"])
def test_coal_contract_raises_scope2_cbam_and_ets_by_its_technology(engine, kind):
    third = MWH / 3
    coal = {"id": "coal", "kind": kind, "mwh": third, "technology": "coal-pc", "grid": "national", "factor_year": 2022,
            "evidence": "contract 2024-01"}
    result = declaration_footprint(engine, declaration(electricity__supplies=[grid(2 * third), coal]))
    official = result.scope2_official_t_per_t()
    location = 13.5 * (2 / 3 * AVERAGE_2022 + 1 / 3 * COAL_DIRECT)
    assert official["location"] == pytest.approx(location, rel=1e-12)
    assert official["market"] == pytest.approx(13.5 * (2 / 3 * RESIDUAL_2022 + 1 / 3 * COAL_DIRECT), rel=1e-12)
    cbam = verdict_values(result, "cbam")["CBAM-4"].value  # country grid factor, the coal contract at its own
    assert cbam == pytest.approx(13.5 * (2 / 3 * AVERAGE_2022 + 1 / 3 * COAL_DIRECT), rel=1e-12)
    ets = {v.rule.indicator: v.value for v in assess(result, ["cets"])}
    # period 2024: the ETS takes the national factor of 2022 (Y-2) for purchased power
    assert ets["cets_electricity_t_per_t_liquid"] == pytest.approx(13.5 * (2 / 3 * AVERAGE_2022 + 1 / 3 * COAL_DIRECT),
                                                                   rel=1e-12)
    # without the coal contract (all grid) every figure is lower by 1/3 x 13.5 x (0.760 - grid factor)
    plain = declaration_footprint(engine, declaration()).scope2_official_t_per_t()
    assert official["location"] - plain["location"] == pytest.approx(4.5 * (COAL_DIRECT - AVERAGE_2022), rel=1e-9)


# --- China: the 绿证 is the sole proof of green attributes -----------------------------------------

def test_renewable_ppa_without_gec_gets_no_green_attributes(engine):
    ppa = {"id": "wind-ppa", "kind": "ppa", "mwh": MWH, "technology": "wind-onshore", "grid": "national",
           "factor_year": 2022}
    result = declaration_footprint(engine, declaration(electricity__supplies=[ppa]))
    assert result.scope2_official_t_per_t()["market"] == pytest.approx(13.5 * RESIDUAL_2022, rel=1e-12)
    assert result.electricity.green_mwh == 0
    assert any("EAC-11" in note for note in result.notes)
    market_lines = {line.target for line in result.electricity.market}
    assert market_lines == {"electricity-lc-cn-residual-2022"}
    cnia = {v.rule.indicator: v.value for v in assess(result, ["cnia-green-electricity"])}
    assert cnia["green_aluminium_t"] == 0
    # the same PPA with its 绿证 retired against it is green for all its MWh
    green = declaration_footprint(engine, declaration(electricity__supplies=[ppa], electricity__certificates=[
        cert(MWH, scheme="green-power-trade", supply="wind-ppa")]))
    assert green.scope2_official_t_per_t()["market"] == 0.0
    assert green.electricity.green_mwh == MWH and not green.notes


def test_green_power_trade_written_two_ways_gives_one_ets_and_market_result(engine):
    """A 绿电交易 of 540,000 MWh: as grid power with its certificates, or as a PPA with them."""
    as_certificates = declaration(electricity__certificates=[cert(540_000, scheme="green-power-trade")])
    ppa = {"id": "gpt", "kind": "ppa", "mwh": 540_000, "technology": "wind-onshore", "grid": "national",
           "factor_year": 2022}
    as_ppa = declaration(electricity__supplies=[grid(MWH - 540_000), ppa],
                         electricity__certificates=[cert(540_000, scheme="green-power-trade", supply="gpt")])
    a, b = (declaration_footprint(engine, d) for d in (as_certificates, as_ppa))
    ets = [{v.rule.indicator: v.value for v in assess(r, ["cets"])}["cets_electricity_t_per_t_liquid"] for r in (a, b)]
    assert ets[0] == pytest.approx(ets[1], rel=1e-12) == pytest.approx(13.5 * AVERAGE_2022, rel=1e-12)
    for r in (a, b):  # T6: 0.6 x 13.5 x 0.5856
        assert r.scope2_official_t_per_t()["market"] == pytest.approx(4.74336, rel=1e-12)
    assert a.market.total_co2e_kg("ar6") == pytest.approx(b.market.total_co2e_kg("ar6"), rel=1e-9)


def test_certificates_linked_to_a_ppa_cannot_exceed_it(engine):
    ppa = {"id": "gpt", "kind": "ppa", "mwh": 100_000, "technology": "hydro", "grid": "national", "factor_year": 2022}
    decl = declaration(electricity__supplies=[grid(MWH - 100_000), ppa],
                       electricity__certificates=[cert(150_000, scheme="green-power-trade", supply="gpt")])
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, decl)
    assert "EAC-1" in str(caught.value) and "gpt" in str(caught.value)


@pytest.mark.parametrize("technology, rule", [("nuclear", "EAC-7"), ("coal-pc", "EAC-7"), ("gas-cc", "EAC-7")])
def test_gec_technologies(engine, technology, rule):
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[cert(1000, technology=technology)]))
    assert rule in str(caught.value) and caught.value.where.endswith("technology")


# --- certificate tricks ----------------------------------------------------------------------------

def test_vintage_is_checked_by_month():
    """Period March 2024 - February 2025: a bare 2024 vintage includes January and February 2024."""
    from greenal.model.electricity import check_certificates

    def check(vintage, tolerance=0):
        d = declaration(period__start=dt.date(2024, 3, 1), period__end=dt.date(2025, 2, 28),
                        period__vintage_tolerance_months=tolerance,
                        electricity__certificates=[cert(1000, vintage=vintage)])
        check_certificates(d)

    check("2024-03")
    check("2025-02")
    for bad in ("2024", "2024-02", "2025-03", 2025):
        with pytest.raises(InputError, match="EAC-3"):
            check(bad)
    check("2024-02", tolerance=1)


def test_serials_written_differently_are_the_same_certificate(engine):
    a = {**cert(1000, cid="a"), "serial_from": "GEC-000000001", "serial_to": "GEC-000001000"}
    b = {**cert(1000, cid="b"), "serial_from": "gec 0000000500", "serial_to": "gec_0000001499"}
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[a, b]))
    assert "EAC-2" in str(caught.value) and "'a'" in str(caught.value)


def test_serials_with_other_zero_padding_in_their_last_group_are_the_same_certificate(engine):
    """GEC-2024-000001 and GEC-2024-001 name one certificate: written with separators, the last
    group is the running number whatever its padding (dropping separators alone would read
    2024000001 and 2024001, two numbers, and let one certificate be claimed twice)."""
    a = {**cert(100, cid="a"), "serial_from": "GEC-2024-000001", "serial_to": "GEC-2024-000100"}
    b = {**cert(100, cid="b"), "serial_from": "GEC-2024-051", "serial_to": "GEC-2024-150"}
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[a, b]))
    assert "EAC-2" in str(caught.value) and "'a'" in str(caught.value)
    c = {**cert(100, cid="c"), "serial_from": "GEC-2024-000101", "serial_to": "GEC-2024-000200"}
    from greenal.model.electricity import check_certificates

    check_certificates(declaration(electricity__certificates=[a, c]))  # the next hundred: no overlap


def test_serial_readings_by_hand():
    from greenal.model.electricity import serial_ranges_overlap, serial_readings

    assert serial_readings("GEC-2024-000001", "GEC-2024-000100") == [("GEC", 2024000001, 2024000100),
                                                                     ("GEC2024", 1, 100)]
    assert serial_readings("GEC2024000001", None) == [("GEC", 2024000001, 2024000001)]
    assert serial_ranges_overlap(serial_readings("GEC2024000050", None),  # separators dropped: one number
                                 serial_readings("GEC-2024-000001", "GEC-2024-000100"))
    assert not serial_ranges_overlap(serial_readings("GEC-2024-2", None), serial_readings("GEC-2025-2", None))


def test_the_registry_compares_serials_as_the_declaration_rule_does():
    """One normalisation for EAC-2 and the registry's no-double-claim check."""
    from greenal.registry import serials

    assert serials.split("gec-2024-gx 000001", "f", "w") == serials.split("GEC2024GX1", "f", "w") == ("GEC2024GX", 1)
    with pytest.raises(InputError):  # thousands of digits: not a serial, refused in one line
        serials.split("GEC" + "9" * 5000, "f", "w")


def test_supply_kind_and_technology_must_agree(engine):
    hydro = {"id": "own", "kind": "hydro", "mwh": MWH, "technology": "coal-pc"}
    with pytest.raises(InputError, match="EAC-10"):
        declaration_footprint(engine, declaration(electricity__supplies=[hydro]))


def test_grid_must_be_the_sites_unless_a_contract_says_otherwise(engine):
    # a Guangxi site (China Southern grid) declaring the Southwest grid's lower factor
    supply = grid(MWH, grid="southwest")
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__supplies=[supply]))
    assert "EAC-9" in str(caught.value) and "'south'" in str(caught.value)
    contracted = {**supply, "cross_regional_contract": "西电东送 contract 2024-017"}
    result = declaration_footprint(engine, declaration(electricity__supplies=[contracted]))
    # accepted, but location-based stays the site's own grid: Guangxi 2022, 0.4044 (not Southwest 0.2268)
    assert result.scope2_official_t_per_t()["location"] == pytest.approx(13.5 * 0.4044, rel=1e-12)
    assert "西电东送" in result.electricity.supplies[0].basis_notes["location"]


def test_supplies_must_match_metered_use(engine):
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__supplies=[grid(MWH * 1.2)]))
    assert "EAC-8" in str(caught.value) and "1,350,000 MWh" in str(caught.value)
    assert declaration_footprint(engine, declaration(electricity__supplies=[grid(MWH * 1.04)]))


def test_certificates_cannot_cover_more_than_metered_use(engine):
    """Supplies 4 % above use: certificates may cover the metered 1,350,000 MWh, not the 1,404,000 supplied."""
    decl = declaration(electricity__supplies=[grid(MWH * 1.04)], electricity__certificates=[cert(1_360_000)])
    with pytest.raises(InputError, match="EAC-1"):
        declaration_footprint(engine, decl)


def test_supplier_specific_factor_needs_evidence_and_is_shown(engine):
    """A named gas plant's own factor under a PPA (0.45 kg/kWh, above the IPCC AR5 gas CC direct
    median 0.37): market-based at that factor, marked supplier-specific."""
    gas = {"id": "gas-ppa", "kind": "ppa", "mwh": MWH, "technology": "gas-cc", "grid": "national",
           "factor_year": 2022, "supplier_factor_kg_per_kwh": 0.45}
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__supplies=[gas]))
    assert caught.value.where.endswith("evidence")
    result = declaration_footprint(engine, declaration(electricity__supplies=[{**gas, "evidence": "plant cert 7"}]))
    assert result.scope2_official_t_per_t()["market"] == pytest.approx(13.5 * 0.45, rel=1e-12)
    assert result.electricity.supplies[0].supplier_specific
    market_kg = sum(float(kg @ result.market._cf("ar6")) for label, kg in result.market.contributions.items()
                    if label.stage == "electrolysis" and label.source == "electricity")
    assert market_kg == pytest.approx(13_500 * 0.45, rel=1e-12)


@pytest.mark.parametrize("supply, expected", [
    ({"kind": "ppa", "technology": "gas-cc", "supplier_factor_kg_per_kwh": 0.1}, "at least 0.37"),
    ({"kind": "grid", "supplier_factor_kg_per_kwh": 0.0}, "EAC-11"),
    ({"kind": "captive-coal", "heat_rate_gce_per_kwh": 318, "supplier_factor_kg_per_kwh": 0.0}, "own and captive"),
])
def test_supplier_factor_cannot_undo_the_rules(engine, supply, expected):
    """Below its fossil technology, in place of 绿证 in China, or over an own plant's data: refused."""
    bad = {"id": "s", "mwh": MWH, "grid": "national", "factor_year": 2022, "evidence": "letter", **supply}
    with pytest.raises(InputError, match=expected):
        declaration_footprint(engine, declaration(electricity__supplies=[bad]))


def test_duplicate_supply_ids_are_refused(engine):
    """Two supplies named alike would let one set of linked certificates cover both."""
    with pytest.raises(InputError, match="id not already used"):
        declaration_footprint(engine, declaration(electricity__supplies=[grid(MWH / 2), grid(MWH / 2)]))


def test_full_width_serials_are_the_same_certificate(engine):
    a = {**cert(1000, cid="a"), "serial_from": "GEC000000001", "serial_to": "GEC000001000"}
    b = {**cert(1000, cid="b"), "serial_from": "GEC\uff10\uff10\uff10000001",
         "serial_to": "GEC\uff10\uff10\uff10001000"}
    with pytest.raises(InputError, match="EAC-2"):
        declaration_footprint(engine, declaration(electricity__certificates=[a, b]))


def test_supplies_short_of_use_count_the_rest_as_uncertified_grid(engine):
    """Supplies 4 % under use, all certified: the missing 4 % is grid power at the residual."""
    decl = declaration(electricity__supplies=[grid(MWH * 0.96)], electricity__certificates=[cert(1_296_000)])
    result = declaration_footprint(engine, decl)
    assert result.scope2_official_t_per_t()["market"] == pytest.approx(13.5 * 0.04 * RESIDUAL_2022, rel=1e-9)


def test_a_country_must_be_a_code_and_its_grid_its_own(engine):
    with pytest.raises(InputError, match="alpha-2"):
        declaration_footprint(engine, declaration(declarant__country="cn"))
    germany = {"declarant__country": "DE", "electricity__supplies": [grid(MWH, grid="norway", factor_year=2021)]}
    with pytest.raises(InputError, match="site's country DE"):
        declaration_footprint(engine, declaration(**germany))


def test_sites_outside_china_use_their_country_grid_and_market(engine):
    """A Norwegian smelter: Ember 2021 grid 26.1 g/kWh; GO certificates, not Chinese ones (EAC-4)."""
    norway = {"declarant__country": "NO", "declarant__province": "vestland",
              "electricity__supplies": [grid(MWH, grid="norway", factor_year=2021)]}
    result = declaration_footprint(engine, declaration(**norway))
    assert result.scope2_official_t_per_t()["location"] == pytest.approx(13.5 * 0.0261, rel=1e-12)
    with pytest.raises(InputError, match="EAC-4"):
        declaration_footprint(engine, declaration(**norway, electricity__certificates=[cert(1000)]))
    go = cert(1000, scheme="GO", region="NO")
    assert declaration_footprint(engine, declaration(**norway, electricity__certificates=[go])).electricity.green_mwh \
        == 1000
    with pytest.raises(InputError, match="EAC-4"):  # and a Chinese site cannot use a GO
        declaration_footprint(engine, declaration(electricity__certificates=[go]))


# --- leaving data out never lowers a footprint -----------------------------------------------------

@pytest.mark.parametrize("grid_key, factor", [("national", AVERAGE_2022), ("south", 0.3869)])
def test_no_supplies_is_never_lower_and_gets_insufficient_data(engine, grid_key, factor):
    with_supplies = declaration_footprint(engine, declaration(electricity__supplies=[grid(MWH, grid=grid_key)]))
    without = declaration_footprint(engine, declaration(electricity__supplies=[]))
    for basis in ("location", "market"):
        assert getattr(without, basis).total_co2e_kg("ar6") >= getattr(with_supplies, basis).total_co2e_kg("ar6")
    assert without.electricity.default_supply and "conservative default" in without.notes[0]
    verdicts = assess(without)
    emission_rules = [v for v in verdicts if "CO2" in v.rule.unit and v.verdict != "not applicable"]
    assert emission_rules and all(v.verdict == "insufficient data" for v in emission_rules)
    assert all("electricity.supplies" in v.note for v in emission_rules)


# --- scrap ---------------------------------------------------------------------------------------

def recycler(**recycling):
    data = {"schema_version": 1,
            "declarant": {"name": "Test recycler", "uscc": "91440000MA4W1QQQ4D", "province": "guangdong"},
            "period": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
            "product": {"kind": "recycled-ingot", "annual_output_t": 100_000},
            "recycling": {"electricity_kwh_per_t": 300, "fuels": {"natural_gas_nm3_per_t": 90}},
            "electricity": {"supplies": [{"id": "g", "kind": "grid", "mwh": 30_000, "grid": "guangdong",
                                          "factor_year": 2023}]}}
    data = copy.deepcopy(data)
    rule = recycling.pop("rule", None)
    if rule:
        data["product"]["recycled_content_rule"] = rule
    data["recycling"].update(recycling)
    return parse(data, "r.yaml", lambda p: ".".join(map(str, p)))


def test_run_around_scrap_costs_only_its_remelting(engine):
    """Remelting 0.3 t/t of the plant's own returns adds no primary burden: the remelting energy
    is in the declared kWh and gas, the melt loss is made up by the bought scrap."""
    base = declaration_footprint(engine, recycler(scrap_post_consumer_t_per_t=1.05))
    returns = declaration_footprint(engine, recycler(scrap_post_consumer_t_per_t=1.05, scrap_process_t_per_t=0.3))
    for basis in ("location", "market"):
        assert getattr(returns, basis).total_co2e_kg("ar6") == pytest.approx(
            getattr(base, basis).total_co2e_kg("ar6"), rel=1e-12)
    with pytest.raises(InputError, match="run-around"):  # own returns cannot make metal on their own
        declaration_footprint(engine, recycler(scrap_post_consumer_t_per_t=0.8, scrap_process_t_per_t=0.3))


def test_recycled_content_rule_for_pre_consumer_scrap(engine):
    """Cut-off: pre-consumer scrap burden-free; pre-consumer-primary: each t carries one t of Chinese
    primary ingot (the cn-average route), so the difference is 0.5 x that route's footprint."""
    from greenal import api

    scrap = {"scrap_post_consumer_t_per_t": 0.55, "scrap_pre_consumer_t_per_t": 0.5}
    cut_off = declaration_footprint(engine, recycler(**scrap))
    primary = declaration_footprint(engine, recycler(**scrap, rule="pre-consumer-primary"))
    ingot = engine.route_footprint("cn-average").total_co2e_kg("ar6")
    assert api.routes()["cn-average"].product == "casting-ingot-global"
    difference = primary.location.total_co2e_kg("ar6") - cut_off.location.total_co2e_kg("ar6")
    assert difference == pytest.approx(0.5 * ingot, rel=1e-9)
    assert "cut-off" in cut_off.recycled_content_rule and "primary origin" in primary.recycled_content_rule


# --- limestone and lime -----------------------------------------------------------------------------

def refinery(**refining):
    data = {"schema_version": 1,
            "declarant": {"name": "Test refinery", "uscc": "91450000MA5K8XXX1A", "province": "guangxi"},
            "period": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
            "product": {"kind": "alumina", "annual_output_t": 1_000_000},
            "refining": {"electricity_kwh_per_t": 230, **refining},
            "electricity": {"supplies": [{"id": "g", "kind": "grid", "mwh": 230_000, "grid": "guangxi",
                                          "factor_year": 2022}]}}
    return parse(data, "a.yaml", lambda p: ".".join(map(str, p)))


def carbonates_kg(result):
    return sum(float(kg[0]) for label, kg in result.location.contributions.items() if label.source == "carbonates")


def test_limestone_per_tonne_of_limestone_and_lime_warning(engine):
    plain = declaration_footprint(engine, refinery(limestone_kg_per_t=100))
    assert carbonates_kg(plain) == pytest.approx(100 * 0.405, rel=1e-12)  # 2013 guideline, per t limestone
    measured = declaration_footprint(engine, refinery(limestone_kg_per_t=100, limestone_caco3_pct=95))
    assert carbonates_kg(measured) == pytest.approx(100 * 0.95 * 0.440, rel=1e-12)  # CETS: x purity x 0.440
    both = declaration_footprint(engine, refinery(limestone_kg_per_t=100, lime_kg_per_t=50))
    assert any("counted twice" in note for note in both.notes) and not plain.notes
