"""kltools: entropy, cross-entropy and Kullback-Leibler divergence, computed carefully.

The companion library of the book *KL divergence, entropy and cross-entropy*. Functions take
plain array-likes or frozen ``scipy.stats`` distributions, validate them once, and raise an error
that names the argument and the problem instead of returning a silently wrong number.

Probability vectors
    :func:`entropy`, :func:`cross_entropy`, :func:`kl_divergence`, :func:`js_divergence`
Logits
    :func:`softmax`, :func:`log_softmax`, :func:`cross_entropy_from_logits`,
    :func:`kl_divergence_from_logits`
scipy.stats distributions
    :func:`kl`, :func:`entropy_of`
Samples
    :func:`kl_monte_carlo` (returns a :class:`MonteCarloEstimate`), :func:`kl_knn`
Mutual information
    :func:`mutual_information` (of a joint table), :func:`mutual_information_knn` (from samples)
"""

from kltools._discrete import cross_entropy, entropy, js_divergence, kl_divergence
from kltools._distributions import entropy_of, kl
from kltools._knn import kl_knn
from kltools._monte_carlo import MonteCarloEstimate, kl_monte_carlo
from kltools._mutual_information import mutual_information, mutual_information_knn
from kltools._logits import (
    cross_entropy_from_logits,
    kl_divergence_from_logits,
    log_softmax,
    softmax,
)

__all__ = [
    "MonteCarloEstimate",
    "cross_entropy",
    "cross_entropy_from_logits",
    "entropy",
    "entropy_of",
    "js_divergence",
    "kl",
    "kl_divergence",
    "kl_divergence_from_logits",
    "kl_knn",
    "kl_monte_carlo",
    "log_softmax",
    "mutual_information",
    "mutual_information_knn",
    "softmax",
]
__version__ = "0.1.0"
