"""Accuracy of kl_divergence and js_divergence against mpmath, at the corners of float64.

The oracle is mpmath at 50 digits evaluating the definition on the exact float inputs, never
kltools. SciPy's ``rel_entr`` is measured alongside as the bar to clear. Run this file as a
script to print the figures it asserts:

    .venv/bin/python tests/test_discrete_accuracy.py
"""

from __future__ import annotations

import math
import sys

import mpmath
import numpy as np
import pytest
from scipy import special

import kltools

EPS = np.finfo(np.float64).eps
SEED = 20261208


# ---------------------------------------------------------------------------------------------
# Oracles: mpmath on the exact floats


def exact_kl(p, q):
    """sum_i p_i log(p_i / q_i) of the given floats at 50 digits; 0 log 0 = 0, p log(p/0) = inf."""
    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for pi, qi in zip(map(float, p), map(float, q)):
            if pi == 0:
                continue
            if qi == 0:
                return math.inf
            total += mpmath.mpf(pi) * mpmath.log(mpmath.mpf(pi) / mpmath.mpf(qi))
        return total


def exact_js(p, q):
    """JS divergence of the given floats from its definition, m = (p + q) / 2 taken exactly."""
    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for pi, qi in zip(map(float, p), map(float, q)):
            pi, qi = mpmath.mpf(pi), mpmath.mpf(qi)
            m = (pi + qi) / 2
            if pi:
                total += pi * mpmath.log(pi / m)
            if qi:
                total += qi * mpmath.log(qi / m)
        return total / 2


def exact_kl_of_weights(w, v):
    """KL of the distributions w / sum(w) and v / sum(v), sums taken exactly.

    700 digits: weights span 1e-324..1e308, and 1 + 1e-300 must not round to 1 (50 digits
    would make the oracle, not kltools, wrong for nearly deterministic distributions).
    """
    with mpmath.workdps(700):
        w = [mpmath.mpf(float(x)) for x in w]
        v = [mpmath.mpf(float(x)) for x in v]
        sw, sv = mpmath.fsum(w), mpmath.fsum(v)
        total = mpmath.mpf(0)
        for wi, vi in zip(w, v):
            if wi == 0:
                continue
            if vi == 0:
                return math.inf
            total += wi / sw * mpmath.log(wi * sv / (vi * sw))
        return total


def relative_error(value, exact):
    """|value - exact| / exact, with an exact value <= 0 meaning 0 (KL is clamped to its range)."""
    exact = max(exact, 0)
    if float(exact) == 0:  # also an exact value below the smallest subnormal, such as 1e-535
        return 0.0 if value <= 5e-324 else math.inf
    if exact == math.inf:
        return 0.0 if value == math.inf else math.inf
    return float(abs(mpmath.mpf(float(value)) - exact) / exact)


# ---------------------------------------------------------------------------------------------
# Inputs


def exactly_normalized_near_pairs(rng, count):
    """Pairs (p, q) that each sum to exactly 1, q a relative perturbation of p by 1e-16..1e-3.

    Entries are integers times 2**-53, so every entry and every sum is exact; lengths 2..64.
    """
    pairs = []
    for _ in range(count):
        n = int(rng.integers(2, 65))
        m = rng.dirichlet(np.full(n, 0.5)) * 2.0**53
        m = np.maximum(np.floor(m), 1.0)
        m[np.argmax(m)] += 2.0**53 - m.sum()
        scale = 10.0 ** rng.uniform(-16, -3)
        step = np.round(m * scale * rng.standard_normal(n))
        step[np.argmax(m)] -= step.sum()
        m2 = m + step
        if (m2 <= 0).any():
            continue
        p, q = m / 2.0**53, m2 / 2.0**53
        assert math.fsum(p) == 1.0 and math.fsum(q) == 1.0
        pairs.append((p, q))
    return pairs


