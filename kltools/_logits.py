"""Softmax, log-softmax and the softmax cross-entropy loss, computed from logits."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from kltools._validation import (
    _as_distribution,
    _as_numeric_array,
    _as_vectors,
    _log_base,
    _normalize_axis,
    _scalar_or_array,
)


# Kernels run over blocks of rows of about this many entries (512 KiB of float64 per temporary):
# a kernel's passes then find their data in cache, which on 4096 x 1000 logits is worth a factor
# of 1.5 to 2 over whole-array passes.
_BLOCK_ENTRIES = 2**16


def _row_blocks(n_rows: int, n: int) -> list[slice]:
    """Consecutive slices of rows holding about _BLOCK_ENTRIES entries each (at least one row)."""
    step = max(1, _BLOCK_ENTRIES // max(n, 1))
    return [slice(start, start + step) for start in range(0, n_rows, step)]


# A row whose shifted exponentials sum to less than this has one dominant class: the sum is
# 1 + (the others), and the others' low digits were rounded away by the 1 (see _log_sum_exp).
_CONFIDENT_SUM = 1.5


def _as_logits_and_max(x: ArrayLike, name: str, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate logits as ``_as_logits`` does and return them (axis last) with their maxima.

    One reduction does both jobs: the maximum of a distribution is NaN if it holds a NaN, +inf
    if it holds +inf (and no NaN), and -inf only if every logit is -inf; the kernels need the
    maxima anyway. The maxima keep the reduced axis (length 1).
    """
    arr = _as_vectors(x, name, axis, "logits")
    top = arr.max(axis=-1, keepdims=True)
    if not np.isfinite(top).all():
        if np.isnan(top).any():
            raise ValueError(f"{name} contains NaN")
        if (top == np.inf).any():
            raise ValueError(f"{name} contains +inf")
        raise ValueError(f"{name} has a distribution whose logits are all -inf")
    return arr, top


def _log_sum_exp(z: np.ndarray, top: np.ndarray, work: np.ndarray) -> np.ndarray:
    """log sum_j exp(z_j - top) over the last axis (kept, length 1); `work` gets exp(z - top).

    The sum is at least 1 (the largest term is exp(0)), so its logarithm is finite and >= 0.
    Where it is below `_CONFIDENT_SUM` it is 1 + r with r < 1/2 made of the other terms, and
    ``log1p(r)`` is taken with r summed on its own: the loss of a confident, correct prediction
    is about r, far below the rounding error of 1 + r.
    """
    with np.errstate(over="ignore"):  # z - top < -max overflows to -inf: exp of it is 0 anyway
        np.subtract(z, top, out=work)
    np.exp(work, out=work)
    total = work.sum(axis=-1, keepdims=True)
    confident = total[..., 0] < _CONFIDENT_SUM
    log_total = np.log(total, out=total)
    n_confident = np.count_nonzero(confident)
    if n_confident:
        # One term is exactly 1 (the maximum); a tie would make the sum >= 2, and every other
        # term is < 1/2, so "< 1" leaves out precisely the maximum.
        if n_confident * 8 > confident.size:  # many rows (a trained model): one masked pass
            rest = np.sum(work, axis=-1, where=work < 1.0)[confident]
        else:  # a few rows: copy them out rather than scan everything again
            rows = work[confident]
            rest = np.sum(rows, axis=-1, where=rows < 1.0)
        log_total[confident, 0] = np.log1p(rest)
    return log_total


def _log_softmax_last(z: np.ndarray, top: np.ndarray) -> np.ndarray:
    """log softmax over the last axis of validated logits with maxima `top` (keepdims)."""
    n = z.shape[-1]
    rows, tops = z.reshape(-1, n), top.reshape(-1, 1)  # a view unless axis was not the last
    out = np.empty_like(rows)
    for block in _row_blocks(rows.shape[0], n):
        part = out[block]
        log_total = _log_sum_exp(rows[block], tops[block], part)
        with np.errstate(over="ignore"):
            np.subtract(rows[block], tops[block], out=part)  # recomputed: one temporary, not two
        part -= log_total
    return out.reshape(z.shape)


