"""The one internal description of a distribution that every route consumes.

An adapter (``adapters.py``) turns each kind of input object (a frozen ``scipy.stats``
distribution, an ``rv_discrete(values=...)`` or ``rv_histogram`` object, a frozen multivariate
distribution) into a :class:`Description`. Closed forms, log-densities, quadrature and summation
read only this description, never the input object's private attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Kind = Literal["continuous", "discrete", "multivariate"]


@dataclass(frozen=True, eq=False)
class Description:
    """A validated distribution, or a batch of them with broadcast parameters.

    Attributes
    ----------
    family
        SciPy's name of the family (``"norm"``, ``"poisson"``, ``"multivariate_normal"``...),
        ``"sample"`` for ``rv_discrete(values=...)`` and ``"histogram"`` for ``rv_histogram``.
    kind
        ``"continuous"``, ``"discrete"`` or ``"multivariate"``.
    params
        Named parameters as float64 arrays, already checked finite and inside the family's
        domain. Univariate families use SciPy's shape names plus ``"loc"`` and ``"scale"``,
        each of shape `batch_shape`; ``multivariate_normal`` has ``"mean"`` (d,) and ``"cov"``
        (d, d), ``dirichlet`` has ``"alpha"`` (k,), ``multinomial`` has ``"n"`` () and ``"p"``
        (k,). ``sample`` has ``"xk"`` and ``"pk"``; ``histogram`` ``"edges"`` and ``"pk"``.
    batch_shape
        Shape of the batch of distributions; ``()`` for a single one.
    source
        A SciPy object that computes what the description does not (ppf, isf, cdf, sf, rvs,
        entropy), for the whole batch. Use :meth:`element` for one member of a batch.
    """

    family: str
    kind: Kind
    params: dict[str, np.ndarray]
    batch_shape: tuple[int, ...]
    source: Any
    rebuild: Any = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return int(np.prod(self.batch_shape, dtype=np.int64))

    def element(self, index: tuple[int, ...] | int) -> "Description":
        """The description of one member of the batch (itself when there is no batch)."""
        if self.batch_shape == ():
            return self
        index = np.unravel_index(index, self.batch_shape) if isinstance(index, (int, np.integer)) else index
        params = {name: np.asarray(value[index]) for name, value in self.params.items()}
        return Description(self.family, self.kind, params, (), self.rebuild(params), self.rebuild)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper end of the support, arrays of the batch shape (univariate only)."""
        if self.family == "sample":
            return self.params["xk"][..., 0], self.params["xk"][..., -1]
        if self.family == "histogram":
            return self.params["edges"][..., 0], self.params["edges"][..., -1]
        low, high = self.source.support()
        return np.broadcast_to(low, self.batch_shape), np.broadcast_to(high, self.batch_shape)


def broadcast_batch_shape(p: Description, q: Description) -> tuple[int, ...]:
    """The batch shape of the pairs (p, q), or a ValueError naming both shapes."""
    try:
        return np.broadcast_shapes(p.batch_shape, q.batch_shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of p {p.batch_shape} and q {q.batch_shape} do not broadcast"
        ) from None
