"""The public functions kl() and entropy_of(): they describe their arguments and choose a route."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from kltools._distributions.adapters import describe
from kltools._distributions.closed_forms import closed_form_kl
from kltools._distributions.description import Description, broadcast_batch_shape
from kltools._distributions.log_densities import has_standard_form
from kltools._distributions.quadrature import entropy_by_quadrature, kl_by_quadrature
from kltools._distributions.summation import entropy_by_summation, kl_by_summation


def _scalar_or_array(x: Any) -> float | np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


def _member_index(index: tuple[int, ...], batch_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index into `batch_shape` that broadcasting maps `index` of the full shape to."""
    own = index[len(index) - len(batch_shape):]
    return tuple(0 if size == 1 else i for i, size in zip(own, batch_shape))


def _elementwise(route: Callable[..., float], shape: tuple[int, ...], *dists: Description) -> float | np.ndarray:
    """Apply a one-pair numerical route to each member of a broadcast batch (a Python loop)."""
    if shape == ():
        return route(*dists)
    out = np.empty(shape)
    for index in np.ndindex(*shape):
        out[index] = route(*(d.element(_member_index(index, d.batch_shape)) for d in dists))
    return out


def _check_kinds(p: Description, q: Description) -> None:
    if p.kind == q.kind:
        return
    if "multivariate" in (p.kind, q.kind):
        raise ValueError(f"p is {p.kind} and q is {q.kind}: their dimensions differ")
    raise ValueError(f"cannot compare a {p.kind} p with a {q.kind} q")