def two_point_pairs(rng, count):
    """The issue's pairs: p = [1 - a, a], q = [1 - b, b], b = a (1 + eps), a in [0.5, 1)."""
    pairs = []
    for _ in range(count):
        a = rng.uniform(0.5, 0.99)
        b = a * (1 + 10.0 ** rng.uniform(-16, -3) * rng.choice([-1, 1]))
        pairs.append((np.array([1 - a, a]), np.array([1 - b, b])))
    return pairs


def float_normalized_near_pairs(rng, count, tiny=False):
    """Pairs normalized by float division (sums 1 only to rounding), some entries as small as
    1e-300 or subnormal when `tiny`."""
    pairs = []
    for _ in range(count):
        n = int(rng.integers(2, 40))
        w = rng.dirichlet(np.full(n, 0.5))
        if tiny:
            k = int(rng.integers(1, n))
            w[:k] = 10.0 ** rng.uniform(-322, -250, size=k)
        p = w / w.sum()
        q = p * (1 + 10.0 ** rng.uniform(-16, -3) * rng.standard_normal(n))
        q = q / q.sum()
        pairs.append((p, q))
    return pairs


def rel_entr_kl(p, q):
    return float(np.sum(special.rel_entr(p, q)))


def rel_entr_js(p, q):
    m = (p + q) / 2
    return float(0.5 * np.sum(special.rel_entr(p, m)) + 0.5 * np.sum(special.rel_entr(q, m)))


def errors(func, pairs, oracle):
    return np.array([relative_error(func(p, q), oracle(p, q)) for p, q in pairs])


def summary(errs):
    return float(np.max(errs)), float(np.median(errs))


# ---------------------------------------------------------------------------------------------
# Measurements (each returns what its test asserts; `measure` prints them all)


def near_pairs_errors():
    """Relative errors on 500 exactly normalized nearly equal pairs: kltools and rel_entr."""
    rng = np.random.default_rng(SEED)
    pairs = exactly_normalized_near_pairs(rng, 300) + two_point_pairs(rng, 200)
    return {
        "kltools.kl_divergence": errors(kltools.kl_divergence, pairs, exact_kl),
        "sum(scipy.special.rel_entr)": errors(rel_entr_kl, pairs, exact_kl),
        "kltools.js_divergence": errors(kltools.js_divergence, pairs, exact_js),
        "rel_entr JS": errors(rel_entr_js, pairs, exact_js),
    }


def rounding_sums_worst(tiny):
    """Rows normalized by float division, used as given: the oracle is the formula on these
    floats, sum(p) - sum(q) included. The value can cancel between the (positive) divergence of
    the shapes and that rounding-level difference of sums, so the error is measured relative to
    the size of the two."""
    rng = np.random.default_rng(SEED + int(tiny))
    worst = 0.0
    for p, q in float_normalized_near_pairs(rng, 300, tiny=tiny):
        with mpmath.workdps(50):
            exact = exact_kl(p, q)
            sums = abs(mpmath.fsum(map(mpmath.mpf, p)) - mpmath.fsum(map(mpmath.mpf, q)))
            scale = abs(exact) + 2 * sums
            value = kltools.kl_divergence(p, q)
            error = abs(mpmath.mpf(value) - max(exact, 0)) / scale if scale else value
        worst = max(worst, float(error))
    return worst


def batch_worst():
    """A batch of 80 rows, 40 of them nearly equal pairs, in random order."""
    rng = np.random.default_rng(SEED + 2)
    near = [(p, q) for p, q in exactly_normalized_near_pairs(rng, 200) if len(p) >= 8][:40]
    # Rows of exactly 8 entries: the first 7, then the rest of the mass, all exact.
    p = np.array([np.append(a[:7], 1 - math.fsum(a[:7])) for a, _ in near])
    q = np.array([np.append(b[:7], 1 - math.fsum(b[:7])) for _, b in near])
    far = rng.dirichlet(np.ones(8), size=(2, 40))
    order = rng.permutation(80)
    p_all, q_all = np.concatenate([p, far[0]])[order], np.concatenate([q, far[1]])[order]
    kl = kltools.kl_divergence(p_all, q_all)
    js = kltools.js_divergence(p_all, q_all)
    kl_err = max(relative_error(v, exact_kl(a, b)) for v, a, b in zip(kl, p_all, q_all))
    js_err = max(relative_error(v, exact_js(a, b)) for v, a, b in zip(js, p_all, q_all))
    return kl_err, js_err


