"""Input validation shared by every public function of kltools.

Every public function validates its arguments here, once, at the boundary; the numerical
kernels behind them assume clean input and never check again.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)
_FLOAT64_MAX = float(np.finfo(np.float64).max)

#: Smallest accepted distance between the sum of a probability vector and 1 when
#: ``normalize=False``: the tolerance for float64 and integer input. Loose enough for
#: probabilities typed by hand with a few decimals, tight enough to catch counts or unnormalized
#: weights.
SUM_TOLERANCE = 1e-6

#: Largest tolerance, whatever the dtype and length: a vector summing to 0 or to 2 is never taken
#: for a probability vector, and dividing by a sum in [0.5, 1.5] cannot round a positive entry
#: (even the smallest subnormal) to 0.
MAX_SUM_TOLERANCE = 0.5


def _sum_tolerance(dtype: np.dtype, n: int) -> float:
    """Largest accepted ``|sum - 1|`` for `n` probabilities stored as `dtype`.

    A softmax computed in a floating type of machine epsilon ``eps`` divides each of the `n`
    exponentials by their computed sum. The sum carries a relative error of at most
    ``(n - 1) eps / 2`` (recursive summation; Higham, *Accuracy and Stability of Numerical
    Algorithms*, 2nd ed., section 4.2) and each quotient a rounding of ``eps / 2``, so the
    stored probabilities sum to 1 within about ``(n + 1) eps / 2 <= n eps`` (the absolute
    rounding of entries that underflow adds at most ``n`` times half the smallest subnormal,
    far less). The tolerance is that bound, but never below :data:`SUM_TOLERANCE` (float64
    stays as strict as before) and never above :data:`MAX_SUM_TOLERANCE`.
    """
    eps = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    return min(max(SUM_TOLERANCE, n * eps), MAX_SUM_TOLERANCE)


def _conversion_error(x: Any, name: str, exc: Exception) -> TypeError:
    """The error to raise when ``np.asarray(x)`` fails: it names `name` and says what to do."""
    message = str(exc)
    if getattr(x, "requires_grad", False) is True or "requires grad" in message:
        return TypeError(f"{name} is a tensor that requires grad; pass {name}.detach()")
    if "cuda" in message.lower() or "device type" in message:
        return TypeError(f"{name} is a tensor on an accelerator; pass {name}.cpu()")
    return TypeError(
        f"{name} must be an array of real numbers: {message or type(exc).__name__}; pass a "
        "numpy array, a list of numbers or an object numpy can convert"
    )


def _as_numeric_array(x: ArrayLike, name: str) -> np.ndarray:
    """Return ``x`` as an integer or floating array, refusing anything else (bool included)."""
    if isinstance(x, np.ma.MaskedArray) and np.ma.getmaskarray(x).any():
        # np.asarray would drop the mask and compute with the hidden values.
        raise ValueError(
            f"{name} is a masked array with masked entries; fill them (x.filled(...)) or "
            "remove them (x.compressed(), or index the unmasked rows) first"
        )
    try:
        arr = np.asarray(x)
    except MemoryError:
        raise
    except Exception as exc:  # ragged nested lists, exotic objects, tensors numpy cannot take
        raise _conversion_error(x, name, exc) from None
    # numpy counts timedelta64 as an integer type; a duration is not a probability or a sample.
    if arr.dtype == np.bool_ or np.issubdtype(arr.dtype, np.timedelta64) or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must be an array of real numbers, got an array of dtype {arr.dtype}"
        )
    return arr


def _as_real_array(x: ArrayLike, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array, refusing anything that is not real-numeric.

    Every computation is in float64: wider floats (long double) whose nonzero finite entries
    would overflow, underflow to 0 or lose digits as subnormals in float64 are refused rather
    than silently changed.
    """
    arr = _as_numeric_array(x, name)
    if np.issubdtype(arr.dtype, np.floating) and arr.dtype.itemsize > 8 and arr.size:
        magnitude = np.abs(arr[np.isfinite(arr) & (arr != 0)])
        if magnitude.size and (magnitude.max() > _FLOAT64_MAX or magnitude.min() < _TINY):
            raise ValueError(
                f"{name} has entries of magnitude {magnitude.min():.3g} to {magnitude.max():.3g}, "
                "outside the normal range of float64 in which kltools computes; rescale it"
            )
    return arr.astype(np.float64, copy=False)


