"""Monte Carlo, data quality and sensitivity (issue 13). Small N: the whole file runs in seconds."""
import math
import sys

import numpy as np
import pytest

from greenal.inventory import Exchange, Inventory, Process, Source
from greenal.model.site import declaration_footprint
from greenal.standards.engine import Rule, Verdict
from greenal.uncertainty import quality
from greenal.uncertainty.background import background, background_lambda
from greenal.uncertainty.montecarlo import monte_carlo, verdict_probability
from greenal.uncertainty.sampling import NORMAL, Draws, Uncertain
from conftest import potline_declaration

SRC = Source("GREENAL-ESTIMATE", "test")


def _exchange(target, kind, amount, unit, uncertainty=None):
    return Exchange(target, kind, amount, unit, SRC, "estimate", uncertainty=uncertainty)


def _tiny_inventory(mu_a, sd_a, mu_b, sd_b, c):
    """P1 buys a (normal) kWh of P2 and emits c kg CO2; P2 emits b (normal) kg CO2 per kWh."""
    normal = lambda mu, sd: {"uncertainty_type": NORMAL, "loc": mu, "scale": sd}  # noqa: E731
    p1 = Process("p1", "p1", "GLO", "x", "t", None, "f", "", (
        _exchange("p2", "technosphere", mu_a, "kWh", normal(mu_a, sd_a)), _exchange("co2", "biosphere", c, "kg")))
    p2 = Process("p2", "p2", "GLO", "y", "kWh", None, "f", "",
                 (_exchange("co2", "biosphere", mu_b, "kg", normal(mu_b, sd_b)),))
    flows = {"co2": None}
    return Inventory({"p1": p1, "p2": p2}, flows, {}, {}, {}, "x", None)


def test_linear_system_with_normal_inputs_matches_analytic_mean_and_variance():
    # inventory of 1 t of p1 = c + a*b with a ~ N(mu_a, sd_a), b ~ N(mu_b, sd_b) independent:
    # mean = c + mu_a mu_b; variance = mu_a^2 sd_b^2 + mu_b^2 sd_a^2 + sd_a^2 sd_b^2 (product of independents)
    mu_a, sd_a, mu_b, sd_b, c = 14000.0, 700.0, 0.8, 0.05, 1500.0
    inv = _tiny_inventory(mu_a, sd_a, mu_b, sd_b, c)
    bg = background(inv, ["p1"])
    n = 40_000
    assert [t[2].key for t in bg.tech] == ["p1#0"] and [t[2].key for t in bg.bio] == ["p2#0"]
    z = Draws(7).batch(["p1#0", "p2#0"], n)
    lam = background_lambda(bg, bg.tech[0][2].factor(z[:, :1]), bg.bio[0][2].factor(z[:, 1:]))
    x = lam[:, 0, 0]
    mean = c + mu_a * mu_b
    var = mu_a ** 2 * sd_b ** 2 + mu_b ** 2 * sd_a ** 2 + sd_a ** 2 * sd_b ** 2
    sd = math.sqrt(var)
    # tolerance: 4 standard errors of the mean (sd / sqrt(n)); for the sd, 4 x sd / sqrt(2n) times 1.5
    # for the product's excess kurtosis (a loose bound: the product of two normals with CV 5 and 6 %)
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(n)
    assert abs(x.std(ddof=1) - sd) < 4 * 1.5 * sd / math.sqrt(2 * n)


