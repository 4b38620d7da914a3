"""Monte Carlo of a declaration, in batches of array draws.

Background: sampled by Woodbury updates of one inverse (background.py). Foreground: every line's
amount times its sampled factor (pedigree lognormal or its exchange's distribution, quality.py);
the few foreground rows are scaled by a batched dense solve. Labels are kept, so stages, scopes
and rule reads are sums over (label, flow) cells of each sample; verdict probabilities and
sensitivity are read from the samples (analysis.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from greenal.errors import InputError
from greenal.lca.engine import Footprint, Foreground
from greenal.uncertainty import quality
from greenal.uncertainty.analysis import sensitivity, verdict_probability
from greenal.uncertainty.background import background, background_lambda
from greenal.uncertainty.sampling import LOGNORMAL, Draws, Uncertain

MAX_ITERATIONS = 100_000  # cap of --mc (memory of the per-sample reads stays below ~50 MB)
SENSITIVITY_SAMPLES = 10_000  # draws kept per input for the rank correlations
BATCH = 2_000
PERCENTILES = (2.5, 50.0, 97.5)
# Indicators that read the footprint divided by a declared amount the Monte Carlo also varies.
NOT_SAMPLED = {"electrolysis_electricity_g_per_kwh": "a ratio of the footprint to the declared kWh (both uncertain)"}


def check_iterations(raw, where: str = "--mc") -> int:
    """--mc N: an integer from 1 to MAX_ITERATIONS."""
    text = str(raw).strip()
    try:
        n = int(text)
    except ValueError:
        n = None
    if n is None or n < 1 or n > MAX_ITERATIONS:
        raise InputError("command line", where, raw, f"a whole number of iterations from 1 to {MAX_ITERATIONS:,}")
    return n


def check_seed(raw) -> int:
    try:
        seed = int(str(raw).strip())
    except ValueError:
        seed = -1
    if seed < 0:
        raise InputError("command line", "--seed", raw, "a whole number >= 0")
    return seed


# --- the uncertain system -------------------------------------------------------------------

@dataclass
class System:
    """One basis's foreground as arrays of lines."""
    labels: list
    rows: list[str]
    links: list[tuple[int, int, float, str]]  # (supplier row, consumer row, amount, key)
    inputs: list[tuple[int, int, float, str, int]]  # (row, product (index in R), amount, key, label)
    emissions: list[tuple[int, int, float, str, int]]  # (row, flow, amount, key, label)


@dataclass
class Line:
    """What the Monte Carlo and the DQR know about one foreground line."""
    key: str
    description: str
    origin: str  # measured / calculated / default / estimate / distribution
    scores: dict


