"""Every kind of input object is validated once, at the boundary, with errors that name the problem."""

import math

import numpy as np
import pytest
from scipy import stats

import kltools
from kltools._distributions.adapters import describe


def _continuous_families():
    """Every SciPy continuous family with its example shape parameters (from SciPy's own list)."""
    from scipy.stats._distr_params import distcont

    return [(name, args) for name, args in distcont if name not in ("levy_stable", "studentized_range")]


@pytest.mark.parametrize("name,args", _continuous_families(), ids=[n for n, _ in _continuous_families()])
def test_non_finite_parameters_of_any_continuous_family_are_refused(name, args):
    family = getattr(stats, name)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match=r"p has a non-finite parameter loc"):
            describe(family(*args, loc=bad), "p")
        with pytest.raises(ValueError, match=r"q has a non-finite parameter scale"):
            describe(family(*args, scale=bad), "q")
        if args:
            shape_name = family.shapes.split(",")[0].strip()
            broken = (bad, *args[1:])
            with pytest.raises(ValueError, match=rf"p has a non-finite parameter {shape_name}"):
                describe(family(*broken), "p")


def test_issue_reproduction_nan_mean_is_an_error_not_nan():
    with pytest.raises(ValueError, match="p has a non-finite parameter loc = nan"):
        kltools.kl(stats.norm(np.nan, 1), stats.norm(0, 1))
    with pytest.raises(ValueError, match="non-finite parameter mean"):
        kltools.kl(stats.multivariate_normal([0.0, np.nan]), stats.multivariate_normal([0.0, 0.0]))
    with pytest.raises(ValueError, match="non-finite parameter mu"):
        kltools.entropy_of(stats.poisson(np.inf))


def test_parameters_outside_the_domain_name_the_family():
    with pytest.raises(ValueError, match="outside the domain of gamma"):
        kltools.kl(stats.gamma(-1.0), stats.gamma(1.0))
    with pytest.raises(ValueError, match="outside the domain of norm"):
        kltools.kl(stats.norm(0, 1), stats.norm(0, [1.0, -1.0]))


def test_batches_that_do_not_broadcast():
    with pytest.raises(ValueError, match="do not broadcast"):
        kltools.kl(stats.norm(np.zeros(3)), stats.norm(np.zeros(4)))


def test_unfrozen_families_are_refused_but_explicit_distributions_are_accepted():
    with pytest.raises(TypeError, match="unfrozen family"):
        kltools.kl(stats.norm, stats.norm(0, 1))
    sample = stats.rv_discrete(values=([0, 0.5, 1], [0.2, 0.6, 0.2]))
    description = describe(sample, "p")
    assert description.family == "sample" and description.params["xk"].tolist() == [0, 0.5, 1]
    histogram = stats.rv_histogram((np.array([1, 2, 1]), np.array([0.0, 1, 2, 3])))
    assert describe(histogram, "p").params["pk"].tolist() == [0.25, 0.5, 0.25]


def test_wrong_objects():
    with pytest.raises(TypeError, match="p must be a frozen scipy.stats distribution"):
        kltools.kl(np.zeros(3), stats.norm())
    with pytest.raises(ValueError, match="cannot compare a discrete p with a continuous q"):
        kltools.kl(stats.poisson(3), stats.norm(3))


@pytest.mark.parametrize(
    "new,classic",
    [
        (stats.Normal(mu=1.0, sigma=2.0), stats.norm(1, 2)),
        (stats.Uniform(a=-1.0, b=2.0), stats.uniform(-1, 3)),
        (stats.Logistic(), stats.logistic()),
        (stats.Binomial(n=10, p=0.3), stats.binom(10, 0.3)),
        (stats.make_distribution(stats.gamma)(a=2.5), stats.gamma(2.5)),
        (stats.Normal(mu=1.0, sigma=2.0) * 3 + 1, stats.norm(4, 6)),
    ],
)
def test_new_random_variables_map_to_the_classic_family(new, classic):
    a, b = describe(new, "p"), describe(classic, "p")
    assert a.family == b.family
    assert all(np.array_equal(a.params[k], b.params[k]) for k in b.params)


def test_new_random_variables_with_non_finite_parameters():
    with pytest.raises(ValueError, match="non-finite parameter mu"):
        describe(stats.Normal(mu=np.nan), "p")


def test_default_new_random_variables():
    # SciPy names a parameterless Normal() "StandardNormal"
    assert kltools.entropy_of(stats.Normal()) == pytest.approx(0.5 * math.log(2 * math.pi * math.e), rel=1e-15)
    assert kltools.kl(stats.Normal(), stats.Normal(mu=1.0)) == 0.5


def test_mixture_against_an_independent_quadrature():
    import mpmath as mp

    mp.mp.dps = 30
    mixture = stats.Mixture([stats.Normal(mu=-2.0), stats.Normal(mu=2.0, sigma=0.5)], weights=[0.3, 0.7])

    def integrand(x):
        p = 0.3 * mp.npdf(x, -2, 1) + 0.7 * mp.npdf(x, 2, 0.5)
        return p * (mp.log(p) - mp.log(mp.npdf(x, 0, 2)))

    truth = mp.quad(integrand, [-mp.inf, -2, 0, 2, mp.inf])
    assert kltools.kl(mixture, stats.Normal(sigma=2.0)) == pytest.approx(float(truth), rel=1e-8)


def test_new_objects_give_the_values_of_the_frozen_distributions_they_mirror():
    pairs = [
        ((stats.Normal(mu=1.0, sigma=2.0), stats.Normal(mu=0.0, sigma=3.0)), (stats.norm(1, 2), stats.norm(0, 3))),
        ((stats.Uniform(a=0.0, b=1.0), stats.Uniform(a=-1.0, b=2.0)), (stats.uniform(0, 1), stats.uniform(-1, 3))),
        ((stats.Binomial(n=10, p=0.3), stats.Binomial(n=10, p=0.5)), (stats.binom(10, 0.3), stats.binom(10, 0.5))),
        ((stats.Logistic(), stats.Normal()), (stats.logistic(), stats.norm())),
    ]
    for (new_p, new_q), (old_p, old_q) in pairs:
        assert kltools.kl(new_p, new_q) == kltools.kl(old_p, old_q)
        assert kltools.entropy_of(new_p) == kltools.entropy_of(old_p)
    batched = kltools.kl(stats.Normal(mu=np.zeros(3), sigma=[1.0, 2.0, 3.0]), stats.Normal(mu=1.0))
    assert np.array_equal(batched, kltools.kl(stats.norm(0, [1.0, 2.0, 3.0]), stats.norm(1, 1)))


def test_monte_carlo_on_new_objects():
    mixture = stats.Mixture([stats.Normal(mu=-2.0), stats.Normal(mu=2.0)], weights=[0.5, 0.5])
    q = stats.Normal(sigma=2.0)
    exact = kltools.kl(mixture, q)
    estimate = kltools.kl_monte_carlo(mixture, q, 20_000, rng=0)
    assert abs(estimate.value - exact) < 5 * estimate.stderr