def _softmax_last(z: np.ndarray, top: np.ndarray) -> np.ndarray:
    """softmax over the last axis of validated logits with maxima `top` (keepdims)."""
    n = z.shape[-1]
    rows, tops = z.reshape(-1, n), top.reshape(-1, 1)
    out = np.empty_like(rows)
    for block in _row_blocks(rows.shape[0], n):
        part = out[block]
        with np.errstate(over="ignore"):  # z - top < -max overflows to -inf, whose exp is 0
            np.subtract(rows[block], tops[block], out=part)
        np.exp(part, out=part)
        part /= part.sum(axis=-1, keepdims=True)
    return out.reshape(z.shape)


def _log_sum_exp_rows_of(z: np.ndarray, top: np.ndarray) -> np.ndarray:
    """_log_sum_exp of every row of `z` (any batch shape), block by block in one small buffer."""
    n = z.shape[-1]
    rows, tops = z.reshape(-1, n), top.reshape(-1, 1)
    log_total = np.empty((rows.shape[0], 1))
    blocks = _row_blocks(rows.shape[0], n)
    work = np.empty((min(rows.shape[0], blocks[0].stop), n)) if blocks else None
    for block in blocks:
        part = rows[block]
        log_total[block] = _log_sum_exp(part, tops[block], work[: part.shape[0]])
    return log_total.reshape(top.shape)


def log_softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax of `logits`, computed without overflow.

    Parameters
    ----------
    logits : array_like
        Unnormalized log-probabilities. Entries may be any finite number or -inf (a category of
        probability zero); NaN and +inf are errors.
    axis : int, optional
        Axis along which the logits describe one distribution. Default -1.

    Returns
    -------
    ndarray
        Log-probabilities, same shape as `logits`; ``exp`` of the result sums to 1 along `axis`.

    Raises
    ------
    TypeError
        If `logits` is not an array of real numbers.
    ValueError
        If `logits` is a scalar or empty along `axis`, contains NaN or +inf, or has a
        distribution whose logits are all -inf.

    See Also
    --------
    softmax, cross_entropy_from_logits

    Notes
    -----
    With :math:`m = z_k = \max_j z_j`,

    .. math::

        \log \operatorname{softmax}(z)_i = z_i - \log \sum_j e^{z_j}
            = (z_i - m) - \operatorname{log1p}\Big(\sum_{j \ne k} e^{z_j - m}\Big) .

    The second form exponentiates only numbers <= 0, so nothing overflows; the logarithm's
    argument is at least 1, so a logit far below the others gets a large negative
    log-probability instead of ``log(0) = -inf``; and ``log1p`` keeps the tiny log-probability
    deficit of a dominant class accurate (the sum is formed once, and summed again without its
    largest term only where it is below 1.5). A log-probability below the float64 range, as
    for logits of both signs near :math:`10^{308}`, is -inf: :math:`z_i - m` overflows, and
    that is the correctly rounded result.

    Examples
    --------
    >>> import numpy as np
    >>> import kltools
    >>> kltools.log_softmax([0.0, 0.0])
    array([-0.69314718, -0.69314718])

    Logits that would overflow ``exp`` are fine:

    >>> kltools.log_softmax([1000.0, 0.0])
    array([    0., -1000.])
    """
    z, top = _as_logits_and_max(logits, "logits", axis)
    result = _log_softmax_last(z, top)
    return np.moveaxis(result, -1, _normalize_axis(axis, result.ndim, "logits"))


def softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax of `logits`: probabilities proportional to :math:`e^{z_i}`.

    Parameters
    ----------
    logits : array_like
        Unnormalized log-probabilities; finite or -inf (NaN and +inf are errors).
    axis : int, optional
        Axis along which the logits describe one distribution. Default -1.

    Returns
    -------
    ndarray
        Probabilities, same shape as `logits`, non-negative and summing to 1 along `axis`.

    Raises
    ------
    TypeError
        If `logits` is not an array of real numbers.
    ValueError
        As for :func:`log_softmax`.

    See Also
    --------
    log_softmax

    Notes
    -----
    .. math::

        \operatorname{softmax}(z)_i = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j .

    Subtracting :math:`m` changes nothing mathematically and keeps every exponential in
    :math:`[0, 1]`.

    Examples
    --------
    >>> import kltools
    >>> kltools.softmax([1.0, 1.0, 1.0, 1.0])
    array([0.25, 0.25, 0.25, 0.25])
    >>> kltools.softmax([1e4, -1e4])
    array([1., 0.])
    """
    z, top = _as_logits_and_max(logits, "logits", axis)
    result = _softmax_last(z, top)
    return np.moveaxis(result, -1, _normalize_axis(axis, result.ndim, "logits"))