def kl(p: Any, q: Any) -> float | np.ndarray:
    r"""KL divergence :math:`D_{\mathrm{KL}}(p \,\|\, q)` between two scipy.stats distributions.

    Parameters
    ----------
    p : scipy.stats distribution
        The reference distribution: a frozen univariate distribution such as
        ``scipy.stats.norm(0, 1)`` (array parameters make a batch), an ``rv_discrete(values=...)``
        or ``rv_histogram`` object (frozen or not: they have no parameters), or a frozen
        multivariate normal or Dirichlet distribution.
    q : scipy.stats distribution
        The approximating distribution, of the same kind as `p`; batch shapes broadcast.

    Returns
    -------
    float or ndarray
        The divergence in nats, >= 0; an array of the broadcast batch shape for batches.
        ``inf`` when `p` puts probability where `q` has none (``uniform(0, 2)`` against
        ``uniform(0, 1)``) and when the defining integral or sum diverges although both have full
        support (``cauchy()`` against ``norm()``: :math:`\mathbb{E}_p[X^2] = \infty`).

    Raises
    ------
    TypeError
        If `p` or `q` is not a scipy.stats distribution of a supported kind.
    ValueError
        If a parameter is NaN, infinite or outside its family's domain (the message names the
        argument and the parameter); if one is discrete and the other continuous; if
        dimensions or batch shapes differ; if a multivariate pair has no closed form; if a
        covariance is singular; for SciPy's circular ``vonmises``, whose density is periodic on
        the whole line (use ``vonmises_line``).
    ArithmeticError
        If numerical integration or summation cannot reach the promised accuracy, or cannot
        decide whether the integral converges: the message gives the estimate and its error
        bound. kltools never returns a number it could not verify to that accuracy.

    See Also
    --------
    kl_divergence : the same for probability vectors.
    entropy_of, kl_monte_carlo

    Notes
    -----
    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx
        \quad\text{or}\quad \sum_x p(x) \log \frac{p(x)}{q(x)} .

    **Closed forms** are registered per pair of families in one table
    (``kltools/_distributions/closed_forms.py``), with SciPy's ``loc`` and ``scale`` taken into
    account (a pair outside what a formula covers falls back to the numerical route). They are
    written as sums of non-negative terms evaluated in log space, so that they hold over the
    whole double range of the parameters and keep their relative accuracy for nearly equal
    distributions: for two normals, with :math:`L = \log(\sigma_1/\sigma_2)`,

    .. math::

        D_{\mathrm{KL}} = \tfrac12\left(e^{2L} - 1 - 2L\right)
        + \frac{(\mu_1 - \mu_2)^2}{2\sigma_2^2},

    with :math:`e^{2L} - 1 - 2L` by its Taylor series for small :math:`L`, so that
    ``kl(norm(0, 1), norm(0, 1 + 1e-9))`` is about ``1e-18`` rather than 0, and
    ``kl(norm(0, 1e-9), norm(0, 1))`` is 20.22 rather than an overflow. Batches are vectorized.

    **Any other pair** of univariate distributions is summed (discrete: over the support points
    of `p` where it has its mass) or integrated (continuous). The integral is taken over the
    quantiles of `p`, :math:`\int_0^1 [\log p(x(u)) - \log q(x(u))]\, du` with
    :math:`x(u) = F_p^{-1}(u)`, where heavy tails and densities singular at an end of the
    support become mild end-point behaviour; log-densities are computed from the parameters
    for the common families, so that a density that underflows is not mistaken for zero. Probes
    of the integrand at :math:`u = 10^{-1}, \dots, 10^{-300}` (and likewise towards 1) decide
    whether it diverges: growth like :math:`1/u` or faster in the deepest decades means an
    infinite divergence. Otherwise an adaptive Gauss-Kronrod rule integrates it, the part
    beyond the deepest resolvable quantile is extrapolated, and the result is returned only if
    the error bound is within ``1e-6`` relative. Numerical routes loop over the members of a
    batch in Python.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22(1), 79-86, 1951.
    .. [2] M. Gil, F. Alajaji and T. Linder, "Rényi divergence measures for commonly used
       univariate continuous distributions", Information Sciences 249, 124-131, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import kltools
    >>> kltools.kl(stats.norm(0, 1), stats.norm(1, 1))
    0.5
    >>> kltools.kl(stats.norm(0, 1), stats.norm(1e-8, 1))  # doctest: +ELLIPSIS
    5.0...e-17
    >>> kltools.kl(stats.uniform(0, 2), stats.uniform(0, 1))
    inf
    >>> kltools.kl(stats.uniform(0, 1), stats.uniform(0, 2))  # doctest: +ELLIPSIS
    0.6931...

    A batch of pairs, broadcast like NumPy arrays:

    >>> kltools.kl(stats.norm(0, 1), stats.norm(np.array([0.0, 1.0, 2.0]), 1))
    array([0. , 0.5, 2. ])

    A pair with no closed form is integrated numerically; a divergent one is infinite:

    >>> round(kltools.kl(stats.t(df=5), stats.norm(0, 1)), 6)
    0.124769
    >>> kltools.kl(stats.cauchy(), stats.norm())
    inf
    """
    p_desc, q_desc = describe(p, "p"), describe(q, "q")
    _check_kinds(p_desc, q_desc)
    shape = broadcast_batch_shape(p_desc, q_desc) if p_desc.kind != "multivariate" else ()
    value = closed_form_kl(p_desc, q_desc)
    if value is not None:
        return _scalar_or_array(value)
    if p_desc.kind == "multivariate":
        raise ValueError(
            f"no closed form for KL({p_desc.family} || {q_desc.family}); multivariate pairs are "
            "supported for multivariate_normal and dirichlet (use kl_monte_carlo otherwise)"
        )
    route = kl_by_summation if p_desc.kind == "discrete" else kl_by_quadrature

    def one_pair(p_one: Description, q_one: Description) -> float:
        if _identical(p_one, q_one):
            return 0.0  # exactly, where a numerical route would return rounding noise
        return route(p_one, q_one)

    return _scalar_or_array(_elementwise(one_pair, shape, p_desc, q_desc))


def _identical(p: Description, q: Description) -> bool:
    """The same family with the same parameters (or the very same explicit object)."""
    if p.family != q.family or p.params.keys() != q.params.keys():
        return False
    if p.family == "mixture":
        return p.source.rv is q.source.rv
    if not p.params:
        return p.source is q.source
    return all(np.array_equal(p.params[k], q.params[k]) for k in p.params)


def _scipy_entropy(dist: Description) -> float | None:
    """SciPy's entropy where the family has a formula of its own, if it is finite."""
    from scipy import stats

    family_object = getattr(dist.source, "dist", None)  # None for SciPy's new random variables
    generic = stats.rv_continuous._entropy
    if family_object is not None and dist.kind == "continuous" and type(family_object)._entropy is generic:
        return None  # SciPy would integrate numerically: our quadrature is the better route
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = float(dist.source.entropy())
        except Exception:  # noqa: BLE001 - SciPy's failure modes vary; fall back to quadrature
            return None
    return value if math.isfinite(value) else None


