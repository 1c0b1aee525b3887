"""Monte Carlo estimates of the KL divergence from samples of p and both log-densities."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from kltools._validation import _as_generator, _frozen_kind, _positive_int


class MonteCarloEstimate(NamedTuple):
    """A Monte Carlo estimate of a KL divergence and its standard error.

    Attributes
    ----------
    value : float
        The estimate, in nats.
    stderr : float
        Its standard error: the sample standard deviation of the per-sample terms over sqrt(n).
    n : int
        The number of samples drawn from p.
    estimator : str
        Which estimator produced it: "k1", "k2" or "k3".
    """

    value: float
    stderr: float
    n: int
    estimator: str


def _log_density(dist: Any, kind: str, x: np.ndarray) -> np.ndarray:
    return dist.logpmf(x) if kind == "discrete" else dist.logpdf(x)


def _estimator_terms(log_ratio: np.ndarray, estimator: str) -> np.ndarray:
    """The per-sample terms whose mean estimates KL(p || q), from log r = log q(x) - log p(x)."""
    if estimator == "k1":
        return -log_ratio
    if estimator == "k2":
        return 0.5 * log_ratio**2
    # k3 = (r - 1) - log r, non-negative for every sample; expm1 keeps it accurate for r near 1.
    with np.errstate(over="ignore"):
        return np.expm1(log_ratio) - log_ratio


_ESTIMATORS = ("k1", "k2", "k3")


def kl_monte_carlo(
    p: Any, q: Any, n: int = 10_000, *, estimator: str = "k3", rng: Any = None
) -> MonteCarloEstimate:
    r"""Monte Carlo estimate of :math:`D_{\mathrm{KL}}(p \,\|\, q)` from samples of `p`.

    Parameters
    ----------
    p : frozen scipy.stats distribution
        The distribution sampled from (its ``rvs``) and evaluated (its ``logpdf``/``logpmf``).
    q : frozen scipy.stats distribution
        Only evaluated, never sampled; the same kind (discrete or continuous) as `p`.
    n : int, optional
        Number of samples drawn from `p`. Default 10,000; at least 2.
    estimator : {"k3", "k1", "k2"}, optional
        Which per-sample term to average (see Notes). Default "k3".
    rng : None, int or numpy.random.Generator, optional
        Source of randomness; the same seed or the same generator state gives the same estimate.

    Returns
    -------
    MonteCarloEstimate
        A named tuple ``(value, stderr, n, estimator)``; ``value`` in nats.

    Raises
    ------
    TypeError
        If `p` or `q` is not a frozen scipy.stats distribution, or `n` or `rng` has the wrong
        type.
    ValueError
        If `estimator` is unknown, `n` < 2, or `p` and `q` are of different kinds.

    See Also
    --------
    kl : exact value, when a closed form or numerical integration is possible.
    kl_knn : when only samples of both distributions are available.

    Notes
    -----
    With :math:`x_1, \dots, x_n \sim p` and :math:`r_i = q(x_i) / p(x_i)`:

    - ``"k1"``: :math:`-\log r_i`. Unbiased, since :math:`\mathbb{E}_p[-\log r] = D_{\mathrm{KL}}(p\,\|\,q)`,
      but individual terms can be negative and its variance is high.
    - ``"k2"``: :math:`\tfrac12 (\log r_i)^2`. Every term is >= 0 and the variance is low, but
      it is biased: its mean is :math:`\tfrac12\mathbb{E}_p[(\log r)^2]`, which matches the
      divergence only to second order when `q` is close to `p`.
    - ``"k3"``: :math:`(r_i - 1) - \log r_i`. Unbiased, because :math:`\mathbb{E}_p[r] = 1`, and
      every term is >= 0 (since :math:`\log r \le r - 1`), so its variance is usually much lower
      than that of k1.

    The standard error is the sample standard deviation of the terms divided by
    :math:`\sqrt n`. If some :math:`q(x_i) = 0`, the divergence is infinite and so is the
    estimate.

    References
    ----------
    .. [1] J. Schulman, "Approximating KL Divergence", 2020, http://joschu.net/blog/kl-approx.html

    Examples
    --------
    >>> from scipy import stats
    >>> import kltools
    >>> p, q = stats.norm(0, 1), stats.norm(1, 1)
    >>> estimate = kltools.kl_monte_carlo(p, q, n=100_000, rng=0)
    >>> abs(estimate.value - kltools.kl(p, q)) < 4 * estimate.stderr
    True
    >>> estimate == kltools.kl_monte_carlo(p, q, n=100_000, rng=0)
    True
    """
    p_kind, q_kind = _frozen_kind(p, "p"), _frozen_kind(q, "q")
    if p_kind != q_kind:
        raise ValueError(f"cannot compare a {p_kind} p with a {q_kind} q")
    n = _positive_int(n, "n")
    if n < 2:
        raise ValueError("n must be >= 2 to estimate a standard error")
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}")
    generator = _as_generator(rng)

    x = p.rvs(size=n, random_state=generator)
    log_p = _log_density(p, p_kind, x)
    log_q = _log_density(q, q_kind, x)
    if np.any(log_q == -np.inf):  # p puts mass where q has none
        return MonteCarloEstimate(math.inf, math.inf, n, estimator)
    terms = _estimator_terms(log_q - log_p, estimator)
    value = float(np.mean(terms))
    stderr = float(np.std(terms, ddof=1) / math.sqrt(n)) if math.isfinite(value) else math.inf
    return MonteCarloEstimate(value, stderr, n, estimator)