def _log_base(base: float | None) -> float:
    """Return log(base), the divisor that converts nats to the requested unit.

    A base must be finite and > 1: with a base <= 1 the logarithm is negative or undefined, and
    so would be every entropy and divergence.
    """
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number or None, got {base!r}")
    base = float(base)
    if not (math.isfinite(base) and base > 1):
        raise ValueError(f"base must be finite and > 1 (2 for bits, e for nats), got {base!r}")
    return math.log(base)


def _as_flag(value: Any, name: str) -> bool:
    """A real boolean (bool or numpy.bool_); anything else, a string included, is an error."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _normalize_axis(axis: int, ndim: int, name: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for {name} with {ndim} dimension(s)")
    return int(axis) % ndim


def _as_vectors(x: ArrayLike, name: str, axis: int, what: str) -> np.ndarray:
    """A float64 array of at least one dimension, `axis` moved last, not empty along it."""
    arr = _as_real_array(x, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array of {what}, got a scalar")
    arr = np.moveaxis(arr, _normalize_axis(axis, arr.ndim, name), -1)
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} is empty (length 0 along axis {axis})")
    return arr


def _describe_nonfinite(arr: np.ndarray, name: str) -> None:
    """Raise the error that explains why ``arr`` summed to a non-finite value, if any."""
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains an infinite entry")


class _Probabilities(NamedTuple):
    """Validated probability vectors, the distribution axis last, as the kernels consume them.

    values
        float64 probabilities. A row is either the input as given (``literal``) or the input
        divided by its sum.
    smallest
        The smallest entry of ``values`` (a lower bound of it after normalizing), over all rows:
        the kernels take their fast path when it is > 0.
    literal
        Per row (batch shape): True where the row is the input as given, because its sum is 1
        up to the rounding of summing it (``|sum - 1| <= n eps``); the exact value of the formula
        for these floats then includes the rounding-level ``sum - 1``. False where the row was
        divided by its sum, so that it stands for an exactly normalized distribution.
    log_values
        None, or the natural logarithms of the probabilities, ``log(w_i / sum w)`` to an ulp
        of 1 (-inf for zeros), when normalizing underflowed a positive weight or overflowed a
        sum in some row.
    in_log
        None, or per row: True where ``values`` lost a positive weight to underflow (or the sum
        overflowed); the kernels must use ``log_values`` for these rows.
    """

    values: np.ndarray
    smallest: float
    literal: np.ndarray
    log_values: np.ndarray | None = None
    in_log: np.ndarray | None = None


def _as_probabilities(x: ArrayLike, name: str, axis: int, normalize: bool) -> _Probabilities:
    """Validate probability vectors (or weights, with `normalize`) along `axis`, moved last."""
    normalize = _as_flag(normalize, "normalize")
    numeric = _as_numeric_array(x, name)
    arr = _as_vectors(numeric, name, axis, "probabilities")
    return _checked_weights(arr, numeric.dtype, name, f"along axis {axis}", normalize)


def _as_joint_table(x: ArrayLike, name: str, normalize: bool) -> tuple[_Probabilities, int]:
    """Validate joint probability tables (the last two axes) and flatten each into a vector.

    Returns the tables as probability vectors of length ``rows * columns`` (row-major, so that
    ``values.reshape(..., rows, columns)`` gives them back) and the number of rows.
    """
    normalize = _as_flag(normalize, "normalize")
    numeric = _as_numeric_array(x, name)
    if numeric.ndim < 2:
        raise ValueError(
            f"{name} must be a table of joint probabilities (at least 2-D, the last two axes "
            f"for the two variables), got shape {numeric.shape}"
        )
    rows, columns = numeric.shape[-2:]
    if rows == 0 or columns == 0:
        raise ValueError(f"{name} is empty (its last two axes have lengths {rows} and {columns})")
    flat = _as_real_array(numeric, name).reshape(numeric.shape[:-2] + (rows * columns,))
    return _checked_weights(flat, numeric.dtype, name, "over its last two axes", normalize), rows


def _checked_weights(
    arr: np.ndarray, dtype: np.dtype, name: str, where: str, normalize: bool
) -> _Probabilities:
    """Probabilities (or, with `normalize`, weights) along the last axis of a float64 array;
    `dtype` is the input's, which sets the tolerance of the sum, and `where` ("along axis 0")
    says in messages which axis or axes hold a distribution."""
    # One pass for the sum catches NaN and inf too (they make the sum non-finite), so the
    # common case costs two passes: sum and min.
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
        total = arr.sum(axis=-1)
    if not np.isfinite(total).all():
        _describe_nonfinite(arr, name)  # otherwise finite entries whose sum overflows
    if arr.size == 0:  # an empty batch of distributions: nothing to check or compute
        return _Probabilities(arr, 1.0, np.ones(arr.shape[:-1], dtype=bool))
    smallest = float(arr.min())  # over every row at once: much faster than per row
    if smallest < 0:
        raise ValueError(f"{name} has a negative entry ({smallest:g}); probabilities are >= 0")
    if normalize:
        return _normalized(arr, total, smallest, name, where)
    tolerance = _sum_tolerance(dtype, arr.shape[-1])
    return _checked_sum(arr, total, smallest, name, where, tolerance)


def _checked_sum(
    arr: np.ndarray, total: np.ndarray, smallest: float, name: str, where: str, tolerance: float
) -> _Probabilities:
    """Probabilities that must sum to 1 within `tolerance`; rows off by more than rounding are
    divided by their sum, so that every result is that of a distribution."""
    deviation = np.abs(total - 1.0)
    if not (deviation <= tolerance).all():
        worst = np.asarray(total).flat[np.argmax(deviation)]
        raise ValueError(
            f"{name} must sum to 1 {where} (within {tolerance:.3g}) but sums to "
            f"{worst:.10g}; pass normalize=True to rescale non-negative weights such as counts"
        )
    literal = deviation <= arr.shape[-1] * _EPS
    if literal.all():
        return _Probabilities(arr, smallest, literal)
    # 1.0 for the rows used as given: dividing by it is exact. A sum in [0.5, 1.5] keeps every
    # positive entry positive and every zero zero.
    values = arr / np.where(literal, 1.0, total)[..., np.newaxis]
    return _Probabilities(values, float(values.min()), literal)


def _normalized(
    arr: np.ndarray, total: np.ndarray, smallest: float, name: str, where: str
) -> _Probabilities:
    """Weights divided by their sum; in log space for rows where that would underflow."""
    if (total == 0).any():
        raise ValueError(f"{name} sums to 0 {where}; cannot normalize")
    literal = np.zeros(total.shape, dtype=bool)
    finite = np.isfinite(total)
    positive_min = smallest if smallest > 0 else float(np.min(arr, where=arr > 0, initial=np.inf))
    with np.errstate(under="ignore", over="ignore"):  # both diagnosed just below
        if finite.all() and positive_min / total.max() >= _TINY:
            # No positive weight can fall below the normal range: a plain division is exact
            # to half an ulp per entry, and zeros stay zeros.
            values = arr / total[..., np.newaxis]
            lower_bound = 0.0 if smallest == 0 else positive_min / float(total.max())
            return _Probabilities(values, lower_bound, literal)
        # Some row overflows its sum or would round a positive weight to a subnormal or to 0:
        # keep the logarithms, which never underflow. With the largest weight w_max and
        # r = sum of the other w_j / w_max, log p_i = log(w_i / w_max) - log1p(r) is accurate
        # to an ulp of 1 wherever w_i / w_max is a normal number (log w_i - log sum w would carry
        # an error of an ulp of |log w_i|, up to 700 times more), and log p_max = -log1p(r) keeps
        # its digits even when r is far below an ulp of 1. For smaller ratios,
        # log w_i - log w_max.
        row_min = np.min(arr, axis=-1, where=arr > 0, initial=np.inf)
        in_log = ~finite | (row_min / total < _TINY)
        scaled, rest = _ratios_to_largest(arr)
        normal = scaled >= _TINY
        log_values = np.log(scaled, out=np.full(arr.shape, -np.inf), where=normal)
        small = (arr > 0) & ~normal
        if small.any():
            peak = arr.max(axis=-1, keepdims=True)
            log_values[small] = np.log(arr[small]) - np.log(np.broadcast_to(peak, arr.shape)[small])
        log_values -= np.log1p(rest)[..., np.newaxis]
        from_logs = np.where(normal, scaled / (1.0 + rest)[..., np.newaxis], np.exp(log_values))
        plain = arr / np.where(finite, total, 1.0)[..., np.newaxis]  # rows as they would be alone
        values = np.where(in_log[..., np.newaxis], from_logs, plain)
    return _Probabilities(values, float(values.min()), literal, log_values, in_log)


def _ratios_to_largest(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``w / max(w)`` along the last axis, and the sum of these ratios without the largest one
    (which is 1): the sum is then ``1 + rest`` with `rest` exact to an ulp even when it is far
    below an ulp of 1. Rows must not be all zero."""
    top = np.argmax(arr, axis=-1)[..., np.newaxis]
    with np.errstate(under="ignore"):  # ratios below the subnormals: 0, callers handle them
        scaled = arr / np.take_along_axis(arr, top, axis=-1)
    others = scaled.copy()
    np.put_along_axis(others, top, 0.0, axis=-1)
    return scaled, others.sum(axis=-1)


