"""What the Monte Carlo estimators need to know about the density ratio r = q / p under p.

- :func:`mass_of_q_outside_p`: 1 - E_p[r], the probability q puts where p has none. The k3
  estimator (r - 1) - log r is unbiased only after adding it back.
- :func:`ratio_moment_is_finite`: whether E_p[r^k] (or E_p[|log r|^k]) is finite, which decides
  whether an estimator has a finite variance (k = 2) and whether its sample variance is itself a
  usable estimate (k = 4). Closed conditions for the multivariate families; for univariate ones,
  the growth exponent of the moment's integrand deep in p's tails (``quadrature.py``).
"""

from __future__ import annotations

import math

import numpy as np

from kltools._distributions.description import Description
from kltools._distributions.log_densities import log_density
from kltools._distributions.quadrature import largest_tail_exponent


def mass_of_q_outside_p(p: Description, q: Description) -> float | None:
    """Q(outside the support of p) for one pair (batch_shape ()), or None if unknown."""
    if p.kind == "multivariate":
        if p.family in ("multivariate_normal", "dirichlet"):
            return 0.0  # full support on R^d, and on the open simplex
        if p.family == "multinomial" and q.family == "multinomial":
            if p.params["n"] != q.params["n"]:
                return 1.0
            # q's mass on outcomes that use a category p never draws
            kept = float(q.params["p"][p.params["p"] > 0].sum())
            return float(-np.expm1(p.params["n"] * np.log1p(kept - 1.0))) if kept < 1 else 0.0
        return None
    if p.family == "sample":
        return _explicit_outside(p.params["xk"], q)
    low, high = (float(e) for e in p.support())
    with np.errstate(all="ignore"):
        if p.kind == "discrete":
            if q.family == "sample":
                xk = q.params["xk"]
                inside = (xk >= low) & (xk <= high) & (xk == np.round(xk)) & (np.exp(log_density(p, xk)) > 0)
                return float(q.params["pk"][~inside].sum())
            below = float(q.source.cdf(low - 1)) if math.isfinite(low) else 0.0
            above = float(q.source.sf(high)) if math.isfinite(high) else 0.0
            if math.isfinite(low) and math.isfinite(high) and high - low < 1e6:
                # degenerate parameters (binom(n, 0)) leave points of the range without mass
                k = np.arange(low, high + 1)
                holes = k[np.exp(log_density(p, k)) == 0]
                below += float(np.sum(np.exp(log_density(q, holes))))
            return below + above
        if q.family == "histogram":
            edges, pk = q.params["edges"], q.params["pk"]
            overlap = np.clip(np.minimum(edges[1:], high) - np.maximum(edges[:-1], low), 0, None)
            return float(np.sum(pk * (1 - overlap / np.diff(edges))))
        below = float(q.source.cdf(low)) if math.isfinite(low) else 0.0
        above = float(q.source.sf(high)) if math.isfinite(high) else 0.0
        outside = below + above
        if p.family == "histogram":  # bins of p without mass are outside its support too
            edges, pk = p.params["edges"], p.params["pk"]
            empty = pk == 0
            outside += float(np.sum(q.source.cdf(edges[1:][empty]) - q.source.cdf(edges[:-1][empty])))
        return outside


def _explicit_outside(points: np.ndarray, q: Description) -> float:
    with np.errstate(divide="ignore"):
        inside = float(np.sum(np.exp(log_density(q, points))))
    return max(0.0, 1.0 - inside)


def ratio_moment_is_finite(p: Description, q: Description, order: int, *, of_log: bool = False) -> bool | None:
    """Whether E_p[r^order] (or E_p[|log r|^order] with `of_log`) is finite; None if unknown."""
    if p.kind == "multivariate":
        return _multivariate_moment_is_finite(p, q, order, of_log)
    if p.family == "sample" or (p.kind == "discrete" and all(map(math.isfinite, p.support()))):
        return True  # finitely many outcomes
    if p.family == "histogram" and q.family == "histogram":
        return True

    def log_h(x: np.ndarray, log_p: np.ndarray, log_z: np.ndarray | None) -> np.ndarray:
        log_r = log_density(q, x) - log_p
        log_h = order * np.log(np.abs(log_r)) if of_log else order * log_r
        # h = 0 (r = 1 where q = p) is as tame as a tail gets: keep it finite for the analysis
        return np.maximum(log_h, -1e300)

    exponent = largest_tail_exponent(p, log_h)
    if math.isnan(exponent):
        return None
    return exponent < 1.0


def _multivariate_moment_is_finite(p: Description, q: Description, order: int, of_log: bool) -> bool | None:
    if p.family == "multinomial":
        return True
    if p.family != q.family or p.family not in ("multivariate_normal", "dirichlet"):
        return None
    if of_log:
        return True  # polynomial (normal) and log-moment (Dirichlet) integrands
    if p.family == "multivariate_normal":
        # E_p[r^k] = integral of q^k p^(1-k): finite iff k S_q^-1 - (k-1) S_p^-1 is positive definite
        precision = order * np.linalg.inv(q.params["cov"]) - (order - 1) * np.linalg.inv(p.params["cov"])
        return bool(np.all(np.linalg.eigvalsh(0.5 * (precision + precision.T)) > 0))
    alpha, beta = p.params["alpha"], q.params["alpha"]
    return bool(np.all(order * beta - (order - 1) * alpha > 0))


#: Largest finite discrete support over which the estimators' exact variances are summed.
_EXACT_SUPPORT_LIMIT = 1_000_000


def exact_term_deviations(p: Description, q: Description, outside: float) -> dict[str, float] | None:
    """Exact standard deviations of the k1, k2, k3 terms under p, for p with few support points.

    With finitely many outcomes the expectation is a sum, so the spread of each estimator's
    terms need not be estimated from the sample, where rare outcomes with large ratios
    (binom(10, 0.3) against poisson(3): r = 137 at k = 10, probability 6e-6) are usually
    missing and the sample standard deviation understates it. None when p's support is large,
    infinite, or where q has no mass at a point of p.
    """
    if p.kind != "discrete":
        return None
    if p.family == "sample":
        points = p.params["xk"]
    else:
        low, high = (float(e) for e in p.support())
        if not (math.isfinite(low) and math.isfinite(high)) or high - low >= _EXACT_SUPPORT_LIMIT:
            return None
        points = np.arange(low, high + 1)
    with np.errstate(all="ignore"):
        log_p, log_q = log_density(p, points), log_density(q, points)
        mass = np.exp(log_p)
        keep = mass > 0
        if np.any(np.isneginf(log_q[keep])):
            return None
        log_r = log_q[keep] - log_p[keep]
        weights = mass[keep] / mass[keep].sum()
        terms = {
            "k1": -log_r,
            "k2": 0.5 * log_r**2,
            "k3": np.expm1(log_r) - log_r + outside,
        }
        deviations = {}
        for name, values in terms.items():
            mean = np.dot(weights, values)
            deviations[name] = float(np.sqrt(np.dot(weights, (values - mean) ** 2)))
    return deviations if all(map(math.isfinite, deviations.values())) else None
