"""Entropy, cross-entropy and KL divergence of discrete distributions given as arrays.

Each function takes a fast path, then recomputes carefully only the rows where that path can be
inaccurate:

- the fast path of ``kl_divergence`` and ``js_divergence`` is one division, one log and one dot
  product per pair. Its absolute error is a few ulps of 1 (``log(fl(p / q))`` is off by up to
  one ulp of 1 when ``p / q`` is near 1), so a result below ``_CANCELLATION`` is recomputed from
  terms that are each >= 0 and accurate to a few ulps, ``p log(p/q) - p + q`` as
  ``q g((p - q) / q)`` with ``g(u) = (1 + u) log(1 + u) - u``: a sum that cannot cancel;
- rows whose normalization underflowed a positive weight are recomputed from the logarithms of
  the probabilities (see ``_validation._normalized``).

Every result is then brought into its mathematical range, which rounding can leave by a few
ulps: entropy in [0, log n], KL >= 0, JS in [0, log 2], cross-entropy >= entropy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from kltools._validation import (
    _Probabilities,
    _as_distribution_pair,
    _as_probabilities,
    _log_base,
    _ratios_to_largest,
    _scalar_or_array,
)

# Below this, q can make p / q overflow to inf (p <= 1.5), so the ratio trick is not safe.
_TINY = np.finfo(np.float64).tiny

# A fast-path divergence below this is recomputed term by term. The fast path's absolute error
# is about eps (1 + c sum_i p_i |log(p_i / q_i)|), c growing slowly with the length, and
# sum_i p_i |log(p_i / q_i)| <= D + 2 TV <= D + sqrt(2 D) (log x <= x - 1, then Pinsker), so
# above 1e-3 the relative error is about 1e-13, that of scipy.special.rel_entr there.
_CANCELLATION = 1e-3

# The entropy of a row divided by its sum is recomputed below this (nats): rounding p_max near 1
# costs about eps of absolute error, up to 2 eps / 0.5 = 4 eps of relative error above it.
_SMALL_ENTROPY = 0.5

# |u| up to which g(u) = (1 + u) log1p(u) - u and h(u) = g(u) + g(-u) are summed as series. Past
# it the closed forms lose at most log2(2 / _CLOSE) = 5 bits to cancellation.
_CLOSE = 1.0 / 16.0

# Series coefficients: g(u) = u^2 sum_k (-1)^k u^k / ((k + 1) (k + 2)),
# h(u) = u^2 sum_k u^(2k) / ((k + 1) (2k + 1)).
_MAX_TERMS = 40
_G_COEFFICIENTS = [(-1.0) ** k / ((k + 1) * (k + 2)) for k in range(_MAX_TERMS)]
_H_COEFFICIENTS = [1.0 / ((k + 1) * (2 * k + 1)) for k in range(_MAX_TERMS)]


# ---------------------------------------------------------------------------------------------
# Fast paths


def _sum_p_log_q(p: np.ndarray, q: np.ndarray, q_min: float) -> np.ndarray:
    """Sum of p * log(q) over the last axis, with 0 log 0 = 0 and p log 0 = -inf for p > 0."""
    if q_min > 0:
        # Nothing is zero: one log pass and a dot product.
        return np.vecdot(p, np.log(q))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(q), 0.0)
    return terms.sum(axis=-1)


def _sum_p_log_ratio(p: np.ndarray, p_min: float, q: np.ndarray, q_min: float) -> np.ndarray:
    """Sum of p * log(p / q) over the last axis, with the conventions of the KL divergence."""
    if p_min > 0 and q_min >= _TINY:
        ratio = np.divide(p, q)
        np.log(ratio, out=ratio)
        return np.vecdot(p, ratio)
    # Zeros or subnormal q: subtract logs instead, so p / q can neither overflow nor be 0 / 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.log(p, out=np.zeros_like(p), where=p > 0)
        terms = np.where(p > 0, p * (log_p - np.log(q)), 0.0)
    return terms.sum(axis=-1)


# ---------------------------------------------------------------------------------------------
# Careful paths: sums of terms that are each >= 0 and accurate to a few ulps


def _horner(
    x: np.ndarray, largest: float, coefficients: list[float], out: np.ndarray
) -> np.ndarray:
    """sum_k c_k x^k into `out`, with just enough terms for |x| <= `largest` (<= 1/16).

    The magnitudes |c_k| decrease and the sum is at least 0.49, so stopping after K terms
    leaves a relative error below 2 |c_K| largest^K, kept under 2**-56. Nearly equal inputs
    (|x| ~ 1e-6) need 3 terms.
    """
    count = 1
    while count < _MAX_TERMS and 2 * abs(coefficients[count]) * largest**count > 2.0**-56:
        count += 1
    out.fill(coefficients[count - 1])
    for c in reversed(coefficients[: count - 1]):
        out *= x
        out += c
    return out


def _log_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """log(p / q) for p, q > 0: as the log of the ratio when it is a normal number, else as a
    difference of logs (the ratio would overflow, or lose digits as a subnormal)."""
    with np.errstate(over="ignore", under="ignore"):
        ratio = p / q
    safe = (ratio >= _TINY) & (ratio <= 1 / _TINY)
    if safe.all():
        return np.log(ratio)
    return np.where(safe, np.log(np.where(safe, ratio, 1.0)), np.log(p) - np.log(q))


def _far_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """p log(p / q) - p + q for entries with |p - q| > _CLOSE q (or q = 0), by the definition.

    0 log(0 / q) = 0 gives q; p > 0 against q = 0 gives inf. The two parts differ by a factor
    of at least 20 here, so the subtraction costs at most 5 bits.
    """
    out = q.copy()
    positive = p > 0
    out[positive & (q == 0)] = np.inf
    both = positive & (q > 0)
    if both.any():
        pb, qb = p[both], q[both]
        out[both] = np.maximum(pb * _log_ratio(pb, qb) - (pb - qb), 0.0)
    return out


def _relative_entropy_terms(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p log(p / q) - p + q >= 0, each to a few ulps, for probabilities p, q >= 0; and p - q.

    Where p and q agree to within _CLOSE this is q g(u) with u = (p - q) / q: p - q is exact
    there (Sterbenz), so u is accurate to an ulp and the series for g needs no cancellation.
    Temporaries are reused: on large arrays, fresh memory costs more than the arithmetic.
    """
    d = np.subtract(p, q)
    # q = 0 gives inf or NaN, a subnormal q can overflow the quotient: all far entries.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = np.divide(d, q)
    terms = np.abs(u)
    close = terms <= _CLOSE  # False for inf and NaN
    all_close = bool(close.all())
    if not all_close:
        u[~close] = 0.0
    _horner(u, float(np.max(terms, where=close, initial=0.0)), _G_COEFFICIENTS, out=terms)
    terms *= u
    terms *= d  # q u^2 = d u, one rounding less
    if not all_close:
        far = ~close
        terms[far] = _far_terms(p[far], q[far])
    return terms, d


