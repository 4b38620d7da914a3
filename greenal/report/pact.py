"""PACT Technical Specifications v3.0 ProductFootprint for one declaration (market-based PCF;
location-based and aluminium specifics in a data-model extension)."""
from __future__ import annotations

import uuid

# ISO 3166-2:CN subdivision codes (letter codes since ISO 3166-2 newsletter II-3, 2017).
PROVINCES = {
    "beijing": "CN-BJ", "tianjin": "CN-TJ", "hebei": "CN-HE", "shanxi": "CN-SX", "inner-mongolia": "CN-NM",
    "neimenggu": "CN-NM", "liaoning": "CN-LN", "jilin": "CN-JL", "heilongjiang": "CN-HL", "shanghai": "CN-SH",
    "jiangsu": "CN-JS", "zhejiang": "CN-ZJ", "anhui": "CN-AH", "fujian": "CN-FJ", "jiangxi": "CN-JX",
    "shandong": "CN-SD", "henan": "CN-HA", "hubei": "CN-HB", "hunan": "CN-HN", "guangdong": "CN-GD",
    "guangxi": "CN-GX", "hainan": "CN-HI", "chongqing": "CN-CQ", "sichuan": "CN-SC", "guizhou": "CN-GZ",
    "yunnan": "CN-YN", "tibet": "CN-XZ", "xizang": "CN-XZ", "shaanxi": "CN-SN", "gansu": "CN-GS",
    "qinghai": "CN-QH", "ningxia": "CN-NX", "xinjiang": "CN-XJ",
}
# Combined Nomenclature headings: 7601 unwrought aluminium; 2818 aluminium oxide (not a CBAM good).
CN_CODES = {"primary-liquid": "7601", "primary-ingot": "7601", "recycled-ingot": "7601", "alumina": "2818"}
SPEC_VERSION = "3.0.0"
# fields documented in README (PACT data-model extension)
EXTENSION_SCHEMA = "urn:greenal:pact-extension:aluminium:1.0.0"
PRODUCT_TEXT = {"primary-liquid": "Primary aluminium, liquid metal at the potline",
                "primary-ingot": "Primary aluminium ingot for remelting (重熔用铝锭)",
                "alumina": "Smelter-grade alumina", "recycled-ingot": "Recycled aluminium ingot"}
REQUIRED = ("id", "specVersion", "created", "status", "companyName", "companyIds", "productDescription",
            "productIds", "productNameCompany", "pcf")
REQUIRED_PCF = ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
                "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
                "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
                "ipccCharacterizationFactors", "crossSectoralStandards", "exemptedEmissionsPercent")


def _decimal(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def product_footprint(report: dict) -> dict:
    """kg CO2e per declared unit of 1,000 kg (1 t, the GB/T 44905-2024 declared unit)."""
    market, location = report["market_based"], report["location_based"]
    kg = 1000.0  # t -> kg CO2e per t
    province = report["declarant_record"].get("province", "").lower()
    geography = ({"geographyCountrySubdivision": PROVINCES[province]} if province in PROVINCES
                 else {"geographyCountry": "CN"})
    inputs = report["inputs"]
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"greenal:{report['input_hash']}:{report['gwp']}")),
        "specVersion": SPEC_VERSION,
        "created": report["created"],
        "status": "Active",
        "companyName": report["declarant"],
        "companyIds": [f"urn:pact:company:cn:uscc:{report['uscc']}"],
        "productDescription": PRODUCT_TEXT[report["product"]],
        "productIds": [f"urn:pact:product:greenal:{report['uscc']}:{report['product']}"],
        "productClassifications": [f"urn:pact:productclassification:cn:{CN_CODES[report['product']]}"],
        "productNameCompany": PRODUCT_TEXT[report["product"]],
        "comment": (f"Computed by greenal {report['toolkit_version']} (data {report['data_version']}) from the "
                    f"declaration with SHA-256 {report['input_hash']}; market-based electricity per the GHG "
                    "Protocol Scope 2 Guidance, life-cycle electricity factors per GB/T 24067-2024."),
        "pcf": {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1000",
            "productMassPerDeclaredUnit": "1000",
            "referencePeriodStart": f"{report['period']['start']}T00:00:00Z",
            "referencePeriodEnd": f"{report['period']['end']}T00:00:00Z",
            **geography,
            "boundaryProcessesDescription": "Cradle to gate: " + ", ".join(report["stages"]) +
                                            "; with ancillary materials, energy and transport.",
            "pcfExcludingBiogenicUptake": _decimal(market["total_t_co2e"] * kg),
            "pcfIncludingBiogenicUptake": _decimal(market["total_t_co2e"] * kg),
            "fossilGhgEmissions": _decimal(market["by_origin_t_co2e"]["fossil"] * kg),
            "biogenicNonCO2Emissions": _decimal(0.0),
            "fossilCarbonContent": "0",
            "biogenicCarbonContent": "0",
            "ipccCharacterizationFactors": [report["gwp"].upper()],
            "crossSectoralStandards": ["ISO14067", "GHGP-Product", "PACT-3.0"],
            "productOrSectorSpecificRules": [{"operator": "Other", "otherOperatorName": "SAC (China)",
                                              "ruleNames": ["GB/T 24067-2024", "GB/T 44905-2024"]}],
            "exemptedEmissionsPercent": _decimal(float(inputs["product"].get("cutoff_total_pct", 0.0))),
            "allocationRulesDescription": "Allocation avoided; post- and pre-consumer scrap burden-free "
                                          "(cut-off), process scrap carries the primary footprint.",
            "primaryDataShare": _decimal(100 * market["primary_data_share"], 1),
            **_dqi(report),
        },
        "extensions": [{
            "specVersion": "1.0.0",
            "dataSchema": EXTENSION_SCHEMA,
            "data": {
                "locationBasedPcf": _decimal(location["total_t_co2e"] * kg),
                "byStageKgCO2e": {k: _decimal(v * kg) for k, v in market["by_stage_t_co2e"].items()},
                "byGasKgCO2e": {k: _decimal(v * kg) for k, v in market["by_gas_t_co2e"].items()},
                "byScopeKgCO2e": {k: _decimal(v * kg) for k, v in market.get("by_scope_t_co2e", {}).items()},
                "electricityKwhPerTonne": _decimal(report["electricity"]["site_kwh_per_t"], 1),
                "certificatesRetiredMwh": _decimal(report["electricity"]["certified_mwh"], 1),
                "certificateIds": report["electricity"]["certificates"],
                "anodeEffectMinutesPerCellDay": inputs.get("electrolysis", {}).get("anode_effect_min_per_cell_day"),
                "certificateNumber": report["certificate_number"],
            },
        }],
    }


def _dqi(report: dict) -> dict:
    """PACT v3 DataQualityIndicators (Methodology 4.2.3): the CO2e-weighted pedigree scores, 1..5."""
    product = (report.get("data_quality") or {}).get("product")
    if not product:
        return {}
    return {"dqi": {"technologicalDQR": _decimal(product["technological"], 1),
                    "geographicalDQR": _decimal(product["geographical"], 1),
                    "temporalDQR": _decimal(product["temporal"], 1)}}


def missing_fields(document: dict) -> list[str]:
    """greenal's own check of the fields PACT v3 requires (used where the OpenAPI file is absent)."""
    missing = [f for f in REQUIRED if f not in document]
    missing += [f"pcf.{f}" for f in REQUIRED_PCF if f not in document.get("pcf", {})]
    return missing
