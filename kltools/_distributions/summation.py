r"""The numerical route for discrete distributions: KL divergences and entropies by summation.

Both are sums over the support points of ``p`` of one term per point,

.. math::

    H(p) = -\sum_x p(x) \log p(x), \qquad
    D_{\mathrm{KL}}(p \,\|\, q) = \sum_x p(x) \bigl(\log p(x) - \log q(x)\bigr),

and only the support points with positive mass count (``0 log 0 = 0``). How they are summed:

**Explicit supports** (``rv_discrete(values=(xk, pk))``, family ``"sample"``) are summed point by
point over ``xk``, which may hold any real numbers. SciPy's pmf of such an object is exact
matching on ``xk``, and so is ours: ``q`` of family ``"sample"`` has mass only at its own points.

**Lattice families** (``poisson``, ``binom``, ...: the points ``loc + k`` for integers ``k``
between the ends of the support) are summed over a *window* of ``k`` where ``p`` has its mass:

1. The window starts at the mode (or mean) of ``p``, not at the end of the support, and in each
   infinite direction doubles its distance until the tail beyond it holds at most
   ``1e-18 * min(1, P(beyond the mode))`` of the probability (SciPy's ``sf``/``cdf``). Finite ends
   are kept. The part of the sum this leaves out is bounded by the tail mass times the size of
   the summand there, and checked against the tolerance.
2. The window is cut at *anchors* (its ends, the mode of ``p`` and, for KL, of ``q``) into
   segments whose lengths are powers of two, growing geometrically away from each anchor:
   short segments where the summand may change fast, long ones where it is smooth.
3. Segments of at most 32 points are summed point by point. Each longer segment
   :math:`[a, b)` is summed from strided samples only: by the Euler-Maclaurin formula, the
   strided sum with stride :math:`h` and the trapezoid end weights,

   .. math::

       E(h) = h \sum_{i=0}^{(b-a)/h} f(a + ih) - \frac{h-1}{2} f(a) - \frac{h+1}{2} f(b),

   equals the wanted sum :math:`\sum_{k=a}^{b-1} f(k) = E(1)` plus
   :math:`\sum_{j \ge 1} \frac{B_{2j}}{(2j)!}(h^{2j} - 1)\bigl(f^{(2j-1)}(b) - f^{(2j-1)}(a)\bigr)`,
   a series in :math:`h^2`. So :math:`E` is evaluated at :math:`h = (b-a)/8, (b-a)/16, \dots` and
   extrapolated *to* :math:`h = 1` (Richardson/Neville in :math:`h^2`, the last six strides),
   until two successive extrapolations agree to the segment's share of the tolerance. A summand
   that is smooth on the scale of the segment (the pmfs of these families, with their smooth
   continuation through the gamma function) converges in a few halvings; one that is not is
   refined down to :math:`h = 1`, where :math:`E(1)` is the exact sum. The cost grows with the
   logarithm of the window: ``poisson(1e15)`` takes a few thousand evaluations of the log-pmf.
4. The masses of ``p`` are summed alongside, and the result is refused unless they add up to 1
   within ``1e-10``: this catches a pmf whose bulk the samples missed or a log-pmf that is not
   accurate.

Log-pmfs come from ``log_masses.py`` for the families where SciPy's are not safe (see there),
and from SciPy otherwise; for those, a ``-inf`` of ``q`` inside its support is reported as an
error rather than read as "no mass".

Rounding: each log-pmf is taken to be good to about one unit in the last place of its size, so
a sum is uncertain by about ``eps * sum_x p(x) (|log p(x)| + |log q(x)|)``; a divergence smaller
than that can resolve (``poisson(1e15)`` against ``poisson(1e15 + 1)``, 5e-16) is refused with
an error asking for a closed form rather than returned with no correct digit.

Accuracy promised: relative ``1e-9`` for entropies and ``1e-9`` relative or ``1e-15`` absolute
for KL divergences (the internal targets are 100 times smaller); anything that cannot be summed
to that raises ``ValueError`` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kltools._distributions import log_masses
from kltools._distributions.description import Description

#: Probability left out in each infinite tail, relative to the probability beyond the mode.
_TAIL_MASS = 1e-18
#: Relative tolerance of the sums (the promise is 1e-9); absolute tolerance of a KL sum.
_RTOL = 1e-11
_KL_ATOL = 1e-17
#: The masses of p must add up to 1 within this.
_MASS_TOL = 1e-10
_MASS_ATOL = 1e-14
#: Windows of at most this many points are summed point by point.
_DIRECT_WINDOW = 1 << 16
#: Segments of at most this many points are summed point by point.
_DIRECT_SEGMENT = 32
#: The first stride of a segment of length n is n / 2**_FIRST_LEVEL.
_FIRST_LEVEL = 3
#: Neville extrapolation uses at most this many of the latest strides.
_EXTRAPOLATION_DEPTH = 6
#: Evaluations of the log-pmfs allowed for one sum.
_MAX_EVALUATIONS = 1 << 23
#: A segment's sum is not refined below this many ulps of the size of its terms.
_NOISE_ULPS = 16
#: Largest index: float64 represents every integer up to 2**53.
_MAX_INDEX = 2.0**52


class _InfiniteDivergence(Exception):
    """p has mass at a point where q has none."""


@dataclass(frozen=True)
class _Lattice:
    """A lattice distribution in index space: mass at ``loc + k`` for integers ``low <= k <= high``."""

    description: Description
    loc: float
    low: float
    high: float
    center: float
    log_pmf: Callable[[np.ndarray], np.ndarray]
    owned: bool

    @property
    def name(self) -> str:
        return self.description.family


# -------------------------------------------------------------------------------------------
# Describing a lattice distribution


def _defines(description: Description, method: str) -> bool:
    """Whether the SciPy family implements `method` itself (not rv_discrete's generic version)."""
    from scipy import stats

    dist = getattr(description.source, "dist", description.source)
    for klass in type(dist).__mro__:
        if klass is stats.rv_discrete:
            return False
        if method in vars(klass):
            return True
    return False


def _lattice(description: Description) -> _Lattice:
    params = description.params
    family = description.family
    loc = float(params.get("loc", 0.0))
    source = description.source
    owned = family in log_masses.OWNED
    support = log_masses.effective_support(family, params) if owned else None
    if support is None:
        low, high = (float(v) - loc for v in source.support())
    else:
        low, high = support
    if owned:

        def log_pmf(k: np.ndarray) -> np.ndarray:
            return log_masses.log_pmf(family, params, k)

    else:

        def log_pmf(k: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.asarray(source.logpmf(loc + k), dtype=np.float64)

    center = log_masses.mode(family, params) if owned else None
    if center is None:
        center = _generic_center(description, loc)
    center = float(np.clip(math.floor(center) if math.isfinite(center) else low, low, high))
    if not math.isfinite(center):
        center = 0.0
    return _Lattice(description, loc, low, high, center, log_pmf, owned)


def _generic_center(description: Description, loc: float) -> float:
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for method in ("mean", "median"):
            try:
                value = float(getattr(description.source, method)()) - loc
            except (ValueError, ArithmeticError, MemoryError):
                continue
            if math.isfinite(value):
                return value
    return math.nan


def _tail_function(lattice: _Lattice, direction: int) -> Callable[[float], float]:
    """``P(X > k)`` (direction +1) or ``P(X < k)`` (direction -1) at index k."""
    from scipy import special

    description, loc = lattice.description, lattice.loc
    params = description.params
    family = description.family
    if family == "dlaplace":
        a = float(params["a"])

        def dlaplace_tail(k: float) -> float:  # symmetric: P(X > k) = exp(-a (k + 1)) / (1 + e^-a)
            j = k if direction > 0 else -k
            return 1.0 if j < 0 else math.exp(-a * (j + 1) - math.log1p(math.exp(-a)))

        return dlaplace_tail
    if family == "zipf" and direction > 0:
        a = float(params["a"])
        return lambda k: float(special.zeta(a, k + 1.0) / special.zeta(a, 1.0))
    method = "_sf" if direction > 0 else "_cdf"
    if not (_defines(description, method) or _defines(description, "_cdf")):
        raise ValueError(
            f"the support of {family} is infinite and SciPy has no tail function for it that "
            "can be evaluated far out (its cdf sums the pmf point by point), so the mass left "
            "out of a finite sum cannot be bounded"
        )
    source = description.source

    def tail(k: float) -> float:
        with np.errstate(all="ignore"):
            value = source.sf(loc + k) if direction > 0 else source.cdf(loc + k - 1.0)
        return float(value)

    return tail


def _window_end(lattice: _Lattice, direction: int, tail_mass: float) -> tuple[float, float]:
    """Index beyond which p has at most `tail_mass` times its mass beyond the centre, and that
    tail's mass; the support's end if that comes first."""
    end = lattice.high if direction > 0 else lattice.low
    start = lattice.center
    if math.isfinite(end):
        return end, 0.0
    tail = _tail_function(lattice, direction)
    beyond_center = tail(start)
    if not beyond_center > 0:
        return start, 0.0
    threshold = tail_mass * min(1.0, beyond_center)
    step = 1.0
    while True:
        k = start + direction * step
        if abs(k) > _MAX_INDEX:
            raise ValueError(
                f"the support of p ({lattice.name}) is too wide to sum: more than "
                f"{threshold:.3g} of its probability lies beyond |k| = {_MAX_INDEX:.3g}"
            )
        value = tail(k)
        if not math.isfinite(value):
            raise ValueError(f"SciPy's tail function of {lattice.name} returned {value} at {lattice.loc + k}")
        if value <= threshold:
            return k, value
        step *= 2.0


# -------------------------------------------------------------------------------------------
# Summing a smooth function over a long range of integers


def _dyadic(origin: float, length: float, direction: int) -> tuple[list[float], list[float]]:
    """Segments covering `length` points from `origin` on in `direction`: lengths 1, 2, 4, ...
    away from the origin, then the remainder as powers of two. Returns (starts, lengths)."""
    starts: list[float] = []
    lengths: list[float] = []
    covered = 0.0
    size = 1.0
    pieces: list[float] = []
    while covered + size <= length:
        pieces.append(size)
        covered += size
        size *= 2.0
    remainder = length - covered
    bit = 2.0 ** math.floor(math.log2(remainder)) if remainder > 0 else 0.0
    while remainder > 0:
        if bit <= remainder:
            pieces.append(bit)
            remainder -= bit
        bit /= 2.0
    position = 0.0
    for size in pieces:
        start = origin + position if direction > 0 else origin - position - size
        starts.append(start)
        lengths.append(size)
        position += size
    return starts, lengths


def _segments(anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half-open segments between consecutive anchors, each of power-of-two length."""
    starts: list[float] = []
    lengths: list[float] = []
    for left, right in zip(anchors[:-1], anchors[1:]):
        half = math.floor((right - left) / 2)
        for part in (_dyadic(left, half, +1), _dyadic(right, right - left - half, -1)):
            starts.extend(part[0])
            lengths.extend(part[1])
    return np.asarray(starts, dtype=np.float64), np.asarray(lengths, dtype=np.float64)


def _neville_at_one(nodes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Value at x = 1 of the polynomial through (nodes[j], values[j]) along the first axis.

    nodes: (m, nseg); values: (m, ncomp, nseg).
    """
    table = list(values)
    m = len(table)
    for order in range(1, m):
        for j in range(m - 1, order - 1, -1):
            x_new, x_old = nodes[j], nodes[j - order]
            table[j] = ((1.0 - x_old) * table[j] - (1.0 - x_new) * table[j - 1]) / (x_new - x_old)
    return table[-1]


def _strided_sum(
    function: Callable[[np.ndarray], np.ndarray],
    anchors: np.ndarray,
    tolerance: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Sum ``function(k)`` (shape (ncomp, npoints)) over the integers ``anchors[0] <= k < anchors[-1]``.

    `tolerance` maps the current estimate of the totals (ncomp,) to the absolute tolerances.
    """
    starts, lengths = _segments(anchors)
    direct = lengths <= _DIRECT_SEGMENT
    # Short segments: every point, summed once.
    direct_points = np.concatenate(
        [np.arange(s, s + n) for s, n in zip(starts[direct], lengths[direct])] or [np.empty(0)]
    )
    direct_total = function(direct_points).sum(axis=1) if direct_points.size else None
    starts, lengths = starts[~direct], lengths[~direct]
    nseg = starts.size
    evaluations = direct_points.size
    if nseg == 0:
        assert direct_total is not None
        return direct_total
    max_level = (np.log2(lengths) - _FIRST_LEVEL).astype(np.int64)  # h = 1 at this level
    history: list[np.ndarray] = []  # per level: (ncomp, nseg) of E(h), nan where not evaluated
    level = np.zeros(nseg, dtype=np.int64)
    value: np.ndarray | None = None
    error: np.ndarray | None = None
    active = np.ones(nseg, dtype=bool)
    while active.any():
        for lv in np.unique(level[active]):
            chosen = active & (level == lv)
            count = (1 << (_FIRST_LEVEL + int(lv))) + 1
            evaluations += count * int(chosen.sum())
            if evaluations > _MAX_EVALUATIONS:
                raise ValueError(
                    f"the sum over a window of {anchors[-1] - anchors[0]:.3g} points did not "
                    f"converge within {_MAX_EVALUATIONS:,} evaluations of the pmf: the summand "
                    "is not smooth enough on the scale of the window to be summed from samples"
                )
            h = lengths[chosen] / (count - 1)
            k = starts[chosen][:, None] + h[:, None] * np.arange(count)[None, :]
            f = function(k.ravel()).reshape(-1, k.shape[0], count)
            e = h * f.sum(axis=2) - 0.5 * (h - 1.0) * f[:, :, 0] - 0.5 * (h + 1.0) * f[:, :, -1]
            if value is None or error is None:
                value = np.zeros((f.shape[0], nseg))
                error = np.full((f.shape[0], nseg), np.inf)
            while len(history) <= lv:
                history.append(np.full((f.shape[0], nseg), np.nan))
            history[lv][:, chosen] = e
            exact = max_level[chosen] == lv
            first = max(0, int(lv) - _EXTRAPOLATION_DEPTH + 1)
            levels = np.arange(first, int(lv) + 1)
            nodes = (lengths[chosen][None, :] / 2.0 ** (_FIRST_LEVEL + levels[:, None])) ** 2
            stacked = np.stack([history[j][:, chosen] for j in levels])
            new = _neville_at_one(nodes, stacked)
            if lv >= 2:
                difference = np.abs(new - _neville_at_one(nodes[:-1], stacked[:-1]))
            else:
                difference = np.full_like(new, np.inf)
            value[:, chosen] = np.where(exact, e, new)
            error[:, chosen] = np.where(exact, 0.0, difference)
            level[chosen] += 1
        assert value is not None and error is not None
        totals = value.sum(axis=1) + (direct_total if direct_total is not None else 0.0)
        allowed = tolerance(totals)[:, None] / nseg
        # No segment is asked for less than the rounding noise of its own terms: the summand
        # (component 0) is only known to the rounding of the log-pmfs (component 2).
        noise = _NOISE_ULPS * np.finfo(np.float64).eps
        allowed = np.maximum(allowed, noise * np.abs(value[[2, 1, 2]]))
        unconverged = np.any(error > allowed, axis=0)
        active = unconverged & (level <= max_level)
    assert value is not None
    return value.sum(axis=1) + (direct_total if direct_total is not None else 0.0)


def _sum_over_window(
    function: Callable[[np.ndarray], np.ndarray],
    low: float,
    high: float,
    anchors: list[float],
    tolerance: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Sum ``function`` over the integers ``low <= k <= high``, anchored at `anchors`."""
    if high - low + 1 <= _DIRECT_WINDOW:
        return function(np.arange(low, high + 1)).sum(axis=1)
    inside = [a for a in anchors if low < a <= high]
    points = np.unique(np.array([low, high + 1.0, *inside], dtype=np.float64))
    return _strided_sum(function, points, tolerance)


# -------------------------------------------------------------------------------------------
# The summands


def _check_discrete(description: Description, name: str) -> None:
    if description.kind != "discrete":
        raise ValueError(f"{name} must be a discrete distribution, got a {description.kind} one")
    if description.batch_shape != ():
        raise ValueError(f"{name} must be a single distribution, got a batch of shape {description.batch_shape}")


def _sample_log_pmf(description: Description) -> Callable[[np.ndarray], np.ndarray]:
    """Log-pmf of an ``rv_discrete(values=...)``: mass only at exactly its own points."""
    order = np.argsort(description.params["xk"])
    xk = description.params["xk"][order]
    log_pk = np.log(description.params["pk"][order])

    def log_pmf(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        index = np.clip(np.searchsorted(xk, x), 0, xk.size - 1)
        return np.where(xk[index] == x, log_pk[index], -np.inf)

    return log_pmf


def _log_pmf_at(description: Description) -> Callable[[np.ndarray], np.ndarray]:
    """Log-pmf as a function of the point x itself (not the index)."""
    if description.family == "sample":
        return _sample_log_pmf(description)
    lattice = _lattice(description)

    def log_pmf(x: np.ndarray) -> np.ndarray:
        k = np.asarray(x, dtype=np.float64) - lattice.loc
        on_lattice = (k == np.floor(k)) & (k >= lattice.low) & (k <= lattice.high)
        values = lattice.log_pmf(np.where(on_lattice, k, lattice.center))
        return np.where(on_lattice, values, -np.inf)

    return log_pmf


def _kl_terms(log_p: np.ndarray, log_q: np.ndarray, q: Description, owned: bool, x: np.ndarray) -> np.ndarray:
    """p (log p - log q), 0 where p has no mass; raises where q has none but p has."""
    mass = log_p > -np.inf
    missing = mass & ~(log_q > -np.inf)
    if np.any(missing):
        if owned or q.family == "sample":
            raise _InfiniteDivergence
        where = float(np.asarray(x)[missing].flat[0])
        raise ValueError(
            f"SciPy's log-pmf of q ({q.family}) is {log_q[missing].flat[0]} at x = {where:.17g}, "
            "inside the support of q, where p has mass: its pmf underflows there, so whether q "
            "has mass cannot be told and the divergence cannot be computed"
        )
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.exp(log_p) * (log_p - np.where(mass, log_q, 0.0))
    return np.where(mass, terms, 0.0)


def _entropy_terms(log_p: np.ndarray) -> np.ndarray:
    mass = log_p > -np.inf
    return np.where(mass, -np.exp(log_p) * np.where(mass, log_p, 0.0), 0.0)


# -------------------------------------------------------------------------------------------
# Public functions


def entropy_by_summation(p: Description) -> float:
    """Shannon entropy in nats of a discrete description with batch shape ``()``.

    Parameters
    ----------
    p
        A discrete :class:`Description` (a lattice family or ``"sample"``).

    Returns
    -------
    float
        :math:`-\\sum_x p(x) \\log p(x)` over the support points of `p`, to a relative accuracy
        of ``1e-9`` (see the module docstring for the method and its error bound).

    Raises
    ------
    ValueError
        If `p` is not a single discrete distribution, or the sum cannot be computed to the
        promised accuracy (a support whose tail cannot be bounded, a pmf that is not smooth
        enough to sum from samples over a window of more than millions of points, masses that
        do not add up to 1); the message says which.
    """
    _check_discrete(p, "p")
    if p.family == "sample":
        pk = p.params["pk"]
        return float(max(-np.sum(pk * np.log(pk)), 0.0))
    lattice = _lattice(p)

    def function(k: np.ndarray) -> np.ndarray:
        log_p = lattice.log_pmf(k)
        if np.any(np.isnan(log_p)):
            raise ValueError(f"the log-pmf of p ({p.family}) is NaN at x = {lattice.loc + k[np.isnan(log_p)][0]:.17g}")
        terms = _entropy_terms(log_p)
        return np.stack([terms, np.exp(log_p), terms])

    value = _sum_lattice(lattice, function, lambda g: -g, _RTOL, 0.0, [])
    return float(max(value, 0.0))


def kl_by_summation(p: Description, q: Description) -> float:
    """KL(p || q) in nats for two discrete descriptions with batch shape ``()``.

    Parameters
    ----------
    p, q
        Discrete :class:`Description` objects: lattice families (``poisson``, ``binom``, ...)
        or ``"sample"`` (``rv_discrete(values=(xk, pk))``, points anywhere on the real line).

    Returns
    -------
    float
        :math:`\\sum_x p(x) (\\log p(x) - \\log q(x))` over the support points of `p`, to
        ``1e-9`` relative or ``1e-15`` absolute accuracy; ``inf`` when `p` has mass at a point
        where `q` has none (a point of a sample missing from the other, a lattice shifted by a
        non-integer, a support of `p` that reaches beyond that of `q`).

    Raises
    ------
    ValueError
        If `p` or `q` is not a single discrete distribution, or the sum cannot be computed to
        the promised accuracy (see :func:`entropy_by_summation`), or SciPy's log-pmf of `q`
        underflows to ``-inf`` inside the support of `q` where `p` has mass.
    """
    _check_discrete(p, "p")
    _check_discrete(q, "q")
    try:
        if p.family == "sample":
            return _kl_sample(p, q)
        return _kl_lattice(p, q)
    except _InfiniteDivergence:
        return math.inf


def _kl_sample(p: Description, q: Description) -> float:
    xk, pk = p.params["xk"], p.params["pk"]
    log_p = np.log(pk)
    log_q = _log_pmf_at(q)(xk)
    owned = q.family == "sample" or q.family in log_masses.OWNED
    terms = _kl_terms(log_p, log_q, q, owned, xk)
    return float(max(math.fsum(terms), 0.0))


def _kl_lattice(p: Description, q: Description) -> float:
    lp = _lattice(p)
    if q.family == "sample":
        # q has finitely many points: p must have all its (finitely many) points among them.
        count = lp.high - lp.low + 1
        if not math.isfinite(count) or count > q.params["xk"].size:
            return math.inf
        k = np.arange(lp.low, lp.high + 1)
        x = lp.loc + k
        terms = _kl_terms(lp.log_pmf(k), _sample_log_pmf(q)(x), q, True, x)
        return float(max(math.fsum(terms), 0.0))
    lq = _lattice(q)
    shift = lp.loc - lq.loc  # index of q = index of p + shift
    if shift != math.floor(shift) or lp.low + shift < lq.low or lp.high + shift > lq.high:
        return math.inf

    def function(k: np.ndarray) -> np.ndarray:
        log_p = lp.log_pmf(k)
        log_q = lq.log_pmf(k + shift)
        if np.any(np.isnan(log_p) | np.isnan(log_q)):
            raise ValueError(f"the log-pmf of p ({p.family}) or q ({q.family}) is NaN inside the support of p")
        terms = _kl_terms(log_p, log_q, q, lq.owned, lp.loc + k)
        mass = np.exp(log_p)
        size = np.where(mass > 0, mass * (np.abs(log_p) + np.abs(np.where(mass > 0, log_q, 0.0))), 0.0)
        return np.stack([terms, mass, size])

    def log_ratio(log_p: float, k: float) -> float:
        return log_p - float(lq.log_pmf(np.array([k + shift]))[0])

    value = _sum_lattice(lp, function, None, _RTOL, _KL_ATOL, [lq.center - shift], log_ratio)
    return float(max(value, 0.0))


def _check_resolved(total: float, size: float, lattice: _Lattice, divergence: bool) -> None:
    """Refuse a sum smaller than the rounding error of its terms allows to resolve.

    Each log-pmf is taken to be accurate to about one unit in the last place of its size, so
    the sum is uncertain by about ``eps * sum_x p(x) (|log p(x)| + |log q(x)|)`` (`size`).
    """
    floor = np.finfo(np.float64).eps * size
    promise = 1e-9 * abs(total) + (1e-15 if divergence else 0.0)
    if floor > promise:
        what = "divergence" if divergence else "entropy"
        raise ValueError(
            f"the {what} is about {total:.3g}, smaller than summing the log-pmfs of "
            f"{lattice.name} can resolve (their rounding alone is worth about {floor:.2g}); "
            "a closed form for this pair is needed"
        )


def _sum_lattice(
    lattice: _Lattice,
    function: Callable[[np.ndarray], np.ndarray],
    entropy_integrand: Callable[[float], float] | None,
    rtol: float,
    atol: float,
    extra_anchors: list[float],
    log_ratio: Callable[[float, float], float] | None = None,
) -> float:
    """Sum ``function(k)[0]`` over the window of `lattice`, checking masses and tails."""

    def tolerance(totals: np.ndarray) -> np.ndarray:
        return np.array([rtol * abs(totals[0]) + atol, _MASS_ATOL, 1e-3 * abs(totals[2])])

    tail_mass = _TAIL_MASS
    for _attempt in range(3):
        (low, left_tail), (high, right_tail) = (
            _window_end(lattice, -1, tail_mass), _window_end(lattice, +1, tail_mass)
        )
        anchors = [lattice.center, *(float(np.clip(math.floor(a), low, high)) for a in extra_anchors if math.isfinite(a))]
        total, mass, size = _sum_over_window(function, low, high, anchors, tolerance)
        expected = 1.0 - left_tail - right_tail
        if not abs(mass - expected) <= _MASS_TOL:
            raise ValueError(
                f"the masses of p ({lattice.name}) add up to {float(mass)!r} over its support "
                f"instead of {float(expected)!r}: its log-pmf is not accurate enough here to be "
                "summed to the promised accuracy"
            )
        # What the window leaves out: each tail's mass times the size of the summand per unit
        # of mass at the window's end (doubled for the growth beyond it).
        left_out = 0.0
        for end, mass_beyond in ((low, left_tail), (high, right_tail)):
            if mass_beyond > 0:
                log_p = float(lattice.log_pmf(np.array([end]))[0])
                per_mass = -log_p if log_ratio is None else log_ratio(log_p, end)
                left_out += 2.0 * mass_beyond * (abs(per_mass) + 1.0)
        if left_out <= 0.1 * (rtol * abs(total) + atol):
            _check_resolved(float(total), float(size), lattice, log_ratio is not None)
            return float(total)
        tail_mass *= 1e-12
    raise ValueError(
        f"the tails of p ({lattice.name}) beyond where it has 1e-54 of its mass still "
        "contribute more than the tolerance to the sum: the summand grows too fast there"
    )
