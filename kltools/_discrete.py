"""Entropy, cross-entropy and KL divergence of discrete distributions given as arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from kltools._validation import _as_distribution, _as_distribution_pair, _log_base, _scalar_or_array

# Below this, q can make p / q overflow to inf (p <= 1), so the ratio trick is not safe.
_TINY = np.finfo(np.float64).tiny


def _sum_p_log_q(p: np.ndarray, q: np.ndarray, q_min: np.ndarray) -> np.ndarray:
    """Sum of p * log(q) over the last axis, with 0 log 0 = 0 and p log 0 = -inf for p > 0."""
    if (q_min > 0).all():
        # Nothing is zero: one log pass and a dot product.
        return np.vecdot(p, np.log(q))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(q), 0.0)
    return terms.sum(axis=-1)


def _sum_p_log_ratio(
    p: np.ndarray, p_min: np.ndarray, q: np.ndarray, q_min: np.ndarray
) -> np.ndarray:
    """Sum of p * log(p / q) over the last axis, with the conventions of the KL divergence."""
    if (p_min > 0).all() and (q_min >= _TINY).all():
        ratio = np.divide(p, q)
        np.log(ratio, out=ratio)
        return np.vecdot(p, ratio)
    # Zeros or subnormal q: subtract logs instead, so p / q can neither overflow nor be 0 / 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.log(p, out=np.zeros_like(p), where=p > 0)
        terms = np.where(p > 0, p * (log_p - np.log(q)), 0.0)
    return terms.sum(axis=-1)


def entropy(
    p: ArrayLike, *, base: float | None = None, axis: int = -1, normalize: bool = False
) -> float | np.ndarray:
    r"""Shannon entropy of a discrete distribution.

    Parameters
    ----------
    p : array_like
        Probabilities along `axis`; other axes are batch axes.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits. Must be finite, > 0
        and != 1.
    axis : int, optional
        Axis along which `p` is a distribution. Default -1.
    normalize : bool, optional
        If True, `p` holds non-negative weights (such as counts) that are rescaled to sum to 1.
        If False (default), `p` must already sum to 1 within ``1e-6``.

    Returns
    -------
    float or ndarray
        The entropy, a float for a single distribution and an array of the batch shape
        otherwise. Always >= 0.

    Raises
    ------
    TypeError
        If `p` is not an array of real numbers.
    ValueError
        If `p` is empty along `axis`, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``), or `base` is invalid.

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
    """
    log_base = _log_base(base)
    p_arr, p_min = _as_distribution(p, "p", axis, normalize)
    # -sum p log p can come out as -0.0 for a certain outcome; + 0.0 turns it into 0.0.
    return _scalar_or_array(-_sum_p_log_q(p_arr, p_arr, p_min) / log_base + 0.0)


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
        Base of the logarithm: None (default) gives nats, 2 gives bits.
    axis : int, optional
        Axis along which `p` and `q` are distributions. Default -1.
    normalize : bool, optional
        If True, rescale both inputs to sum to 1 (for counts). If False (default), each must
        already sum to 1 within ``1e-6``.

    Returns
    -------
    float or ndarray
        :math:`H(p, q)`, a float for a single pair and an array of the broadcast batch shape
        otherwise; ``inf`` where `p` puts positive probability on a category that `q` gives
        probability zero.

    Raises
    ------
    TypeError
        If `p` or `q` is not an array of real numbers.
    ValueError
        If either input is empty, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``); if their lengths along `axis` differ or their batch shapes
        do not broadcast; if `base` is invalid.

    See Also
    --------
    entropy, kl_divergence

    Notes
    -----
    .. math::

        H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{\mathrm{KL}}(p \,\|\, q) \ge H(p),

    with :math:`0 \log q_i = 0` for any :math:`q_i`, including zero. It is the average code
    length, in nats or bits, of outcomes drawn from `p` and encoded with a code that is optimal
    for `q`.

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
    p_arr, _, q_arr, q_min = _as_distribution_pair(p, q, axis, normalize)
    return _scalar_or_array(-_sum_p_log_q(p_arr, q_arr, q_min) / log_base + 0.0)


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
        Base of the logarithm: None (default) gives nats, 2 gives bits.
    axis : int, optional
        Axis along which `p` and `q` are distributions. Default -1.
    normalize : bool, optional
        If True, rescale both inputs to sum to 1 (for counts). If False (default), each must
        already sum to 1 within ``1e-6``.

    Returns
    -------
    float or ndarray
        The divergence, >= 0; a float for a single pair and an array of the broadcast batch
        shape otherwise; ``inf`` exactly where `p` puts positive probability on a category that
        `q` gives probability zero.

    Raises
    ------
    TypeError
        If `p` or `q` is not an array of real numbers.
    ValueError
        If either input is empty, has negative, NaN or infinite entries, does not sum to 1
        (with ``normalize=False``); if their lengths along `axis` differ or their batch shapes
        do not broadcast; if `base` is invalid.

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
    when outcomes from `p` are encoded with a code built for `q`. It is not symmetric in `p`
    and `q`, and it is not a metric.

    By Gibbs' inequality the divergence is never negative. Floating-point rounding can push a
    sum of terms of both signs a few ulps below zero when `p` and `q` are nearly equal; such a
    result is returned as 0, which is within the rounding error (an absolute error of a few
    times ``1e-16`` per category). The probabilities themselves may be as small as the smallest
    subnormal double: the ratio :math:`p_i / q_i` is never formed where it could overflow.

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
    >>> round(kltools.kl_divergence(p, q, base=2), 6), round(kltools.kl_divergence(q, p, base=2), 6)
    (0.278072, 0.321928)

    It is infinite exactly when `p` has mass where `q` has none:

    >>> kltools.kl_divergence([0.5, 0.5], [1.0, 0.0]), kltools.kl_divergence([1.0, 0.0], [0.5, 0.5])
    (inf, 0.6931471805599453)
    """
    log_base = _log_base(base)
    p_arr, p_min, q_arr, q_min = _as_distribution_pair(p, q, axis, normalize)
    divergence = _sum_p_log_ratio(p_arr, p_min, q_arr, q_min)
    return _scalar_or_array(np.maximum(divergence, 0.0) / log_base)


def js_divergence(
    p: ArrayLike, q: ArrayLike, *, base: float | None = None, axis: int = -1
) -> float | np.ndarray:
    r"""Jensen-Shannon divergence of two discrete distributions.

    Parameters
    ----------
    p, q : array_like
        Probabilities along `axis`, each summing to 1 within ``1e-6``; same length along
        `axis`; batch axes broadcast.
    base : float, optional
        Base of the logarithm: None (default) gives nats, 2 gives bits.
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
        If `p` or `q` is not an array of real numbers.
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
    p_arr, p_min, q_arr, q_min = _as_distribution_pair(p, q, axis, normalize=False)
    # KL(p || m) with m = (p + q) / 2 is (1/2) sum 2p log(2p / (p + q)). Doubling is exact, while
    # halving p + q would round the smallest subnormals to 0 and make the divergence jump.
    total = p_arr + q_arr
    total_min = np.maximum(p_min, q_min)  # a lower bound of min(p + q) is all the kernel needs
    divergence = 0.25 * (
        _sum_p_log_ratio(2 * p_arr, 2 * p_min, total, total_min)
        + _sum_p_log_ratio(2 * q_arr, 2 * q_min, total, total_min)
    )
    # Bounded by log 2 in exact arithmetic; rounding may step a few ulps outside.
    return _scalar_or_array(np.clip(divergence, 0.0, np.log(2.0)) / log_base)
