"""Declarations: electricity accounting by hand (standards.md §8 T5/T6), captive coal from the
heat rate, null power, certificate rules, and the formulas applied to site data."""
import pytest
from conftest import potline_declaration
from test_lifecycle_electricity import by_hand

from greenal.errors import InputError
from greenal.model.site import declaration_footprint

def grid_lc(factor: float, fossil: float) -> float:
    """Life-cycle kg CO2e (AR6) per kWh delivered of a Chinese grid row, by hand: official factor
    + coal upstream and CH4/N2O + non-fossil at the hydro median, over (1 - T&D losses)."""
    return by_hand({"factor": factor, "fossil": fossil})[1]


BASE_SUPPLY = {"id": "grid", "kind": "grid", "mwh": 1_350_000, "grid": "national", "factor_year": 2022}


def declaration(**changes):
    """13.5 MWh/t x 100,000 t on the national grid (standards.md §8 T5/T6)."""
    return potline_declaration(13_500, 100_000, "national", **changes)


def gec(mwh, first=1, serial_id="g1", vintage=2024, region="CN-GX", scheme="GEC", technology="wind-onshore"):
    return {"id": serial_id, "scheme": scheme, "serial_from": f"GEC{first:09d}",
            "serial_to": f"GEC{first + mwh - 1:09d}", "mwh": mwh, "technology": technology, "vintage": vintage,
            "region": region}


def potline_electricity_kg(fp, gwp="ar6"):
    """CO2e of the potline's own power (the default alumina and anode chains use power too)."""
    cf = fp._cf(gwp)
    return sum(float(kg @ cf) for label, kg in fp.contributions.items()
               if label.stage == "electrolysis" and label.source == "electricity")


def test_market_based_40_percent_gec_on_2022_residual(engine):
    # T6: 13.5 MWh/t, 40 % covered by GEC; market 0.6 x 13.5 x 0.5856; location 13.5 x 0.5366
    decl = declaration(electricity__certificates=[gec(540_000)])
    result = declaration_footprint(engine, decl)
    official = result.scope2_official_t_per_t()
    assert 0.6 * 13.5 * 0.5856 == pytest.approx(4.74336, abs=1e-12)
    assert official["market"] == pytest.approx(4.74336, rel=1e-12)
    assert official["location"] == pytest.approx(7.24410, rel=1e-12)


def test_life_cycle_market_based_uses_residual_mix_and_certificate_technology(engine):
    """Product footprint: uncovered grid takes the life-cycle residual mix, certified MWh the
    life-cycle median of their technology (IPCC AR5: wind onshore 11 g/kWh)."""
    decl = declaration(electricity__certificates=[gec(540_000)])
    result = declaration_footprint(engine, decl)
    residual_lc, national_lc = grid_lc(0.5856, 0.8325), grid_lc(0.5366, 0.8325)  # MEE/NBS 2022
    market_kg = 13_500 * (0.6 * residual_lc + 0.4 * 0.011)
    location_kg = 13_500 * national_lc
    assert potline_electricity_kg(result.market) == pytest.approx(market_kg, rel=1e-9)
    assert potline_electricity_kg(result.location) == pytest.approx(location_kg, rel=1e-9)
    # all scope 2 is the potline's
    assert result.market.co2e_kg_by("scope", "ar6")[2] == pytest.approx(market_kg, rel=1e-9)


def test_captive_coal_at_310_gce_per_kwh(engine):
    """Captive coal: 0.310 kgce/kWh x 29.307 MJ/kgce, CO2 = MJ x CC x OF x 44/12 (scope 1), with
    the Chinese defaults for raw coal (26.37 tC/TJ, OF 0.94, parameters.yaml)."""
    decl = declaration(electricity__supplies=[{"id": "cp", "kind": "captive-coal", "mwh": 1_350_000,
                                                "heat_rate_gce_per_kwh": 310}])
    result = declaration_footprint(engine, decl)
    mj_per_kwh = 0.310 * 29.307
    co2_kg_per_kwh = mj_per_kwh * 26.37e-3 * 0.94 * 44 / 12
    assert co2_kg_per_kwh == pytest.approx(0.8258, abs=1e-4)
    for fp in (result.location, result.market):  # captive power is the same in both bases
        electricity_scope1 = sum(float(kg[0]) for label, kg in fp.contributions.items()
                                 if label.source == "electricity" and label.scope == 1)
        assert electricity_scope1 == pytest.approx(13_500 * co2_kg_per_kwh, rel=1e-12)
    assert result.scope2_official_t_per_t() == {"location": 0.0, "market": 0.0}