def _relative_entropy_terms_from_logs(
    p: np.ndarray, q: np.ndarray, log_p: np.ndarray, log_q: np.ndarray
) -> np.ndarray:
    """The terms of `_relative_entropy_terms` for rows whose values may have underflowed but
    whose logs are exact (-inf marks a zero weight): u = expm1(log p - log q)."""
    positive_p, positive_q = np.isfinite(log_p), np.isfinite(log_q)
    both = positive_p & positive_q
    log_ratio = np.subtract(log_p, log_q, out=np.zeros_like(log_p), where=both)
    with np.errstate(over="ignore"):  # a ratio beyond 1e308 is far, and taken below
        u = np.expm1(log_ratio)
    close = both & (np.abs(u) <= _CLOSE)
    u[~close] = 0.0
    terms = _horner(u, float(np.max(np.abs(u), initial=0.0)), _G_COEFFICIENTS, np.empty_like(u))
    terms *= u
    terms *= u
    terms *= q
    far = ~close
    if far.any():
        pf, qf, lrf = p[far], q[far], log_ratio[far]
        positive_pf = positive_p[far]
        out = np.where(positive_pf, np.maximum(pf * lrf - (pf - qf), 0.0), qf)
        out[positive_pf & ~positive_q[far]] = np.inf
        terms[far] = out
    return terms


