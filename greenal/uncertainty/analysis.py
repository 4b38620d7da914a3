"""Reading the samples: the probability a verdict holds, and rank-correlation sensitivity."""
from __future__ import annotations

import numpy as np


def verdict_probability(rule, verdict, values: np.ndarray) -> dict:
    """Probability that the stated verdict (or grade) holds over the samples."""
    if rule.test == "grade":
        limits = list(rule.levels)
        level = int(verdict.grade.split()[-1]) if verdict.grade.startswith("level") else None
        p_pass = float(np.mean(values <= limits[-1]))
        if level is None:
            return {"probability": 1 - p_pass, "p_pass": p_pass}
        low = limits[level - 2] if level > 1 else -np.inf
        return {"probability": float(np.mean((values > low) & (values <= limits[level - 1]))), "p_pass": p_pass}
    if rule.test == "max":
        ok = values < rule.threshold if rule.strict else values <= rule.threshold
    else:
        ok = values > rule.threshold if rule.strict else values >= rule.threshold
    p_pass = float(np.mean(ok))
    return {"probability": p_pass if verdict.verdict == "pass" else 1 - p_pass, "p_pass": p_pass}


def sensitivity(draws: np.ndarray, output: np.ndarray, keys: list[str], descriptions: dict, top: int = 10) -> list:
    """Squared Spearman rank correlation of each input's draws with the output; share of their sum."""
    n = draws.shape[0]
    if n < 3:
        return []
    ranks_out = np.argsort(np.argsort(output[:n])).astype(float)
    ranks_in = np.argsort(np.argsort(draws, axis=0), axis=0).astype(float)
    ranks_out -= ranks_out.mean()
    ranks_in -= ranks_in.mean(axis=0)
    denominator = np.sqrt((ranks_in ** 2).sum(axis=0) * (ranks_out ** 2).sum())
    rho = np.divide(ranks_in.T @ ranks_out, denominator, out=np.zeros(len(keys)), where=denominator > 0)
    rho2 = rho ** 2
    total = rho2.sum()
    order = np.argsort(-rho2)[:top]
    return [{"input": keys[i], "description": descriptions.get(keys[i], keys[i]), "rho": float(rho[i]),
             "rho2": float(rho2[i]), "share": float(rho2[i] / total) if total else 0.0} for i in order]
