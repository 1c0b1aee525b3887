"""kltools: entropy, cross-entropy and Kullback-Leibler divergence, computed carefully.

The companion library of the book *KL divergence, entropy and cross-entropy*. All functions
take plain array-likes, validate them once and raise an error that names the argument and the
problem instead of returning a silently wrong number.
"""

from kltools._discrete import cross_entropy, entropy, kl_divergence

__all__ = ["cross_entropy", "entropy", "kl_divergence"]
__version__ = "0.1.0"