def _as_class_indices(target: np.ndarray, batch_shape: tuple[int, ...], n_classes: int) -> np.ndarray:
    if target.shape != batch_shape:
        raise ValueError(
            f"target holds class indices, so its shape must be the shape of logits without "
            f"axis, {batch_shape}; got {target.shape}"
        )
    if target.size and (target.min() < 0 or target.max() >= n_classes):
        raise ValueError(f"target has a class index outside 0 .. {n_classes - 1}")
    return target


def cross_entropy_from_logits(
    target: ArrayLike, logits: ArrayLike, *, axis: int = -1
) -> float | np.ndarray:
    r"""Softmax cross-entropy between targets and logits, per sample, in nats.

    Parameters
    ----------
    target : array_like
        Either integer class indices, with the shape of `logits` without `axis`, or probability
        vectors (floating point, one-hot or soft labels) with the shape of `logits`, summing to 1
        along `axis`.
    logits : array_like
        Unnormalized log-probabilities of the model; finite or -inf.
    axis : int, optional
        The class axis of `logits` (and of probability-vector targets). Default -1.

    Returns
    -------
    float or ndarray
        One cross-entropy per sample, no reduction (take ``.mean()`` for the usual loss); a float
        for a single sample. ``inf`` where the target has mass on a class whose logit is -inf.

    Raises
    ------
    TypeError
        If either input is not an array of real numbers.
    ValueError
        If the logits are invalid (see :func:`log_softmax`), class indices are out of range, the
        shapes do not match, or probability targets are not distributions.

    See Also
    --------
    log_softmax, cross_entropy

    Notes
    -----
    With :math:`y` the target distribution and :math:`z` the logits,

    .. math::

        H(y, \operatorname{softmax}(z)) = -\sum_i y_i \log \operatorname{softmax}(z)_i
                                        = \log \sum_j e^{z_j} - \sum_i y_i z_i ,

    which for a class index :math:`c` (a one-hot :math:`y`) is
    :math:`\log \sum_j e^{z_j} - z_c`. It is the loss that deep-learning libraries call softmax
    cross-entropy; computing it from the logits through :func:`log_softmax` avoids taking the
    logarithm of a softmax probability that has underflowed to 0.

    Examples
    --------
    >>> import numpy as np
    >>> import kltools
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
    >>> kltools.cross_entropy_from_logits([0, 2], logits)
    array([0.2413113 , 1.09861229])

    The same losses from one-hot probability vectors:

    >>> kltools.cross_entropy_from_logits(np.eye(3)[[0, 2]], logits)
    array([0.2413113 , 1.09861229])

    Large logits do not overflow:

    >>> kltools.cross_entropy_from_logits(1, [1000.0, -1000.0])
    2000.0
    """
    z, top = _as_logits_and_max(logits, "logits", axis)
    target_arr = _as_numeric_array(target, "target")
    if np.issubdtype(target_arr.dtype, np.integer):
        indices = _as_class_indices(target_arr, z.shape[:-1], z.shape[-1])
        # -log softmax(z)_c = (max - z_c) + log sum_j exp(z_j - max): only the sum needs the
        # whole array, and no log-probability array is built.
        log_total = _log_sum_exp_rows_of(z, top)
        picked = np.take_along_axis(z, indices[..., np.newaxis], axis=-1)
        with np.errstate(over="ignore"):  # max - z_c > max: the loss is inf, as it should be
            loss = (top - picked) + log_total
        return _scalar_or_array(loss[..., 0] + 0.0)
    log_q = _log_softmax_last(z, top)
    logits_shape = np.moveaxis(z, -1, axis).shape  # as the caller passed it
    if target_arr.shape != logits_shape:
        raise ValueError(
            f"target holds probability vectors, so it must have the shape of logits "
            f"{logits_shape}, got {target_arr.shape}; for class indices pass an integer array"
        )
    y, _ = _as_distribution(target_arr, "target", axis, normalize=False)
    with np.errstate(invalid="ignore"):  # 0 * -inf for a masked class with no target mass
        terms = np.where(y > 0, y * log_q, 0.0)
    return _scalar_or_array(-terms.sum(axis=-1) + 0.0)


