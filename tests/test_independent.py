"""greenal's footprints against an independent calculation: the full technosphere and biosphere
matrices built here straight from the YAML files, solved with scipy, characterised with numpy."""
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import yaml

ROOT = Path(__file__).resolve().parents[1]
ARITHMETIC = re.compile(r"^[0-9eE.+\-*/() ]+$")


def number(exchange: dict) -> float:
    if "amount" in exchange:
        return float(exchange["amount"])
    text = str(exchange["formula"])
    assert ARITHMETIC.match(text), text
    return float(eval(text, {"__builtins__": {}}))  # literals and operators only (checked above)


def fill(template, row):
    if isinstance(template, str):
        return template.format(**row)
    if isinstance(template, dict):
        return {k: fill(v, row) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, row) for v in template]
    return template


def read_processes() -> dict:
    processes = {}
    for path in sorted((ROOT / "inventories").glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "table" in data:  # a table: one process per row and template
            templates = data["table"].get("templates") or [data["table"]["template"]]
            records = [fill(t, r) for r in data["table"]["rows"] for t in templates]
        else:
            records = [data]
        for record in records:
            processes[record["code"]] = record
    return processes


PROCESSES = read_processes()
FLOWS = list(yaml.safe_load((ROOT / "inventories" / "biosphere.yaml").read_text(encoding="utf-8")))
ROUTES = yaml.safe_load((ROOT / "inventories" / "routes.yaml").read_text(encoding="utf-8"))
METHODS = {m["code"]: m for m in (yaml.safe_load(p.read_text(encoding="utf-8"))
                                  for p in (ROOT / "methods").glob("*.yaml"))}


def supplier(route: dict, consumer: dict, target: str) -> str:
    """routes.yaml: a substitution applies to stage processes, optionally only those listed in 'in'."""
    if "stage" not in consumer:
        return target
    for s in route.get("substitutions") or []:
        if s["replace"] == target and consumer["code"] in s.get("in", [consumer["code"]]):
            return s["with"]
    return target


def independent_inventory(route_code: str) -> np.ndarray:
    route = ROUTES[route_code]
    codes = list(PROCESSES)
    col = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    A = sp.lil_matrix((n, n))
    B = sp.lil_matrix((len(FLOWS), n))
    for c, p in PROCESSES.items():
        A[col[c], col[c]] += 1.0
        for e in p["exchanges"]:
            if "input" in e:
                A[col[supplier(route, p, e["input"])], col[c]] -= number(e)
            else:
                B[FLOWS.index(e["flow"]), col[c]] += number(e)
    demand = np.zeros(n)
    demand[col[route["product"]]] = 1.0
    supply = spla.spsolve(A.tocsc(), demand)
    return B.tocsr() @ supply


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("gwp", ["sar", "ar4", "ar5", "ar6"])
def test_route_matches_independent_calculation(engine, route, gwp):
    expected_kg = independent_inventory(route)
    footprint = engine.route_footprint(route)
    got_kg = footprint.flow_kg()
    for i, flow in enumerate(FLOWS):
        assert got_kg[flow] == pytest.approx(expected_kg[i], rel=1e-9, abs=1e-12), flow
    cf = np.array([METHODS[gwp]["factors"][f]["cf"] for f in FLOWS], dtype=float)
    expected_total = float(cf @ expected_kg)
    assert footprint.total_co2e_kg(gwp) == pytest.approx(expected_total, rel=1e-9)
    # the stage breakdown adds up to the total
    assert sum(footprint.stage_co2e_kg(gwp).values()) == pytest.approx(expected_total, rel=1e-12)
    assert sum(footprint.gas_co2e_kg(gwp).values()) == pytest.approx(expected_total, rel=1e-12)