def _entropy_of_one(dist: Description) -> float:
    if dist.kind == "discrete":
        return entropy_by_summation(dist)
    if dist.family == "histogram":
        pk, widths = dist.params["pk"], np.diff(dist.params["edges"])
        mass = pk > 0
        return float(-np.sum(pk[mass] * (np.log(pk[mass]) - np.log(widths[mass]))))
    if has_standard_form(dist):
        # SciPy's formulas cancel for large shapes (beta(10, 1e8) gives 0.0, not -15.88)
        return entropy_by_quadrature(dist)
    value = _scipy_entropy(dist)
    return value if value is not None else entropy_by_quadrature(dist)


def _multivariate_entropy(dist: Description) -> float:
    from scipy import special

    if dist.family == "multivariate_normal":
        # log det(2 pi e S) / 2 from a Cholesky factor: no determinant to overflow
        try:
            chol = np.linalg.cholesky(dist.params["cov"])
        except np.linalg.LinAlgError:
            raise ValueError("the covariance of dist is singular; its entropy is -inf") from None
        d = chol.shape[0]
        return float(0.5 * d * np.log(2 * np.pi * np.e) + np.sum(np.log(np.diag(chol))))
    if dist.family == "dirichlet":
        alpha = dist.params["alpha"]
        total, k = alpha.sum(), alpha.size
        terms = np.array([
            special.gammaln(alpha).sum() - special.gammaln(total),
            (total - k) * special.digamma(total),
            -np.sum((alpha - 1) * special.digamma(alpha)),
        ])
        value = float(terms.sum())
        rounding = 8 * np.finfo(np.float64).eps * (np.abs(special.gammaln(alpha)).sum() + np.abs(terms).sum())
        if not rounding <= 1e-6 * abs(value):
            raise ArithmeticError(
                f"the entropy of a Dirichlet with parameters this large (sum {total:.3g}) is a "
                f"difference of terms whose rounding ({rounding:.2g}) exceeds 1e-6 of it ({value:.6g})"
            )
        return value
    value = _scipy_entropy(dist)
    if value is None:
        raise ValueError(f"no entropy is known for {dist.family}")
    return value


def entropy_of(dist: Any) -> float | np.ndarray:
    r"""Entropy of a frozen scipy.stats distribution, in nats.

    Parameters
    ----------
    dist : scipy.stats distribution
        For example ``scipy.stats.norm(0, 2)`` or ``scipy.stats.poisson(3)``; array parameters
        make a batch; ``rv_discrete(values=...)`` and ``rv_histogram`` objects are accepted as
        they are.

    Returns
    -------
    float or ndarray
        The Shannon entropy (discrete) or differential entropy (continuous) in nats, an array
        of the batch shape for a batch. A differential entropy can be negative.

    Raises
    ------
    TypeError
        If `dist` is not a frozen scipy.stats distribution.
    ValueError
        If a parameter is NaN, infinite or outside its family's domain.
    ArithmeticError
        If the numerical sum or integral cannot reach the promised accuracy.

    See Also
    --------
    entropy : the same for probability vectors.
    kl

    Notes
    -----
    .. math::

        H(p) = -\sum_x p(x) \log p(x) \quad\text{or}\quad h(p) = -\int p(x) \log p(x)\, dx .

    Discrete entropies are summed by kltools over the points where the distribution has its
    mass (1e-9 relative, for any parameter size; ``poisson(1e6)`` and ``binom(10**9, 0.5)``
    included). Continuous ones use SciPy's formula where the family has one, and otherwise
    the integral over the quantiles described in :func:`kl`. Unlike entropy, differential entropy depends on the units of :math:`x`:
    ``entropy_of(norm(0, 2)) - entropy_of(norm(0, 1))`` is :math:`\log 2`.

    Examples
    --------
    >>> import math
    >>> from scipy import stats
    >>> import kltools
    >>> kltools.entropy_of(stats.bernoulli(0.5)) == math.log(2)
    True
    >>> round(kltools.entropy_of(stats.norm(0, 1)), 6)  # 0.5 * log(2 pi e)
    1.418939
    """
    description = describe(dist, "dist")
    if description.kind == "multivariate":
        return _multivariate_entropy(description)
    return _scalar_or_array(_elementwise(_entropy_of_one, description.batch_shape, description))