def test_woodbury_equals_a_fresh_solve_on_the_bundled_background(engine):
    inv = engine.inventory
    products = ["electricity-lc-cn-national-2022", "material-aluminium-fluoride", "fuel-coal-supply"]
    bg = background(inv, products)
    assert bg.tech and bg.bio
    # nominal: the engine's unit inventories (bw2calc's factorisation)
    for i, p in enumerate(products):
        assert np.allclose(bg.lambda0[i], engine.unit_inventories[engine.background_index[p]], rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(3)
    tech_f, bio_f = rng.uniform(0.7, 1.3, (1, len(bg.tech))), rng.uniform(0.7, 1.3, (1, len(bg.bio)))
    lam = background_lambda(bg, tech_f, bio_f)[0]
    # independent: rebuild A and B with the perturbed cells and solve densely
    codes, index = inv.background, {c: i for i, c in enumerate(inv.background)}
    flows = {f: i for i, f in enumerate(inv.flow_codes)}
    a, b = np.eye(len(codes)), np.zeros((len(flows), len(codes)))
    factor = {t[2].key: tech_f[0, k] for k, t in enumerate(bg.tech)} | \
        {t[2].key: bio_f[0, k] for k, t in enumerate(bg.bio)}
    for j, code in enumerate(codes):
        for k, e in enumerate(inv.processes[code].exchanges):
            amount = e.amount * factor.get(f"{code}#{k}", 1.0)
            if e.kind == "technosphere":
                a[index[e.target], j] -= amount
            else:
                b[flows[e.target], j] += amount
    direct = (b @ np.linalg.solve(a, np.eye(len(codes))[:, [index[p] for p in products]])).T
    assert np.allclose(lam, direct, rtol=1e-9, atol=1e-12)


def test_samplers_match_their_analytic_moments():
    z = Draws(11).batch(["k"], 200_000)[:, 0]
    for spec in (Uncertain("u", "", 4, 10.0, minimum=8.0, maximum=13.0),
                 Uncertain("t", "", 5, 10.0, minimum=8.0, maximum=13.0),
                 Uncertain("l", "", 2, 10.0, scale=0.2)):
        x = spec.amount * spec.factor(z)
        mean, sd = spec.mean_sd()
        assert abs(x.mean() - mean) < 4 * sd / math.sqrt(z.size)
        assert abs(x.std() - sd) / sd < 0.01


def test_pedigree_sigma_from_the_factors():
    # scores (2,2,1,1,1), basic 1.05: sqrt(ln 1.05^2 + ln 1.05^2 + ln 1.02^2) / 2 (Frischknecht et al. 2007)
    scores = dict(zip(quality.INDICATORS, (2, 2, 1, 1, 1), strict=True))
    expected = math.sqrt(2 * math.log(1.05) ** 2 + math.log(1.02) ** 2) / 2
    assert quality.sigma(scores, 1.05) == pytest.approx(expected)
    assert quality.dqr(scores) == pytest.approx(7 / 5)


@pytest.fixture(scope="module")
def potline(engine):
    decl = potline_declaration(13500, 100000, "south")
    return declaration_footprint(engine, decl)


@pytest.fixture(scope="module")
def potline_mc(engine, potline):
    return monte_carlo(engine, potline, 2000, seed=5, schemes=["low-carbon"])


def test_same_seed_same_numbers(engine, potline, potline_mc):
    again = monte_carlo(engine, potline, 2000, seed=5, schemes=["low-carbon"])
    assert np.array_equal(again.samples["market"], potline_mc.samples["market"])
    assert again.to_dict() == potline_mc.to_dict()
    other = monte_carlo(engine, potline, 2000, seed=6, schemes=["low-carbon"])
    assert not np.array_equal(other.samples["market"], potline_mc.samples["market"])


def test_summary_is_close_to_the_deterministic_result(potline, potline_mc):
    d = potline_mc.to_dict()
    nominal = potline.market.total_co2e_kg("ar6") / 1000
    total = d["bases"]["market"]["total"]
    assert total["p2_5"] < nominal < total["p97_5"]
    assert total["sd"] > 0
    stages = d["bases"]["market"]["by_stage"]
    assert sum(s["mean"] for s in stages.values()) == pytest.approx(total["mean"], rel=1e-9)
    assert d["sensitivity"]["market"][0]["share"] > 0
    assert 1 <= d["data_quality"]["product"]["dqr"] <= 5


def _rule(threshold):
    return Rule(id="T-1", scheme="test", title={"en": "t", "zh": "t"}, indicator="x", unit="t CO2e/t", test="max",
                clause="", source={}, certainty="confirmed", threshold=threshold)


def test_claim_exactly_at_its_threshold_is_near_even(potline_mc):
    values = potline_mc.samples["market"]
    threshold = float(np.median(values))  # the claim's value sits exactly on the threshold
    result = verdict_probability(_rule(threshold), Verdict(_rule(threshold), "pass", threshold, 0.0), values)
    n = values.size
    # a binomial proportion around 1/2: standard error 0.5 / sqrt(n); allow 4 of them
    assert abs(result["probability"] - 0.5) < 4 * 0.5 / math.sqrt(n)
    # and a symmetric normal read at its mean, end to end through the probability
    z = Draws(1).batch(["x"], 40_000)[:, 0] + 4.0
    result = verdict_probability(_rule(4.0), Verdict(_rule(4.0), "pass", 4.0, 0.0), z)
    assert abs(result["p_pass"] - 0.5) < 4 * 0.5 / math.sqrt(z.size)


def test_verdicts_sampled_or_say_why(potline_mc):
    rows = potline_mc.to_dict()["verdicts"]
    assert rows
    for row in rows:
        assert row["sampled"] or row["reason"]
        if row["sampled"]:
            assert 0 <= row["probability"] <= 1


def test_common_random_numbers_narrow_the_difference(engine):
    # Same ac_kwh_per_t on two different grids: location and market bases share the kWh draw.
    decl = potline_declaration(13500, 100000, "south")
    result = declaration_footprint(engine, decl)
    crn = monte_carlo(engine, result, 1000, seed=1, schemes=["cfp"])
    other = monte_carlo(engine, result, 1000, seed=2, schemes=["cfp"])
    shared = np.std(crn.samples["market"] - crn.samples["location"])
    independent = np.std(other.samples["market"] - crn.samples["location"])
    assert shared < independent / 2


def test_two_declarations_share_draws_so_a_retrofit_difference_is_narrow(engine, potline_mc):
    from greenal.uncertainty import difference

    after = declaration_footprint(engine, potline_declaration(13000, 100000, "south"))  # retrofit: -500 kWh/t
    same_seed = monte_carlo(engine, after, 2000, seed=5, schemes=["cfp"])
    other_seed = monte_carlo(engine, after, 2000, seed=9, schemes=["cfp"])
    crn = difference(same_seed, potline_mc)
    independent = np.std(other_seed.samples["market"] - potline_mc.samples["market"])
    assert crn["mean"] < 0 and crn["sd"] < independent / 2


def test_report_shows_monte_carlo_only_when_run(engine, data_dir, tmp_path):
    import json

    import openpyxl

    from greenal import api
    from greenal.report.render import write_reports

    result = api.declaration_footprint("examples/guangxi-smelter.yaml", data_dir)
    mc = monte_carlo(engine, result, 200, seed=1)
    with_mc = write_reports(result, engine, ["html", "xlsx", "pact"], "en", tmp_path / "mc", mc=mc)
    without = write_reports(result, engine, ["html", "pact"], "zh", tmp_path / "plain")
    html = next(p for p in with_mc if p.name.endswith("report.html")).read_text()
    assert 'id="monte-carlo"' in html and "stroke-dasharray" in html  # histogram with a threshold line
    assert 'id="monte-carlo"' not in next(p for p in without if p.name.endswith("report.html")).read_text()
    book = openpyxl.load_workbook(next(p for p in with_mc if p.suffix == ".xlsx"))
    assert {"monte carlo", "verdict probabilities", "sensitivity", "data quality"} <= set(book.sheetnames)
    for path in (with_mc, without):
        dqi = json.loads(next(p for p in path if p.name.endswith(".pact.json")).read_text())["pcf"]["dqi"]
        assert all(1 <= float(dqi[k]) <= 5 for k in ("technologicalDQR", "geographicalDQR", "temporalDQR"))


def test_data_quality_section_sets_the_scores(engine):
    decl = potline_declaration(13500, 100000, "south",
                               data_quality={"electrolysis.ac_kwh_per_t": "measured",
                                             "electrolysis": {"reliability": 3, "completeness": 3, "temporal": 2,
                                                              "geographical": 1, "technological": 1}})
    result = declaration_footprint(engine, decl)
    mc = monte_carlo(engine, result, 10, seed=0, schemes=["cfp"])
    lines = {line["input"]: line for line in mc.data_quality["lines"]}
    assert lines["site:electrolysis.ac_kwh_per_t"]["dqr"] == 1.0
    assert lines["site:electrolysis.ac_kwh_per_t"]["sigma_ln"] == pytest.approx(math.log(1.05) / 2)


@pytest.mark.parametrize("bad", [{"electrolysis.ac_kwh_per_t": "guessed"}, {"casting": "measured"},
                                 {"electrolysis": {"reliability": 6}}])
def test_bad_data_quality_refused(engine, bad):
    from greenal.errors import InputError

    decl = potline_declaration(13500, 100000, "south", data_quality=bad)
    with pytest.raises(InputError):
        quality.declared_quality(decl)


@pytest.mark.parametrize("value", ["0", "-5", "ten", "100001", "2.5"])
def test_bad_mc_values_exit_2_with_one_line(value, monkeypatch, capsys, data_dir):
    from greenal import cli

    monkeypatch.setattr(sys, "argv", ["greenal", "--data-dir", str(data_dir), "footprint",
                                      "examples/guangxi-smelter.yaml", "--mc", value])
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--mc" in err and value in err and "100,000" in err
