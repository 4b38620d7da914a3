"""Plain outputs of footprint results: JSON per result and one HTML summary page."""
from __future__ import annotations

import json
from pathlib import Path

import jinja2

from greenal.inventory import in_stage_order
from greenal.lca.engine import Footprint
from greenal.paths import bundled


def result_json(footprint: Footprint, gwp: str) -> str:
    data = footprint.to_dict(gwp)
    data["total_t_co2e_by_gwp"] = {m: footprint.total_co2e_kg(m) / 1000 for m in footprint.inventory.methods}
    return json.dumps(data, indent=2, ensure_ascii=False)


def summary_html(results: dict[str, Footprint], gwp: str) -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(bundled("templates")),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    rows = [(code, fp.to_dict(gwp)) for code, fp in results.items()]
    scale = max([d["total_t_co2e"] for _, d in rows] + [1e-9])
    stages = in_stage_order({s for _, d in rows for s in d["by_stage_t_co2e"]})
    gases = sorted({g for _, d in rows for g in d["by_gas_t_co2e"]})
    return environment.get_template("summary.html.j2").render(rows=rows, scale=scale, stages=stages, gases=gases,
                                                               gwp=gwp, results=results)


def write_outputs(out_dir: Path, results: dict[str, Footprint], gwp: str) -> list[Path]:
    """<route>.json per result and summary.html, all or none (staged, then moved into place);
    returns the paths written."""
    from greenal.report.staging import move_into_place, temp_dir, writable_folder

    out_dir = writable_folder(Path(out_dir))
    with temp_dir(out_dir, "footprint") as stage:
        names = []
        for code, fp in results.items():
            (stage / f"{code}.json").write_text(result_json(fp, gwp), encoding="utf-8")
            names.append(f"{code}.json")
        (stage / "summary.html").write_text(summary_html(results, gwp), encoding="utf-8")
        names.append("summary.html")
        move_into_place(stage, names, out_dir)
    return [out_dir / name for name in names]


def declaration_document(result, gwp: str) -> dict:
    """One declaration's result: both bases, electricity accounting, declarant and period."""
    decl = result.declaration
    return {
        "declarant": decl.declarant["name"], "uscc": decl.declarant["uscc"], "product": decl.product["kind"],
        "declared_unit": "1 t", "period": {k: str(v) for k, v in decl.period.items()},
        "annual_output_t": decl.output_t, "source_file": decl.file,
        "location_based": result.location.to_dict(gwp), "market_based": result.market.to_dict(gwp),
        "electricity": {
            "site_kwh_per_t": sum(result.site_kwh_per_t.values()), "site_kwh_per_t_by_stage": result.site_kwh_per_t,
            "consumption_mwh": result.electricity.consumption_mwh, "grid_mwh": result.electricity.grid_mwh,
            "null_power_mwh": result.electricity.null_mwh, "certified_mwh": result.electricity.certified_mwh,
            "certificates": [c.id for c in decl.certificates],
            "scope2_official_t_per_t": result.scope2_official_t_per_t(),
            "official_factors": list(result.electricity.factors),
            "default_supply": result.electricity.default_supply,
            "residual_basis": residual_basis(result),
            "supply_factors": supply_factors(result, gwp),
        },
        "recycled_content_rule": result.recycled_content_rule,
        "notes": list(result.notes),
        "signoff": {k: str(v) for k, v in getattr(decl, "signoff", {}).items()},  # filled by, checked by, date
    }


def supply_factors(result, gwp: str) -> list[dict]:
    """Each supply with its MWh and its factor on every basis, and how each was chosen."""
    life_cycle = result.supply_life_cycle_kg_per_kwh(gwp)
    rows = []
    for s in result.electricity.supplies:
        rows.append({"id": s.id, "kind": s.kind, "technology": s.supply.technology or "", "mwh": s.mwh,
                     "certified_mwh": s.certified_mwh, "green": s.green, "supplier_specific": s.supplier_specific,
                     "evidence": s.supply.evidence or "",
                     "life_cycle_location_kg_per_kwh": life_cycle[s.id]["location"],
                     "life_cycle_market_kg_per_kwh": life_cycle[s.id]["market"],
                     **{f"{basis.replace('-', '_')}_kg_per_kwh": s.official_kg_per_kwh[basis]
                        for basis in ("scope2-location", "scope2-market", "cbam")},
                     "basis_notes": {k: v for k, v in s.basis_notes.items() if k != "codes"}})
    return rows


def residual_basis(result) -> str:
    """The residual factor uncovered power takes market-based (MEE/NBS national excluding
    market-traded non-fossil power), named with its year and value."""
    years = sorted({s.residual_year for s in result.electricity.supplies if s.residual_year is not None})
    inventory = result.location.inventory
    return "; ".join(f"MEE/NBS national excluding market-traded non-fossil {y}: "
                     f"{inventory.processes[f'electricity-cn-mee-residual-{y}'].exchanges[0].amount:g} kg CO2/kWh"
                     for y in years)
