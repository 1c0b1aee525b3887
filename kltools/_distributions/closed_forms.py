r"""Closed-form KL divergences, registered per pair of families in one table.

Each registered function receives two validated :class:`Description` objects and returns
:math:`D_{\mathrm{KL}}(p \,\|\, q)` in nats as a float64 array of the broadcast batch shape, or
``None`` when the formula does not cover every member of the batch (the caller then integrates
or sums numerically).

How the formulas are evaluated
------------------------------
Every formula is rewritten as a sum of terms that are each non-negative and computed with
relative accuracy, over the whole float64 range of the parameters (scales from the smallest
subnormal to the largest double, shapes from 1e-300 up, nearly equal or wildly different
parameters):

- a ratio of scales enters through ``L = log(s1/s2)`` (:func:`~kltools._numerics._log_ratio`:
  ``log1p`` of an exact difference near 1), and through ``phi(L) = e**L - 1 - L >= 0``, which is
  a Taylor series for small ``L``; ``w * phi(L)`` is formed from ``w`` and ``w * e**L``, the latter
  a product of mantissas and a power of two, so neither ``inf * 0`` nor a spurious overflow occurs;
- ratios of products near 1 (gamma, Dirichlet) use exact two-products;
- differences of locations never overflow (:func:`~kltools._numerics._difference_over`);
- gaps of ``lgamma`` use :func:`~kltools._numerics._lgamma_tangent_gap`, accurate for all
  shapes; the Dirichlet (and beta) divergence is split, through ``lgamma(x) = (x log x - x)
  - log(x)/2 + c + mu(x)``, into a categorical KL, a Jensen gap and a gap of Binet's ``mu``.

A result is ``inf`` exactly where the divergence is infinite (the support of p is not inside the
support of q) or where its finite value exceeds the largest double; it is never NaN or negative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kltools._distributions.description import Description, broadcast_batch_shape
from kltools._numerics import (
    _EULER_GAMMA,
    _binet_gap_shift,
    _binet_tangent_gap,
    _dd_sum,
    _difference_over,
    _expm1_minus_x,
    _gamma_shape_gap,
    _half_square,
    _lgamma_tangent_gap,
    _log_quotient,
    _log_ratio,
    _on,
    _quotient,
    _ratio_minus_one,
    _relative_entropy_term,
    _sum_last,
    _two_sum,
    _weighted_chi,
    _weighted_phi,
)

ClosedForm = Callable[[Description, Description], "np.ndarray | None"]

#: The closed forms, keyed by (family of p, family of q) as SciPy names the families.
KL_CLOSED_FORMS: dict[tuple[str, str], ClosedForm] = {}

_SQRT_2_OVER_PI = 0.79788456080286535588


def register_kl(family_p: str, family_q: str) -> Callable[[ClosedForm], ClosedForm]:
    """Register the decorated function as the closed form of ``KL(family_p || family_q)``.

    Parameters
    ----------
    family_p, family_q : str
        SciPy's names of the two families, e.g. ``"norm"``.

    Returns
    -------
    callable
        A decorator that stores the function in :data:`KL_CLOSED_FORMS` and returns it
        unchanged (like ``torch.distributions.kl.register_kl``).
    """

    def decorator(function: ClosedForm) -> ClosedForm:
        KL_CLOSED_FORMS[(family_p, family_q)] = function
        return function

    return decorator


def closed_form_kl(p: Description, q: Description) -> np.ndarray | None:
    """KL(p || q) in nats from a registered closed form, or None.

    Parameters
    ----------
    p, q : Description
        Validated descriptions (see :mod:`kltools._distributions.adapters`).

    Returns
    -------
    numpy.ndarray or None
        A float64 array of the broadcast batch shape of `p` and `q` (0-d for single
        distributions), each entry >= 0 or ``inf``; ``None`` when no closed form is registered
        for the pair or the registered one does not apply to every member of the batch (for
        example two gamma distributions with different ``loc``).

    Raises
    ------
    ValueError
        If the batch shapes do not broadcast, or multivariate dimensions differ.

    Examples
    --------
    >>> from scipy import stats
    >>> from kltools._distributions.adapters import describe
    >>> float(closed_form_kl(describe(stats.norm(0, 1e-9), "p"), describe(stats.norm(0, 1), "q")))
    20.22326583694641
    >>> closed_form_kl(describe(stats.gamma(2, loc=1), "p"), describe(stats.gamma(2), "q")) is None
    True
    """
    function = KL_CLOSED_FORMS.get((p.family, q.family))
    if function is None:
        return None
    value = function(p, q)
    if value is None:
        return None
    return np.asarray(value, dtype=np.float64)


# -------------------------------------------------------------------------------------------
# Parameters


def _params(p: Description, q: Description, *names: str) -> list[np.ndarray]:
    """The named parameters of p, then the same of q, broadcast to the common batch shape."""
    shape = broadcast_batch_shape(p, q)
    return [np.broadcast_to(np.asarray(d.params[name], dtype=np.float64), shape) for d in (p, q) for name in names]


def _sum_at_most(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Exactly whether a1 + b1 <= a2 + b2 (the real sums of the floats), by two-sums.

    Where a sum overflows, both sides are halved first (exact for such large numbers).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        s1, e1 = _two_sum(a1, b1)
        s2, e2 = _two_sum(a2, b2)
        h1, f1 = _two_sum(0.5 * a1, 0.5 * b1)
        h2, f2 = _two_sum(0.5 * a2, 0.5 * b2)
    overflow = ~(np.isfinite(s1) & np.isfinite(s2))
    plain = (s1 < s2) | ((s1 == s2) & (e1 <= e2))
    halved = (h1 < h2) | ((h1 == h2) & (f1 <= f2))
    return np.where(overflow, halved, plain)


def _weighted_phi_of_ratio(w, x, y) -> np.ndarray:
    """``w * (x/y - 1 - log(x/y))`` for w >= 0, x, y > 0."""
    return _weighted_phi(w, _log_ratio(x, y), w * _quotient((x,), (y,)))


def _scale_part(s1: np.ndarray, s2: np.ndarray, power: int) -> np.ndarray:
    """``r**k - 1 - log(r**k)`` with r = s1/s2 and k = `power` (1 or 2), >= 0."""
    L = power * _log_ratio(s1, s2)
    return _weighted_phi(1.0, L, _quotient((s1,) * power, (s2,) * power))


# -------------------------------------------------------------------------------------------
# Location-scale families on the real line


def _normal_kl(m1, s1, m2, s2) -> np.ndarray:
    """(r^2 - 1 - log r^2)/2 + ((m1 - m2)/s2)^2/2, r = s1/s2."""
    two_L = 2.0 * _log_ratio(s1, s2)
    scale = _weighted_phi(0.5, two_L, _quotient((s1, s1), (s2, s2), exponent=-1))
    return scale + _half_square(_difference_over(m1, m2, s2))


@register_kl("norm", "norm")
def _kl_norm(p: Description, q: Description) -> np.ndarray:
    m1, s1, m2, s2 = _params(p, q, "loc", "scale")
    return _normal_kl(m1, s1, m2, s2)


@register_kl("lognorm", "lognorm")
def _kl_lognorm(p: Description, q: Description) -> np.ndarray | None:
    """The normal KL of log(X - loc) ~ N(log scale, s); same loc only."""
    s1, l1, c1, s2, l2, c2 = _params(p, q, "s", "loc", "scale")
    if np.any(l1 > l2):
        return None
    two_L = 2.0 * _log_ratio(s1, s2)
    scale = _weighted_phi(0.5, two_L, _quotient((s1, s1), (s2, s2), exponent=-1))
    value = scale + _half_square(_log_ratio(c1, c2) / s2)
    return np.where(l1 == l2, value, np.inf)


@register_kl("laplace", "laplace")
def _kl_laplace(p: Description, q: Description) -> np.ndarray:
    """(r - 1 - log r) + r (e^-x - 1 + x), r = b1/b2, x = |m1 - m2|/b1."""
    m1, b1, m2, b2 = _params(p, q, "loc", "scale")
    r = _quotient((b1,), (b2,))
    scale = _weighted_phi(1.0, _log_ratio(b1, b2), r)
    x = np.abs(_difference_over(m1, m2, b1))
    finite_r = np.where(np.isfinite(r), r, 0.0)  # r = inf: the scale part is inf already
    small = x < 1.0
    series = finite_r * _expm1_minus_x(-np.where(small, x, 0.0))
    # x >= 1: r x - r (1 - e^-x), with r x = |m1 - m2|/b2; they cancel by at most e to 1.
    large = np.abs(_difference_over(m1, m2, b2)) + finite_r * np.expm1(-np.where(small, 1.0, x))
    return scale + np.where(small, series, large)


@register_kl("cauchy", "cauchy")
def _kl_cauchy(p: Description, q: Description) -> np.ndarray:
    """log(((s1 + s2)^2 + (m1 - m2)^2) / (4 s1 s2)) = log1p(((s1 - s2)^2 + (m1 - m2)^2) / (4 s1 s2))."""
    m1, s1, m2, s2 = _params(p, q, "loc", "scale")
    root = np.sqrt(s1) * np.sqrt(s2)
    with np.errstate(over="ignore"):
        a = (s1 - s2) / (2.0 * root)
        b = _difference_over(m1, m2, 2.0 * root)
        w = np.square(a) + np.square(b)
    # Where w overflows, its logarithm from logarithms: the result then exceeds 700.
    with np.errstate(divide="ignore"):
        half_log_root = 0.5 * np.log(s1) + 0.5 * np.log(s2)
        d = np.subtract(m1, m2)  # may overflow: then the halves
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        d = np.where(np.isfinite(d), np.abs(d), np.inf)
        log_abs_d = np.where(np.isfinite(d), np.log(d), np.log(np.abs(0.5 * m1 - 0.5 * m2)) + np.log(2.0))
        log_a = np.log(np.abs(s1 - s2)) - np.log(2.0) - half_log_root
        log_b = log_abs_d - np.log(2.0) - half_log_root
        log_w = np.logaddexp(2.0 * log_a, 2.0 * log_b)
    return np.where(np.isfinite(w), np.log1p(w), np.logaddexp(0.0, log_w))


@register_kl("gumbel_r", "gumbel_r")
def _kl_gumbel_r(p: Description, q: Description) -> np.ndarray:
    m1, b1, m2, b2 = _params(p, q, "loc", "scale")
    return _gumbel_kl(b1, b2, _difference_over(m1, m2, b2))


@register_kl("gumbel_l", "gumbel_l")
def _kl_gumbel_l(p: Description, q: Description) -> np.ndarray:
    """The mirror image x -> -x of gumbel_r."""
    m1, b1, m2, b2 = _params(p, q, "loc", "scale")
    return _gumbel_kl(b1, b2, _difference_over(m2, m1, b2))


def _gumbel_kl(b1: np.ndarray, b2: np.ndarray, c: np.ndarray) -> np.ndarray:
    r"""KL(Gumbel(m1, b1) || Gumbel(m2, b2)) given c = (m1 - m2)/b2; r = b1/b2.

    With Y = lgamma(1 + r) - c:  KL = (e^Y - 1 - Y) + (lgamma(r) + euler (r - 1)), the second
    term being the tangent gap of lgamma at 1 (digamma(1) = -euler); both are >= 0.
    """
    L = _log_ratio(b1, b2)
    r = _quotient((b1,), (b2,))
    tiny = r < 1e-300  # then lgamma(r) + euler (r - 1) = -log r - euler to double precision
    huge = np.isinf(r)  # then the gap exceeds r log r: beyond the double range
    ordinary = ~tiny & ~huge
    with np.errstate(over="ignore"):
        r_minus_1 = np.where(ordinary, (b1 - b2) / b2, 0.0)  # exact numerator where r is near 1
    gap = _lgamma_tangent_gap(np.ones_like(r), r_minus_1, np.where(ordinary, r, 1.0))
    gap = np.where(tiny, -L - _EULER_GAMMA, gap)
    with np.errstate(invalid="ignore", over="ignore"):
        y = (L - _EULER_GAMMA * np.where(ordinary, r_minus_1, -1.0)) + gap - c  # log r + lgamma(r) - c
        value = _expm1_minus_x(np.where(np.isnan(y), 0.0, y)) + gap
    return np.where(huge | np.isinf(gap) | np.isnan(y), np.inf, value)


# -------------------------------------------------------------------------------------------
# Families on a half-line or an interval


@register_kl("uniform", "uniform")
def _kl_uniform(p: Description, q: Description) -> np.ndarray:
    """log(w2/w1) where [a1, a1 + w1] lies inside [a2, a2 + w2], inf otherwise."""
    a1, w1, a2, w2 = _params(p, q, "loc", "scale")
    inside = (a1 >= a2) & _sum_at_most(a1, w1, a2, w2)
    return np.where(inside, _log_ratio(np.where(inside, w2, 1.0), np.where(inside, w1, 1.0)), np.inf)


@register_kl("expon", "expon")
def _kl_expon(p: Description, q: Description) -> np.ndarray:
    """(r - 1 - log r) + (l1 - l2)/s2 where l1 >= l2, inf otherwise."""
    l1, s1, l2, s2 = _params(p, q, "loc", "scale")
    inside = l1 >= l2
    value = _scale_part(s1, s2, 1) + _difference_over(np.where(inside, l1, l2), l2, s2)
    return np.where(inside, value, np.inf)


@register_kl("halfnorm", "halfnorm")
def _kl_halfnorm(p: Description, q: Description) -> np.ndarray:
    r"""(r^2 - 1 - log r^2)/2 + sqrt(2/pi) c r / s2 + c^2/(2 s2^2), c = l1 - l2 >= 0.

    With Y ~ halfnorm(0, s1): E(Y + c)^2 = s1^2 + 2 c s1 sqrt(2/pi) + c^2.
    """
    l1, s1, l2, s2 = _params(p, q, "loc", "scale")
    inside = l1 >= l2
    scale = _weighted_phi(0.5, 2.0 * _log_ratio(s1, s2), _quotient((s1, s1), (s2, s2), exponent=-1))
    c = _difference_over(np.where(inside, l1, l2), l2, s2)
    r = _quotient((s1,), (s2,))
    with np.errstate(over="ignore", invalid="ignore"):
        # c = inf: c^2/2 is inf already; r = inf: the scale part is.
        cross = np.where((c > 0) & np.isfinite(c), _SQRT_2_OVER_PI * c * np.where(np.isfinite(r), r, 0.0), 0.0)
    return np.where(inside, scale + cross + _half_square(c), np.inf)


@register_kl("rayleigh", "rayleigh")
def _kl_rayleigh(p: Description, q: Description) -> np.ndarray | None:
    """r^2 - 1 - log r^2 (E Y^2 = 2 s1^2); same loc only."""
    l1, s1, l2, s2 = _params(p, q, "loc", "scale")
    if np.any(l1 > l2):
        return None
    return np.where(l1 == l2, _scale_part(s1, s2, 2), np.inf)


@register_kl("pareto", "pareto")
def _kl_pareto(p: Description, q: Description) -> np.ndarray | None:
    """(b2/b1 - 1 - log(b2/b1)) + b2 log(s1/s2), same loc and s1 >= s2; support x >= loc + scale."""
    b1, l1, s1, b2, l2, s2 = _params(p, q, "b", "loc", "scale")
    inside = _sum_at_most(l2, s2, l1, s1)
    if np.any(inside & (l1 != l2)):
        return None
    value = _weighted_phi_of_ratio(1.0, b2, b1)
    with np.errstate(over="ignore"):
        value = value + b2 * _log_ratio(np.where(inside, s1, 1.0), np.where(inside, s2, 1.0))
    return np.where(inside, value, np.inf)


def _gamma_kl(a1, l1, s1, a2, l2, s2) -> np.ndarray | None:
    r"""KL(Gamma(a1, l, s1) || Gamma(a2, l, s2)) as two non-negative parts.

    With rho = a1 s1 / (a2 s2):  KL = [f(a2) - f(a1) - (a2 - a1) f'(a1)] + a2 (rho - 1 - log rho),
    f(x) = lgamma(x) - x log x + x convex; the first part depends on the shapes alone.
    """
    if np.any(l1 > l2):
        return None
    shape = _gamma_shape_gap(a1, a2 - a1, a2)
    t = _ratio_minus_one(a1, s1, a2, s2)
    near = np.abs(t) <= 0.5
    log_rho = np.where(near, np.log1p(np.where(near, t, 0.0)), _log_quotient((a1, s1), (a2, s2)))
    scale = _weighted_phi(a2, log_rho, _quotient((a1, s1), (s2,)))
    return np.where(l1 == l2, shape + scale, np.inf)


@register_kl("gamma", "gamma")
def _kl_gamma(p: Description, q: Description) -> np.ndarray | None:
    return _gamma_kl(*_params(p, q, "a", "loc", "scale"))


@register_kl("erlang", "erlang")
def _kl_erlang(p: Description, q: Description) -> np.ndarray | None:
    return _gamma_kl(*_params(p, q, "a", "loc", "scale"))


@register_kl("chi2", "chi2")
def _kl_chi2(p: Description, q: Description) -> np.ndarray | None:
    """chi2(df, loc, scale) is gamma(df/2, loc, 2 scale)."""
    k1, l1, s1, k2, l2, s2 = _params(p, q, "df", "loc", "scale")
    return _gamma_kl(0.5 * k1, l1, 2.0 * s1, 0.5 * k2, l2, 2.0 * s2)


@register_kl("weibull_min", "weibull_min")
def _kl_weibull_min(p: Description, q: Description) -> np.ndarray | None:
    """log(X - loc) is gumbel_l(log scale, 1/c): the Gumbel divergence; same loc only."""
    c1, l1, s1, c2, l2, s2 = _params(p, q, "c", "loc", "scale")
    if np.any(l1 > l2):
        return None
    return np.where(l1 == l2, _weibull_kl(c1, s1, c2, s2), np.inf)


@register_kl("weibull_max", "weibull_max")
def _kl_weibull_max(p: Description, q: Description) -> np.ndarray | None:
    """The mirror image x -> -x of weibull_min (support x <= loc); same loc only."""
    c1, l1, s1, c2, l2, s2 = _params(p, q, "c", "loc", "scale")
    if np.any(l1 < l2):
        return None
    return np.where(l1 == l2, _weibull_kl(c1, s1, c2, s2), np.inf)


def _weibull_kl(c1, s1, c2, s2) -> np.ndarray:
    """-log(X - loc) is gumbel_r(-log scale, 1/c): b1/b2 = c2/c1 and (m1 - m2)/b2 = -c2 log(s1/s2)."""
    with np.errstate(over="ignore"):
        shift = -(c2 * _log_ratio(s1, s2))
    return _gumbel_kl(c2, c1, shift)


def _beta_family_kl(a1, b1, l1, s1, a2, b2, l2, s2) -> np.ndarray | None:
    same = (l1 == l2) & (s1 == s2)
    inside = (l1 >= l2) & _sum_at_most(l1, s1, l2, s2)
    if np.any(inside & ~same):
        return None
    alpha = np.stack([a1, b1], axis=-1)
    beta = np.stack([a2, b2], axis=-1)
    value = _dirichlet_kl(alpha, beta)
    if value is None:
        return None
    return np.where(same, value, np.inf)


@register_kl("beta", "beta")
def _kl_beta(p: Description, q: Description) -> np.ndarray | None:
    """The two-component Dirichlet divergence, same loc and scale."""
    return _beta_family_kl(*_params(p, q, "a", "b", "loc", "scale"))


# -------------------------------------------------------------------------------------------
# Dirichlet


def _dirichlet_kl(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray | None:
    r"""KL(Dir(alpha) || Dir(beta)) along the last axis, batched over the leading ones.

    The divergence is the Bregman divergence of A(x) = sum lgamma(x_i) - lgamma(sum x_i). With
    lgamma(x) = (x log x - x) - log(x)/2 + log(2 pi)/2 + mu(x) it splits into

    - ``sum_i relent(beta_i, beta0 p_i)`` = beta0 KL(pi || p), p = alpha/alpha0, pi = beta/beta0;
    - half of ``sum_i (1 - p_i) phi(log r_i) + KL(p || pi)``, r_i = beta_i/alpha_i (the Jensen
      gap of -log);
    - ``sum_i mu-gap(alpha_i, beta_i) - mu-gap(alpha0, beta0)``.

    The first two are sums of non-negative terms, each relatively accurate: the ratios
    ``pi_i/p_i - 1`` come from exact products with double-double totals. The third is a
    difference (:func:`_dirichlet_binet_part`). Returns None where alpha0 or beta0 exceeds the
    largest double.
    """
    a_total, a_low = _dd_sum(alpha)
    b_total, b_low = _dd_sum(beta)
    if not (np.all(np.isfinite(a_total)) and np.all(np.isfinite(b_total))):
        return None  # alpha0 or beta0 beyond the double range
    A = a_total[..., np.newaxis]
    B = b_total[..., np.newaxis]
    # tau_i = pi_i/p_i - 1 = beta_i alpha0 / (alpha_i beta0) - 1 and its logarithm ell_i.
    tau = _ratio_minus_one(beta, A, alpha, B, a_low[..., np.newaxis], b_low[..., np.newaxis])
    near = np.abs(tau) <= 0.5
    ell = np.where(near, np.log1p(np.where(near, tau, 0.0)), _log_quotient((beta, A), (alpha, B)))
    p = alpha / A
    pi = beta / B
    categorical_qp = _weighted_chi(_quotient((B, alpha), (A,)), ell, beta)  # relent(beta_i, beta0 p_i)
    categorical_pq = _weighted_chi(pi, -ell, p)  # relent(p_i, pi_i)
    # 1 - p_i = (alpha0 - alpha_i)/alpha0 from exclusive prefix and suffix sums (all positive).
    rest = _exclusive_sum(alpha)
    jensen = _weighted_phi(rest / A, _log_ratio(beta, alpha), _quotient((rest, beta), (A, alpha)))
    positive = _sum_last(categorical_qp) + 0.5 * (_sum_last(jensen) + _sum_last(categorical_pq))
    delta = beta - alpha
    delta_total = (b_total - a_total) + (b_low - a_low)
    binet = _dirichlet_binet_part(alpha, beta, delta, rest, a_total, b_total, delta_total)
    with np.errstate(invalid="ignore"):
        total = positive + np.where(np.isnan(binet), np.inf, binet)
    return np.where(np.isinf(positive), np.inf, np.maximum(total, 0.0))


def _dirichlet_binet_part(alpha, beta, delta, rest, a_total, b_total, delta_total) -> np.ndarray:
    """sum_i mu-gap(alpha_i, beta_i) - mu-gap(alpha0, beta0), the Binet part of the divergence.

    Where one component j holds all but 1/1024 of both alpha0 and beta0, its gap and the gap at alpha0 differ by a shift of 1/1024 or less:
    that difference is integrated along the shift (:func:`_binet_gap_shift`) instead of
    subtracted. Everything is summed exactly (two-sums), so that small gaps of the other
    components are not rounded away by large ones.
    """
    gaps = _binet_tangent_gap(alpha, delta, beta)
    gap_total = _binet_tangent_gap(a_total, delta_total, b_total)
    j = np.argmax(alpha, axis=-1)[..., np.newaxis]
    x = np.take_along_axis(alpha, j, axis=-1)[..., 0]
    d = np.take_along_axis(delta, j, axis=-1)[..., 0]
    s = np.take_along_axis(rest, j, axis=-1)[..., 0]
    s_new = np.take_along_axis(_exclusive_sum(beta), j, axis=-1)[..., 0]
    others = np.arange(alpha.shape[-1]) != j
    s_minus = -np.sum(np.where(others, delta, 0.0), axis=-1)  # sum of exact differences
    y = np.take_along_axis(beta, j, axis=-1)[..., 0]
    dominant = (s <= x / 1024) & (s_new <= y / 1024)
    shift = _on(dominant, _binet_gap_shift, x, d, s, s_new, s_minus, y)
    gaps = np.where(others | ~dominant[..., np.newaxis], gaps, shift[..., np.newaxis])
    gap_total = np.where(dominant, 0.0, gap_total)
    with np.errstate(invalid="ignore"):
        high, low = _dd_sum(np.concatenate([gaps, -gap_total[..., np.newaxis]], axis=-1))
        return high + low


def _exclusive_sum(x: np.ndarray) -> np.ndarray:
    """sum_{j != i} x_j for positive x along the last axis, each with relative accuracy."""
    zeros = np.zeros(x.shape[:-1] + (1,))
    prefix = np.concatenate([zeros, np.cumsum(x[..., :-1], axis=-1)], axis=-1)
    suffix = np.concatenate([np.flip(np.cumsum(np.flip(x[..., 1:], axis=-1), axis=-1), axis=-1), zeros], axis=-1)
    return prefix + suffix


@register_kl("dirichlet", "dirichlet")
def _kl_dirichlet(p: Description, q: Description) -> np.ndarray | None:
    alpha, beta = np.asarray(p.params["alpha"], dtype=np.float64), np.asarray(q.params["alpha"], dtype=np.float64)
    if alpha.shape != beta.shape:
        raise ValueError(f"p and q have different dimensions: {alpha.shape[-1]} and {beta.shape[-1]}")
    return _dirichlet_kl(alpha, beta)


# -------------------------------------------------------------------------------------------
# Multivariate normal


def _cholesky(cov: np.ndarray, name: str) -> np.ndarray:
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        factor = None
    if factor is None or not np.all(np.isfinite(factor)) or np.any(np.diag(factor) <= 0):
        raise ValueError(f"the covariance of {name} is singular; KL is not defined")
    return factor


@register_kl("multivariate_normal", "multivariate_normal")
def _kl_multivariate_normal(p: Description, q: Description) -> np.ndarray:
    r"""(tr(Sq^-1 Sp) - d - log det(Sq^-1 Sp))/2 + |Lq^-1 (mp - mq)|^2/2.

    With M = Lq^-1 Lp, the first part is half of sum_i (lambda_i - 1 - log lambda_i) over the
    eigenvalues of M M^T = I + E, E = Lq^-1 (Sp - Sq) Lq^-T. Near equality (|E| <= 1/2) it is
    computed from the eigenvalues of E, formed from the exact difference Sp - Sq; otherwise as
    sum_{i != j} M_ij^2 + sum_i (M_ii^2 - 1 - log M_ii^2), all terms non-negative.
    """
    from scipy.linalg import solve_triangular

    mean_p, cov_p = np.asarray(p.params["mean"], dtype=np.float64), np.asarray(p.params["cov"], dtype=np.float64)
    mean_q, cov_q = np.asarray(q.params["mean"], dtype=np.float64), np.asarray(q.params["cov"], dtype=np.float64)
    mean_p, mean_q = np.atleast_1d(mean_p), np.atleast_1d(mean_q)
    cov_p, cov_q = np.atleast_2d(cov_p), np.atleast_2d(cov_q)
    if mean_p.shape != mean_q.shape or cov_p.shape != cov_q.shape:
        raise ValueError(f"p and q have different dimensions: {mean_p.shape[-1]} and {mean_q.shape[-1]}")
    chol_p, chol_q = _cholesky(cov_p, "p"), _cholesky(cov_q, "q")

    def solve(rhs: np.ndarray) -> np.ndarray:
        return solve_triangular(chol_q, rhs, lower=True, check_finite=False)

    with np.errstate(over="ignore", invalid="ignore"):
        e = solve(solve(cov_p - cov_q).T)
    scale_part = None
    if np.all(np.isfinite(e)):
        eigenvalues = np.linalg.eigvalsh(0.5 * (e + e.T))
        if np.max(np.abs(eigenvalues)) <= 0.5:
            scale_part = np.sum(_weighted_phi(1.0, np.log1p(eigenvalues), 1.0 + eigenvalues))
    if scale_part is None:
        diag_p, diag_q = np.diag(chol_p), np.diag(chol_q)
        diagonal = np.sum(_scale_part(diag_p, diag_q, 2))
        with np.errstate(over="ignore", invalid="ignore"):
            m = solve(chol_p)
            off = m[~np.eye(m.shape[0], dtype=bool)]
            # sum of M_ij^2 off the diagonal; halving first keeps the squares from overflowing
            off_diagonal = np.sum(4.0 * np.square(0.5 * off)) if off.size else 0.0
        scale_part = diagonal + (np.inf if np.isnan(off_diagonal) else off_diagonal)
    with np.errstate(over="ignore", invalid="ignore"):
        shift = mean_p - mean_q
        if np.all(np.isfinite(shift)):
            z = solve(shift)
        else:
            z = 2.0 * solve(0.5 * mean_p - 0.5 * mean_q)
        mean_part = np.sum(_half_square(z))
    if np.isnan(mean_part):
        mean_part = np.inf  # the substitution overflowed: |z| is beyond the double range
    return np.asarray(0.5 * scale_part + mean_part)


# -------------------------------------------------------------------------------------------
# Discrete families


def _bernoulli_terms(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """relent(a, b) and relent(1 - a, 1 - b), each >= 0 (inf where q lacks mass p has)."""
    term_1 = _relative_entropy_term(a, b)
    u, v = 1.0 - a, 1.0 - b  # exact for a, b >= 1/2; relatively accurate otherwise
    high = (a >= 0.5) & (b >= 0.5)
    low = (a < 0.5) & (b < 0.5)
    positive = v > 0
    vp = np.where(positive, v, 1.0)
    with np.errstate(divide="ignore"):
        log_uv = np.where(
            high,
            _log_ratio(u, vp),  # log((1 - a)/(1 - b)) from exact differences
            np.where(low, np.log1p((b - a) / vp), np.log1p(-a) - np.log1p(-np.where(positive, b, 0.0))),
        )
    term_2 = _weighted_chi(np.where(positive, v, 0.0), np.where(positive, log_uv, 0.0), u)
    term_2 = np.where(positive, term_2, np.where(u > 0, np.inf, 0.0))
    return term_1, term_2


def _bernoulli_kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    term_1, term_2 = _bernoulli_terms(a, b)
    return term_1 + term_2


def _same_loc(l1: np.ndarray, l2: np.ndarray) -> bool:
    return bool(np.all(l1 == l2))


@register_kl("bernoulli", "bernoulli")
def _kl_bernoulli(p: Description, q: Description) -> np.ndarray | None:
    a, l1, b, l2 = _params(p, q, "p", "loc")
    return _bernoulli_kl(a, b) if _same_loc(l1, l2) else None


@register_kl("binom", "binom")
def _kl_binom(p: Description, q: Description) -> np.ndarray | None:
    """n KL_bern(a || b) for equal n; inf where n1 > n2 and a > 0; n2 KL_bern(0 || b) where a = 0."""
    n1, a, l1, n2, b, l2 = _params(p, q, "n", "p", "loc")
    if not _same_loc(l1, l2):
        return None
    same_n = n1 == n2
    beyond = (n1 > n2) & (a > 0)
    point_mass = a == 0  # p is the point mass at loc
    if not np.all(same_n | beyond | point_mass):
        return None
    n = np.where(same_n, n1, n2)
    per_trial = _bernoulli_kl(np.where(same_n, a, 0.0), b)
    with np.errstate(invalid="ignore", over="ignore"):
        value = np.where(n > 0, n * per_trial, 0.0)
    return np.where(same_n | point_mass, value, np.inf)


@register_kl("geom", "geom")
def _kl_geom(p: Description, q: Description) -> np.ndarray | None:
    """KL_bern(a || b)/a, each term divided by a before it can underflow."""
    a, l1, b, l2 = _params(p, q, "p", "loc")
    if not _same_loc(l1, l2):
        return None
    # relent(a, b)/a = (b/a) chi(log(a/b)) and relent(1 - a, 1 - b)/a; p's parameter a > 0.
    first = _weighted_chi(_quotient((b,), (a,)), _log_ratio(a, np.where(b > 0, b, 1.0)), np.ones_like(a))
    first = np.where(b > 0, first, np.inf)
    _, second = _bernoulli_terms(a, b)
    with np.errstate(over="ignore"):
        return first + second / a


@register_kl("poisson", "poisson")
def _kl_poisson(p: Description, q: Description) -> np.ndarray | None:
    """mu1 log(mu1/mu2) - mu1 + mu2 (inf where mu2 = 0 < mu1; mu2 where mu1 = 0)."""
    mu1, l1, mu2, l2 = _params(p, q, "mu", "loc")
    return _relative_entropy_term(mu1, mu2) if _same_loc(l1, l2) else None