class Model:
    """The uncertain systems of one declaration (location and market bases) over the background."""

    def __init__(self, engine, result, foregrounds: dict[str, Foreground]):
        self.engine, self.result, self.foregrounds = engine, result, foregrounds
        self.inventory = engine.inventory
        self.flows = {f: i for i, f in enumerate(self.inventory.flow_codes)}
        self.specs: dict[str, Uncertain] = {}
        self.lines: dict[str, Line] = {}
        self.quality = quality.declared_quality(result.declaration)
        products = sorted({ln.target for fg in foregrounds.values() for row in fg.rows for ln in row.inputs
                           if ln.target in self.engine.background_index})
        self.bg = background(self.inventory, products)
        self.product_index = {p: i for i, p in enumerate(products)}
        self.systems = {basis: self._system(fg) for basis, fg in foregrounds.items()}
        self.keys = list(self.specs)
        self.key_index = {k: i for i, k in enumerate(self.keys)}
        self.bg_keys = [t[2].key for t in self.bg.tech + self.bg.bio]

    # one line's uncertainty and data quality
    def _register(self, key: str, spec: Uncertain, line: Line) -> str:
        self.specs.setdefault(key, spec)
        self.lines.setdefault(key, line)
        return key

    def _pedigree(self, key, description, origin, scores, kind, target) -> str:
        s = quality.sigma(scores, quality.basic_factor(kind, target))
        return self._register(key, Uncertain(key, description, LOGNORMAL, 1.0, s),
                              Line(key, description, origin, scores))

    def _exchange(self, process, k: int, amount_line=None) -> str:
        e = process.exchanges[k]
        key = f"{process.code}#{k}"
        origin, scores = quality.confidence_scores(e.confidence)
        description = f"{process.code}: {e.target} ({e.confidence})"
        if e.uncertainty:
            spec = Uncertain.from_stats_arrays(key, description, e.amount, e.uncertainty)
            return self._register(key, spec, Line(key, description, "distribution", scores))
        return self._pedigree(key, description, origin, scores, "input" if e.kind == "technosphere" else "emission",
                              e.target)

    def _line_key(self, row, line, kind: str, position: int) -> str:
        processes = self.inventory.processes
        if not row.code.startswith("site:"):
            p = processes[row.code]
            positions = [k for k, e in enumerate(p.exchanges) if (e.kind == "technosphere") == (kind == "input")]
            return self._exchange(p, positions[position])
        from greenal.model.site import FIELD_INPUTS, STAGE_DEFAULTS

        stage = row.stage
        values = self.result.declaration.stages.get(stage, {})
        if line.label.primary:
            field_key = quality.site_field(stage, line, values, FIELD_INPUTS.get(stage, {}), self.inventory)
            declared = self.quality.get(f"{stage}.{field_key}") or self.quality.get(stage)
            origin = "declared quality" if declared else "calculated"
            scores = declared or quality.source_scores("calculated")
            key = f"{row.code}.{field_key}" if field_key else f"{row.code}|{kind}|{line.target}"
            # an activity amount (kWh, fuel, material) shared by all its lines takes the demand's basic factor
            activity = line.label.source in ("electricity", "fuel", "materials", "intermediates", "transport")
            return self._pedigree(key, f"{stage}: {field_key or line.target} (site data)", origin, scores,
                                  "input" if activity else kind, line.target)
        default = processes[STAGE_DEFAULTS[stage]]
        for k, e in enumerate(default.exchanges):
            same_kind = (e.kind == "technosphere") == (kind == "input")
            electricity = line.label.source == "electricity" and e.target.startswith("electricity-")
            if same_kind and (e.target == line.target or electricity):
                return self._exchange(default, k)
        declared = self.quality.get(stage)
        scores = declared or quality.source_scores("default")
        return self._pedigree(f"{default.code}|{line.label.source}", f"{stage}: default {line.label.source}",
                              "declared quality" if declared else "default", scores, kind, line.target)

    def _system(self, fg: Foreground) -> System:
        rows = [r.code for r in fg.rows]
        index = {c: i for i, c in enumerate(rows)}
        labels: list = []
        label_index: dict = {}
        links: list[tuple[int, int, float, str]] = []
        inputs: list[tuple[int, int, float, str, int]] = []
        emissions: list[tuple[int, int, float, str, int]] = []

        def label_of(label):
            if label not in label_index:
                label_index[label] = len(labels)
                labels.append(label)
            return label_index[label]

        for j, row in enumerate(fg.rows):
            for pos, line in enumerate(row.inputs):
                key = self._line_key(row, line, "input", pos)
                if line.target in index:
                    links.append((index[line.target], j, line.amount, key))
                else:
                    inputs.append((j, self.product_index[line.target], line.amount, key, label_of(line.label)))
            for pos, line in enumerate(row.emissions):
                key = self._line_key(row, line, "emission", pos)
                emissions.append((j, self.flows[line.target], line.amount, key, label_of(line.label)))
        return System(labels, rows, links, inputs, emissions)

    # --- sampling ---------------------------------------------------------------------------

    def contributions(self, z: np.ndarray, z_bg: np.ndarray) -> dict[str, np.ndarray]:
        """basis -> (batch, labels, flows) kg for standard normal draws z (batch, keys) and z_bg
        (batch, background keys)."""
        factors = np.empty_like(z)
        for i, key in enumerate(self.keys):
            factors[:, i] = self.specs[key].factor(z[:, i])
        bg_z = dict(zip(self.bg_keys, z_bg.T, strict=True))
        tech = np.column_stack([t[2].factor(bg_z[t[2].key]) for t in self.bg.tech]) if self.bg.tech \
            else np.empty((0, 0))
        bio = np.column_stack([t[2].factor(bg_z[t[2].key]) for t in self.bg.bio]) if self.bg.bio else np.empty((0, 0))
        lam = background_lambda(self.bg, tech, bio) if (self.bg.tech or self.bg.bio) else \
            np.broadcast_to(self.bg.lambda0, (z.shape[0], *self.bg.lambda0.shape))
        return {basis: self._basis(system, factors, lam) for basis, system in self.systems.items()}

    def _basis(self, system: System, factors: np.ndarray, lam: np.ndarray) -> np.ndarray:
        n, nrows = factors.shape[0], len(system.rows)
        a = np.broadcast_to(np.eye(nrows), (n, nrows, nrows)).copy()
        for supplier, consumer, amount, key in system.links:
            a[:, supplier, consumer] -= amount * factors[:, self.key_index[key]]
        demand = np.zeros((n, nrows, 1))
        demand[:, 0, 0] = 1.0
        scaling = np.linalg.solve(a, demand)[:, :, 0]  # (n, rows)
        out = np.zeros((n, len(system.labels), len(self.flows)))
        if system.inputs:
            rows, prods, amounts, keys, labels = map(list, zip(*system.inputs, strict=True))
            kidx = [self.key_index[k] for k in keys]
            weight = np.asarray(amounts) * factors[:, kidx] * scaling[:, rows]  # (n, L)
            onehot = np.zeros((len(rows), len(system.labels)))
            onehot[np.arange(len(rows)), labels] = 1.0
            out += np.einsum("nl,nlf,lk->nkf", weight, lam[:, prods, :], onehot, optimize=True)
        if system.emissions:
            rows, flows, amounts, keys, labels = map(list, zip(*system.emissions, strict=True))
            kidx = [self.key_index[k] for k in keys]
            weight = np.asarray(amounts) * factors[:, kidx] * scaling[:, rows]
            np.add.at(out, (slice(None), np.asarray(labels), np.asarray(flows)), weight)  # type: ignore[arg-type]  # stubs omit the tuple index ufunc.at takes
        return out

    def run(self, iterations: int, seed: int, reads: dict[str, tuple[str, np.ndarray, float]]):
        """Samples of each read: reads maps a name to (basis, weights (labels, flows), constant);
        returns name -> (iterations,) array and the draws kept for the sensitivity analysis."""
        draws = Draws(seed)
        bg_keys = self.bg_keys
        out = {name: np.empty(iterations) for name in reads}
        kept = []
        done = 0
        while done < iterations:
            n = min(BATCH, iterations - done)
            z = draws.batch(self.keys, n)
            z_bg = draws.batch(bg_keys, n)
            contribution = self.contributions(z, z_bg)
            for name, (basis, weights, constant) in reads.items():
                out[name][done:done + n] = constant + np.einsum("nkf,kf->n", contribution[basis], weights)
            if done < SENSITIVITY_SAMPLES:
                kept.append(np.hstack([z, z_bg])[: SENSITIVITY_SAMPLES - done])
            done += n
        return out, np.vstack(kept), self.keys + bg_keys