def test_null_power_counts_as_residual(engine):
    """Own hydro whose certificates were sold: location-based hydro, market-based residual mix."""
    supplies = [{"id": "own-hydro", "kind": "hydro", "mwh": 1_350_000, "certificates_sold": True, "factor_year": 2022}]
    sold = declaration_footprint(engine, declaration(electricity__supplies=supplies))
    kept = declaration_footprint(engine,
                                 declaration(electricity__supplies=[{**supplies[0], "certificates_sold": False}]))
    residual_lc = grid_lc(0.5856, 0.8325)
    assert potline_electricity_kg(sold.market) == pytest.approx(13_500 * residual_lc, rel=1e-9)
    assert potline_electricity_kg(sold.location) == pytest.approx(13_500 * 0.024, rel=1e-9)
    assert potline_electricity_kg(kept.market) == pytest.approx(13_500 * 0.024, rel=1e-9)
    assert sold.scope2_official_t_per_t()["market"] == pytest.approx(13.5 * 0.5856, rel=1e-12)


def test_certificates_above_consumption_are_rejected(engine):
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[gec(1_400_000)]))
    assert "EAC-1" in str(caught.value) and "1.35e+06" in str(caught.value)


def test_duplicate_serial_is_rejected(engine):
    certs = [gec(1000, first=1, serial_id="a"), gec(1000, first=500, serial_id="b")]
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=certs))
    assert "EAC-2" in str(caught.value) and "'a'" in str(caught.value)
    assert "certificates.1.serial_from" in caught.value.where


@pytest.mark.parametrize("certificate, rule", [
    (gec(1000, vintage=2022), "EAC-3"),
    (gec(1000, region="DE"), "EAC-4"),
    (gec(1000, scheme="I-REC"), "EAC-4"),
    ({**gec(1000), "mwh": 999}, "EAC-5"),
])
def test_certificate_rules(engine, certificate, rule):
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[certificate]))
    assert rule in str(caught.value)


def test_vintage_tolerance_is_configurable(engine):
    """Vintage by month: December 2023 lies one month before a 2024 period."""
    cert = gec(1000, vintage="2023-12")
    with pytest.raises(InputError):
        declaration_footprint(engine, declaration(electricity__certificates=[cert]))
    decl = declaration(electricity__certificates=[cert], period__vintage_tolerance_months=1)
    assert declaration_footprint(engine, decl).electricity.certified_mwh == 1000


def test_site_anode_and_pfc_formulas(engine):
    """Anode CO2 = NC (1 - S - A) 44/12; PFC by the slope method, IPCC CWPB coefficients."""
    decl = declaration(electrolysis={"ac_kwh_per_t": 13_500, "net_anode_t_per_t": 0.41, "anode_sulphur_pct": 2.5,
                                     "anode_ash_pct": 0.5, "anode_effect_min_per_cell_day": 0.1,
                                     "cell_technology": "CWPB"})
    fp = declaration_footprint(engine, decl).location
    by_source = fp.co2e_kg_by("source", "ar5")
    assert by_source["anode"] == pytest.approx(0.41 * (1 - 0.025 - 0.005) * 44 / 12 * 1000, rel=1e-12)
    assert by_source["PFC"] == pytest.approx(0.11401533 * 1000, rel=1e-9)  # T3


def test_fuel_formula_and_carbonates(engine):
    """Fuel CO2 = AD x NCV x CC x OF x 44/12 (natural gas: 38.931 MJ/Nm3, 15.3 tC/TJ, OF 0.99);
    CaCO3 decomposition 0.4400 t CO2/t."""
    decl = declaration(electrolysis={"ac_kwh_per_t": 13_500, "fuels": {"natural_gas_nm3_per_t": 100},
                                     "carbonates": {"CaCO3_kg_per_t": 50}})
    fp = declaration_footprint(engine, decl).location
    scope1 = {label.source: float(kg[0]) for label, kg in fp.contributions.items()
              if label.scope == 1 and label.stage == "electrolysis" and label.source in ("fuel", "carbonates")}
    assert scope1["fuel"] == pytest.approx(100 * 38.931 * 15.3e-3 * 0.99 * 44 / 12, rel=1e-12)
    assert scope1["carbonates"] == pytest.approx(50 * 0.4400, rel=1e-12)