# kl_divergence_from_logits ----------------------------------------------------------------------
#
# Fast route, every row: with A = a - max a, B = b - max b, s_a = sum_j e^{A_j}, s_b likewise and
# p = e^A / s_a,
#
#     KL = sum_j p_j A_j - sum_j p_j B_j + log(s_b / s_a).
#
# Its rounding error stays below eps (log n + 2)(2 log n + 2) + a few ulps of KL: the two means are
# at most log n + KL in size, each A_j, B_j is rounded once, and p_j |A_j| <= 1/e. Where that bound
# is not far below KL (nearly equal distributions), or where a logit is -inf or anything
# overflowed, the row is recomputed by the careful route, whose terms are all >= 0.

# The fast route keeps a row whose error bound is at most this fraction of its divergence.
_FAST_RELATIVE_ERROR = 4e-13
# e^{2 * _HALF_EXP_LIMIT} is finite in float64 with room to spare (exp overflows above 709.78).
_HALF_EXP_LIMIT = 350.0
# phi(u) = e^u - 1 - u is summed as its Taylor series where |u| < _PHI_SERIES_LIMIT, in rows whose
# divergence is below _SERIES_ROWS; elsewhere expm1(u) - u is accurate enough (it loses
# 4 eps / |u| of phi(u), and such terms weigh little in a divergence above _SERIES_ROWS).
_PHI_SERIES_LIMIT = 2.0**-4
_SERIES_ROWS = 1e-4
# 1/k! for k = 2 .. 10: through u^10 / 10! the truncation error is below 1e-18 relative for
# |u| < 2**-4; fewer terms are used when every |u| is smaller (see _phi_series).
_PHI_COEFFICIENTS = np.array([1.0 / math.factorial(k) for k in range(2, 11)])


def _phi_series(u: np.ndarray, largest: float) -> np.ndarray:
    """phi(u) = e^u - 1 - u by as many Taylor terms as |u| <= `largest` <= 2**-4 needs."""
    # The first omitted term, u^(k+1) / (k+1)!, must be below 2**-60 times u^2 / 2.
    k = 2
    while k <= len(_PHI_COEFFICIENTS) and 2.0 * largest ** (k - 1) / math.factorial(k + 1) > 2.0**-60:
        k += 1
    series = np.full_like(u, _PHI_COEFFICIENTS[k - 2])
    for coefficient in _PHI_COEFFICIENTS[k - 3 :: -1] if k > 2 else ():  # Horner, over terms
        series *= u
        series += coefficient
    series *= u
    series *= u
    return series


def _log_sum_exp_rows(g: np.ndarray) -> np.ndarray:
    """log sum_j exp(g_j) per row of a 2-D array whose entries may be -inf (or +inf)."""
    top = g.max(axis=-1, keepdims=True)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    return top[:, 0] + np.log(np.exp(g - finite_top).sum(axis=-1))