# --- reads, verdicts, sensitivity, summary ---------------------------------------------------

def _cf(inventory, gwp: str) -> np.ndarray:
    factors = inventory.methods[gwp].factors
    return np.array([factors[f] for f in inventory.flow_codes])


def summary(values: np.ndarray) -> dict:
    p = np.percentile(values, PERCENTILES)
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "p2_5": float(p[0]), "p50": float(p[1]), "p97_5": float(p[2])}


def _footprints(model: Model, result, arrays: dict[str, np.ndarray]):
    """The declaration result with its footprints replaced by (labels, flows) arrays per basis."""
    fps = {}
    for basis, system in model.systems.items():
        nominal = getattr(result, basis)
        fps[basis] = Footprint(nominal.name, nominal.declared_unit,
                               {label: arrays[basis][k] for k, label in enumerate(system.labels)}, nominal.inventory)
    return replace(result, **fps)


def linear_read(model: Model, result, rule, gwp: str):
    """(constant, {basis: weights}) if the rule's indicator is a linear read of the footprints,
    else the reason it is not sampled."""
    from greenal.standards.engine import PlantContext, indicator

    if rule.indicator in NOT_SAMPLED:
        return NOT_SAMPLED[rule.indicator]
    shapes = {b: (len(s.labels), len(model.flows)) for b, s in model.systems.items()}
    nominal = {b: np.array([getattr(result, b).contributions.get(label, np.zeros(shapes[b][1]))
                            for label in s.labels]) for b, s in model.systems.items()}

    def value(arrays):
        try:
            v = indicator(rule, PlantContext(_footprints(model, result, arrays), gwp))
        except (ArithmeticError, ValueError, KeyError):  # e.g. a share of a zero footprint
            return None
        return float(v) if isinstance(v, (int, float)) else None

    zero = {b: np.zeros(shape) for b, shape in shapes.items()}
    c0, v1, v2 = value(zero), value(nominal), value({b: 2 * a for b, a in nominal.items()})
    if c0 is None or v1 is None or v2 is None:
        return "the indicator is not computable on a sampled footprint"
    if v1 == c0 == v2:
        return "does not read the footprint (declared data or a fixed factor)"
    weights = {}
    for basis, (k_count, f_count) in shapes.items():
        w = np.zeros((k_count, f_count))
        for k in range(k_count):
            for f in range(f_count):
                probe = {b: a.copy() for b, a in zero.items()}
                probe[basis][k, f] = 1.0
                w[k, f] = value(probe) - c0
        weights[basis] = w
    predicted = c0 + sum(float((weights[b] * nominal[b]).sum()) for b in shapes)
    predicted2 = c0 + 2 * sum(float((weights[b] * nominal[b]).sum()) for b in shapes)
    tolerance = 1e-9 * max(1.0, abs(v1), abs(v2))
    if abs(predicted - v1) > tolerance or abs(predicted2 - v2) > tolerance:
        return "not a linear read of the footprint"
    return c0, weights


