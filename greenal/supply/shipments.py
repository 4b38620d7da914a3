"""Per-shipment answers: one row per shipment (id, customer, product, CN code, mass, delivery date,
optional claimed low-carbon / 绿电铝 tonnes) in, per-shipment footprints, a PACT ProductFootprint
per product with the shipments that reference it, a CBAM-style summary per CN code and
installation, and the claims ledger out. Every row is checked before anything is written."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from greenal.errors import InputError
from greenal.lca.engine import Engine
from greenal.supply.ledger import Ledger
from greenal.supply.pact import product_pact
from greenal.supply.products import ProductResult, ProductSpec, product_footprint, read_product

COLUMNS = ("shipment_id", "customer", "product", "cn_code", "mass_t", "delivery_date")
OPTIONAL = ("claimed_low_carbon_t",)
MAX_BYTES = 500_000_000


@dataclass(frozen=True)
class Shipment:
    id: str
    customer: str
    product: str
    cn_code: str
    mass_t: float
    delivered: dt.date
    claimed_low_carbon_t: float
    row: int


def _rows(path: Path):
    """(row label maker, header, iterator of raw rows) for a csv or xlsx file, streamed."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None) or []

        def stream():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                next(reader, None)
                for i, r in enumerate(reader):
                    yield i + 2, r
        return (lambda n, col: f"row {n}, column {col}"), header, stream()
    if suffix == ".xlsx":
        from openpyxl import load_workbook
        from openpyxl.utils import get_column_letter

        book = load_workbook(path, read_only=True, data_only=False)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        index = {h.lower(): i for i, h in enumerate(header)}

        def where(n, col):
            i = index.get(col)
            cell = f"{get_column_letter(i + 1)}{n}" if i is not None else "?"
            return f"sheet '{sheet.title}' row {n}, column {col} (cell {cell})"
        return where, header, ((i + 2, list(r)) for i, r in enumerate(rows))
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError(str(path), "file", suffix,
                             ".csv or .xlsx (reading .parquet needs pyarrow, not installed)") from None
        table = pq.read_table(path)
        header = table.column_names
        return (lambda n, col: f"row {n}, column {col}"), header, (
            (i + 2, [r[c] for c in header]) for i, r in enumerate(table.to_pylist()))
    raise InputError(str(path), "file name", suffix or "(no extension)", ".csv, .xlsx or .parquet")


def _bad_line(path: Path) -> str:
    """The first line of a text file that is not UTF-8."""
    with path.open("rb") as handle:
        for n, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return f"row {n}"
    return "file"


def _guarded(rows, path: Path):
    """The raw rows, a decoding error mid-file named by its row."""
    try:
        yield from rows
    except UnicodeDecodeError as exc:
        raise InputError(str(path), _bad_line(path), str(exc)[:80], "UTF-8 comma-separated text") from None
    except csv.Error as exc:
        raise InputError(str(path), "file", str(exc)[:80], "comma-separated text") from None


def _float(value, file, where, what):
    if isinstance(value, bool):
        raise InputError(file, where, value, what)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(file, where, value, what) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(file, where, value, what)
    return number


def _day(value, file, where):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(file, where, value, "a delivery date as YYYY-MM-DD") from None


def _cn_ok(code: str) -> bool:
    """Aluminium and articles thereof (CN chapter 76) or aluminium oxide (2818)."""
    digits = code.replace(" ", "")
    return digits.isdigit() and len(digits) >= 4 and (digits.startswith("76") or digits.startswith("2818"))