def _as_distribution(
    x: ArrayLike, name: str, axis: int, normalize: bool
) -> tuple[np.ndarray, float]:
    """Validate probability vectors along ``axis`` and move that axis last.

    Returns the float64 probabilities (axis moved to -1; rows accepted by the tolerance but not
    summing to 1 up to rounding are divided by their sum) and their smallest entry.
    """
    probabilities = _as_probabilities(x, name, axis, normalize)
    return probabilities.values, probabilities.smallest


def _as_distribution_pair(
    p: ArrayLike, q: ArrayLike, axis: int, normalize: bool
) -> tuple[_Probabilities, _Probabilities]:
    """Validate two distributions that are compared category by category."""
    normalize = _as_flag(normalize, "normalize")
    p_probs = _as_probabilities(p, "p", axis, normalize)
    q_probs = _as_probabilities(q, "q", axis, normalize)
    p_shape, q_shape = p_probs.values.shape, q_probs.values.shape
    if p_shape[-1] != q_shape[-1]:
        raise ValueError(
            f"p and q must have the same length along axis {axis}, "
            f"got {p_shape[-1]} and {q_shape[-1]}"
        )
    try:
        np.broadcast_shapes(p_shape, q_shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of p {p_shape[:-1]} and q {q_shape[:-1]} do not broadcast"
        ) from None
    return p_probs, q_probs