@dataclass
class MonteCarloResult:
    iterations: int
    seed: int
    gwp: str
    samples: dict  # read name -> (iterations,) t CO2e per t (or the rule's unit)
    verdicts: list  # dicts
    sensitivity: dict  # basis -> list
    data_quality: dict
    notes: tuple = ()

    def histogram(self, name: str = "market", bins: int = 40) -> dict:
        counts, edges = np.histogram(self.samples[name], bins=bins)
        return {"counts": counts.tolist(), "edges": edges.tolist()}

    def histograms(self) -> list[dict]:
        """The market-based total, then each sampled rule's indicator with its limit (for the charts)."""
        out = [{"name": "market", "unit": "t CO2e/t", "limit": None, "threshold": "", **self.histogram("market")}]
        for v in self.verdicts:
            if v["sampled"]:
                out.append({"name": v["rule"], "unit": v["unit"], "limit": v["limit"], "threshold": v["threshold"],
                            **self.histogram(f"rule:{v['rule']}")})
        return out

    def to_dict(self) -> dict:
        bases: dict = {}
        for name, values in self.samples.items():
            basis, _, rest = name.partition(":")
            if basis in ("location", "market"):
                entry = bases.setdefault(basis, {"by_stage": {}})
                if rest:
                    entry["by_stage"][rest] = summary(values)
                else:
                    entry["total"] = summary(values)
        return {"iterations": self.iterations, "seed": self.seed, "gwp": self.gwp, "cap": MAX_ITERATIONS,
                "unit": "t CO2e per t", "bases": bases,
                "market_minus_location": summary(self.samples["market"] - self.samples["location"]),
                "verdicts": self.verdicts, "sensitivity": self.sensitivity, "data_quality": self.data_quality,
                "notes": list(self.notes)}


def difference(after: MonteCarloResult, before: MonteCarloResult, basis: str = "market") -> dict:
    """after - before, sample by sample (two declarations, e.g. before/after a retrofit). Both runs
    must share seed and iterations: shared inputs then have the same draws (common random numbers)."""
    if (after.seed, after.iterations) != (before.seed, before.iterations):
        raise InputError("command line", "--seed/--mc",
                         f"{after.seed}/{after.iterations} vs {before.seed}/{before.iterations}",
                         "the same seed and number of iterations for both declarations")
    return summary(after.samples[basis] - before.samples[basis])


METHOD_NOTES = (
    "Monte Carlo with common random numbers: each input keyed by its exchange or declared field gets the same draws "
    "on both bases (and in another declaration run with the same seed).",
    "Background exchanges with a stats_arrays distribution (inventories/) are sampled; site and default lines get a "
    "lognormal (median = the stated amount) from their pedigree scores (methods/uncertainty/pedigree.yaml: "
    "Frischknecht et al. 2007, ecoinvent report No. 1 §7.2). Grid factors and GWP values are fixed.",
    "Verdict probabilities: rules whose indicator is a linear read of the footprint, evaluated on every sample; "
    "declared amounts outside the footprint (denominators, official scope-2 factors x declared kWh) stay at their "
    "declared values.",
    "Sensitivity: squared Spearman rank correlation of each input's draws with the result (first "
    f"{SENSITIVITY_SAMPLES:,} samples), shares of their sum.",
)