def test_defaults_fill_what_is_missing(engine):
    """A potline declaring only its power gets the sourced CN defaults for the rest, marked as such."""
    fp = declaration_footprint(engine, declaration()).location
    anode = [label for label in fp.contributions if label.source == "anode"]
    assert anode and not any(label.primary for label in anode)
    assert fp.co2e_kg_by("source", "ar6")["anode"] == pytest.approx(0.42 * 0.976 * 44 / 12 * 1000, rel=1e-12)
    electricity = [label for label in fp.contributions
                   if label.source == "electricity" and label.stage == "electrolysis"]
    assert all(label.primary for label in electricity)


def test_supplies_in_kwh_instead_of_mwh_are_caught(engine):
    supplies = [{**BASE_SUPPLY, "mwh": 1_350_000_000}]
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__supplies=supplies))
    assert "kWh instead of MWh" in str(caught.value)


def co2e_per_unit(code, gwp="ar6"):
    """CO2e of one unit of a process, from the inventory YAML numbers: its gases plus its inputs'."""
    from greenal import api

    processes, factors = api.processes(), api.bundled_inventory().methods[gwp].factors

    def co2e(code):
        p = processes[code]
        return (sum(e.amount * factors[e.target] for e in p.emissions)
                + sum(e.amount * co2e(e.target) for e in p.inputs))
    return co2e(code)


def test_ppa_direct_line_and_captive_gas(engine):
    """In China a renewable PPA or direct line without 绿证 retired with it is grid power in the
    market-based result (EAC-11, 发改能源〔2023〕1044号): location-based the PPA takes its grid's
    mix and the direct line its technology (physical delivery); market-based both take the
    residual mix. Captive gas: heat rate x 29.307 MJ/kgce x the burned gas process."""
    third = 450_000
    supplies = [
        {"id": "ppa", "kind": "ppa", "mwh": third, "grid": "south", "factor_year": 2022, "technology": "wind-onshore"},
        {"id": "line", "kind": "direct-line", "mwh": third, "technology": "hydro", "factor_year": 2022,
         "evidence": "line connection agreement"},
        {"id": "gas", "kind": "captive-gas", "mwh": third, "heat_rate_gce_per_kwh": 220},
    ]
    result = declaration_footprint(engine, declaration(electricity__supplies=supplies))
    lc = {"south": grid_lc(0.3869, 0.8325), "residual": grid_lc(0.5856, 0.8325), "hydro": 0.024}
    gas_kg_per_kwh = 0.220 * 29.307 * co2e_per_unit("fuel-natural-gas-burned")
    kwh = 13_500 / 3
    assert potline_electricity_kg(result.location) == pytest.approx(
        kwh * (lc["south"] + lc["hydro"] + gas_kg_per_kwh), rel=1e-9)
    assert potline_electricity_kg(result.market) == pytest.approx(
        kwh * (2 * lc["residual"] + gas_kg_per_kwh), rel=1e-9)
    official = result.scope2_official_t_per_t()
    assert official["location"] == pytest.approx(4.5 * 0.3869, rel=1e-12)  # PPA at its grid, direct line hydro 0
    assert official["market"] == pytest.approx(9.0 * 0.5856, rel=1e-12)  # both contracts at the residual
    assert len([n for n in result.notes if "EAC-11" in n]) == 2


def test_captive_coal_without_heat_rate_takes_the_upper_end_of_the_bundled_range(engine):
    """No heat rate declared: the upper end of the bundled plant's stated range, 340 gce/kWh
    (inventory-data.md §2.7: 300-340 for the mostly subcritical captive fleet), so leaving the
    heat rate out never lowers the footprint; the result says so."""
    supplies = [{"id": "cp", "kind": "captive-coal", "mwh": 1_350_000}]
    result = declaration_footprint(engine, declaration(electricity__supplies=supplies))
    co2 = sum(float(kg[0]) for label, kg in result.location.contributions.items()
              if label.source == "electricity" and label.scope == 1 and label.stage == "electrolysis")
    assert co2 == pytest.approx(13_500 * 0.340 * 29.307 * 26.37e-3 * 0.94 * 44 / 12, rel=1e-9)
    assert any("340 gce/kWh" in note for note in result.notes)