def read_shipments(path: str | os.PathLike, products: dict[str, ProductSpec], progress=None):
    """Check and yield shipments one by one; the first bad row raises InputError naming file, row
    and column. `products` maps product ids to specs; a product given as a path (relative to the
    shipments file) is read once and added."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError(file, "file", file, "an existing shipments file (.csv or .xlsx)")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(file, "file", f"{path.stat().st_size} bytes", f"a shipments file under {MAX_BYTES} bytes")
    try:
        where, header, rows = _rows(path)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(file, _bad_line(path), str(exc)[:80], "UTF-8 comma-separated text with a header row") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # openpyxl: not a zip, not a workbook
        raise InputError(file, "file", type(exc).__name__, "a readable .xlsx workbook (or .csv)") from None
    rows = _guarded(rows, path)
    names = [str(h or "").strip().lower() for h in header]
    for column in COLUMNS:
        if column not in names:
            raise InputError(file, "header (row 1)", [h for h in header if h], f"the columns {list(COLUMNS)} "
                             f"(optional {list(OPTIONAL)})")
    index = {name: i for i, name in enumerate(names)}
    seen: dict[str, int] = {}
    for n, raw in rows:
        if progress is not None:
            progress.update(1)
        if not any(v not in (None, "") for v in raw):
            continue  # blank line

        def cell(column, raw=raw):
            i = index.get(column)
            value = raw[i] if i is not None and i < len(raw) else None
            return value.strip() if isinstance(value, str) else value

        sid = str(cell("shipment_id") or "").strip()
        if not sid:
            raise InputError(file, where(n, "shipment_id"), cell("shipment_id"), "a shipment id")
        if sid in seen:
            raise InputError(file, where(n, "shipment_id"), sid,
                             f"a shipment id not used before (row {seen[sid]} has it)")
        seen[sid] = n
        ref = str(cell("product") or "")
        if ref not in products:
            candidate = path.parent / ref
            if ref and candidate.suffix.lower() in (".yaml", ".yml") and candidate.is_file():
                spec = read_product(candidate)
                products[ref] = spec
            else:
                raise InputError(file, where(n, "product"), ref or None,
                                 "a product id of the product files given "
                                 f"({sorted(k for k in products if not k.endswith(('.yaml', '.yml')))}) "
                                 "or a product file path relative to the shipments file")
        spec = products[ref]
        mass = _float(cell("mass_t"), file, where(n, "mass_t"), "a mass in t greater than 0")
        if mass <= 0:
            raise InputError(file, where(n, "mass_t"), cell("mass_t"), "a mass in t greater than 0")
        cn = str(cell("cn_code") or "").strip()
        if isinstance(cell("cn_code"), float) and float(cell("cn_code")).is_integer():
            cn = str(int(cell("cn_code")))
        if not _cn_ok(cn):
            raise InputError(file, where(n, "cn_code"), cell("cn_code"),
                             "a CN code of aluminium (chapter 76, e.g. 7601, 7604, 7606, 7607) or alumina (2818)")
        day = _day(cell("delivery_date"), file, where(n, "delivery_date"))
        if not spec.period_start <= day <= spec.period_end:
            raise InputError(file, where(n, "delivery_date"), str(day),
                             f"a date within a declared period of {spec.id} ({spec.period_start} to {spec.period_end})")
        claim_raw = cell("claimed_low_carbon_t")
        claimed = 0.0
        if claim_raw not in (None, ""):
            claimed = _float(claim_raw, file, where(n, "claimed_low_carbon_t"),
                             "claimed low-carbon tonnes, a number >= 0")
            if claimed < 0 or claimed > mass * (1 + 1e-12):
                raise InputError(file, where(n, "claimed_low_carbon_t"), claim_raw,
                                 f"claimed low-carbon tonnes between 0 and the shipment's mass ({mass:g} t)")
        yield Shipment(sid, str(cell("customer") or ""), spec.id, cn, mass, day, claimed, n), spec


@dataclass(frozen=True)
class ShipmentRun:
    rows: list  # per-shipment output rows (dicts)
    products: dict  # product id -> ProductResult
    product_shipments: dict  # product id -> [shipment ids]
    cbam: list
    ledger: list


def run_shipments(engine: Engine, path: str | os.PathLike, product_files=(), gwp: str = "ar6",
                  progress: bool = False) -> ShipmentRun:
    """Check every row, book the claims, compute each product once and each shipment's footprint."""
    products: dict[str, ProductSpec] = {}
    for product_file in product_files:
        spec = read_product(product_file)
        if spec.id in products:
            raise InputError(str(product_file), "product.id", spec.id,
                             f"a product id not used by {products[spec.id].file}")
        products[spec.id] = spec
    results: dict[str, ProductResult] = {}
    totals: dict[str, tuple[float, float]] = {}
    ledger, out = Ledger(), []
    by_product: dict = {}
    cbam: dict = {}
    bar = _progress(progress)
    try:
        for shipment, spec in read_shipments(path, products, bar):
            if spec.id not in results:
                results[spec.id] = product_footprint(engine, spec)
                totals[spec.id] = (results[spec.id].location.total_co2e_kg(gwp),
                                   results[spec.id].market.total_co2e_kg(gwp))
            loc, mkt = totals[spec.id]
            producer = spec.producer.get("uscc") or spec.producer["name"]
            ledger.add(producer, spec.id, f"{spec.period_start}/{spec.period_end}", spec.low_carbon_t, shipment.id,
                       shipment.delivered, shipment.claimed_low_carbon_t)
            out.append({"shipment_id": shipment.id, "customer": shipment.customer, "product": spec.id,
                        "cn_code": shipment.cn_code, "mass_t": shipment.mass_t,
                        "delivery_date": shipment.delivered.isoformat(),
                        "claimed_low_carbon_t": shipment.claimed_low_carbon_t,
                        "location_based_kg_co2e_per_t": loc, "market_based_kg_co2e_per_t": mkt,
                        "location_based_t_co2e": loc * shipment.mass_t / 1000,
                        "market_based_t_co2e": mkt * shipment.mass_t / 1000, "gwp": gwp})
            by_product.setdefault(spec.id, []).append(shipment.id)
            key = (shipment.cn_code, spec.producer["name"])
            entry = cbam.setdefault(key, {"cn_code": key[0], "installation": key[1], "shipments": 0, "mass_t": 0.0,
                                          "embedded_t_co2e": 0.0})
            entry["shipments"] += 1
            entry["mass_t"] += shipment.mass_t
            entry["embedded_t_co2e"] += loc * shipment.mass_t / 1000
    finally:
        if bar is not None:
            bar.close()
    ledger.check(str(path))
    for entry in cbam.values():
        entry["specific_t_co2e_per_t"] = entry["embedded_t_co2e"] / entry["mass_t"]
        entry["basis"] = ("cradle-to-gate embedded emissions, location-based life-cycle electricity; "
                          "not the CBAM direct/indirect split")
    return ShipmentRun(out, results, by_product, list(cbam.values()), ledger.rows())