def _scalar_or_array(x: Any) -> float | np.ndarray:
    """Return a Python float for a 0-d result, an ndarray for a batch."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x


def _as_logits(x: ArrayLike, name: str, axis: int) -> np.ndarray:
    """Validate unnormalized log-probabilities and move `axis` last.

    -inf is a legitimate logit (a category of probability zero, as in masking); NaN and +inf are
    not, and at least one category per distribution must be finite.
    """
    arr = _as_vectors(x, name, axis, "logits")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if (arr == np.inf).any():
        raise ValueError(f"{name} contains +inf")
    if (arr.max(axis=-1) == -np.inf).any():
        raise ValueError(f"{name} has a distribution whose logits are all -inf")
    return arr


def _as_samples(x: ArrayLike, name: str) -> np.ndarray:
    """Validate a sample as an (n, d) array of finite reals; a 1-D sample is (n, 1)."""
    arr = _as_real_array(x, name)
    if arr.ndim == 1:
        arr = arr[:, np.newaxis]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, d), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite entries")
    return arr


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _as_generator(rng: Any) -> np.random.Generator:
    """A Generator from a seed (int or SeedSequence), a Generator, a legacy RandomState, or None.

    None draws fresh entropy from the operating system. A RandomState is wrapped, not copied:
    the Generator draws from the RandomState's own bit generator, so the same RandomState state
    gives the same result and drawing advances it, as drawing from it directly would.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        bit_generator = getattr(rng, "_bit_generator", None)
        if isinstance(bit_generator, np.random.BitGenerator):
            return np.random.Generator(bit_generator)
        return np.random.default_rng(rng.randint(0, 2**32, size=4, dtype=np.uint64))
    is_seed = isinstance(rng, (numbers.Integral, np.random.SeedSequence)) and not isinstance(rng, bool)
    if rng is None or is_seed:
        return np.random.default_rng(rng)
    raise TypeError(
        "rng must be None, an integer seed, a SeedSequence, a numpy Generator or a "
        f"RandomState, got {rng!r}"
    )