def test_grid_without_life_cycle_mix_and_fossil_certificates_are_refused(engine):
    supplies = [{**BASE_SUPPLY, "grid": "ets-reporting", "factor_year": 2023}]
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__supplies=supplies))
    assert "'ets-reporting-2023'" in str(caught.value) and "life-cycle mix" in str(caught.value)
    with pytest.raises(InputError) as caught:
        declaration_footprint(engine, declaration(electricity__certificates=[gec(1000, technology="coal-pc")]))
    assert "certificates.0.technology" in caught.value.where and "EAC-7" in str(caught.value)


# --- Period totals, evidence and sign-off (issue 12: the questionnaire; same in YAML) ---------------

def totals_declaration(electrolysis: dict, **changes):
    """The 13.5 MWh/t potline with its electrolysis values replaced by `electrolysis`."""
    return declaration(electrolysis=electrolysis, **changes)


def test_period_total_divided_by_the_product_output():
    # primary liquid: the potline makes the product, so its totals divide by the annual output
    decl = totals_declaration({"ac_mwh_total": 1_351_000})
    assert decl.stages["electrolysis"]["ac_kwh_per_t"] == pytest.approx(1_351_000 * 1000 / 100_000)  # 13510
    assert decl.notes == ("electrolysis: ac_kwh_per_t = 1,351,000 MWh / 100,000 t in the period "
                          "(product.annual_output_t) = 13,510 kWh/t Al (given as the period total ac_mwh_total)",)


def test_period_total_with_its_own_output_and_kg_from_t():
    decl = totals_declaration({"ac_kwh_per_t": 13_500, "alf3_t_total": 1_520, "output_t": 95_000})
    assert decl.stages["electrolysis"]["alf3_kg_per_t"] == pytest.approx(1_520 * 1000 / 95_000)  # t -> kg per t
    assert decl.stages["electrolysis"]["ac_kwh_per_t"] == 13_500
    assert decl.to_mapping()["electrolysis"] == {"ac_kwh_per_t": 13_500, "alf3_t_total": 1_520, "output_t": 95_000}


@pytest.mark.parametrize("values, where, expected", [
    ({"ac_kwh_per_t": 13_500, "ac_mwh_total": 1_350_000}, "electrolysis.ac_mwh_total", "either ac_kwh_per_t"),
    ({"ac_kwh_per_t": 13_500, "output_t": 100_000}, "electrolysis.output_t", "period totals on this stage"),
    ({"ac_mwh_total": 1_350_000_000}, "electrolysis.ac_mwh_total", "between 11500 and 17500 kWh/t Al"),
])
def test_bad_period_totals_refused(values, where, expected):
    with pytest.raises(InputError) as caught:
        totals_declaration(values)
    assert caught.value.where == where and expected in str(caught.value)


def test_period_total_in_kwh_instead_of_mwh_names_the_slip():
    with pytest.raises(InputError) as caught:
        totals_declaration({"ac_mwh_total": 1_350_000_000})  # kWh typed in the MWh column
    assert "1.35e+09 MWh / 100000 t = 1.35e+07 kWh/t Al" in str(caught.value)
    assert "x 0.001 = 13500 would fit" in str(caught.value)


def test_total_on_a_bought_stage_needs_its_output():
    with pytest.raises(InputError) as caught:
        declaration(product__anode_from="own", anode={"pitch_t_total": 8_000})
    assert caught.value.where == "anode.output_t" and "output in the period" in str(caught.value)


def test_evidence_and_signoff_read_and_checked():
    decl = declaration(evidence={"electrolysis.ac_kwh_per_t": "meter M-01", "product.annual_output_t": "月报"},
                       signoff={"filled_by": "A", "checked_by": "B", "date": "2025-01-31"})
    assert decl.evidence["electrolysis.ac_kwh_per_t"] == "meter M-01"
    assert decl.signoff["date"].isoformat() == "2025-01-31"
    with pytest.raises(InputError) as caught:
        declaration(evidence={"casting.electricity_kwh_per_t": "meter M-02"})
    assert caught.value.where == "evidence.casting.electricity_kwh_per_t" and "declared value" in str(caught.value)


def test_quality_and_evidence_of_a_total_name_its_per_tonne_line():
    decl = totals_declaration({"ac_mwh_total": 1_350_000}, data_quality={"electrolysis.ac_mwh_total": "measured"},
                              evidence={"electrolysis.ac_mwh_total": "meter M-01"})
    assert decl.data_quality == {"electrolysis.ac_kwh_per_t": "measured"}
    assert decl.evidence == {"electrolysis.ac_kwh_per_t": "meter M-01"}
