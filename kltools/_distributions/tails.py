"""Tail analysis: does an integral over the quantiles of p converge, and what is left beyond?

Every continuous route integrates a function ``g`` of ``x = F_p^{-1}(u)`` over ``u`` in
``(0, 1)``: KL(p || q) is the integral of ``log p(x) - log q(x)``, the entropy of ``-log p(x)``.
Near ``u = 0`` (and, with the survival function, near ``u = 1``) the integral may converge or
diverge, and doubles stop resolving ``x`` at some depth. Both questions are answered from probes
at ``v = 10^-1, 10^-2, ...`` down to ``10^-300`` (or as deep as ``x`` stays resolvable):

- if ``|g(v)|`` grows like ``v^-a`` with ``a >= 1`` over the deepest probed decades, the tail
  contributes without bound and the integral diverges;
- otherwise the part below the deepest resolvable probe ``v_min`` is estimated by extrapolating
  ``g`` there, with two models (a power law ``v^-a`` and ``A + B log(1/v)``, which agree when the
  tail is tame), and their disagreement is part of the reported error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Probes sit at v = 10^-k: every decade down to 10^-20, then every 5th down to 10^-300.
DECADES = np.concatenate([np.arange(1, 21), np.arange(25, 301, 5)]).astype(np.float64)
#: Local growth exponents at least this close to 1 count as divergence: 1/v growth of |g|.
_DIVERGENT_EXPONENT = 1.0 - 1e-9
#: How many of the deepest probe intervals must show 1/v growth (in their median) for a divergence.
_DECADES_TO_AGREE = 5
#: Decades given up before the point where x stops being resolvable.
_MARGIN = 1

PROBES = 10.0**-DECADES


@dataclass(frozen=True)
class Tail:
    """What the probes of one end of the quantile range tell."""

    v_min: float  # integrate numerically over [v_min, 1/2]
    remainder: float  # estimate of the integral over (0, v_min)
    error: float  # bound on the error of `remainder`
    divergence: int  # +1 or -1 when the integral diverges to +inf or -inf, else 0
    exponent: float  # local growth exponent a of |g| ~ v^-a at the deepest probe (nan if unknown)


def analyse(g: np.ndarray, resolvable: np.ndarray) -> Tail:
    """Analyse probes ``g`` at ``PROBES`` (``resolvable`` marks where x and g are usable).

    Raises ArithmeticError when not even two decades of the tail can be resolved.
    """
    usable = int(np.argmin(resolvable)) if not resolvable.all() else len(resolvable)
    if usable < len(resolvable):
        # The last probes before x stops resolving are already touched by the quantile
        # function's loss of precision: keep a margin of _MARGIN decades.
        usable = max(usable - _MARGIN, min(usable, 2))
    if usable < 2:
        raise ArithmeticError(
            "the distribution's quantile function cannot resolve its tail in double precision "
            "(x stops changing, or the integrand is not finite, within the first decades)"
        )
    v, g, decades = PROBES[:usable], g[:usable], DECADES[:usable]
    v_min, g_min, g_prev = v[-1], g[-1], g[-2]
    step = decades[-1] - decades[-2]  # decades between the last two probes
    magnitudes = np.abs(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a_k with |g| ~ v^-a, per decade of v
        exponents = np.log10(magnitudes[1:] / magnitudes[:-1]) / np.diff(decades)
    exponent = float(np.median(exponents[-3:]))
    exponent = exponent if math.isfinite(exponent) else math.nan

    deepest = exponents[-_DECADES_TO_AGREE:]
    signs = np.sign(g[-_DECADES_TO_AGREE - 1:])
    if (
        len(deepest) == _DECADES_TO_AGREE
        and np.median(deepest) >= _DIVERGENT_EXPONENT
        and np.all(signs == signs[-1])
        and signs[-1] != 0
    ):
        return Tail(v_min, math.copysign(math.inf, g_min), 0.0, int(signs[-1]), exponent)

    if g_min == 0.0 and g_prev == 0.0:
        return Tail(v_min, 0.0, 0.0, 0, 0.0)
    if not math.isfinite(exponent) or np.sign(g_min) != np.sign(g_prev) or exponent >= 1.0:
        # No tame tail model fits: bound |g| on (0, v_min) by nothing better than growth 1/v
        # continuing, which is infinite: report what we know as the error.
        bound = v_min * max(abs(g_min), abs(g_prev)) * 10.0
        return Tail(v_min, 0.0, bound, 0, exponent)
    power_law = v_min * g_min / (1.0 - exponent)
    slope = (g_min - g_prev) / (step * math.log(10.0))  # g = A + B log(1/v)
    logarithmic = v_min * (g_min + slope)
    remainder = 0.5 * (power_law + logarithmic)
    error = 0.5 * abs(power_law - logarithmic) + 1e-3 * abs(remainder)
    return Tail(v_min, remainder, error, 0, exponent)
