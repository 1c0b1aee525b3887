"""Side-by-side timings of kltools against SciPy, printed as ratios measured in one run.

Run with `make bench` (or `.venv/bin/python benchmarks/bench.py`). Timings are the best of
several interleaved repetitions, so load on a shared machine inflates both sides alike; the
ratios are the figures to quote, not the seconds.
"""

from __future__ import annotations

import platform
import time

import numpy as np
from scipy import special, stats
from scipy.spatial import cKDTree

import kltools

REPEATS = 7


def best_times(candidates: dict, repeats: int = REPEATS) -> dict[str, float]:
    """Best wall time of each candidate, running them interleaved round by round."""
    best = {name: float("inf") for name in candidates}
    for _ in range(repeats):
        for name, func in candidates.items():
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def report(title: str, times: dict[str, float], baseline: str) -> None:
    print(f"\n{title}")
    for name, seconds in times.items():
        print(f"  {name:<38} {seconds * 1e3:9.2f} ms   {seconds / times[baseline]:6.3f} x SciPy")
    kltools_time = times["kltools.kl_divergence(p, q)"]
    floor = times["np.log(p)  (one pass: the floor)"]
    print(f"  kltools / one np.log pass: {kltools_time / floor:.2f}")


def report_ratios(title: str, times: dict[str, float], baseline: str) -> None:
    """Times of each candidate and its ratio to `baseline`, measured in the same rounds."""
    print(f"\n{title}")
    for name, seconds in times.items():
        print(f"  {name:<52} {seconds * 1e3:9.2f} ms   {seconds / times[baseline]:6.3f} x baseline")


def knn_direct(x: np.ndarray, y: np.ndarray, k: int, workers: int) -> float:
    """The kNN estimator written directly on scipy.spatial.cKDTree: the yardstick for kl_knn."""
    (n, d), m = x.shape, y.shape[0]
    rho = cKDTree(x).query(x, k=[k + 1], workers=workers)[0][:, 0]
    nu = cKDTree(y).query(x, k=[k], workers=workers)[0][:, 0]
    return float(d * np.mean(np.log(nu / rho)) + np.log(m / (n - 1)))


def logits_sections(rng: np.random.Generator) -> None:
    """Softmax family and kl_divergence_from_logits on 4096 x 1000 float64 logits."""
    z = rng.normal(size=(4096, 1000))
    labels = rng.integers(0, 1000, size=4096)

    def scipy_cross_entropy(target: np.ndarray, logits: np.ndarray) -> np.ndarray:
        log_q = special.log_softmax(logits, axis=-1)
        return -np.take_along_axis(log_q, target[:, np.newaxis], axis=-1)[:, 0]

    assert np.allclose(kltools.log_softmax(z), special.log_softmax(z, axis=-1), rtol=1e-13)
    assert np.allclose(kltools.cross_entropy_from_logits(labels, z), scipy_cross_entropy(labels, z))
    times = best_times({
        "scipy.special.log_softmax(z, axis=-1)": lambda: special.log_softmax(z, axis=-1),
        "kltools.log_softmax(z)": lambda: kltools.log_softmax(z),
        "scipy.special.softmax(z, axis=-1)": lambda: special.softmax(z, axis=-1),
        "kltools.softmax(z)": lambda: kltools.softmax(z),
        "scipy log_softmax + gather (class indices)": lambda: scipy_cross_entropy(labels, z),
        "kltools.cross_entropy_from_logits(labels, z)": lambda: kltools.cross_entropy_from_logits(labels, z),
    })
    report_ratios("logits, 4096 x 1000 float64", times, "scipy.special.log_softmax(z, axis=-1)")
    print(
        "  kltools / SciPy:"
        f" log_softmax {times['kltools.log_softmax(z)'] / times['scipy.special.log_softmax(z, axis=-1)']:.2f},"
        f" softmax {times['kltools.softmax(z)'] / times['scipy.special.softmax(z, axis=-1)']:.2f},"
        " cross-entropy "
        f"{times['kltools.cross_entropy_from_logits(labels, z)'] / times['scipy log_softmax + gather (class indices)']:.2f}"
    )

    confident = z.copy()
    confident[np.arange(4096), labels] += 40.0  # a trained model: every row sure of its class
    times = best_times({
        "scipy log_softmax + gather": lambda: scipy_cross_entropy(labels, confident),
        "kltools.cross_entropy_from_logits": lambda: kltools.cross_entropy_from_logits(labels, confident),
    })
    report_ratios("cross-entropy of confident predictions (log1p path), 4096 x 1000",
                  times, "scipy log_softmax + gather")

    other = rng.normal(size=(4096, 1000))
    close = z + 1e-6 * rng.normal(size=z.shape)
    assert np.allclose(kltools.kl_divergence_from_logits(z, other),
                       kltools.kl_divergence(kltools.softmax(z), kltools.softmax(other)), rtol=1e-12)
    times = best_times({
        "kl_divergence(softmax(a), softmax(b))": (
            lambda: kltools.kl_divergence(kltools.softmax(z), kltools.softmax(other))
        ),
        "kl_divergence_from_logits(a, b)": lambda: kltools.kl_divergence_from_logits(z, other),
        "kl_divergence_from_logits, nearly equal rows": lambda: kltools.kl_divergence_from_logits(z, close),
    })
    report_ratios("KL from logits, 4096 x 1000 (nearly equal rows take the careful route)",
                  times, "kl_divergence(softmax(a), softmax(b))")


