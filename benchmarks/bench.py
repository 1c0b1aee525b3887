"""Side-by-side timings of kltools against SciPy, printed as ratios measured in one run.

Run with `make bench` (or `.venv/bin/python benchmarks/bench.py`). Timings are the best of
several interleaved repetitions, so load on a shared machine inflates both sides alike; the
ratios are the figures to quote, not the seconds.
"""

from __future__ import annotations

import platform
import time

import numpy as np
from scipy import stats

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


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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


if __name__ == "__main__":
    main()