def _kl_from_logits_careful(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KL(softmax(a) || softmax(b)) per row of 2-D validated logits, accurate in every regime.

    `a` and `b` are scratch copies and are overwritten. With S the classes where p > 0, t_j =
    log q_j - log p_j up to a constant, and u_j = t_j - sum_S p t (so that sum_S p u = 0),

        KL = log sum_S p_j e^{u_j}  -  log sum_S q_j  =  V + W,   both >= 0,

    because sum_S p t = -KL up to the constant. V = log1p(sum_S p_j phi(u_j)) sums terms >= 0, so
    nothing cancels however close p and q are. t_j / 2 = b_j / 2 - a_j / 2 is formed exactly, as a
    rounded difference plus its error (two-sum; halving keeps logits of opposite signs near the
    float64 limit from overflowing); an error in the centering constant changes V only to second
    order, and a second centering removes it. W = -log1p(-q(outside S)) is 0 for full support.
    """
    rows = np.arange(a.shape[0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        top_a = a.max(axis=-1, keepdims=True)
        p = np.subtract(a, top_a)  # may overflow to -inf: p = 0 there
        np.exp(p, out=p)
        sum_a = p.sum(axis=-1, keepdims=True)
        p /= sum_a
        top_b = b.max(axis=-1, keepdims=True)
        work = np.subtract(b, top_b)
        np.exp(work, out=work)
        sum_b = work.sum(axis=-1, keepdims=True)
        partial = p.min(axis=-1) == 0  # -inf logits, or probabilities below the subnormals
        any_partial = bool(partial.any())
        if any_partial:
            outside = p == 0
            # q normalized entry by entry, as p is: identical rows then agree on every 0
            q_outside = np.sum(work / sum_b, axis=-1, where=outside)

        # b/2 - a/2 = t + error exactly (two-sum), in place of the scratch inputs.
        half_b = np.multiply(b, 0.5, out=b)
        half_a = np.multiply(a, -0.5, out=a)
        t = half_b + half_a
        np.subtract(t, half_b, out=work)  # the part of t that came from half_a
        error = t - work
        np.subtract(half_b, error, out=error)
        error += np.subtract(half_a, work, out=work)
        if any_partial:
            t[outside] = 0.0
            error[outside] = 0.0
        t -= np.vecdot(p, t)[:, np.newaxis]
        t += error
        t -= np.vecdot(p, t)[:, np.newaxis]  # now w = u / 2, centered to the last ulps
        w = t
        if any_partial:
            w[outside] = 0.0

        # phi(u) / 2 = expm1(u) / 2 - w, with u = 2 w (w stays finite where u overflows).
        half_phi = np.multiply(w, 2.0, out=work)
        np.expm1(half_phi, out=half_phi)
        half_phi *= 0.5
        half_phi -= w
        large_terms = np.zeros(len(rows))
        log_p = None
        # p e^u without e^u, as e^(log p + u); fmax skips the NaN of rows that q rules out
        if np.fmax.reduce(w, axis=None, initial=-np.inf) > _HALF_EXP_LIMIT:
            large = w > _HALF_EXP_LIMIT
            large_rows = np.nonzero(large)[0]
            log_p = (-2.0 * half_a - top_a) - np.log(sum_a)  # half_a = -a / 2 exactly
            p_large, w_large = p[large], w[large]
            terms = 0.5 * np.exp(log_p[large] + 2.0 * w_large) - p_large * (0.5 + w_large)
            large_terms = np.bincount(large_rows, weights=terms, minlength=len(rows))
            half_phi[large] = 0.0
        half_sum = np.vecdot(p, half_phi) + large_terms  # sum_S p phi(u) / 2

        # Nearly equal p and q: phi(u) ~ u^2 / 2 from its series where |u| is small.
        tiny = half_sum < _SERIES_ROWS / 2
        if tiny.any():
            if tiny.all():
                w_tiny, p_tiny, half_phi_tiny = w, p, half_phi
            else:
                w_tiny, p_tiny, half_phi_tiny = w[tiny], p[tiny], half_phi[tiny]
            u_tiny = np.multiply(w_tiny, 2.0)
            magnitude = np.abs(u_tiny)
            small = magnitude < _PHI_SERIES_LIMIT
            largest = float(np.max(magnitude, where=small, initial=0.0))
            series = _phi_series(u_tiny, largest)  # garbage where not small: not used
            series *= 0.5
            np.copyto(half_phi_tiny, series, where=small)
            half_sum[tiny] = np.vecdot(p_tiny, half_phi_tiny) + large_terms[tiny]

        divergence = np.where(
            half_sum < 2.0**1000, np.log1p(2.0 * half_sum), np.log(half_sum) + math.log(2.0)
        )
        overflowed = np.isinf(half_sum)  # sum_S p e^u > e^709: log-sum-exp, accurate at that size
        if overflowed.any():
            if log_p is None:
                log_p = (-2.0 * half_a - top_a) - np.log(sum_a)
            divergence[overflowed] = _log_sum_exp_rows(
                np.where(p[overflowed] > 0, log_p[overflowed] + 2.0 * w[overflowed], -np.inf)
            )

        if any_partial:  # W = -log sum_S q
            w_term = -np.log1p(-q_outside)
            mostly = q_outside >= 0.5  # sum_S q from log-probabilities: it may underflow
            if mostly.any():
                log_q = (2.0 * half_b[mostly] - top_b[mostly]) - np.log(sum_b[mostly])
                w_term[mostly] = -_log_sum_exp_rows(np.where(outside[mostly], -np.inf, log_q))
            divergence += w_term
            # p_j below the smallest subnormal (a finite logit) can still weigh p_j log(p_j / q_j)
            # ~ e^-745 * 1e308 where q_j is astronomically small: add those terms from logs.
            rows_u, cols_u = np.nonzero(outside & (half_a < np.inf))
            if rows_u.size:
                log_p_u = -2.0 * half_a[rows_u, cols_u] - top_a[rows_u, 0]
                log_p_u -= np.log(sum_a[rows_u, 0])
                half_gap = (  # (log p_j - log q_j) / 2, halved so that it cannot overflow
                    (-half_a[rows_u, cols_u] - 0.5 * top_a[rows_u, 0])
                    - (half_b[rows_u, cols_u] - 0.5 * top_b[rows_u, 0])
                    + 0.5 * np.log(sum_b[rows_u, 0] / sum_a[rows_u, 0])
                )
                terms = np.exp(log_p_u + np.log(half_gap) + math.log(2.0))  # NaN where q > p
                divergence += np.bincount(
                    rows_u, weights=np.where(half_gap > 0, terms, 0.0), minlength=len(rows)
                )

        # Mass of p (a finite logit, however improbable) where q has none (-inf): infinite.
        suspect = partial | ~np.isfinite(divergence)
        if suspect.any():
            no_mass = (half_b[suspect] == -np.inf) & (half_a[suspect] < np.inf)
            divergence[np.flatnonzero(suspect)[no_mass.any(axis=-1)]] = np.inf
    return divergence + 0.0


def _kl_from_logits_fast(
    a: np.ndarray, top_a: np.ndarray, b: np.ndarray, top_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The fast route on 2-D rows: the divergences, and where they are accurate (see above)."""
    with np.errstate(over="ignore", invalid="ignore"):  # -inf and overflow: rows redone
        shifted = np.subtract(a, top_a)
        exp_a = np.exp(shifted)
        sum_a = exp_a.sum(axis=-1)
        mean_a = np.vecdot(exp_a, shifted)  # sum_j e^{A_j} A_j
        np.subtract(b, top_b, out=shifted)
        mean_b = np.vecdot(exp_a, shifted)
        np.exp(shifted, out=shifted)
        sum_b = shifted.sum(axis=-1)
        divergence = (mean_a - mean_b) / sum_a + np.log(sum_b / sum_a)
    log_n = math.log(a.shape[-1])
    bound = np.finfo(np.float64).eps * (log_n + 2.0) * (2.0 * log_n + 2.0)
    # inf may be an overflow rather than a divergence; NaN compares False
    accurate = (divergence * _FAST_RELATIVE_ERROR >= bound) & (divergence < np.inf)
    return divergence, accurate


def _kl_from_logits(
    a: np.ndarray, top_a: np.ndarray, b: np.ndarray, top_b: np.ndarray
) -> np.ndarray:
    """KL(softmax(a) || softmax(b)) over the last axis of validated logits; batch axes broadcast.

    Rows go through the kernels in blocks (see _row_blocks).
    """
    n = a.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    rows_a = np.broadcast_to(a, batch + (n,)).reshape(-1, n)
    rows_b = np.broadcast_to(b, batch + (n,)).reshape(-1, n)
    tops_a = np.broadcast_to(top_a, batch + (1,)).reshape(-1, 1)
    tops_b = np.broadcast_to(top_b, batch + (1,)).reshape(-1, 1)
    n_rows = rows_a.shape[0]
    divergence = np.empty(n_rows)
    accurate = np.empty(n_rows, dtype=bool)
    for block in _row_blocks(n_rows, n):
        divergence[block], accurate[block] = _kl_from_logits_fast(
            rows_a[block], tops_a[block], rows_b[block], tops_b[block]
        )
    careful = np.flatnonzero(~accurate)
    for block in _row_blocks(careful.size, n):
        rows = careful[block]
        divergence[rows] = _kl_from_logits_careful(rows_a[rows], rows_b[rows])  # copies
    return divergence.reshape(batch)


def kl_divergence_from_logits(
    p_logits: ArrayLike, q_logits: ArrayLike, *, axis: int = -1, base: float | None = None
) -> float | np.ndarray:
    r"""KL divergence between the softmax distributions of two sets of logits.

    Parameters
    ----------
    p_logits : array_like
        Logits of the reference distribution :math:`p = \operatorname{softmax}(a)` along
        `axis`; finite or -inf (a class of probability zero), any magnitude.
    q_logits : array_like
        Logits of the approximating distribution :math:`q = \operatorname{softmax}(b)`, the
        same length along `axis`; batch axes broadcast against those of `p_logits`.
    axis : int, optional
        The class axis. Default -1.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits.

    Returns
    -------
    float or ndarray
        :math:`D_{\mathrm{KL}}(p \,\|\, q) \ge 0`, a float for one pair and an array of the
        broadcast batch shape otherwise; exactly 0 for identical logits; ``inf`` where a class
        with a finite logit in `p_logits` (however improbable) has logit -inf in `q_logits`.

    Raises
    ------
    TypeError
        If either input is not an array of real numbers, or `base` is not a number.
    ValueError
        If either input is a scalar, empty along `axis`, contains NaN or +inf or a
        distribution whose logits are all -inf; if the lengths along `axis` differ or the
        batch shapes do not broadcast; if `base` is invalid.

    See Also
    --------
    kl_divergence : the same divergence from probabilities.
    log_softmax, cross_entropy_from_logits

    Notes
    -----
    With :math:`p = \operatorname{softmax}(a)` and :math:`q = \operatorname{softmax}(b)`,

    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \,(\log p_i - \log q_i)
            = \sum_i p_i (a_i - b_i) - \log \sum_j e^{a_j} + \log \sum_j e^{b_j} ,

    with :math:`0 \log 0 = 0` for a class of logit -inf in `p_logits`. Computing it from the
    logits rather than from ``softmax`` outputs matters: a probability below about
    :math:`10^{-308}` rounds to 0 and its logarithm to -inf, and two softmax outputs that
    agree to many digits leave nothing of their difference after rounding.

    Every row is first evaluated by the second form, shifted by each row's maximum so that
    nothing overflows. Its rounding error is a few ulps of the entropies involved; where it
    could exceed :math:`4 \cdot 10^{-13}` of the result (nearly equal rows, whose divergence is
    far below those entropies), or where a logit is -inf or a difference overflows, the row is
    recomputed as

    .. math::

        D_{\mathrm{KL}} = \operatorname{log1p}\Big(\sum_{i \in S} p_i\,
            \varphi(u_i)\Big) - \log \sum_{i \in S} q_i ,
        \qquad \varphi(u) = e^u - 1 - u \ge 0 ,

    where :math:`S` holds the classes with :math:`p_i > 0` and :math:`u_i = (b_i - a_i) -
    \sum_{j \in S} p_j (b_j - a_j)`. Both terms are non-negative sums, so nothing cancels;
    :math:`b_i - a_i` is formed exactly (as a rounded difference plus its error) and
    :math:`\varphi` near 0 by its Taylor series. The result agrees with a 50-digit evaluation to
    about :math:`10^{-13}` relative or better for logits of any magnitude, including
    divergences as small as :math:`10^{-300}`.

    *Knowledge distillation* [2]_ trains a student network on the softened outputs of a
    teacher: with teacher logits :math:`t`, student logits :math:`s` and a temperature
    :math:`T > 1`, the distillation loss is

    .. math::

        T^2 \, D_{\mathrm{KL}}\big(\operatorname{softmax}(t / T) \,\|\,
            \operatorname{softmax}(s / T)\big) ,

    that is ``T**2 * kl_divergence_from_logits(t / T, s / T)``. The factor :math:`T^2` keeps the
    size of its gradients comparable to those of the ordinary cross-entropy term as :math:`T`
    changes. It differs from the soft-target cross-entropy
    ``cross_entropy_from_logits(softmax(t / T), s / T)`` by the teacher's entropy, a constant
    for the student, and is 0 when the student matches the teacher.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On Information and Sufficiency", Annals of
       Mathematical Statistics 22(1), 79-86, 1951.
    .. [2] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural Network",
       NIPS Deep Learning Workshop, 2015, arXiv:1503.02531.

    Examples
    --------
    >>> import numpy as np
    >>> import kltools
    >>> kltools.kl_divergence_from_logits([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    0.0

    Logits [0, 0] and [0, log 3] are the distributions [1/2, 1/2] and [1/4, 3/4]:

    >>> a, b = [0.0, 0.0], [0.0, np.log(3.0)]
    >>> round(kltools.kl_divergence_from_logits(a, b, base=2), 12)
    0.207518749639

    Logits that put almost all mass on different classes; the probabilities themselves
    round to 0 and 1, the divergence does not become infinite:

    >>> kltools.kl_divergence_from_logits([1000.0, 0.0], [0.0, 1000.0])
    1000.0

    A class that `q` rules out (logit -inf) while `p` does not makes it infinite:

    >>> kltools.kl_divergence_from_logits([0.0, -np.inf], [0.0, 0.0])
    0.6931471805599453
    >>> kltools.kl_divergence_from_logits([0.0, 0.0], [0.0, -np.inf])
    inf

    Distillation loss at temperature 4, one value per example (``.mean()`` for a batch):

    >>> teacher = np.array([[4.0, 1.0, -2.0], [0.5, 2.5, 0.0]])
    >>> student = np.array([[3.0, 1.5, -1.0], [0.0, 2.0, 0.5]])
    >>> T = 4.0
    >>> distillation = kltools.kl_divergence_from_logits(teacher / T, student / T)
    >>> (T**2 * distillation).round(6)
    array([0.353698, 0.097558])
    """
    log_base = _log_base(base)
    a, top_a = _as_logits_and_max(p_logits, "p_logits", axis)
    b, top_b = _as_logits_and_max(q_logits, "q_logits", axis)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"p_logits and q_logits must have the same length along axis {axis}, "
            f"got {a.shape[-1]} and {b.shape[-1]}"
        )
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of p_logits {a.shape[:-1]} and q_logits {b.shape[:-1]} "
            "do not broadcast"
        ) from None
    divergence = _kl_from_logits(a, top_a, b, top_b)
    return _scalar_or_array(divergence / log_base)