def dynamic_range_worst():
    """normalize=True on weights spanning 1e-320..1e308, with zeros."""
    rng = np.random.default_rng(SEED + 3)
    worst, infinite = 0.0, 0
    for _ in range(300):
        n = int(rng.integers(2, 12))
        w = 10.0 ** rng.uniform(-320, 308, size=n)
        v = 10.0 ** rng.uniform(-320, 308, size=n)
        w[rng.random(n) < 0.2] = 0.0
        v[rng.random(n) < 0.2] = 0.0
        if not w.any() or not v.any():
            continue
        exact = exact_kl_of_weights(w, v)
        value = kltools.kl_divergence(w, v, normalize=True)
        if exact == math.inf:
            infinite += 1
            assert value == math.inf, (w, v, value)
            continue
        worst = max(worst, relative_error(value, exact))
    return worst, infinite


def float32_worst():
    """float32 softmax pairs, measured as the distributions p / sum(p) they stand for."""
    rng = np.random.default_rng(SEED + 4)
    worst = 0.0
    for _ in range(100):
        n = int(rng.integers(2, 200))
        logits = rng.normal(size=(2, n)).astype(np.float32)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p, q = e / e.sum(axis=1, keepdims=True)
        worst = max(worst, relative_error(kltools.kl_divergence(p, q), exact_kl_of_weights(p, q)))
    return worst


# ---------------------------------------------------------------------------------------------
# Tests (the figures in the comments are what `measure` prints)


def test_issue_example_matches_mpmath():
    b = 0.7 * (1 + 1e-8)
    p, q = [0.3, 0.7], [1 - b, b]
    exact = exact_kl(p, q)  # 6.1156e-17: includes sum(p) - sum(q) = -2**-54 of these floats
    assert relative_error(kltools.kl_divergence(p, q), exact) < 4 * EPS
    assert relative_error(kltools.js_divergence(p, q), exact_js(p, q)) < 4 * EPS


def test_nearly_equal_exactly_normalized_pairs():
    errs = near_pairs_errors()
    ours, scipy = errs["kltools.kl_divergence"], errs["sum(scipy.special.rel_entr)"]
    # Measured: worst 3.8e-16, median 7.3e-17; rel_entr: worst 1, median 1.7e-7.
    assert ours.max() < 8 * EPS
    assert ours.max() <= scipy.max() and np.median(ours) <= np.median(scipy)
    assert np.all(ours <= np.maximum(scipy, 8 * EPS))  # never worse than rel_entr, pair by pair
    ours, scipy = errs["kltools.js_divergence"], errs["rel_entr JS"]
    # Measured: worst 4.8e-16, median 7.9e-17; rel_entr: worst 9e15, median 3.6e-6.
    assert ours.max() < 8 * EPS
    assert ours.max() <= scipy.max() and np.median(ours) <= np.median(scipy)


@pytest.mark.parametrize("tiny", [False, True], ids=["ordinary", "1e-300-and-subnormal"])
def test_kl_of_rows_that_sum_to_one_only_to_rounding(tiny):
    # Measured: worst 4.7e-16 (ordinary), 3.1e-16 (tiny entries).
    assert rounding_sums_worst(tiny) < 8 * EPS


def test_batch_where_only_some_rows_are_nearly_equal():
    kl_err, js_err = batch_worst()
    # Measured: worst 5.3e-16 (KL) and 9.4e-16 (JS) over the 80 rows.
    assert kl_err < 8 * EPS and js_err < 8 * EPS


def test_huge_dynamic_range_with_normalize():
    worst, infinite = dynamic_range_worst()
    # Measured: worst 4.0e-16 over the 112 finite cases; the 185 infinite ones are all inf.
    assert worst < 8 * EPS and infinite > 10


