"""Softmax, log-softmax and the softmax cross-entropy loss, computed from logits."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from kltools._validation import (
    _as_distribution,
    _as_logits,
    _as_numeric_array,
    _normalize_axis,
    _scalar_or_array,
)


def _log_softmax_last(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis of validated logits (max finite, no NaN, no +inf)."""
    top = np.argmax(z, axis=-1)[..., np.newaxis]
    shifted = z - np.take_along_axis(z, top, axis=-1)  # largest entry becomes 0: no overflow
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=-1)
    # log(1 + sum of the others) by log1p: a confident prediction keeps its tiny loss exactly
    # instead of rounding log(1 + 1e-17) to 0.
    return shifted - np.log1p(others.sum(axis=-1, keepdims=True))


def log_softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax of `logits`, without overflow or underflow to -inf.

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
    deficit of a dominant class accurate.

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
    z = _as_logits(logits, "logits", axis)
    result = _log_softmax_last(z)
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
    z = _as_logits(logits, "logits", axis)
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    result = shifted / shifted.sum(axis=-1, keepdims=True)
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
    z = _as_logits(logits, "logits", axis)
    log_q = _log_softmax_last(z)
    target_arr = _as_numeric_array(target, "target")
    if np.issubdtype(target_arr.dtype, np.integer):
        indices = _as_class_indices(target_arr, z.shape[:-1], z.shape[-1])
        picked = np.take_along_axis(log_q, indices[..., np.newaxis], axis=-1)[..., 0]
        return _scalar_or_array(-picked + 0.0)
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