def monte_carlo(engine, result, iterations: int, seed: int = 0, gwp: str = "ar6", schemes=None) -> MonteCarloResult:
    """Monte Carlo of a declaration's footprints (both bases), its verdicts, sensitivity and DQR."""
    from greenal.standards.engine import assess

    decl = result.declaration
    account = result.electricity
    model = _model(engine, result)
    cf = _cf(engine.inventory, gwp)
    reads: dict[str, tuple[str, np.ndarray, float]] = {}
    for basis, system in model.systems.items():
        reads[basis] = (basis, np.tile(cf / 1000, (len(system.labels), 1)), 0.0)
        for stage in dict.fromkeys(label.stage for label in system.labels):
            mask = np.array([label.stage == stage for label in system.labels], dtype=float)[:, None]
            reads[f"{basis}:{stage}"] = (basis, mask * cf / 1000, 0.0)
    rule_rows: list[dict] = []
    verdicts = assess(result, schemes, gwp) if decl is not None else []
    for v in verdicts:
        entry = {"rule": v.rule.id, "verdict": v.verdict + (f" ({v.grade})" if v.grade else "")}
        if v.verdict not in ("pass", "fail"):
            rule_rows.append({**entry, "sampled": False, "reason": f"verdict is '{v.verdict}'"})
            continue
        read = linear_read(model, result, v.rule, gwp)
        if isinstance(read, str):
            rule_rows.append({**entry, "sampled": False, "reason": read})
            continue
        constant, weights = read
        name = f"rule:{v.rule.id}"
        # one read per rule, on the basis whose weights are non-zero (a read on both is summed)
        for i, (basis, w) in enumerate(weights.items()):
            reads[name if i == 0 else f"{name}#{basis}"] = (basis, w, constant if i == 0 else 0.0)
        rule_rows.append({**entry, "sampled": True, "_rule": v.rule, "_verdict": v})
    samples, kept, keys = model.run(iterations, seed, reads)
    for name in [n for n in samples if "#" in n]:
        samples[name.split("#")[0]] += samples.pop(name)
    for row in rule_rows:
        if row.pop("sampled"):
            rule, verdict = row.pop("_rule"), row.pop("_verdict")
            values = samples[f"rule:{rule.id}"]
            row.update(sampled=True, unit=rule.unit, threshold=rule.threshold_text(),
                       limit=rule.levels[-1] if rule.test == "grade" else rule.threshold, **summary(values),
                       **verdict_probability(rule, verdict, values))
        else:
            row["sampled"] = False
    descriptions = {k: s.description for k, s in model.specs.items()}
    descriptions.update({t[2].key: t[2].description for t in model.bg.tech + model.bg.bio})
    sens = {basis: sensitivity(kept, samples[basis], keys, descriptions) for basis in ("location", "market")}
    notes: tuple[str, ...] = METHOD_NOTES
    if account.default_supply:
        notes += ("no electricity supplies declared: the footprint rests on a conservative default supply",)
    return MonteCarloResult(iterations, seed, gwp, {k: v for k, v in samples.items()}, rule_rows, sens,
                            data_quality(model, engine, gwp), notes)


def _model(engine, result) -> Model:
    from greenal.model.site import SiteModel

    site, account = SiteModel(engine, result.declaration), result.electricity
    return Model(engine, result, {"location": site.foreground(account.location, "location-based")[0],
                                  "market": site.foreground(account.market, "market-based")[0]})


def data_quality_of(engine, result, gwp: str = "ar6") -> dict:
    """DQR per line and for the product without a Monte Carlo."""
    return data_quality(_model(engine, result), engine, gwp)


def data_quality(model: Model, engine, gwp: str) -> dict:
    """DQR per line (its key) and for the product, weighted by each line's nominal |kg CO2e| (market basis)."""
    cf = _cf(engine.inventory, gwp)
    fg = model.foregrounds["market"]
    scaling = engine.scaling(fg)
    weights: dict[str, float] = {}
    for row in fg.rows:
        s = scaling[row.code]
        for pos, line in enumerate(row.inputs):
            if line.target in scaling:
                continue
            key = model._line_key(row, line, "input", pos)
            kg = line.amount * s * float(model.bg.lambda0[model.product_index[line.target]] @ cf)
            weights[key] = weights.get(key, 0.0) + kg
        for pos, line in enumerate(row.emissions):
            key = model._line_key(row, line, "emission", pos)
            weights[key] = weights.get(key, 0.0) + line.amount * s * cf[model.flows[line.target]]
    lines = []
    for key, kg in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
        info = model.lines[key]
        spec = model.specs[key]
        lines.append({"input": key, "description": info.description, "origin": info.origin, **info.scores,
                      "dqr": quality.dqr(info.scores), "t_co2e_per_t": float(kg) / 1000,
                      "distribution": {2: "lognormal", 3: "normal", 4: "uniform", 5: "triangular"}[spec.kind],
                      "sigma_ln": spec.scale if spec.kind == LOGNORMAL else None})
    product = quality.product_dqr([(model.lines[k].scores, kg) for k, kg in weights.items()])
    return {"product": product, "lines": lines, "method": "DQR = mean of the five pedigree scores (1 best .. 5 worst); "
            "product: each score's mean weighted by the lines' |kg CO2e| (market basis); greenal's choice, "
            "methods/uncertainty/pedigree.yaml"}
