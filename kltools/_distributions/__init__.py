"""KL divergence and entropy of probability distribution objects.

Where things go:

- ``adapters.py``: one adapter per kind of input object, turning it into a ``Description``
  (``description.py``); all parameter validation happens there.
- ``log_densities.py``: log-densities computed from the parameters, per family.
- ``closed_forms.py``: closed-form KL divergences, registered per pair of families in one table.
- ``quadrature.py`` and ``tails.py``: the numerical route for continuous pairs, and the analysis
  of the tails that decides whether an integral converges.
- ``summation.py``: the numerical route for discrete pairs and discrete entropies.
- ``api.py``: the public functions, which choose the route.
"""

from kltools._distributions.api import entropy_of, kl

__all__ = ["entropy_of", "kl"]
