"""Input validation shared by every public function of kltools.

Every public function validates its arguments here, once, at the boundary; the numerical
kernels behind them assume clean input and never check again.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: Largest accepted distance between the sum of a probability vector and 1 when
#: ``normalize=False``. Loose enough for probabilities that went through float32 or were typed
#: by hand with a few decimals; tight enough to catch counts or unnormalized weights.
SUM_TOLERANCE = 1e-6


def _as_numeric_array(x: ArrayLike, name: str) -> np.ndarray:
    """Return ``x`` as an integer or floating array, refusing anything else (bool included)."""
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists, exotic objects
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must be an array of real numbers, got an array of dtype {arr.dtype}"
        )
    return arr


def _as_real_array(x: ArrayLike, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array, refusing anything that is not real-numeric."""
    return _as_numeric_array(x, name).astype(np.float64, copy=False)


def _log_base(base: float | None) -> float:
    """Return log(base), the divisor that converts nats to the requested unit."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number or None, got {base!r}")
    base = float(base)
    if not math.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be finite, > 0 and != 1, got {base!r}")
    return math.log(base)


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


def _as_distribution(
    x: ArrayLike, name: str, axis: int, normalize: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Validate probability vectors along ``axis`` and move that axis last.

    Returns the float64 array (axis moved to -1, a view where possible) and the smallest entry of
    each distribution, which the kernels use to choose a fast path when nothing is zero.
    """
    arr = _as_vectors(x, name, axis, "probabilities")

    # One pass for the sum catches NaN and inf too (they make the sum non-finite), so the
    # common case costs two passes: sum and min.
    with np.errstate(over="ignore", invalid="ignore"):  # diagnosed just below
        total = arr.sum(axis=-1)
    if not np.isfinite(total).all():
        _describe_nonfinite(arr, name)
    smallest = arr.min(axis=-1)
    if (smallest < 0).any():
        raise ValueError(f"{name} has a negative entry ({smallest.min():g}); probabilities are >= 0")

    if normalize:
        if not np.isfinite(total).all():  # finite entries whose sum overflows: scale down first
            peak = arr.max(axis=-1)
            arr = arr / peak[..., np.newaxis]
            smallest = smallest / peak  # kept in step with arr: the kernels trust it
            total = arr.sum(axis=-1)
        if (total == 0).any():
            raise ValueError(f"{name} sums to 0 along axis {axis}; cannot normalize")
        arr = arr / total[..., np.newaxis]
        smallest = smallest / total
    else:
        deviation = np.abs(total - 1.0)
        if not (deviation <= SUM_TOLERANCE).all():
            worst = np.asarray(total).flat[np.argmax(deviation)]
            raise ValueError(
                f"{name} must sum to 1 along axis {axis} but sums to {worst:.10g}; "
                "pass normalize=True to rescale non-negative weights such as counts"
            )
    return arr, smallest


def _as_distribution_pair(
    p: ArrayLike, q: ArrayLike, axis: int, normalize: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate two distributions that are compared category by category."""
    p_arr, p_min = _as_distribution(p, "p", axis, normalize)
    q_arr, q_min = _as_distribution(q, "q", axis, normalize)
    if p_arr.shape[-1] != q_arr.shape[-1]:
        raise ValueError(
            f"p and q must have the same length along axis {axis}, "
            f"got {p_arr.shape[-1]} and {q_arr.shape[-1]}"
        )
    try:
        np.broadcast_shapes(p_arr.shape, q_arr.shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of p {p_arr.shape[:-1]} and q {q_arr.shape[:-1]} "
            "do not broadcast"
        ) from None
    return p_arr, p_min, q_arr, q_min


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
    """A seed (int or SeedSequence), a Generator, or None for fresh entropy."""
    if isinstance(rng, np.random.Generator):
        return rng
    is_seed = isinstance(rng, (numbers.Integral, np.random.SeedSequence)) and not isinstance(rng, bool)
    if rng is None or is_seed:
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an integer seed or a numpy Generator, got {rng!r}")


def _frozen_kind(dist: Any, name: str) -> str:
    """Classify a frozen scipy.stats distribution as 'discrete', 'continuous' or 'multivariate'."""
    from scipy import stats

    if isinstance(dist, stats.distributions.rv_frozen):
        return "discrete" if isinstance(dist.dist, stats.rv_discrete) else "continuous"
    if isinstance(dist, (stats._multivariate.multi_rv_frozen,)):
        return "multivariate"
    if isinstance(dist, (stats.rv_continuous, stats.rv_discrete, stats._multivariate.multi_rv_generic)):
        raise TypeError(
            f"{name} must be a frozen distribution such as scipy.stats.norm(0, 1), "
            f"got the unfrozen family {type(dist).__name__}"
        )
    raise TypeError(
        f"{name} must be a frozen scipy.stats distribution such as scipy.stats.norm(0, 1), "
        f"got {type(dist).__name__}"
    )