def _accurate_sum(rest: np.ndarray, scale: np.ndarray, work: np.ndarray) -> np.ndarray:
    """``sum(rest)`` over the last axis, to about one rounding of ``|sum| + scale``; `rest` and
    `work` (an array of the same shape, spare) are overwritten. `scale` (>= 0, per row) is what
    the sum will be added to: digits far below it are not needed.

    Rump, Ogita and Oishi's error-free extraction ("Accurate floating-point summation part I",
    SIAM J. Sci. Comput. 31(1), 2008, algorithm 3.2 and lemma 3.3): with sigma a power of two
    at least (n + 2) max |x|, ``(sigma + x) - sigma`` is the high part of every entry, computed
    exactly, whose sum is exact in any order; the remainders are exact too and at most
    2**-53 sigma, which bounds the next pass without another look at the data. Each pass thus
    removes about 53 - log2(n + 2) bits. The partial sums are accumulated without error
    (TwoSum). Entries must be below 2**1000 in magnitude.
    """
    n = rest.shape[-1]
    extra = math.ceil(math.log2(n + 2))
    high = np.zeros(rest.shape[:-1])
    low = np.zeros_like(high)
    top = work  # fresh memory for a large array costs more than a pass over it
    bound = np.maximum(rest.max(axis=-1), -rest.min(axis=-1))
    for _ in range(4000 // max(1, 52 - extra)):  # enough for the whole exponent range
        if not (n * bound > 2.0**-60 * (np.abs(high + low) + scale)).any():
            break
        sigma = np.ldexp(1.0, np.frexp(bound)[1] + extra)
        np.add(rest, sigma[..., np.newaxis], out=top)
        top -= sigma[..., np.newaxis]
        rest -= top
        part = top.sum(axis=-1)
        total = high + part
        back = total - high
        low += (high - (total - back)) + (part - back)
        high = total
        bound = np.ldexp(sigma, -53)
        if (bound < 2.0**-960).any():  # near the subnormals: look at what is really left
            bound = np.maximum(rest.max(axis=-1), -rest.min(axis=-1))
    return high + low


def _select_rows(values: np.ndarray, shape: tuple[int, ...], rows: np.ndarray) -> np.ndarray:
    """The rows of `values`, broadcast to `shape`, selected by the boolean batch mask `rows`,
    as a (k, n) array: a view, not a copy, when every row is selected and nothing broadcasts."""
    full = np.broadcast_to(values, shape)
    if rows.all():
        return full.reshape(-1, shape[-1])
    return full[rows]


def _log_rows(prob: _Probabilities, shape: tuple[int, ...], rows: np.ndarray) -> np.ndarray:
    """Natural logs of the selected rows (-inf for zero probabilities), exact even where the
    values underflowed."""
    if prob.log_values is not None:
        return _select_rows(prob.log_values, shape, rows)
    values = _select_rows(prob.values, shape, rows)
    return np.log(values, out=np.full(values.shape, -np.inf), where=values > 0)


def _in_log(prob: _Probabilities, batch: tuple[int, ...]) -> np.ndarray:
    if prob.in_log is None:
        return np.zeros(batch, dtype=bool)
    return np.broadcast_to(prob.in_log, batch)


def _careful_kl(p: _Probabilities, q: _Probabilities, rows: np.ndarray) -> np.ndarray:
    """KL of the selected rows (boolean batch mask) as a sum of non-negative terms.

    For distributions, sum_i p_i log(p_i / q_i) = sum_i (p_i log(p_i / q_i) - p_i + q_i). Where
    both rows are used as given (``literal``) their sums may differ from 1 by rounding, and the
    exact value of the formula for these floats is that sum plus sum_i (p_i - q_i). The
    differences p_i - q_i are exact where p_i and q_i are within a factor 2 (Sterbenz), and
    elsewhere their rounding is below eps times the term; their sum is taken exactly.
    """
    batch = rows.shape
    shape = batch + (p.values.shape[-1],)
    pv = _select_rows(p.values, shape, rows)
    qv = _select_rows(q.values, shape, rows)
    in_log = (_in_log(p, batch) | _in_log(q, batch))[rows]
    if in_log.any():  # normalize=True: no row is used as given
        terms = np.empty(pv.shape)
        terms[~in_log] = _relative_entropy_terms(pv[~in_log], qv[~in_log])[0]
        log_p = _log_rows(p, shape, rows)[in_log]
        log_q = _log_rows(q, shape, rows)[in_log]
        terms[in_log] = _relative_entropy_terms_from_logs(pv[in_log], qv[in_log], log_p, log_q)
        return terms.sum(axis=-1)
    terms, difference = _relative_entropy_terms(pv, qv)
    divergence = terms.sum(axis=-1)
    # Rows where both inputs are used as given: the exact value of the formula for these floats
    # also holds sum(p) - sum(q), a few ulps of 1, which only an exact sum can give.
    literal = (np.broadcast_to(p.literal, batch) & np.broadcast_to(q.literal, batch))[rows]
    if literal.all():
        divergence += _accurate_sum(difference, divergence, work=terms)
    elif literal.any():
        rest = difference[literal]
        divergence[literal] += _accurate_sum(rest, divergence[literal], work=np.empty_like(rest))
    return divergence


def _kl_nats(p: _Probabilities, q: _Probabilities) -> np.ndarray:
    """KL divergence in nats, >= 0, of every (broadcast) row pair."""
    divergence = np.array(_sum_p_log_ratio(p.values, p.smallest, q.values, q.smallest))
    batch = divergence.shape
    redo = divergence < _CANCELLATION
    if p.in_log is not None or q.in_log is not None:
        redo |= _in_log(p, batch) | _in_log(q, batch)
    if redo.any():
        divergence[redo] = _careful_kl(p, q, redo)
    return np.maximum(divergence, 0.0)


def _entropy_of_distributions(values: np.ndarray) -> np.ndarray:
    """Entropy of the distributions ``values / sum(values)`` (rows), each term >= 0.

    With p_max the largest entry and s_i = p_i / p_max, ``H = log1p(r) - sum_i p_i log s_i``
    where r = sum of the s_i but the largest (which is 1 and contributes 0). A nearly certain
    outcome keeps its digits: -p_max log p_max = p_max log1p(r) is not left to the rounding of
    p_max near 1, which would be all of it when r is below an ulp of 1.
    """
    scaled, rest = _ratios_to_largest(values)
    log_scaled = np.log(scaled, out=np.zeros_like(scaled), where=scaled > 0)
    return np.log1p(rest) - np.vecdot(scaled, log_scaled) / (1.0 + rest)


def _entropy_nats(p: _Probabilities) -> np.ndarray:
    """Entropy in nats, in [0, log n], of every row.

    -sum p log p: the terms are all >= 0, so the only loss is the rounding of each p_i, an
    ulp of 1 in log p_i. For rows used as given that is the exact value for these floats. A
    row that stands for p / sum(p) was rounded when divided, which costs all of a small
    entropy when p_max is near 1; rows below _SMALL_ENTROPY are recomputed by
    `_entropy_of_distributions`, and rows normalized through logs use those logs.
    """
    entropy = np.array(-_sum_p_log_q(p.values, p.values, p.smallest))
    redo = (entropy < _SMALL_ENTROPY) & ~np.asarray(p.literal)
    if p.in_log is not None:
        redo &= ~p.in_log
    if redo.any():
        entropy[redo] = _entropy_of_distributions(p.values[redo])
    if p.in_log is not None and p.in_log.any():
        values, log_values = p.values[p.in_log], p.log_values[p.in_log]
        terms = np.multiply(values, log_values, out=np.zeros_like(values), where=values > 0)
        entropy[p.in_log] = -terms.sum(axis=-1)
    # -0.0 for a certain outcome and a few ulps outside [0, log n] from rounding: + 0.0 and clip.
    return np.clip(entropy, 0.0, math.log(p.values.shape[-1])) + 0.0


def _cross_entropy_nats(p: _Probabilities, q: _Probabilities, entropy_p: np.ndarray) -> np.ndarray:
    """-sum p log q in nats of every (broadcast) row pair, at least `entropy_p` (nats).

    The terms are all >= 0, but log q_i carries the rounding of q_i, an ulp of 1 when q_i is
    near 1: all of a small cross-entropy (a nearly certain p and q). Results below
    _CANCELLATION, and rows whose normalization underflowed, are recomputed as H(p) + KL(p, q),
    whose careful path keeps those digits (and the inf convention of the weights).
    """
    cross = np.array(-_sum_p_log_q(p.values, q.values, q.smallest))
    redo = cross < _CANCELLATION
    if p.in_log is not None or q.in_log is not None:
        redo |= _in_log(p, cross.shape) | _in_log(q, cross.shape)
    if redo.any():
        cross = np.where(redo, entropy_p + _kl_nats(p, q), cross)
    return np.maximum(cross, entropy_p)


def _careful_js(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """JS divergence of row pairs as (1/4) sum_i (p_i + q_i) h(u_i), u = (p - q) / (p + q).

    With m = (p + q) / 2, p log(p / m) + q log(q / m) = m h(u) with
    h(u) = (1 + u) log(1 + u) + (1 - u) log(1 - u) >= 0, so the sum cannot cancel; the sums of
    p and q need not be equal, since their difference drops out of JS exactly.
    """
    total = np.add(p, q)
    u = np.subtract(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):  # p = q = 0: NaN, a far entry
        u /= total  # |p - q| <= p + q: no overflow
    terms = np.abs(u)
    close = terms <= _CLOSE  # False for NaN
    all_close = bool(close.all())
    if not all_close:
        u[~close] = 0.0
    u *= u  # h is even: a series in u^2
    _horner(u, float(np.max(u, where=close, initial=0.0)), _H_COEFFICIENTS, out=terms)
    terms *= u
    terms *= total
    if not all_close:
        far = ~close
        pf, qf, tf = p[far], q[far], total[far]
        out = np.zeros_like(pf)
        for a in (pf, qf):  # 2 a log(2 a / (p + q)), 0 where a = 0; tf > 0 wherever a > 0
            positive = a > 0
            out[positive] += 2 * a[positive] * np.log(2 * a[positive] / tf[positive])
        terms[far] = np.maximum(out, 0.0)
    return 0.25 * terms.sum(axis=-1)


def _js_nats(p: _Probabilities, q: _Probabilities) -> np.ndarray:
    """JS divergence in nats, in [0, log 2], of every (broadcast) row pair."""
    p_arr, q_arr = p.values, q.values
    # KL(p || m) with m = (p + q) / 2 is (1/2) sum 2p log(2p / (p + q)). Doubling is exact, while
    # halving p + q would round the smallest subnormals to 0 and make the divergence jump.
    total = p_arr + q_arr
    total_min = max(p.smallest, q.smallest)  # a lower bound of min(p + q) is all the kernel needs
    divergence = np.array(0.25 * (
        _sum_p_log_ratio(2 * p_arr, 2 * p.smallest, total, total_min)
        + _sum_p_log_ratio(2 * q_arr, 2 * q.smallest, total, total_min)
    ))
    redo = divergence < _CANCELLATION
    if redo.any():
        shape = redo.shape + (p_arr.shape[-1],)
        divergence[redo] = _careful_js(
            _select_rows(p_arr, shape, redo), _select_rows(q_arr, shape, redo)
        )
    return np.clip(divergence, 0.0, math.log(2.0))


def _log_in_base(x: int, base: float | None) -> float:
    """log(x) in the unit of `base`, as the math module gives it: the upper bound a result in
    that unit must respect (log(n) / log(2) can exceed math.log2(n) by an ulp, as for n = 3)."""
    if base is None:
        return math.log(x)
    if base == 2:
        return math.log2(x)
    if base == 10:
        return math.log10(x)
    return math.log(x) / math.log(base)


# ---------------------------------------------------------------------------------------------
# Public functions


def entropy(
    p: ArrayLike, *, base: float | None = None, axis: int = -1, normalize: bool = False
) -> float | np.ndarray:
    r"""Shannon entropy of a discrete distribution.

    Parameters
    ----------
    p : array_like
        Probabilities along `axis`; other axes are batch axes.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits. Must be finite and
        > 1.
    axis : int, optional
        Axis along which `p` is a distribution. Default -1.
    normalize : bool, optional
        If True, `p` holds non-negative weights (such as counts) that are divided by their sum.
        If False (default), `p` must already sum to 1 within ``max(1e-6, n * eps)`` (at most
        0.5), n being its length along `axis` and eps the machine epsilon of its dtype: 1e-6
        for float64 and integer input, ``n * 1.2e-7`` for float32 (0.0038 for 32,000
        classes), ``n * 9.8e-4`` for float16. That is the rounding-error bound of a softmax
        computed in that dtype, so a softmax's output is always accepted. Only True or False
        (bool or numpy.bool\_) is accepted.

    Returns
    -------
    float or ndarray
        The entropy, a float for a single distribution and an array of the batch shape
        otherwise. Always between 0 and :math:`\log n`.

    Raises
    ------
    TypeError
        If `p` is not an array of real numbers (the message says what to pass instead, for
        instance ``p.detach()`` for a tensor that requires grad), `normalize` is not a bool or
        `base` is not a real number.
    ValueError
        If `p` is empty along `axis`, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``) or sums to 0 (with ``normalize=True``), or `base` is not
        finite and > 1.

    See Also
    --------
    cross_entropy, kl_divergence

    Notes
    -----
    .. math::

        H(p) = -\sum_i p_i \log p_i ,

    with the convention :math:`0 \log 0 = 0`, so categories of probability zero contribute
    nothing. The result is in nats for the natural logarithm and in bits for base 2
    (:math:`1\ \text{bit} = \ln 2\ \text{nats}`). Entropy is a property of a probability
    distribution; for a data set, pass its empirical distribution (counts with
    ``normalize=True``).

    A `p` that sums to 1 up to the rounding of summing it (``n * 2.2e-16``) is used as given.
    One that is accepted by the tolerance but further from 1 stands for the distribution
    ``p / sum(p)``, and that is what is measured, so the result is always the entropy of a
    distribution. Rounding can still push a sum a few ulps outside :math:`[0, \log n]`; the
    result is clamped to that range. With ``normalize=True`` a probability too small for a
    double is handled through its logarithm, :math:`\log w_i - \log \sum_j w_j`, never
    rounded to 0. Dividing by the sum rounds a largest probability near 1, which would be all
    of a small entropy; below 0.5 nats such a distribution is measured as
    :math:`\log(1 + r) - \sum_i p_i \log(p_i / p_{\max})`, r the sum of the other
    :math:`p_i / p_{\max}`, so ``entropy([1, 1e-20], normalize=True)`` keeps all its digits.

    Unlike ``scipy.stats.entropy``, unnormalized input is an error unless ``normalize=True``
    is asked for.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System Technical
       Journal 27, 1948.
    .. [2] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley,
       2006, section 2.1.

    Examples
    --------
    A fair coin carries one bit, a fair die log2(6) bits:

    >>> import kltools
    >>> kltools.entropy([0.5, 0.5], base=2)
    1.0
    >>> round(kltools.entropy([1/6] * 6, base=2), 6)
    2.584963

    Counts are accepted when asked for:

    >>> kltools.entropy([3, 0, 1], normalize=True)  # doctest: +ELLIPSIS
    0.5623...

    One entropy per row of a batch:

    >>> kltools.entropy([[1.0, 0.0], [0.5, 0.5]], base=2)
    array([0., 1.])

    float32 probabilities are accepted within their own rounding error:

    >>> import math
    >>> import numpy as np
    >>> logits = np.random.default_rng(0).normal(size=32_000).astype(np.float32)
    >>> probs = np.exp(logits) / np.exp(logits).sum()
    >>> 0 <= kltools.entropy(probs) <= math.log(32_000)
    True
    """
    log_base = _log_base(base)
    probabilities = _as_probabilities(p, "p", axis, normalize)
    bound = _log_in_base(probabilities.values.shape[-1], base)
    return _scalar_or_array(np.minimum(_entropy_nats(probabilities) / log_base, bound))


def cross_entropy(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
) -> float | np.ndarray:
    r"""Cross-entropy of a discrete distribution `q` relative to `p`.

    Parameters
    ----------
    p : array_like
        The distribution the data come from, probabilities along `axis`.
    q : array_like
        The model distribution, same length as `p` along `axis`; batch axes broadcast.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits. Must be finite and
        > 1.
    axis : int, optional
        Axis along which `p` and `q` are distributions. Default -1.
    normalize : bool, optional
        If True, divide both inputs by their sums (for counts). If False (default), each must
        already sum to 1 within ``max(1e-6, n * eps)`` (at most 0.5), n being the length along
        `axis` and eps the machine epsilon of the input's dtype: 1e-6 for float64 and integer
        input, ``n * 1.2e-7`` for float32, so that any float32 or float16 softmax output is
        accepted. Only True or False is accepted.

    Returns
    -------
    float or ndarray
        :math:`H(p, q) \ge H(p)`, a float for a single pair and an array of the broadcast batch
        shape otherwise; ``inf`` where `p` puts positive probability on a category that `q`
        gives probability zero.

    Raises
    ------
    TypeError
        If `p` or `q` is not an array of real numbers, `normalize` is not a bool or `base` is
        not a real number.
    ValueError
        If either input is empty, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``) or sums to 0 (with ``normalize=True``); if their lengths
        along `axis` differ or their batch shapes do not broadcast; if `base` is not finite
        and > 1.

    See Also
    --------
    entropy, kl_divergence

    Notes
    -----
    .. math::

        H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{\mathrm{KL}}(p \,\|\, q) \ge H(p),

    with :math:`0 \log q_i = 0` for any :math:`q_i`, including zero. It is the average code
    length, in nats or bits, of outcomes drawn from `p` and encoded with the idealized code of
    lengths :math:`-\log q_i`, built for `q`; a real prefix code for single outcomes with
    lengths :math:`\lceil -\log_2 q_i \rceil` averages less than one bit more. Every term :math:`-p_i \log q_i` is >= 0, so the sum has no cancellation; but
    :math:`\log q_i` carries the rounding of :math:`q_i`, an ulp of 1 when :math:`q_i` is near
    1, which is all of a small cross-entropy. A result below ``1e-3`` is therefore recomputed
    as :math:`H(p) + D_{\mathrm{KL}}(p \,\|\, q)`, with the careful path of
    :func:`kl_divergence`. The result is never below ``entropy(p)`` (rounding could put it an
    ulp below when `q` is nearly `p`). Inputs whose sums differ from 1 by more than rounding
    are taken as the distributions they stand for, as in :func:`kl_divergence`.

    References
    ----------
    .. [1] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley,
       2006, section 5.4.

    Examples
    --------
    >>> import kltools
    >>> kltools.cross_entropy([0.5, 0.5], [0.5, 0.5], base=2)
    1.0
    >>> kltools.cross_entropy([0.5, 0.5], [0.25, 0.75], base=2)  # doctest: +ELLIPSIS
    1.2075...

    With a one-hot `p`, cross-entropy is minus the log-probability of the true class:

    >>> kltools.cross_entropy([0, 1, 0], [0.2, 0.7, 0.1])  # doctest: +ELLIPSIS
    0.3566...
    >>> kltools.cross_entropy([0.5, 0.5], [1.0, 0.0])
    inf
    """
    log_base = _log_base(base)
    p_probs, q_probs = _as_distribution_pair(p, q, axis, normalize)
    entropy_nats = _entropy_nats(p_probs)
    cross = _cross_entropy_nats(p_probs, q_probs, entropy_nats) / log_base
    # Never below entropy(p, base=base), which is also bounded in the unit asked for.
    bound = _log_in_base(p_probs.values.shape[-1], base)
    return _scalar_or_array(np.maximum(cross, np.minimum(entropy_nats / log_base, bound)) + 0.0)


def kl_divergence(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
) -> float | np.ndarray:
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(p \,\|\, q)` of discrete distributions.

    Parameters
    ----------
    p : array_like
        The reference ("true", data) distribution, probabilities along `axis`.
    q : array_like
        The approximating (model) distribution, same length as `p` along `axis`; batch axes
        broadcast.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits. Must be finite and
        > 1.
    axis : int, optional
        Axis along which `p` and `q` are distributions. Default -1.
    normalize : bool, optional
        If True, divide both inputs by their sums (for counts). If False (default), each must
        already sum to 1 within ``max(1e-6, n * eps)`` (at most 0.5), n being the length along
        `axis` and eps the machine epsilon of the input's dtype: 1e-6 for float64 and integer
        input, ``n * 1.2e-7`` for float32, so that any float32 or float16 softmax output is
        accepted. Only True or False is accepted.

    Returns
    -------
    float or ndarray
        The divergence, >= 0; a float for a single pair and an array of the broadcast batch
        shape otherwise; ``inf`` exactly where `p` puts positive probability on a category that
        `q` gives probability zero.

    Raises
    ------
    TypeError
        If `p` or `q` is not an array of real numbers, `normalize` is not a bool or `base` is
        not a real number.
    ValueError
        If either input is empty, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``) or sums to 0 (with ``normalize=True``); if their lengths
        along `axis` differ or their batch shapes do not broadcast; if `base` is not finite
        and > 1.

    See Also
    --------
    entropy, cross_entropy

    Notes
    -----
    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}
                                    = H(p, q) - H(p),

    with :math:`0 \log(0/q_i) = 0` for every :math:`q_i` and :math:`p_i \log(p_i/0) = \infty`
    for :math:`p_i > 0`. It is the expected number of extra nats (bits for ``base=2``) paid
    when outcomes from `p` are encoded with the idealized code (lengths :math:`-\log q_i`)
    built for `q` instead of the one built for `p`; real codes for single outcomes round the
    lengths up, which changes the extra cost by less than one bit. It is not symmetric in `p`
    and `q`, and it is not a metric.

    Accuracy. A one-pass sum of :math:`p_i \log(p_i / q_i)` has an absolute error of a few
    ulps of 1, which is all of the result when `p` and `q` are nearly equal. A result below
    ``1e-3`` is therefore recomputed from terms that are each >= 0 and accurate to a few ulps,

    .. math::

        p_i \log \frac{p_i}{q_i} - p_i + q_i = q_i\, g\!\left(\frac{p_i - q_i}{q_i}\right),
        \qquad g(u) = (1 + u) \log(1 + u) - u ,

    whose sum is the divergence when both sum to 1; the relative error is then a few ulps
    however close `p` and `q` are. Inputs that are divided by their sums (``normalize=True``,
    or sums off by more than rounding, below) carry the rounding of that division, half an ulp
    per probability, which moves the divergence by about ``1e-16 * sum(|p - q|)``. The
    probabilities may be as small as the smallest subnormal double: the ratio
    :math:`p_i / q_i` is never formed where it could overflow.

    Which value is computed. When `p` and `q` both sum to 1 up to the rounding of summing them
    (``n * 2.2e-16``), they are used as given and the result is the exact value of the formula
    for these floats, rounding-level ``sum(p) - sum(q)`` included (what mpmath gives for the
    same floats). An input that is accepted by the tolerance but further from 1 stands for the
    distribution ``p / sum(p)``, as with ``normalize=True`` (and as ``scipy.stats.entropy``
    does), and the pair is then compared as two distributions: the result is always a
    divergence of distributions. It is never negative (Gibbs' inequality); an exact value a few
    ulps below 0, possible only for floats whose sums differ, is returned as 0. With
    ``normalize=True`` the ``inf`` convention is decided on the weights, before dividing, and a
    normalized probability too small for a double is handled through its logarithm,
    :math:`\log w_i - \log \sum_j w_j`, never rounded to 0.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22(1), 79-86, 1951.
    .. [2] T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley,
       2006, section 2.3.

    Examples
    --------
    >>> import kltools
    >>> kltools.kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0

    The divergence is not symmetric:

    >>> p, q = [0.8, 0.2], [0.5, 0.5]
    >>> forward = kltools.kl_divergence(p, q, base=2)
    >>> reverse = kltools.kl_divergence(q, p, base=2)
    >>> round(forward, 6), round(reverse, 6)
    (0.278072, 0.321928)

    It is infinite exactly when `p` has mass where `q` has none:

    >>> p, q = [0.5, 0.5], [1.0, 0.0]
    >>> kltools.kl_divergence(p, q), kltools.kl_divergence(q, p)
    (inf, 0.6931471805599453)

    Nearly equal distributions keep their digits (the divergence is about
    :math:`\tfrac12 \sum_i (p_i - q_i)^2 / q_i`):

    >>> b = 0.7 * (1 + 1e-8)
    >>> kltools.kl_divergence([1 - 0.7, 0.7], [1 - b, b])  # doctest: +ELLIPSIS
    1.1666...e-16
    """
    log_base = _log_base(base)
    p_probs, q_probs = _as_distribution_pair(p, q, axis, normalize)
    return _scalar_or_array(_kl_nats(p_probs, q_probs) / log_base + 0.0)


def js_divergence(
    p: ArrayLike, q: ArrayLike, *, base: float | None = None, axis: int = -1
) -> float | np.ndarray:
    r"""Jensen-Shannon divergence of two discrete distributions.

    Parameters
    ----------
    p, q : array_like
        Probabilities along `axis`, each summing to 1 within ``max(1e-6, n * eps)`` as for
        :func:`kl_divergence`; same length along `axis`; batch axes broadcast.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits. Must be finite and
        > 1.
    axis : int, optional
        Axis along which `p` and `q` are distributions. Default -1.

    Returns
    -------
    float or ndarray
        The divergence, symmetric in `p` and `q`, between 0 and :math:`\log 2` (1 bit); a float
        for a single pair and an array of the broadcast batch shape otherwise. Never infinite.

    Raises
    ------
    TypeError
        If `p` or `q` is not an array of real numbers, or `base` is not a real number.
    ValueError
        As for :func:`kl_divergence`.

    See Also
    --------
    kl_divergence

    Notes
    -----
    With the mixture :math:`m = (p + q) / 2`,

    .. math::

        \mathrm{JS}(p, q) = \tfrac12 D_{\mathrm{KL}}(p \,\|\, m) + \tfrac12 D_{\mathrm{KL}}(q \,\|\, m) .

    Both divergences are finite because :math:`m` is positive wherever :math:`p` or :math:`q`
    is. The square root of the divergence is a metric; ``scipy.spatial.distance.jensenshannon``
    returns that square root, so this function returns its square.

    A result below ``1e-3`` is recomputed as
    :math:`\tfrac14 \sum_i (p_i + q_i)\, h(u_i)` with :math:`u_i = (p_i - q_i)/(p_i + q_i)` and
    :math:`h(u) = (1 + u)\log(1 + u) + (1 - u)\log(1 - u) \ge 0`, a sum that cannot cancel, so
    nearly equal distributions keep a relative accuracy of a few ulps. Inputs whose sums differ
    from 1 by more than rounding are taken as the distributions ``p / sum(p)`` they stand for,
    as in :func:`kl_divergence`; the result is clamped to :math:`[0, \log 2]`, which rounding
    can leave by a few ulps.

    References
    ----------
    .. [1] J. Lin, "Divergence Measures Based on the Shannon Entropy", IEEE Transactions on
       Information Theory 37(1), 145-151, 1991.

    Examples
    --------
    >>> import kltools
    >>> kltools.js_divergence([1.0, 0.0], [0.0, 1.0], base=2)
    1.0
    >>> p, q = [0.8, 0.2], [0.5, 0.5]
    >>> kltools.js_divergence(p, q) == kltools.js_divergence(q, p)
    True
    """
    log_base = _log_base(base)
    p_probs, q_probs = _as_distribution_pair(p, q, axis, normalize=False)
    bound = _log_in_base(2, base)
    return _scalar_or_array(np.minimum(_js_nats(p_probs, q_probs) / log_base, bound) + 0.0)
