"""Two-way flows of labour, land and capital between units (METHODS.md, section Flows).

Input everywhere: an origin-destination DataFrame with text ``origin``, ``destination``
and a ``volume`` >= 0 (one kind, one year: the pipeline splits a table by ``kind`` and
``year`` before calling), unit ids as in the units' index.

- :func:`accounts`: per unit in/out/net/gross/intra, pair balances, class-by-class matrix.
- :func:`gravity_model`: Wilson's family of spatial interaction models as Poisson GLMs.
- :func:`network_measures`, :func:`linkage_network`: strength, degree, density,
  reciprocity; the modified-gravity "spatial linkage network".
"""

from ._accounts import FlowAccounts, accounts, balance_index
from ._gravity import GravityResult, gravity_model, underflow
from ._network import LinkageNetwork, NetworkMeasures, linkage_network, network_measures

__all__ = [
    "FlowAccounts", "accounts", "balance_index",
    "GravityResult", "gravity_model", "underflow",
    "NetworkMeasures", "network_measures", "LinkageNetwork", "linkage_network",
]