def test_issue_examples_of_extreme_dynamic_range():
    # p has mass where q has a zero: infinite, decided on the weights before they underflow.
    assert kltools.kl_divergence(
        [1.7e308, 1e-310, 1e20], [1, 0, 2.2250738585072014e-308], normalize=True
    ) == math.inf
    w, v = [0.3, 1e300, 1e-20, 0.3], [1.7e308, 1, 0.3, 1e-20]
    exact = exact_kl_of_weights(w, v)  # 709.73
    assert relative_error(kltools.kl_divergence(w, v, normalize=True), exact) < 4 * EPS


def test_batch_mixing_extreme_and_ordinary_rows_with_normalize():
    # Only some rows underflow or overflow when normalized; each row must come out as alone.
    rng = np.random.default_rng(SEED + 8)
    w = rng.random((6, 5)) * 10
    v = rng.random((6, 5)) * 10
    w[1] = [1.7e308, 1e-310, 1e20, 0, 1]
    v[1] = [1, 1, 2.2250738585072014e-308, 3, 1]
    w[3] = [0.3, 1e300, 1e-20, 0.3, 0]
    v[3] = [1.7e308, 1, 0.3, 1e-20, 5]
    w[4] = [1e308, 1e308, 1e308, 1, 1e-300]  # the sum overflows
    kl = kltools.kl_divergence(w, v, normalize=True)
    h = kltools.entropy(w, normalize=True)
    ce = kltools.cross_entropy(w, v, normalize=True)
    for i in range(6):
        assert kl[i] == pytest.approx(kltools.kl_divergence(w[i], v[i], normalize=True), rel=4 * EPS)
        assert h[i] == pytest.approx(kltools.entropy(w[i], normalize=True), rel=4 * EPS)
        exact_kl = exact_kl_of_weights(w[i], v[i])
        assert relative_error(kl[i], exact_kl) < 8 * EPS
        assert relative_error(h[i], exact_entropy_of_weights(w[i])) < 8 * EPS
        assert relative_error(ce[i], exact_entropy_of_weights(w[i]) + exact_kl) < 8 * EPS


def test_nearly_equal_except_where_the_ratio_overflows():
    # KL 7.1e-4 takes the careful path, where p_2 / q_2 = 1e309 overflows a double.
    p, q = [1 - 1e-6, 1e-6], [1.0, 1e-315]
    assert relative_error(kltools.kl_divergence(p, q), exact_kl(p, q)) < 4 * EPS


def test_float32_input_is_measured_as_the_distribution_it_stands_for():
    # Measured: worst 4.4e-16.
    assert float32_worst() < 8 * EPS


def exact_entropy_of_weights(w):
    with mpmath.workdps(700):
        w = [mpmath.mpf(float(x)) for x in w]
        total = mpmath.fsum(w)
        return -mpmath.fsum(x / total * mpmath.log(x / total) for x in w if x)


def entropy_dynamic_range_worst():
    """entropy and cross_entropy with normalize=True on weights spanning 1e-320..1e308."""
    rng = np.random.default_rng(SEED + 5)
    worst = 0.0
    for _ in range(200):
        n = int(rng.integers(2, 10))
        w = 10.0 ** rng.uniform(-320, 308, size=n)
        v = 10.0 ** rng.uniform(-320, 308, size=n)
        w[rng.random(n) < 0.2] = 0.0
        if not w.any():
            continue
        h = exact_entropy_of_weights(w)
        worst = max(worst, relative_error(kltools.entropy(w, normalize=True), h))
        ce = h + exact_kl_of_weights(w, v)
        worst = max(worst, relative_error(kltools.cross_entropy(w, v, normalize=True), ce))
    return worst


def test_entropy_and_cross_entropy_at_huge_dynamic_range():
    # Measured: worst 3.1e-16. Before, a positive weight that underflowed counted as 0.
    assert entropy_dynamic_range_worst() < 8 * EPS


