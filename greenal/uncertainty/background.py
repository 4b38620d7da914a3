"""The background under sampling: Woodbury updates of one inverse instead of refactorising.

With A_s = A + P D_s Q^T (P, Q pick the m technosphere cells that carry a distribution, D_s their
sampled changes), for the background products R the foreground buys,
    A_s^-1 E_R = X0 - W D_s (I + C D_s)^-1 Q^T X0,   X0 = A^-1 E_R, W = A^-1 P, C = Q^T A^-1 P,
so a sample costs an m x m solve; perturbed biosphere cells add dB_s A_s^-1 E_R.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from greenal.uncertainty.sampling import Uncertain


@dataclass
class Background:
    """Background matrices and the Woodbury pieces for the products R bought by the foreground."""
    codes: list[str]
    lambda0: np.ndarray  # (R, flows)
    tech: list[tuple[int, int, Uncertain]]  # (row, column, exchange): technosphere cells with a distribution
    bio: list[tuple[int, int, Uncertain]]  # (flow, column, exchange)
    products: list[str]  # R
    x0: np.ndarray = field(repr=False)  # (n, R)
    w: np.ndarray = field(repr=False)  # (n, m)
    c: np.ndarray = field(repr=False)  # (m, m)
    bw: np.ndarray = field(repr=False)  # (flows, m)
    _cols: list[int] = field(repr=False)  # technosphere columns of the cells in `tech`
    _bio_cols: list[int] = field(repr=False)  # columns of the cells in `bio`


def background(inventory, products: list[str]) -> Background:
    codes = inventory.background
    index = {c: i for i, c in enumerate(codes)}
    flows = {f: i for i, f in enumerate(inventory.flow_codes)}
    n = len(codes)
    a, b = np.eye(n), np.zeros((len(flows), n))
    tech, bio = [], []
    for j, code in enumerate(codes):
        for k, e in enumerate(inventory.processes[code].exchanges):
            spec = (Uncertain.from_stats_arrays(f"{code}#{k}", f"{code}: {e.target}", e.amount, e.uncertainty)
                    if e.uncertainty else None)
            if e.kind == "technosphere":
                a[index[e.target], j] -= e.amount
                if spec:
                    tech.append((index[e.target], j, spec))
            else:
                b[flows[e.target], j] += e.amount
                if spec:
                    bio.append((flows[e.target], j, spec))
    inverse = np.linalg.inv(a)
    r = [index[p] for p in products]
    rows, cols = [t[0] for t in tech], [t[1] for t in tech]
    w = inverse[:, rows]
    return Background(codes, (b @ inverse[:, r]).T, tech, bio, products, x0=inverse[:, r], w=w,
                      c=inverse[np.ix_(cols, rows)], bw=b @ w, _cols=cols, _bio_cols=[t[1] for t in bio])


def background_lambda(bg: Background, tech_factor: np.ndarray, bio_factor: np.ndarray) -> np.ndarray:
    """(batch, R, flows) unit inventories of the bought background products for sampled factors
    (batch, m) and (batch, l) on the technosphere and biosphere cells with a distribution."""
    n = tech_factor.shape[0] if tech_factor.size else bio_factor.shape[0]
    lam = np.broadcast_to(bg.lambda0, (n, *bg.lambda0.shape)).copy()
    bio_cols = bg._bio_cols
    x = np.broadcast_to(bg.x0[bio_cols], (n, len(bio_cols), bg.x0.shape[1]))  # rows of A_s^-1 E_R needed by dB
    if bg.tech:
        amounts = np.array([t[2].amount for t in bg.tech])
        delta = -amounts * (tech_factor - 1.0)  # A cell = -amount
        k = np.eye(len(bg.tech))[None] + bg.c[None] * delta[:, None, :]
        z = np.linalg.solve(k, np.broadcast_to(bg.x0[bg._cols], (n, *bg.x0[bg._cols].shape)))  # (n, m, R)
        dz = delta[:, :, None] * z
        lam -= np.matmul(dz.transpose(0, 2, 1), bg.bw.T)  # (n, R, m) @ (m, flows)
        if bio_cols:
            x = x - np.matmul(bg.w[bio_cols][None], dz)
    for b, (flow, _col, spec) in enumerate(bg.bio):
        lam[:, :, flow] += (spec.amount * (bio_factor[:, b] - 1.0))[:, None] * x[:, b, :]
    return lam
