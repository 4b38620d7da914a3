"""NDRC 标杆/基准 and the MIIT plan's conditions for new or replacement capacity."""
from __future__ import annotations

from greenal.standards.engine import Missing, NotApplicable
from greenal.standards.measures import ac_kwh


def _new_capacity(ctx):
    flag = ctx.decl.product.get("new_capacity")
    if flag is None:
        return Missing("product.new_capacity")
    return flag


def new_capacity_ac(ctx):
    flag = _new_capacity(ctx)
    if flag is not True:
        return flag if isinstance(flag, Missing) else NotApplicable("na_existing_capacity")
    return ac_kwh(ctx)


def new_capacity_grade_a(ctx):
    flag = _new_capacity(ctx)
    if flag is not True:
        return flag if isinstance(flag, Missing) else NotApplicable("na_existing_capacity")
    grade = ctx.decl.product.get("environmental_grade")
    return Missing("product.environmental_grade") if grade is None else float(grade == "A")


def cell_current(ctx):
    value = ctx.stage("electrolysis").get("cell_current_ka")
    return Missing("electrolysis.cell_current_ka") if value is None else value


INDICATORS = {"liquid_ac_kwh_per_t": ac_kwh, "new_capacity_liquid_ac_kwh_per_t": new_capacity_ac,
              "new_capacity_grade_a": new_capacity_grade_a, "cell_current_ka": cell_current}