def nearly_certain_entropy_worst():
    """Entropy of weights with one dominant entry (the others 1e-300..1e-3 of it), normalized by
    kltools (normalize=True) or given in float32 (divided by their sum)."""
    rng = np.random.default_rng(SEED + 7)
    worst = 0.0
    for _ in range(200):
        n = int(rng.integers(2, 30))
        w = 10.0 ** rng.uniform(-300, -3, size=n)
        w[0] = 1.0
        value = kltools.entropy(w, normalize=True)
        worst = max(worst, relative_error(value, exact_entropy_of_weights(w)))
        w32 = (w / w.sum()).astype(np.float32) * np.float32(1 + 5e-7)
        exact = exact_entropy_of_weights(w32)
        worst = max(worst, relative_error(kltools.entropy(w32), exact))
    return worst


def test_entropy_of_nearly_certain_outcomes():
    # -p log p of the dominant entry is about 1 - p, which rounding p to a double near 1 loses.
    assert relative_error(kltools.entropy([1, 1e-20], normalize=True),
                          exact_entropy_of_weights([1, 1e-20])) < 4 * EPS
    # Measured: worst 4.0e-16.
    assert nearly_certain_entropy_worst() < 8 * EPS
    # The same for cross-entropy: q = (1, 1e-20) / (1 + 1e-20) rounds to (1, 1e-20), whose
    # -log q_1 = 0 would lose all of H(p, q) = log(1 + 1e-20).
    with mpmath.workdps(50):
        exact = mpmath.log1p(mpmath.mpf(1e-20))
    assert relative_error(kltools.cross_entropy([1, 0], [1, 1e-20], normalize=True), exact) < 4 * EPS


def test_nearly_equal_pairs_broadcast_and_along_axis_0():
    rng = np.random.default_rng(SEED + 6)
    pairs = [pq for pq in exactly_normalized_near_pairs(rng, 100) if len(pq[0]) >= 5]
    p = pairs[0][0][:4]
    p = np.append(p, 1 - math.fsum(p))  # one exactly normalized p of 5 entries
    qs = np.array([np.append(b[:4], 1 - math.fsum(b[:4])) for _, b in pairs[1:21]])
    qs = np.concatenate([qs, [p * (1 + 1e-9 * np.array([1, -1, 1, -1, 0]))]])
    qs[-1, -1] = 1 - math.fsum(qs[-1, :-1])
    kl = kltools.kl_divergence(p, qs)  # p broadcast against 21 rows
    kl_axis0 = kltools.kl_divergence(p[:, np.newaxis], qs.T, axis=0)
    np.testing.assert_array_equal(kl, kl_axis0)
    errs = [relative_error(v, exact_kl(p, q)) for v, q in zip(kl, qs)]
    assert max(errs) < 8 * EPS


def measure():
    """Print the figures the tests assert: relative errors against mpmath at 50 digits."""
    print("500 exactly normalized pairs, q = p (1 + 1e-16..1e-3); relative error vs mpmath")
    for name, errs in near_pairs_errors().items():
        print(f"  {name:<30} worst {np.max(errs):9.2e}   median {np.median(errs):9.2e}")
    print(f"rows summing to 1 only to rounding, KL worst: {rounding_sums_worst(False):.2e}, "
          f"with 1e-300 and subnormal entries {rounding_sums_worst(True):.2e}")
    print("batch with some nearly equal rows, worst KL %.2e, JS %.2e" % batch_worst())
    worst, infinite = dynamic_range_worst()
    print(f"normalize=True over 1e-320..1e308, worst {worst:.2e} ({infinite} infinite cases)")
    print(f"float32 softmax pairs, worst {float32_worst():.2e}")
    print(f"entropy of nearly certain outcomes, worst {nearly_certain_entropy_worst():.2e}")
    print("entropy, cross-entropy with normalize=True over 1e-320..1e308, "
          f"worst {entropy_dynamic_range_worst():.2e}")


if __name__ == "__main__":
    sys.exit(measure())