def knn_section(rng: np.random.Generator) -> None:
    """kl_knn on 10^5 points in 5 dimensions against the same estimator on cKDTree."""
    x = rng.normal(size=(10**5, 5))
    y = rng.normal(loc=0.3, size=(10**5, 5))
    assert kltools.kl_knn(x, y) == knn_direct(x, y, 1, 1)
    times = best_times({
        "direct cKDTree estimator, workers=1": lambda: knn_direct(x, y, 1, 1),
        "kltools.kl_knn(x, y, workers=1)": lambda: kltools.kl_knn(x, y, workers=1),
        "kltools.kl_knn(x, y, workers=2)": lambda: kltools.kl_knn(x, y, workers=2),
    }, repeats=5)
    report_ratios("kl_knn, 10^5 points per sample in 5 dimensions", times,
                  "direct cKDTree estimator, workers=1")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def batched_distributions_section(rng: np.random.Generator) -> None:
    """kl() on 1000 pairs of normals with array parameters, against a loop over the pairs."""
    sigma_p, mu_q = rng.uniform(0.5, 2.0, 1000), rng.normal(size=1000)
    p, q = stats.norm(np.zeros(1000), sigma_p), stats.norm(mu_q, 1.0)
    batched = kltools.kl(p, q)
    looped = np.array([kltools.kl(stats.norm(0, s), stats.norm(m, 1.0)) for s, m in zip(sigma_p, mu_q)])
    assert np.array_equal(batched, looped)
    times = best_times({
        "loop of kltools.kl over the pairs": lambda: [
            kltools.kl(stats.norm(0, s), stats.norm(m, 1.0)) for s, m in zip(sigma_p[:100], mu_q[:100])
        ],
        "kltools.kl(p, q), batched": lambda: kltools.kl(p, q),
    }, repeats=3)
    loop_time = times["loop of kltools.kl over the pairs"] * 10  # 100 pairs timed, 1000 reported
    print("\nkl on 1000 pairs of normals (array parameters)")
    print(f"  loop over the pairs (100 timed, x10)          {loop_time * 1e3:9.2f} ms")
    print(f"  kltools.kl(p, q), batched                     {times['kltools.kl(p, q), batched'] * 1e3:9.2f} ms"
          f"   (target: at most 2 ms)")


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"machine: {cpu_model()} ({platform.machine()}), Python {platform.python_version()}, "
          f"numpy {np.__version__}, scipy {__import__('scipy').__version__}")

    n = 10**7
    p = rng.random(n)
    p /= p.sum()
    q = rng.random(n)
    q /= q.sum()
    assert np.isclose(kltools.kl_divergence(p, q), stats.entropy(p, q), rtol=1e-9)
    times = best_times({
        "scipy.stats.entropy(p, q)": lambda: stats.entropy(p, q),
        "kltools.kl_divergence(p, q)": lambda: kltools.kl_divergence(p, q),
        "np.log(p)  (one pass: the floor)": lambda: np.log(p),
    })
    report(f"one pair of float64 vectors, n = {n:,}", times, "scipy.stats.entropy(p, q)")

    batch = rng.random((10**5, 100))
    batch /= batch.sum(axis=1, keepdims=True)
    other = rng.random((10**5, 100))
    other /= other.sum(axis=1, keepdims=True)
    assert np.allclose(kltools.kl_divergence(batch, other), stats.entropy(batch, other, axis=-1))
    times = best_times({
        "scipy.stats.entropy(p, q, axis=-1)": lambda: stats.entropy(batch, other, axis=-1),
        "kltools.kl_divergence(p, q)": lambda: kltools.kl_divergence(batch, other),
        "np.log(p)  (one pass: the floor)": lambda: np.log(batch),
    })
    report("a batch of 10^5 distributions of 100 categories", times, "scipy.stats.entropy(p, q, axis=-1)")

    x = rng.normal(size=(10**4, 3))
    y = rng.normal(loc=0.5, size=(10**4, 3))
    times = best_times({"kltools.kl_knn(x, y)": lambda: kltools.kl_knn(x, y)}, repeats=5)
    print(f"\nkl_knn on 10^4 points per sample in 3 dimensions: {times['kltools.kl_knn(x, y)']:.3f} s")

    logits_sections(rng)
    knn_section(rng)
    batched_distributions_section(rng)


if __name__ == "__main__":
    main()
