"""A product's footprint as a PACT v3.0 ProductFootprint (market-based PCF per 1,000 kg), with the
shipments that reference it and each input's basis in greenal's data-model extension."""
from __future__ import annotations

import datetime as dt
import uuid

from greenal.report.pact import EXTENSION_SCHEMA, PROVINCES, SPEC_VERSION
from greenal.supply.products import ProductResult


def _decimal(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def _instant(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def product_pact(result: ProductResult, gwp: str, created: dt.datetime | None = None,
                 shipments: tuple[str, ...] = ()) -> dict:
    """kg CO2e per declared unit of 1,000 kg; the reference period ends at the start of the day
    after the period (PACT v3: referencePeriodEnd is exclusive)."""
    spec, market, location = result.spec, result.market, result.location
    summary = result.summary(gwp)
    total = market.total_co2e_kg(gwp)
    origin = market.origin_co2e_kg(gwp)
    province = str(spec.producer.get("province", "")).lower()
    country = str(spec.producer.get("country", "CN")).upper()
    geography = ({"geographyCountrySubdivision": PROVINCES[province]} if country == "CN" and province in PROVINCES
                 else {"geographyCountry": country})
    uscc = spec.producer.get("uscc")
    company = f"urn:pact:company:cn:uscc:{uscc}" if uscc else f"urn:pact:company:greenal:{spec.id}"
    created = created or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    key = f"greenal:product:{spec.producer.get('name')}:{spec.id}:{spec.period_start}:{gwp}:{total:.6f}"
    supplier_inputs = [i for i in result.inputs if i.get("basis") == "supplier-specific"]
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        "specVersion": SPEC_VERSION,
        "created": created.isoformat().replace("+00:00", "Z"),
        "status": "Active",
        "companyName": str(spec.producer["name"]),
        "companyIds": [company],
        "productDescription": spec.name,
        "productIds": [f"urn:pact:product:greenal:{uscc or 'producer'}:{spec.id}"],
        "productClassifications": [f"urn:pact:productclassification:cn:{spec.cn_code}"],
        "productNameCompany": spec.name,
        "comment": ("Computed by greenal from a product file; market-based electricity per the GHG Protocol Scope 2 "
                    "Guidance; supplier footprints enter as supplier-specific CO2e. "
                    + " ".join(result.notes)).strip(),
        "pcf": {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1000",
            "productMassPerDeclaredUnit": "1000",
            "referencePeriodStart": _instant(spec.period_start),
            "referencePeriodEnd": _instant(spec.period_end + dt.timedelta(days=1)),
            **geography,
            "boundaryProcessesDescription": "Cradle to gate: " + ", ".join(summary["by_stage_kg_co2e_per_t"]) + ".",
            "pcfExcludingBiogenicUptake": _decimal(total),
            "pcfIncludingBiogenicUptake": _decimal(total),
            "fossilGhgEmissions": _decimal(origin["fossil"]),
            "biogenicNonCO2Emissions": _decimal(0.0),
            "fossilCarbonContent": "0",
            "biogenicCarbonContent": "0",
            "ipccCharacterizationFactors": [gwp.upper()],
            "crossSectoralStandards": ["ISO14067", "GHGP-Product", "PACT-3.0"],
            "exemptedEmissionsPercent": "0",
            "allocationRulesDescription": summary["recycled_content_rule"],
            "primaryDataShare": _decimal(summary["supplier_specific_share_pct"], 1),
        },
        "extensions": [{
            "specVersion": "1.0.0",
            "dataSchema": EXTENSION_SCHEMA,
            "data": {
                "locationBasedPcf": _decimal(location.total_co2e_kg(gwp)),
                "byStageKgCO2e": {k: _decimal(v) for k, v in summary["by_stage_kg_co2e_per_t"].items()},
                "recycledContentPercent": {k: v for k, v in summary["recycled_content_pct"].items()},
                "supplierSpecificInputs": [{"input": i["input"], "supplier": i.get("supplier"),
                                            "evidence": i.get("evidence")} for i in supplier_inputs],
                "defaultInputs": [i["input"] for i in result.inputs if i.get("basis") == "default"],
                "shipments": list(shipments),
            },
        }],
    }
