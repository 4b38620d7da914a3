"""PACT v3 footprint filters (ListFootprints query parameters and RequestCreatedEvent data):
OR within a criterion, AND between criteria; id, geography, classification and status matches are
case-insensitive; validOn: start <= validOn <= end; validAfter: start > validAfter; validBefore:
end < validBefore (openapi.yaml, components.parameters and ListFootprints §Filtering)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from greenal.service.publish import instant

LISTS = {"productid": "productId", "companyid": "companyId", "geography": "geography",
         "classification": "classification", "status": "status"}
INSTANTS = {"validon": "validOn", "validafter": "validAfter", "validbefore": "validBefore"}


class FilterError(ValueError):
    """A filter the request cannot carry; the message names the parameter."""


@dataclass(frozen=True)
class Filters:
    sets: dict[str, frozenset[str]] = field(default_factory=dict)  # productId -> lower-cased values
    instants: dict[str, dt.datetime] = field(default_factory=dict)  # validOn -> instant

    def empty(self) -> bool:
        return not self.sets and not self.instants


def _instant(name: str, value) -> dt.datetime:
    if not isinstance(value, str) or "T" not in value.upper():
        raise FilterError(f"{name} must be an RFC 3339 date-time, got {str(value)[:80]!r}")
    try:
        return instant(value)
    except ValueError:
        raise FilterError(f"{name} must be an RFC 3339 date-time, got {value[:80]!r}") from None


def build(pairs) -> Filters:
    """Filters from (name, value) pairs; names are matched case-insensitively."""
    sets: dict[str, set[str]] = {}
    instants: dict[str, dt.datetime] = {}
    for name, value in pairs:
        key = name.lower()
        if key in LISTS:
            if not isinstance(value, str) or not value:
                raise FilterError(f"{LISTS[key]} values must be non-empty strings")
            sets.setdefault(LISTS[key], set()).add(value.lower())
        elif key in INSTANTS:
            if INSTANTS[key] in instants:
                raise FilterError(f"{INSTANTS[key]} may be given once")
            instants[INSTANTS[key]] = _instant(INSTANTS[key], value)
        else:
            raise FilterError(f"unknown filter {name[:80]!r}")
    return Filters({k: frozenset(v) for k, v in sets.items()}, instants)


def from_event(data: dict) -> Filters:
    """Filters of a RequestCreatedEvent's data (lists or single strings); `comment` is free text."""
    pairs = []
    for name, value in data.items():
        if name == "comment":
            continue
        for item in (value if isinstance(value, list) else [value]):
            pairs.append((name, item))
    return build(pairs)


def _lower(text: str) -> set[str]:
    return {str(v).lower() for v in json.loads(text)}


def matches(row, filters: Filters) -> bool:
    """`row`: a published_footprints row (status, product_ids, company_ids, geography,
    classifications, valid_from, valid_until)."""
    columns = {"productId": row.product_ids, "companyId": row.company_ids, "geography": row.geography,
               "classification": row.classifications}
    for name, wanted in filters.sets.items():
        have = {row.status.lower()} if name == "status" else _lower(columns[name])
        if not have & wanted:
            return False
    if not filters.instants:
        return True
    start, end = instant(row.valid_from), instant(row.valid_until)
    on, after, before = (filters.instants.get(k) for k in ("validOn", "validAfter", "validBefore"))
    if on is not None and not start <= on <= end:
        return False
    if after is not None and not start > after:
        return False
    if before is not None and not end < before:
        return False
    return True
