"""The declaration's fields, once: names, bilingual labels, units, types and plausible ranges.

The YAML template, the Excel questionnaire, both readers and the range checks are all driven
by this catalogue, so the two forms cannot drift apart. Plausible ranges are physical or
industry bounds (sources in `note`); a value outside them is refused with a unit-slip hint.
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1
PRODUCTS = ("primary-liquid", "primary-ingot", "alumina", "recycled-ingot")
FUELS = ("coal", "natural_gas", "heavy_fuel_oil", "diesel")
CELL_TECHNOLOGIES = ("CWPB", "SWPB", "VSS", "HSS")
SUPPLY_KINDS = ("grid", "captive-coal", "captive-gas", "hydro", "wind", "solar", "ppa", "direct-line")
TECHNOLOGIES = ("hydro", "wind-onshore", "wind-offshore", "solar-pv-utility", "solar-pv-rooftop", "nuclear",
                "geothermal", "biomass-dedicated", "gas-cc", "coal-pc")
SCHEMES = ("GEC", "green-power-trade", "I-REC", "GO")
RECYCLED_CONTENT_RULES = ("cut-off", "pre-consumer-primary")
# Data-quality flag of a declared line (issue 13): greenal's default pedigree scores per data source
# (methods/uncertainty/pedigree.yaml `defaults.by_source`), or the five scores themselves.
QUALITY_FLAGS = ("measured", "calculated", "default", "estimate")
PEDIGREE_INDICATORS = ("reliability", "completeness", "temporal", "geographical", "technological")
# A per-tonne amount may be declared as a period total: the total's unit and the factor from
# (total / output t) to the per-tonne unit, by the per-tonne unit's numerator.
TOTAL_UNITS = {"kWh": ("mwh", "MWh", 1000.0), "t": ("t", "t", 1.0), "kg": ("t", "t", 1000.0),
               "Nm3": ("nm3", "Nm3", 1.0)}


@dataclass(frozen=True)
class Field:
    key: str
    zh: str
    en: str
    unit: str = ""
    kind: str = "number"  # number | text | date | choice | bool | int | month (YYYY or YYYY-MM)
    choices: tuple = ()
    required: bool = False
    plausible: tuple[float, float] | None = None  # inclusive; outside is refused
    note: str = ""
    codes: str = ""  # the questionnaire's drop-down list of this field (templates/questionnaire.yaml)

    def total(self) -> tuple[str, str, float] | None:
        """(key, unit, factor) of the period total that may replace this per-tonne amount, e.g.
        ac_kwh_per_t -> ('ac_mwh_total', 'MWh', 1000): per tonne = total x factor / output t."""
        numerator, _, per = self.unit.partition("/")
        if self.kind != "number" or not per.startswith("t") or numerator not in TOTAL_UNITS:
            return None
        name, unit, factor = TOTAL_UNITS[numerator]
        suffix = f"_{numerator.lower()}_per_t"
        if not self.key.endswith(suffix):
            return None
        return f"{self.key[:-len(suffix)]}_{name}_total", unit, factor

    def header(self, lang: str) -> str:
        label = self.zh if lang == "zh" else self.en
        other = self.en if lang == "zh" else self.zh
        return f"{label} / {other}" + (f" [{self.unit}]" if self.unit else "")


@dataclass(frozen=True)
class Section:
    name: str
    zh: str
    en: str
    per: str  # what the amounts are per, shown on the sheet
    fields: tuple[Field, ...]
    table: bool = False  # a list of rows (supplies, certificates) rather than one record

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


def _fuel_fields(per: str) -> tuple[Field, ...]:
    return (
        Field("fuels.coal_t_per_t", "原煤消耗", "coal burned", f"t/{per}", plausible=(0, 2)),
        Field("fuels.natural_gas_nm3_per_t", "天然气消耗", "natural gas burned", f"Nm3/{per}", plausible=(0, 1000)),
        Field("fuels.heavy_fuel_oil_t_per_t", "燃料油消耗", "heavy fuel oil burned", f"t/{per}", plausible=(0, 0.5)),
        Field("fuels.diesel_t_per_t", "柴油消耗", "diesel burned", f"t/{per}", plausible=(0, 0.1)),
    )


# Supplier-specific footprints of bought alumina and anodes (greenal/supply/footprints.py): the
# supplier's PACT v3 ProductFootprint or greenal result file, or a declared number with evidence.
SUPPLIER_FIELDS = tuple(
    field for key, zh, en in (("alumina", "氧化铝", "alumina"), ("anode", "阳极", "anodes"))
    for field in (
        Field(f"{key}_supplier_file", f"{zh}供应商碳足迹文件", f"{en}: supplier footprint file", kind="text",
              note="the supplier's PACT v3 ProductFootprint JSON or greenal result JSON, relative to this declaration"),
        Field(f"{key}_supplier_kg_co2e_per_t", f"{zh}供应商碳足迹", f"{en}: supplier footprint", "kg CO2e/t",
              plausible=(0, 50_000), note="a declared supplier footprint; needs the evidence reference"),
        Field(f"{key}_supplier_evidence", f"{zh}供应商碳足迹证明", f"{en}: supplier footprint evidence", kind="text",
              note="verification statement, EPD or contract backing the declared footprint"),
    ))

SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("declarant", "申报单位", "Declarant", "", (
        Field("name", "单位名称", "name", kind="text", required=True),
        Field("uscc", "统一社会信用代码", "unified social credit code", kind="text", required=True,
              note="18 characters (GB 32100-2015)"),
        Field("site", "生产地址", "site", kind="text"),
        Field("province", "省份", "province", kind="text", required=True, codes="province",
              note="e.g. guangxi, yunnan, xinjiang; for a site outside China its region or state"),
        Field("country", "国家", "country", kind="text",
              note="ISO 3166 alpha-2 code of the site, default CN; outside China the country grid applies"),
        Field("coastal", "沿海企业", "coastal site", kind="bool",
              note="Guangxi 2022 decision §十三 red-mud targets differ"),
    )),
    Section("period", "报告期", "Reporting period", "", (
        Field("start", "起始日期", "start", kind="date", required=True),
        Field("end", "截止日期", "end", kind="date", required=True, note="GB/T 44905-2024: one calendar year"),
        Field("vintage_tolerance_months", "绿证年份容差", "certificate vintage tolerance", "months", kind="int",
              plausible=(0, 24), note="certificates must date from the period, ± this many months (default 0)"),
    )),
    Section("product", "申报产品", "Declared product", "", (
        Field("kind", "产品", "product", kind="choice", choices=PRODUCTS, required=True, codes="product"),
        Field("annual_output_t", "年产量", "annual output", "t", required=True, plausible=(1, 20_000_000)),
        Field("alumina_from", "氧化铝来源", "alumina supplied by", kind="text", codes="supplier-refining",
              note="'own' (fill the refining sheet) or a bundled refining process code"),
        Field("anode_from", "阳极来源", "anodes supplied by", kind="text", codes="supplier-anode",
              note="'own' (fill the anode sheet) or a bundled anode process code"),
        Field("smelter_start_year", "电解槽投产年份", "smelter start of production", "year", kind="int",
              plausible=(1950, 2100), note="ASI: smelters from 2020 meet < 8 t at once, earlier ones by 2030"),
        Field("new_capacity", "新建或置换产能", "new or replacement capacity", kind="bool",
              note="MIIT plan 2025-2027: capacity swaps need <= 13000 kWh/t and grade A"),
        Field("environmental_grade", "环保绩效等级", "environmental performance grade", kind="choice",
              choices=("A", "B", "C", "D"), codes="environmental_grade"),
        Field("recycled_content_rule", "再生料核算规则", "recycled-content rule", kind="choice",
              choices=RECYCLED_CONTENT_RULES, codes="recycled_content_rule",
              note="cut-off (default; ISO 14067 / GB/T 24067 recycled-content approach): bought scrap is "
                   "burden-free; pre-consumer-primary: pre-consumer scrap carries its primary origin's footprint"),
        Field("cutoff_max_item_pct", "单项取舍最大占比", "largest omitted item", "% of CFP", plausible=(0, 100),
              note="GB/T 44905-2024: each omitted item < 1 %"),
        Field("cutoff_total_pct", "取舍合计占比", "all omitted items", "% of CFP", plausible=(0, 100),
              note="GB/T 44905-2024: together <= 5 %"),
        *SUPPLIER_FIELDS,
    )),
    Section("refining", "氧化铝", "Alumina refinery", "t alumina", (
        Field("bauxite_t_per_t", "铝土矿消耗", "bauxite", "t/t alumina", plausible=(1.6, 4.5)),
        Field("caustic_soda_kg_per_t", "烧碱(折100%)", "caustic soda (100 %)", "kg/t alumina", plausible=(10, 400)),
        Field("lime_kg_per_t", "外购石灰", "lime (CaO) bought", "kg/t alumina", plausible=(0, 400),
              note="lime bought only; lime burned on site is declared as limestone calcined"),
        Field("electricity_kwh_per_t", "电耗", "electricity", "kWh/t alumina", plausible=(50, 800)),
        *_fuel_fields("t alumina"),
        Field("limestone_kg_per_t", "石灰石分解", "limestone calcined on site", "kg/t alumina",
              plausible=(0, 600), note="t of limestone as fed (2013 guideline factor per t limestone)"),
        Field("limestone_caco3_pct", "石灰石CaCO3含量", "limestone CaCO3 content", "%", plausible=(50, 100),
              note="if measured: CO2 = limestone x CaCO3 % x 0.440 (CETS-AG-04.01-2024 碳酸盐分解)"),
        Field("process_route", "生产工艺", "process route", kind="choice", choices=("bayer", "other"),
              codes="process_route",
              note="GB 21346-2022 Table 2: Bayer or other processes"),
        Field("process_energy_kgce_per_t", "工艺能耗", "process energy (工艺能耗)", "kgce/t alumina",
              plausible=(100, 1500), note="GB 21346-2022 §7, as reported by the site"),
        Field("red_mud_utilisation_pct", "赤泥综合利用率", "red mud utilised", "% of red mud generated",
              plausible=(0, 100)),
    )),
    Section("anode", "炭阳极", "Anode plant", "t baked anode", (
        Field("calcined_coke_t_per_t", "煅后石油焦", "calcined petroleum coke", "t/t anode", plausible=(0.4, 1.0)),
        Field("pitch_t_per_t", "煤沥青", "coal-tar pitch", "t/t anode", plausible=(0.08, 0.3)),
        Field("electricity_kwh_per_t", "电耗", "electricity", "kWh/t anode", plausible=(20, 600)),
        *_fuel_fields("t anode"),
    )),
    Section("electrolysis", "电解", "Potline (electrolysis)", "t liquid aluminium", (
        Field("alumina_t_per_t", "氧化铝单耗", "alumina", "t/t Al", plausible=(1.8895, 2.1),
              note="stoichiometric minimum 1.8895 t/t"),
        Field("net_anode_t_per_t", "吨铝炭阳极净耗", "net anode consumption NC", "t/t Al", plausible=(0.33, 0.65)),
        Field("anode_sulphur_pct", "阳极含硫量", "anode sulphur", "%", plausible=(0, 6)),
        Field("anode_ash_pct", "阳极灰分", "anode ash", "%", plausible=(0, 3)),
        Field("cell_technology", "槽型", "cell technology", kind="choice", choices=CELL_TECHNOLOGIES,
              codes="cell_technology"),
        Field("anode_effect_min_per_cell_day", "阳极效应持续时间", "anode-effect minutes", "min/cell-day",
              plausible=(0, 5), note="AEM = frequency x duration; typical 0.01-1"),
        Field("c2f6_ratio", "C2F6/CF4比", "C2F6/CF4 ratio", kind="choice", choices=("ipcc", "cn-ets"),
              codes="c2f6_ratio",
              note="ipcc: IPCC Table 4.16 by cell type; cn-ets: 0.1 (CETS-AG-04.01-2024)"),
        Field("cf4_kg_per_t", "实测CF4", "measured CF4", "kg/t Al", plausible=(0, 2)),
        Field("c2f6_kg_per_t", "实测C2F6", "measured C2F6", "kg/t Al", plausible=(0, 0.5)),
        Field("alf3_kg_per_t", "氟化铝", "aluminium fluoride", "kg/t Al", plausible=(3, 60)),
        Field("ac_kwh_per_t", "铝液交流电耗", "AC electricity, potlines", "kWh/t Al", plausible=(11_500, 17_500),
              note="GB 21346-2022 6.2.1"),
        Field("auxiliary_kwh_per_t", "辅助电耗", "auxiliary electricity", "kWh/t Al", plausible=(0, 1500),
              note="铝液综合交流电耗 = AC + auxiliary (GB 21346-2022 6.2.2)"),
        Field("cell_current_ka", "电解槽电流强度", "cell amperage", "kA", plausible=(50, 800)),
        *_fuel_fields("t Al"),
        Field("carbonates.CaCO3_kg_per_t", "石灰石(CaCO3)", "limestone (CaCO3)", "kg/t Al", plausible=(0, 200)),
        Field("carbonates.Na2CO3_kg_per_t", "纯碱(Na2CO3)", "soda ash (Na2CO3)", "kg/t Al", plausible=(0, 200)),
    )),
    Section("casting", "铸造", "Casthouse", "t ingot", (
        Field("liquid_aluminium_t_per_t", "铝液消耗", "liquid aluminium", "t/t ingot", plausible=(1.0, 1.1)),
        Field("electricity_kwh_per_t", "电耗", "electricity", "kWh/t ingot", plausible=(5, 400)),
        *_fuel_fields("t ingot"),
    )),
    Section("recycling", "再生铝", "Recycler", "t recycled ingot", (
        Field("scrap_post_consumer_t_per_t", "消费后废铝", "post-consumer scrap", "t/t ingot", plausible=(0, 1.5)),
        Field("scrap_pre_consumer_t_per_t", "消费前废铝", "pre-consumer scrap", "t/t ingot", plausible=(0, 1.5)),
        Field("scrap_process_t_per_t", "厂内返回料", "process (run-around) scrap", "t/t ingot", plausible=(0, 1.5)),
        Field("electricity_kwh_per_t", "电耗", "electricity", "kWh/t ingot", plausible=(20, 1500)),
        *_fuel_fields("t ingot"),
    )),
    Section("supplies", "电力来源", "Electricity supplies", "reporting period", table=True, fields=(
        Field("id", "编号", "id", kind="text", required=True),
        Field("kind", "类型", "kind", kind="choice", choices=SUPPLY_KINDS, required=True, codes="supply_kind"),
        Field("mwh", "电量", "electricity", "MWh", required=True, plausible=(0, 1e9)),
        Field("grid", "电网区域/省份", "grid area or province", kind="text", codes="grid",
              note="national, north, northeast, east, central, northwest, south, southwest or a province"),
        Field("factor_year", "排放因子年份", "factor year", kind="int", plausible=(2021, 2023)),
        Field("heat_rate_gce_per_kwh", "供电标准煤耗", "heat rate", "gce/kWh", plausible=(150, 500)),
        Field("technology", "发电技术", "technology", kind="choice", choices=TECHNOLOGIES, codes="technology"),
        Field("certificates_sold", "绿证已出售", "certificates sold", kind="bool"),
        Field("supplier_factor_kg_per_kwh", "供应商排放因子", "supplier-specific factor", "kg CO2e/kWh",
              plausible=(0, 1.5), note="a named plant's or contract's own factor (market-based); needs evidence"),
        Field("evidence", "证明材料", "evidence reference", kind="text",
              note="contract, certificate or verification statement backing a supplier-specific factor"),
        Field("cross_regional_contract", "跨区交易合同", "cross-regional contract", kind="text",
              note="reference of the contract when the grid is not the site's province or regional grid"),
    )),
    Section("certificates", "绿证/绿电", "Energy attribute certificates", "reporting period", table=True, fields=(
        Field("id", "编号", "id", kind="text", required=True),
        Field("scheme", "类型", "scheme", kind="choice", choices=SCHEMES, required=True, codes="scheme"),
        Field("serial_from", "起始序列号", "first serial", kind="text", required=True),
        Field("serial_to", "截止序列号", "last serial", kind="text"),
        Field("mwh", "电量", "electricity", "MWh", required=True, plausible=(0, 1e9)),
        Field("technology", "发电技术", "technology", kind="choice", choices=TECHNOLOGIES, required=True,
              codes="technology"),
        Field("vintage", "生产年月", "vintage", "YYYY or YYYY-MM", kind="month", required=True,
              plausible=(2015, 2100), note="month of generation; a bare year must lie wholly within the period"),
        Field("region", "发电地区", "region", kind="text", required=True, codes="region",
              note="CN or CN-XX; a country code elsewhere"),
        Field("supply", "对应电源", "retired against supply", kind="text",
              note="id of the PPA or direct line the certificates came with (绿电交易); blank: grid power"),
    )),
    Section("signoff", "签署", "Sign-off", "", (
        Field("filled_by", "填表人", "filled by", kind="text", note="name and position of who filled in the data"),
        Field("checked_by", "审核人", "checked by", kind="text",
              note="name and position of who checked the data against the plant's records"),
        Field("date", "日期", "date", kind="date", note="date of the check"),
    )),
)}

STAGE_SECTIONS = ("refining", "anode", "electrolysis", "casting", "recycling")
RECORD_SECTIONS = ("declarant", "period", "product") + STAGE_SECTIONS
SIGNOFF = "signoff"


def stage_output_field(stage: str) -> Field:
    """The stage's output in the period, which period totals on its sheet are divided by."""
    section = SECTIONS[stage]
    return Field("output_t", "报告期产量", "output in the period", "t",
                 plausible=(1, 20_000_000),
                 note=f"t of {section.per} made in the period; needed when amounts are given as period totals "
                      "(defaults to the product's annual output on the sheet of the declared product)")


def total_field(f: Field) -> Field | None:
    """The period-total twin of a per-tonne field (None if it has none)."""
    total = f.total()
    if total is None:
        return None
    key, unit, _ = total
    return Field(key, f"{f.zh}（报告期合计）", f"{f.en}, period total", unit, plausible=(0, 1e12),
                 note=f"instead of {f.key}: the total of the period, divided by the stage's output in the period")


# The stage whose output is the declared product: its period totals default to the product's output.
PRODUCT_STAGE = {"primary-liquid": "electrolysis", "primary-ingot": "casting", "alumina": "refining",
                 "recycled-ingot": "recycling"}