def _progress(enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(unit=" rows", desc="shipments", mininterval=0.5)


# --- writing -----------------------------------------------------------------------------------

def _csv_text(rows: list[dict]) -> str:
    if not rows:
        return ""
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_outputs(run: ShipmentRun, out_dir: str | os.PathLike, gwp: str = "ar6") -> list[Path]:
    """Everything into temporary files first, then moved into place: a failure leaves nothing."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".greenal-") as tmp_name:
        tmp = Path(tmp_name)

        def stage(name: str, write):
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write(target)
            staged.append((target, out / name))

        tables = {"shipments": run.rows, "cbam": run.cbam, "ledger": run.ledger,
                  "products": [_product_row(r, gwp) for r in run.products.values()]}
        for name, rows in tables.items():
            stage(f"{name}.csv", lambda p, rows=rows: p.write_text(_csv_text(rows), encoding="utf-8"))
        stage("shipments.xlsx", lambda p: _workbook(tables, p))
        if _has_pyarrow():
            stage("shipments.parquet", lambda p: _parquet(run.rows, p))
        for pid, result in run.products.items():
            document = product_pact(result, gwp, shipments=tuple(run.product_shipments.get(pid, ())))
            stage(f"pact/{pid}.pact.json",
                  lambda p, d=document: p.write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8"))
        written = []
        for source, target in staged:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            written.append(target)
    return written


def _product_row(result: ProductResult, gwp: str) -> dict:
    s = result.summary(gwp)
    rc = s["recycled_content_pct"]
    return {"product": s["product"], "name": s["name"], "kind": s["kind"], "cn_code": s["cn_code"],
            "producer": s["producer"], "location_based_kg_co2e_per_t": s["location_based_kg_co2e_per_t"],
            "market_based_kg_co2e_per_t": s["market_based_kg_co2e_per_t"],
            "supplier_specific_share_pct": s["supplier_specific_share_pct"],
            "pre_consumer_pct": rc["pre_consumer"], "post_consumer_pct": rc["post_consumer"],
            "inputs": "; ".join(f"{i['input']}: {i['basis']}" for i in s["inputs"]), "notes": " ".join(s["notes"])}


def _workbook(tables: dict, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        if rows:
            sheet.append(list(rows[0]))
            for row in rows:
                sheet.append([v if isinstance(v, (int, float, str)) or v is None else str(v) for v in row.values()])
    book.save(path)


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _parquet(rows: list[dict], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
