"""A declaration file made ready for the registry: its bytes, hash, results, verdicts and claimed
serial ranges, computed through greenal's public API before any transaction opens."""
from __future__ import annotations

import contextlib
import datetime as dt
import math
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from greenal.errors import InputError
from greenal.registry import review as checks
from greenal.registry.canonical import sha256_hex
from greenal.registry.serials import parse_range

MAX_INPUT_BYTES = 5_000_000  # as the declaration readers (greenal.declaration.yaml_io.MAX_BYTES)


def toolkit_version() -> str:
    try:
        return version("greenal")
    except PackageNotFoundError:
        return "0+checkout"



@dataclass
class Submission:
    """Everything a submit writes, computed before the transaction (plain data, picklable)."""
    file_name: str
    content: bytes
    sha256: str
    declarant: dict
    product: str
    period: dict
    output_t: float
    claims: list[dict]
    results: dict
    verdicts: list[dict]
    gwp: str
    data_version: str
    toolkit_version: str
    evidence: dict = field(default_factory=dict)


def read_input(path, what: str = "declaration") -> bytes:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file", str(path), f"an existing {what} file")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(str(path), "file", f"{size} bytes", f"a {what} under {MAX_INPUT_BYTES} bytes")
    return path.read_bytes()


def _finite(value, where="results"):
    """JSON-safe copy; a non-finite number cannot be signed as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, where) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


RESULT_KEYS = ("gwp", "gwp_name", "total_t_co2e", "by_stage_t_co2e", "by_scope_t_co2e", "by_gas_t_co2e",
               "by_source_t_co2e", "by_origin_t_co2e", "primary_data_share")
ELECTRICITY_KEYS = ("site_kwh_per_t", "consumption_mwh", "grid_mwh", "null_power_mwh", "certified_mwh",
                    "scope2_official_t_per_t")


@contextlib.contextmanager
def as_file(content: bytes, file_name: str):
    """The bytes as a file of the same name for the readers; errors name the original file."""
    with tempfile.TemporaryDirectory(prefix="greenal-registry-") as tmp:
        path = Path(tmp) / Path(file_name).name
        path.write_bytes(content)
        try:
            yield path
        except InputError as error:
            if error.file == str(path):
                error.file = file_name
                error.args = (str(error),)
            raise


def compute(content: bytes, file_name: str, data_dir=None, gwp: str = "ar6"):
    """(declaration, results, verdicts) of a declaration file's bytes, through the public API."""
    from greenal import api
    from greenal.report.summary import declaration_document
    from greenal.standards.engine import assess

    with as_file(content, file_name) as path:
        declaration = api.read_declaration(path)
        result = api.declaration_footprint(path, data_dir)
        verdicts = [v.to_dict() for v in assess(result, None, gwp)]
        document = declaration_document(result, gwp)
    results = {basis: {k: document[basis][k] for k in RESULT_KEYS if k in document[basis]}
               for basis in ("location_based", "market_based")}
    results["electricity"] = {k: document["electricity"][k] for k in ELECTRICITY_KEYS}
    results = _finite(results)
    data_version = document["location_based"].get("data_version", "")
    return declaration, results, _finite(verdicts), data_version


def prepare(path, data_dir=None, gwp: str = "ar6", evidence: dict | None = None) -> Submission:
    content = read_input(path)
    name = Path(path).name
    declaration, results, verdicts, data_version = compute(content, str(path), data_dir, gwp)
    claimed = checks.claimed_fields(declaration.stages, [s.id for s in declaration.supplies],
                                    [c.id for c in declaration.certificates])
    for key in evidence or {}:
        if key not in claimed:
            raise InputError("command line", "--evidence", key,
                             f"a number the declaration claims: {', '.join(claimed)}")
    claims = []
    for i, c in enumerate(declaration.certificates):
        row = parse_range(c.scheme, c.serial_from, c.serial_to, str(path),
                          declaration.locate("electricity", "certificates", i))
        claims.append({**row, "mwh": c.mwh, "vintage": c.vintage, "technology": c.technology, "region": c.region,
                       "id": c.id})
    return Submission(name, content, sha256_hex(content),
                      {"name": declaration.declarant["name"], "uscc": declaration.declarant["uscc"]},
                      declaration.product["kind"],
                      {"start": declaration.period["start"].isoformat(), "end": declaration.period["end"].isoformat()},
                      declaration.output_t, claims, results, verdicts, gwp, data_version, toolkit_version(),
                      dict(evidence or {}))


def parse_bytes(content: bytes, file_name: str):
    """The Declaration object of stored bytes."""
    from greenal import api

    with as_file(content, file_name) as path:
        return api.read_declaration(path)
