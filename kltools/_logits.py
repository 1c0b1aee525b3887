"""Softmax, log-softmax and the softmax cross-entropy loss, computed from logits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from kltools._validation import (
    _as_distribution,
    _as_numeric_array,
    _as_vectors,
    _normalize_axis,
    _scalar_or_array,
)


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
    out = np.empty_like(z)
    log_total = _log_sum_exp(z, top, out)
    with np.errstate(over="ignore"):
        np.subtract(z, top, out=out)  # recomputed rather than kept: one temporary, not two
    out -= log_total
    return out


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
    result = np.empty_like(z)
    with np.errstate(over="ignore"):  # z - top < -max overflows to -inf, whose exp is 0
        np.subtract(z, top, out=result)
    np.exp(result, out=result)
    result /= result.sum(axis=-1, keepdims=True)
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
        log_total = _log_sum_exp(z, top, np.empty_like(z))
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
