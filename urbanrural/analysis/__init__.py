"""The science: accessibility, autocorrelation, degurba, flows, integration, inequality.

Pure functions: a StudyArea, GeoDataFrame or table in; a Series or a frozen result out.
Submodules import on first use.
"""

from .._lazy import lazy_submodules

_NAMES = ("accessibility", "autocorrelation", "degurba", "drivers", "flows", "integration", "inequality", "panel",
          "siting")
__getattr__, __dir__ = lazy_submodules(__name__, _NAMES)
__all__ = list(_NAMES)
