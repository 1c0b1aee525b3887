"""The numerical route for continuous distributions: integration over the quantiles of p.

KL(p || q) = E_p[log p(X) - log q(X)] and h(p) = E_p[-log p(X)] are integrals of a function
``g(x)`` against p. Substituting ``x = F_p^{-1}(u)`` turns each into an integral of ``g(x(u))``
over ``u`` in ``(0, 1)``, with no density factor: p's mass, however it is spread along the line
(heavy tails, a density singular at an end), is spread evenly over ``(0, 1)``. The two halves
are integrated from the median outwards, with ``F_p^{-1}(v)`` on the left and the inverse
survival function ``F_p^{-1}(1 - v)`` on the right, so that ``v`` is resolved down to 1e-300
on both sides. ``tails.py`` decides, from probes of ``g`` deep in each tail, whether the
integral converges and what lies beyond the deepest resolvable quantile; a vectorized adaptive
Gauss-Kronrod (7, 15) rule integrates the rest, one panel per decade of ``v`` to start with.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from kltools._distributions import tails
from kltools._distributions.description import Description
from kltools._distributions.log_densities import (
    LOG_LOWER_QUANTILES,
    MIRRORED_SHAPES,
    has_own_log_density,
    has_standard_form,
    log_density,
    standard_log_density,
)

#: Relative accuracy asked of the quadrature; the promise to callers is 1e-6.
_TARGET_RTOL = 1e-10
_PROMISED_RTOL = 1e-6
_ABSOLUTE_FLOOR = 1e-15
#: Rounding of an integrand formed from terms of total size m is at most this many eps times m.
_ROUNDING_TERMS = 8
_MAX_PANELS = 20_000

# Gauss-Kronrod (7, 15) nodes and weights on [-1, 1] (QUADPACK's qk15).
_KRONROD_NODES = np.array([
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000,
])
_KRONROD_WEIGHTS = np.array([
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
])
_GAUSS_WEIGHTS = np.array([
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
])
_NODES = np.concatenate([-_KRONROD_NODES[:-1], _KRONROD_NODES[::-1]])  # 15 nodes, ascending
_K_WEIGHTS = np.concatenate([_KRONROD_WEIGHTS[:-1], _KRONROD_WEIGHTS[::-1]])
_G_WEIGHTS = np.zeros(15)
_G_WEIGHTS[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_GAUSS_WEIGHTS[:-1], _GAUSS_WEIGHTS[::-1]])


class _NotFinite(Exception):
    """The integrand is not finite at a point where p has mass."""

    def __init__(self, x: float, value: float) -> None:
        super().__init__(x, value)
        self.x, self.value = x, value


def _adaptive_gauss_kronrod(
    f: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], edges: np.ndarray
) -> tuple[float, float, float]:
    """Integral of f over [edges[0], edges[-1]], an error estimate, and the integral of f's magnitude.

    `f` returns the integrand and a magnitude that bounds the size of what was subtracted to
    form it (|log p| + |log q| for a log-ratio): its integral sets the rounding floor.
    """
    low, high = edges[:-1], edges[1:]
    done_value, done_error, done_magnitude = [], [], []
    total_panels = len(low)
    while True:
        centre, half = 0.5 * (low + high), 0.5 * (high - low)
        values, magnitudes = f((centre[:, None] + half[:, None] * _NODES).ravel())
        values, magnitudes = values.reshape(len(low), 15), magnitudes.reshape(len(low), 15)
        kronrod = half * (values @ _K_WEIGHTS)
        magnitude = half * (magnitudes @ _K_WEIGHTS)
        error = np.abs(kronrod - half * (values @ _G_WEIGHTS))
        value = math.fsum(done_value) + math.fsum(kronrod)
        error_total = math.fsum(done_error) + math.fsum(error)
        tolerance = max(_TARGET_RTOL * abs(value), _ABSOLUTE_FLOOR * 1e-3)
        if error_total <= tolerance or total_panels >= _MAX_PANELS:
            return value, error_total, math.fsum(done_magnitude) + math.fsum(magnitude)
        # Refine the panels that carry the most error; keep the others as they are.
        order = np.argsort(error)[::-1]
        cumulative = np.cumsum(error[order])
        remaining = math.fsum(done_error) + cumulative[-1]
        count = int(np.searchsorted(cumulative, remaining - 0.5 * tolerance) + 1)
        refine = order[:count]
        keep = np.ones(len(low), dtype=bool)
        keep[refine] = False
        done_value.extend(kronrod[keep].tolist())
        done_error.extend(error[keep].tolist())
        done_magnitude.extend(magnitude[keep].tolist())
        mid = centre[refine]
        low, high = np.concatenate([low[refine], mid]), np.concatenate([mid, high[refine]])
        total_panels += len(refine)


def _quantile_sides(
    p: Description,
) -> list[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray | None]]]:
    """For each half of (0, 1), a function v -> (x, log p(x), log z) at the v-th quantile from that end.

    For families with an own log-density, p is evaluated in its standardized coordinate z
    (x = loc + scale * z) so that the distance to a finite end of the support stays exact:
    beta(0.05, 0.05) has half its mass within 1e-14 of 0 and of 1, where x alone cannot tell
    the points apart; gamma(0.01) has most of its mass below 1e-300, where even z underflows
    and only log z (``LOG_LOWER_QUANTILES``) is known. The upper end of a bounded family is
    reached through its mirror image. The third item is log z (None where there is no
    standardized coordinate), for evaluating q in the same coordinate.
    """
    source = p.source
    if not has_standard_form(p):

        def from_x(quantile: Callable[[np.ndarray], np.ndarray]):
            def side(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
                x = np.asarray(quantile(v), dtype=np.float64)
                return x, log_density(p, x), None

            return side

        return [from_x(source.ppf), from_x(source.isf)]

    family_object = source.dist
    params = p.params
    shapes = [value for key, value in params.items() if key not in ("loc", "scale")]
    loc, scale = params["loc"], params["scale"]
    log_lower_quantile = LOG_LOWER_QUANTILES.get(p.family)

    def coordinate(rescue, shape_values, v, from_top):
        """z at the quantile v from the bottom (or the top), and log z, rescued from underflow."""
        z = np.asarray((family_object.isf if from_top else family_object.ppf)(v, *shape_values), dtype=np.float64)
        log_z = np.log(np.abs(z))
        if rescue is not None:  # only log z survives below 1e-290 (gamma(1e-3) underflows at the median)
            underflowed = z < 1e-290
            log_level = np.log1p(-v) if from_top else np.log(v)
            log_z = np.where(underflowed, rescue(log_level, *shape_values), log_z)
            z = np.where(underflowed, np.exp(log_z), z)
        return z, log_z

    mirror_shapes = MIRRORED_SHAPES[p.family](*shapes) if p.family in MIRRORED_SHAPES else None

    def side(from_top: bool):
        def evaluate(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            z, log_z = coordinate(log_lower_quantile, shapes, v, from_top)
            x, log_p = loc + scale * z, standard_log_density(p, z, log_abs_z=log_z)
            if mirror_shapes is not None:
                # in the upper half of a bounded support the distance w = 1 - z to the upper
                # end is what must stay exact: take it from the mirror image
                w, log_w = coordinate(log_lower_quantile, mirror_shapes, v, not from_top)
                near_top = w < 0.5
                x = np.where(near_top, loc + scale * (1.0 - w), x)
                log_p = np.where(near_top, standard_log_density(p, w, mirrored=True, log_abs_z=log_w), log_p)
                log_z = np.where(near_top, np.log1p(-w), log_z)
            return x, log_p, log_z

        return evaluate

    lower, upper = side(False), side(True)
    return [lower, upper]


def _log_density_beside(q: Description, p: Description) -> Callable[..., np.ndarray]:
    """log q at the points of p's quantile sides, in p's standardized coordinate where they share loc.

    Near p's lower end x = loc + scale * z rounds to loc; if q starts at the same loc, q's own
    standardized coordinate is z * scale_p / scale_q, known to full precision from log z.
    """
    # Only where both supports start at the shared loc: there z >= 0, and log z alone (which
    # carries no sign) determines the point. Elsewhere x itself is evaluated.
    shared = (
        has_standard_form(p)
        and has_standard_form(q)
        and p.batch_shape == ()
        and bool(q.params["loc"] == p.params["loc"])
        and bool(p.support()[0] == p.params["loc"])
        and bool(q.support()[0] == q.params["loc"])
    )
    log_ratio_of_scales = np.log(p.params["scale"]) - np.log(q.params["scale"]) if shared else 0.0

    def evaluate(x: np.ndarray, log_z: np.ndarray | None) -> np.ndarray:
        if not shared or log_z is None:
            return log_density(q, x)
        log_z_q = log_z + log_ratio_of_scales
        return standard_log_density(q, np.exp(log_z_q), log_abs_z=log_z_q)

    return evaluate


#: Families whose quantile function SciPy evaluates by numerically inverting a numerically
#: integrated cdf: tens of milliseconds a point, minutes for one quadrature.
_QUANTILES_TOO_SLOW = frozenset({"levy_stable", "studentized_range"})


def _quantile_integral(
    p: Description, h: Callable[..., tuple[np.ndarray, np.ndarray]], what: str
) -> tuple[float, float, float]:
    """The integral of h(x, log p(x), log z) at x = F_p^{-1}(u) over u in (0, 1).

    `h` returns the integrand and the magnitude of the terms it was computed from. Returns the
    integral (or +-inf if it diverges), a bound on the quadrature and extrapolation error, and
    the rounding floor: the error that evaluating the integrand in doubles alone leaves.
    """
    if p.family == "vonmises":
        raise ValueError(
            "scipy.stats.vonmises is circular: its pdf is periodic on the whole real line, so "
            "integrals over the line are meaningless; use scipy.stats.vonmises_line (one period)"
        )
    if p.family in _QUANTILES_TOO_SLOW:
        raise ValueError(
            f"SciPy computes the quantiles of {p.family} by numerically inverting a numerically "
            f"integrated cdf, too slowly for the quadrature of {what}; use kl_monte_carlo, or "
            "a family with a closed-form quantile function"
        )
    pieces, errors, magnitudes = [], [], []
    for side in _quantile_sides(p):

        def integrand(v: np.ndarray, side=side) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            # SciPy's quantile functions warn where they lose precision deep in a tail; the
            # values they return there are screened below, so the warnings are not ours.
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                x, log_p, log_z = side(v)
                values, magnitudes = h(x, log_p, log_z)
            resolvable = np.isfinite(x) & np.isfinite(log_p) & np.isfinite(values)
            return x, values, resolvable, magnitudes

        probe_x, probe_values, probe_ok, _ = integrand(tails.PROBES)
        # Deep in a tail SciPy's quantile functions can stall (return the same x for smaller v)
        # or jump back: only a strictly monotone run of probes describes the tail. Near a
        # finite end x may stall while log p still moves (the end is resolved through z).
        with np.errstate(invalid="ignore"):
            moving = np.concatenate([[True], np.diff(probe_x) != 0]) | np.concatenate(
                [[True], np.diff(probe_values) != 0]
            )
        probe_ok &= moving
        tail = tails.analyse(probe_values, probe_ok)
        if tail.divergence:
            return math.copysign(math.inf, tail.divergence), 0.0, 0.0

        def checked(v: np.ndarray, integrand=integrand) -> tuple[np.ndarray, np.ndarray]:
            x, values, resolvable, magnitudes = integrand(v)
            if not resolvable.all():
                bad = int(np.argmin(resolvable))
                raise _NotFinite(float(x[bad]), float(values[bad]))
            return values, magnitudes

        # Integrate over t = log v, where g(v) dv = g(e^t) e^t dt decays exponentially
        # into a tame tail: panels a decade wide near the median, five decades wide beyond.
        def in_log_v(t: np.ndarray, checked=checked) -> tuple[np.ndarray, np.ndarray]:
            v = np.exp(t)
            values, magnitudes = checked(v)
            return values * v, magnitudes * v

        deepest = -math.log10(tail.v_min)
        steps = [d for d in tails.DECADES if d < deepest]
        edges = -math.log(10.0) * np.array([deepest, *steps[::-1]], dtype=np.float64)
        edges = np.append(edges, math.log(0.5))
        value, error, magnitude = _adaptive_gauss_kronrod(in_log_v, edges)
        pieces += [value, tail.remainder]
        errors += [error, tail.error]
        magnitudes += [magnitude, abs(tail.remainder)]
    total, error = math.fsum(pieces), math.fsum(errors)
    rounding = _ROUNDING_TERMS * np.finfo(np.float64).eps * math.fsum(magnitudes)
    if not math.isfinite(total) or error > _PROMISED_RTOL * abs(total) + rounding:
        raise ArithmeticError(
            f"numerical integration of {what} did not reach 1e-6 relative accuracy (estimate "
            f"{total:.6g}, error bound {error:.2g}): the integrand's tails decay too slowly or "
            "cannot be resolved in double precision"
        )
    return total, error, rounding


def _support_contains(outer: Description, inner: Description) -> bool:
    (inner_low, inner_high), (outer_low, outer_high) = inner.support(), outer.support()
    if inner.family == "histogram":  # only bins with mass count
        edges, pk = inner.params["edges"], inner.params["pk"]
        massive = np.flatnonzero(pk > 0)
        inner_low, inner_high = edges[massive[0]], edges[massive[-1] + 1]
    return bool(outer_low <= inner_low and inner_high <= outer_high)


def kl_by_quadrature(p: Description, q: Description) -> float:
    """KL(p || q) in nats for two continuous descriptions with batch_shape ()."""
    if q.family == "vonmises":
        raise ValueError(
            "scipy.stats.vonmises is circular: its pdf is periodic on the whole real line; "
            "use scipy.stats.vonmises_line (one period)"
        )
    if not _support_contains(q, p):
        return math.inf

    log_q = _log_density_beside(q, p)

    def log_ratio(x: np.ndarray, log_p: np.ndarray, log_z: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        log_q_x = log_q(x, log_z)
        return log_p - log_q_x, np.abs(log_p) + np.abs(log_q_x)

    what = f"KL({p.family} || {q.family})"
    try:
        value, error, rounding = _quantile_integral(p, log_ratio, what)
        if value == 0.0 and error == 0.0:
            return 0.0  # the integrand vanished everywhere: p = q
        if math.isfinite(value) and rounding > _PROMISED_RTOL * abs(value):
            # near-equal distributions: log p - log q cancels to nothing in doubles
            raise ArithmeticError(
                f"{what} is about {value:.2g}, below what integrating log p - log q in double "
                f"precision can resolve to 1e-6 ({rounding:.2g}): the distributions are too close "
                "for the numerical route, and no closed form is registered for this pair"
            )
        return max(value, 0.0)
    except _NotFinite as failure:
        if failure.value == math.inf and q.family == "histogram":
            return math.inf  # q's density is zero on an empty bin where p has mass
        if failure.value == math.inf and not has_own_log_density(q):
            raise ArithmeticError(
                f"SciPy's log-density of q ({q.family}) is -inf at x = {failure.x:.6g}, inside q's "
                "support, where p has mass: it underflowed, and kltools cannot tell how small "
                "q's density really is there"
            ) from None
        raise ArithmeticError(
            f"the integrand of KL({p.family} || {q.family}) is {failure.value} at "
            f"x = {failure.x:.6g}, where p has mass: a log-density there is outside the "
            "double-precision range"
        ) from None


def entropy_by_quadrature(p: Description) -> float:
    """Differential entropy in nats of a continuous description with batch_shape ()."""

    def surprisal(x: np.ndarray, log_p: np.ndarray, log_z: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        return -log_p, np.abs(log_p)

    try:
        # A differential entropy near 0 is a difference of terms of size E|log p|: its rounding
        # floor is inherent (SciPy's formulas share it), so it widens the tolerance, no error.
        return _quantile_integral(p, surprisal, f"the entropy of {p.family}")[0]
    except _NotFinite as failure:
        raise ArithmeticError(
            f"the log-density of {p.family} is {-failure.value} at x = {failure.x:.6g}, where it "
            "has mass: SciPy's logpdf failed there"
        ) from None


def largest_tail_exponent(p: Description, log_h: Callable[..., np.ndarray]) -> float:
    """The largest growth exponent a of h ~ v^-a at either end of p's quantiles (h > 0).

    E_p[h] is finite when a < 1 and infinite when a > 1. `log_h(x, log_p, log_z)` returns log h, so
    that h itself may exceed the double range without harm. Works for discrete p too, whose
    quantile function is a step function with the same tail behaviour. Returns nan when the
    tails cannot be resolved.
    """
    exponents = []
    ends = p.support()
    for side, end in zip(_quantile_sides(p), ends):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            x, log_p, log_z = side(tails.PROBES)
            values = log_h(x, log_p, log_z)
            ok = np.isfinite(x) & np.isfinite(log_p) & np.isfinite(values)
            ok &= np.concatenate([[True], np.diff(x) != 0])
        usable = int(np.argmin(ok)) if not ok.all() else len(ok)
        if p.kind == "discrete" and x[usable - 1] == end and np.isfinite(values[usable - 1]):
            continue  # the quantiles reached the last support point: a finite end, finite terms
        if usable < 3:
            return math.nan
        # per decade of v, in powers of 10
        growth = np.diff(values[:usable]) / (math.log(10.0) * np.diff(tails.DECADES[:usable]))
        exponents.append(float(np.median(growth[-3:])))
    return max(exponents, default=-math.inf)
