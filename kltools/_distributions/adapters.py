"""Adapters: one per kind of input object, each returning a validated :class:`Description`.

This is the only module that knows how SciPy stores parameters. Adding support for a new kind of
object means adding an adapter here and a branch in :func:`describe`; nothing else changes.
Every parameter is checked here, once: finite, inside the family's domain, and broadcast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kltools._distributions.description import Description


def _unfrozen_family_error(obj: Any, name: str) -> TypeError:
    return TypeError(
        f"{name} must be a frozen distribution such as scipy.stats.norm(0, 1), "
        f"got the unfrozen family {type(obj).__name__}"
    )


def describe(obj: Any, name: str) -> Description:
    """Validate `obj` (the argument called `name`) and describe it."""
    from scipy import stats
    from scipy.stats import _multivariate

    if isinstance(obj, stats.distributions.rv_frozen):
        if _is_explicit(obj.dist):
            if obj.args or obj.kwds:
                raise ValueError(f"{name}: an rv_discrete(values=...) or rv_histogram object takes no parameters")
            return _describe_explicit(obj.dist, name)
        return _describe_frozen(obj, name)
    if _is_explicit(obj):
        return _describe_explicit(obj, name)
    if isinstance(obj, _multivariate.multi_rv_frozen):
        return _describe_multivariate(obj, name)
    if _is_random_variable(obj):
        return _describe_random_variable(obj, name)
    if isinstance(obj, (stats.rv_continuous, stats.rv_discrete, _multivariate.multi_rv_generic)):
        raise _unfrozen_family_error(obj, name)
    raise TypeError(
        f"{name} must be a frozen scipy.stats distribution such as scipy.stats.norm(0, 1), "
        f"got {type(obj).__name__}"
    )


def _is_explicit(dist: Any) -> bool:
    """An object that carries its distribution in data, not parameters."""
    from scipy import stats
    from scipy.stats._distn_infrastructure import rv_sample

    return isinstance(dist, (rv_sample, stats.rv_histogram))


def _check_finite(value: np.ndarray, name: str, parameter: str) -> None:
    if not np.all(np.isfinite(value)):
        bad = np.asarray(value)[~np.isfinite(value)].flat[0]
        raise ValueError(f"{name} has a non-finite parameter {parameter} = {bad}")


def _describe_frozen(frozen: Any, name: str) -> Description:
    """A frozen univariate scipy.stats distribution with scalar or array parameters."""
    from scipy import stats

    family_object = frozen.dist
    discrete = isinstance(family_object, stats.rv_discrete)
    shapes, loc, scale = family_object._parse_args(*frozen.args, **frozen.kwds)
    shape_names = [s.strip() for s in family_object.shapes.split(",")] if family_object.shapes else []
    raw = dict(zip(shape_names, shapes)) | {"loc": loc, "scale": scale}
    try:
        values = {key: np.asarray(value, dtype=np.float64) for key, value in raw.items()}
    except (TypeError, ValueError):
        raise TypeError(f"{name} has a parameter that is not a real number: {raw}") from None
    for key, value in values.items():
        _check_finite(value, name, key)
    try:
        broadcast = np.broadcast_arrays(*values.values())
    except ValueError:
        raise ValueError(f"the parameters of {name} do not broadcast against each other") from None
    params = {key: np.array(value) for key, value in zip(values, broadcast)}
    batch_shape = broadcast[0].shape if broadcast else ()
    in_domain = np.asarray(family_object._argcheck(*(params[s] for s in shape_names))) & (params["scale"] > 0)
    if not np.all(in_domain):
        shown = ", ".join(f"{k}={np.asarray(v)[~np.broadcast_to(in_domain, batch_shape)].flat[0]:g}"
                          if batch_shape else f"{k}={float(v):g}" for k, v in params.items())
        raise ValueError(f"{name} has parameters outside the domain of {family_object.name}: {shown}")

    def rebuild(p: dict[str, np.ndarray]) -> Any:
        args = [p[s] for s in shape_names]
        if discrete:
            return family_object(*args, loc=p["loc"])
        return family_object(*args, loc=p["loc"], scale=p["scale"])

    kind = "discrete" if discrete else "continuous"
    return Description(family_object.name, kind, params, batch_shape, frozen, rebuild)


def _describe_explicit(dist: Any, name: str) -> Description:
    """rv_discrete(values=...) or rv_histogram: the distribution is its data; no parameters."""
    from scipy import stats

    if isinstance(dist, stats.rv_histogram):
        edges = np.asarray(dist._hbins, dtype=np.float64)
        pk = np.asarray(dist._hpdf[1:-1], dtype=np.float64) * np.diff(edges)
        params = {"edges": edges, "pk": pk / pk.sum()}
        family, kind = "histogram", "continuous"
    else:
        xk, pk = np.asarray(dist.xk, dtype=np.float64), np.asarray(dist.pk, dtype=np.float64)
        keep = pk > 0  # support points are the points with mass
        params = {"xk": xk[keep], "pk": pk[keep]}
        family, kind = "sample", "discrete"
    for key, value in params.items():
        _check_finite(value, name, key)
    return Description(family, kind, params, (), dist, lambda _p: dist)


def _describe_multivariate(frozen: Any, name: str) -> Description:
    family = type(frozen).__name__.removesuffix("_frozen")
    if family == "multivariate_normal":
        params = {"mean": np.asarray(frozen.mean, dtype=np.float64), "cov": np.asarray(frozen.cov, dtype=np.float64)}
    elif family == "dirichlet":
        params = {"alpha": np.asarray(frozen.alpha, dtype=np.float64)}
        if np.any(params["alpha"] <= 0):
            raise ValueError(f"{name} has a Dirichlet parameter alpha <= 0")
    elif family == "multinomial":
        params = {"n": np.asarray(frozen.n, dtype=np.float64), "p": np.asarray(frozen.p, dtype=np.float64)}
    else:
        params = {}
    for key, value in params.items():
        _check_finite(value, name, key)
    return Description(family, "multivariate", params, (), frozen, lambda _p: frozen)


# -------------------------------------------------------------------------------------------
# SciPy's new random variables (scipy.stats.Normal, Uniform, Mixture, make_distribution, ...)


def _is_random_variable(obj: Any) -> bool:
    try:
        from scipy.stats._distribution_infrastructure import Mixture, UnivariateDistribution
    except ImportError:  # SciPy before the new infrastructure
        return False
    return isinstance(obj, (UnivariateDistribution, Mixture))


def _as_frozen(rv: Any) -> Any | None:
    """The frozen classic distribution that `rv` is, or None when there is none."""
    from scipy import stats
    from scipy.stats._distribution_infrastructure import ShiftedScaledDistribution

    params = {key: np.asarray(value, dtype=np.float64) for key, value in rv._original_parameters.items()}
    kind = type(rv).__name__
    if kind in ("Normal", "StandardNormal"):
        return stats.norm(params.get("mu", 0.0), params.get("sigma", 1.0))
    if kind == "Uniform":
        return stats.uniform(params["a"], params["b"] - params["a"])
    if kind == "Logistic":
        return stats.logistic()
    if kind == "Binomial":
        return stats.binom(params["n"], params["p"])
    if isinstance(rv, ShiftedScaledDistribution):
        inner = _as_frozen(rv._dist)
        loc, scale = np.asarray(rv.loc, dtype=np.float64), np.asarray(rv.scale, dtype=np.float64)
        if inner is None or np.any(scale <= 0) or isinstance(inner.dist, stats.rv_discrete):
            return None
        inner_shapes, inner_loc, inner_scale = inner.dist._parse_args(*inner.args, **inner.kwds)
        return inner.dist(*inner_shapes, loc=loc + scale * inner_loc, scale=scale * inner_scale)
    formula = getattr(type(rv), "_logpdf_formula", None) or getattr(type(rv), "_logpmf_formula", None)
    classic = getattr(formula, "__self__", None)  # make_distribution(rv_generic) keeps the generic
    if isinstance(classic, (stats.rv_continuous, stats.rv_discrete)):
        return classic(**params)
    return None


class _RandomVariableSource:
    """The classic method names (ppf, isf, sf, rvs, ...) on top of a new random variable."""

    def __init__(self, rv: Any) -> None:
        self.rv = rv

    def ppf(self, v):
        return self.rv.icdf(v)

    def isf(self, v):
        return self.rv.iccdf(v)

    def cdf(self, x):
        return self.rv.cdf(x)

    def sf(self, x):
        return self.rv.ccdf(x)

    def logpdf(self, x):
        return self.rv.logpdf(x)

    def logpmf(self, x):
        return self.rv.logpmf(x)

    def support(self):
        return self.rv.support()

    def entropy(self):
        return self.rv.entropy()

    def median(self):
        return self.rv.icdf(0.5)

    def rvs(self, size, random_state):
        if not isinstance(random_state, np.random.Generator):  # RandomState: derive a Generator
            random_state = np.random.default_rng(random_state.randint(2**63, dtype=np.int64))
        return self.rv.sample(shape=size, rng=random_state)


def _describe_random_variable(rv: Any, name: str) -> Description:
    from scipy.stats._distribution_infrastructure import Mixture

    if isinstance(rv, Mixture):
        components = [_describe_random_variable(c, f"component {i} of {name}") for i, c in enumerate(rv.components)]
        kinds = {c.kind for c in components}
        if len(kinds) != 1 or any(c.batch_shape for c in components):
            raise ValueError(f"{name}: the components of a Mixture must be of one kind, without batches")
        weights = np.asarray(rv.weights, dtype=np.float64)
        _check_finite(weights, name, "weights")
        source = _RandomVariableSource(rv)
        source.components = components
        return Description("mixture", kinds.pop(), {"weights": weights}, (), source, lambda _p: source)
    for key, value in rv._original_parameters.items():
        _check_finite(np.asarray(value, dtype=np.float64), name, key)
    frozen = _as_frozen(rv)
    if frozen is not None:
        return _describe_frozen(frozen, name)
    from scipy.stats._distribution_infrastructure import DiscreteDistribution

    if np.shape(rv.support()[0]) != ():
        raise ValueError(f"{name}: a batch of {type(rv).__name__} objects is not supported")
    kind = "discrete" if isinstance(rv, DiscreteDistribution) else "continuous"
    source = _RandomVariableSource(rv)
    return Description(type(rv).__name__, kind, {}, (), source, lambda _p: source)
