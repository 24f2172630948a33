"""Change over time: the panel method chain (METHODS.md, section Change over time).

Data in: a long DataFrame indexed by ``(unit, year)`` with indicator columns, or a
``units x years`` frame of one variable (index: unit ids, columns: years ascending).

- :mod:`.index`: pooled entropy weights, index/TOPSIS/CCD per unit-year, change and
  annual rate, class transitions;
- :mod:`.density`: kernel density per year on one bandwidth rule, with diagnostics;
- :mod:`.chains`: classic, spatial and LISA Markov chains (giddy semantics);
- :mod:`.sigma_beta`: sigma and beta convergence (OLS, spatial lag/error), Dagum Gini per year;
- :mod:`.hotspots`: emerging hot spots (Gi* per year and a Mann-Kendall trend);
- :mod:`.warning`: early-warning rules, obstacle degree, indicative forecasts.

Names are imported on first use, so one module's import cost is paid only when used. No
module shares a name with a function (``panel.markov`` is always the function).
"""

from __future__ import annotations

from ..._lazy import lazy_names

_WHERE = {
    "entropy_index": "index", "PanelIndex": "index", "change": "index", "class_transitions": "index",
    "unit_transitions": "index", "check_panel": "index", "GreyForecast": "warning", "TrendForecast": "warning",
    "kernel_density": "density", "KernelDensity": "density",
    "markov": "chains", "spatial_markov": "chains", "lisa_markov": "chains", "LisaMarkovResult": "chains",
    "MarkovResult": "chains", "SpatialMarkovResult": "chains", "steady_state": "chains", "first_passage": "chains",
    "convergence": "sigma_beta", "sigma_convergence": "sigma_beta", "beta_convergence": "sigma_beta",
    "ConvergenceResult": "sigma_beta", "dagum_by_year": "sigma_beta", "lm_decision": "sigma_beta",
    "BetaResult": "sigma_beta", "SigmaTable": "sigma_beta", "SigmaTrend": "sigma_beta", "SpatialFit": "sigma_beta",
    "emerging_hotspots": "hotspots", "mann_kendall": "hotspots", "classify_pattern": "hotspots",
    "MannKendall": "hotspots", "PATTERNS": "hotspots",
    "early_warning": "warning", "gm11": "warning", "linear_trend": "warning", "WarningRules": "warning",
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _WHERE)
