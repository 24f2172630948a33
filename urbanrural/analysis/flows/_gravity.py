"""Wilson's family of spatial interaction models as Poisson GLMs (METHODS.md, Flows).

``ln mu_ij = k + a ln O_i + b ln D_j - beta f(d_ij)`` (unconstrained); origin effects
replace ``k + a ln O_i`` in the production-constrained model, destination effects replace
``k + b ln D_j`` in the attraction-constrained one, and the doubly-constrained model has
both (Wilson 1971; Fotheringham & O'Kelly 1989).  ``f(d) = ln d`` for power decay and
``f(d) = d`` for exponential decay.  **Sign convention: beta > 0 means flows fall as cost
rises** (spint and a GLM on ``f(d)`` report ``-beta``).

Fitted by Poisson maximum likelihood with our own IRLS (:mod:`._glm`): the fixed effects
are sparse indicator columns eliminated exactly, so 1,000 x 1,000 units fit in seconds.
Estimates equal those of statsmodels' GLM or spint's ``Gravity``/``Production``/
``Attraction``/``Doubly`` with the same dummies; fit statistics are computed as spint
computes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from urbanrural.geo.errors import DataError
from urbanrural.geo.registry import check_choice

from ._glm import poisson_fe_irls, poisson_loglike

__all__ = ["CONSTRAINTS", "DECAYS", "GravityResult", "gravity_model", "underflow"]

logger = logging.getLogger("urbanrural")

CONSTRAINTS = ("doubly", "production", "attraction", "unconstrained")
DECAYS = ("power", "exponential")
_SHOW = 5  # examples named in an error message

_FORMULA = {
    "unconstrained": "ln mu_ij = k + a ln O_i + b ln D_j - beta {f}",
    "production": "ln mu_ij = A_i + b ln D_j - beta {f}",
    "attraction": "ln mu_ij = B_j + a ln O_i - beta {f}",
    "doubly": "ln mu_ij = A_i + B_j - beta {f}",
}


@dataclass(frozen=True, eq=False)
class GravityResult:
    """A fitted spatial interaction model (see :func:`gravity_model`).

    Attributes
    ----------
    params : Series
        Structural parameters: ``const``, ``origin_mass`` (a, on ln O_i),
        ``destination_mass`` (b, on ln D_j) where the model has them, and ``beta``
        (distance decay; positive = flows fall with cost).
    bse, tvalues, pvalues : Series
        Standard errors from the inverse Fisher information (identical to a Poisson GLM
        with every dummy column), z statistics and two-sided normal p-values.
    cov_params : DataFrame
        Covariance of ``params``.
    origin_effects, destination_effects : Series or None
        Fixed effects on the log scale, indexed by unit id.  The origin effects absorb
        the constant; in the doubly-constrained model the first destination (sorted ids)
        is the reference with effect 0, as in spint and a GLM with dropped first dummies.
    predicted : Series
        Fitted flow on the rows of the input ``flows`` (same index); NaN on rows that
        were not modelled (intra-unit rows, zero rows when ``include_zeros=False``).
    pairs : DataFrame
        Every modelled pair: origin, destination, cost, observed, predicted, std_resid
        (``(T - T^) / sqrt(T^)``), including zero pairs added from ``cost``.
    llf, llnull, deviance, aic : float
        Full Poisson log-likelihoods (with ``ln T!``) of the model and of the
        constant-only model, deviance, ``AIC = -2 llf + 2 k``.
    pseudo_r2, adj_pseudo_r2 : float
        ``1 - llf / llnull`` and ``1 - (llf - k) / llnull`` (spint/spglm definitions).
    srmse, ssi : float
        ``sqrt(sum (T - T^)^2 / n) / (sum T / n)``; Sorensen similarity
        ``mean(2 min(T, T^) / (T + T^))``.
    n, k : int
        Pairs in the likelihood and free parameters (fixed effects included).
    constraint, decay, variant : str
        The model family member, the decay form and a one-line description.
    converged, iterations
        IRLS status.
    notes : tuple of str
        What was dropped or assumed (units with zero totals, zeros included or not).
    """

    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    cov_params: pd.DataFrame
    origin_effects: pd.Series | None
    destination_effects: pd.Series | None
    predicted: pd.Series
    pairs: pd.DataFrame = field(repr=False)
    llf: float
    llnull: float
    deviance: float
    aic: float
    pseudo_r2: float
    adj_pseudo_r2: float
    srmse: float
    ssi: float
    n: int
    k: int
    constraint: str
    decay: str
    variant: str
    converged: bool
    iterations: int
    notes: tuple[str, ...] = ()

    @property
    def beta(self) -> float:
        """The distance-decay parameter (positive = flows fall with cost)."""
        return float(self.params["beta"])

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors, z and p as one table.

        Examples
        --------
        >>> from urbanrural.analysis.flows._gravity import _example
        >>> gravity_model(*_example()).summary().columns.tolist()
        ['coef', 'std_err', 'z', 'p']
        """
        return pd.DataFrame({"coef": self.params, "std_err": self.bse, "z": self.tvalues,
                             "p": self.pvalues})


def _example(n: int = 6, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small synthetic flow table and its costs (for the docstring examples)."""
    rng = np.random.default_rng(seed)
    ids = [f"u{i}" for i in range(n)]
    xy = rng.uniform(0, 50, (n, 2))
    o, d = np.divmod(np.arange(n * n), n)
    keep = o != d
    o, d = o[keep], d[keep]
    km = np.hypot(*(xy[o] - xy[d]).T) + 1.0
    size = rng.lognormal(4, 0.5, n)
    vol = rng.poisson(size[o] * size[d] / km**1.5 / 5).astype(float)
    flows = pd.DataFrame({"origin": np.take(ids, o), "destination": np.take(ids, d), "volume": vol})
    cost = pd.DataFrame({"origin": np.take(ids, o), "destination": np.take(ids, d), "cost": km})
    return flows, cost


def _pairs_text(o: np.ndarray, d: np.ndarray) -> str:
    shown = ", ".join(f"{a}->{b}" for a, b in zip(o[:_SHOW], d[:_SHOW], strict=True))
    return shown + (", ..." if len(o) > _SHOW else "")


def _columns(frame: object, name: str, needed: tuple[str, ...], problems: list[str]) -> bool:
    if not isinstance(frame, pd.DataFrame):
        problems.append(f"{name} must be a DataFrame with columns {', '.join(needed)}; got {type(frame).__name__}")
        return False
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems.append(f"{name} has no column {', '.join(map(repr, missing))} (needs {', '.join(needed)}; "
                        f"has {', '.join(map(str, frame.columns[:8]))})")
        return False
    return True


def _numeric(s: pd.Series, name: str, problems: list[str]) -> np.ndarray | None:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        problems.append(f"{name} has {int(bad.sum())} missing or non-numeric values "
                        f"(first rows: {', '.join(map(str, s.index[bad][:_SHOW]))})")
        return None
    return v


def _mass(values: pd.Series | None, name: str, ids: np.ndarray, problems: list[str]) -> np.ndarray | None:
    """User masses aligned to ``ids`` (text), checked positive and complete."""
    if not isinstance(values, pd.Series):
        problems.append(f"{name} must be a Series indexed by unit id; got {type(values).__name__}")
        return None
    s = pd.Series(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float),
                  index=values.index.astype(str))
    if s.index.duplicated().any():
        problems.append(f"{name} has duplicated ids: {', '.join(s.index[s.index.duplicated()][:_SHOW])}")
        return None
    v = s.reindex(ids).to_numpy()
    missing = ids[np.isnan(v)]
    if len(missing):
        problems.append(f"{name} has no value (or NaN) for {len(missing)} unit(s): "
                        f"{', '.join(missing[:_SHOW])}{', ...' if len(missing) > _SHOW else ''}")
        return None
    bad = ids[v <= 0]
    if len(bad):
        problems.append(f"{name} must be > 0 (its logarithm enters the model); {len(bad)} unit(s) are not: "
                        f"{', '.join(bad[:_SHOW])}")
        return None
    return v


def gravity_model(
    flows: pd.DataFrame,
    cost: pd.DataFrame,
    *,
    constraint: str = "doubly",
    decay: str = "power",
    origin_mass: pd.Series | None = None,
    destination_mass: pd.Series | None = None,
    include_zeros: bool = True,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> GravityResult:
    """Fit a spatial interaction (gravity) model by Poisson maximum likelihood.

    Parameters
    ----------
    flows : DataFrame
        Columns ``origin``, ``destination`` (unit ids, compared as text) and ``volume``
        >= 0; one kind and one year, at most one row per pair.  Intra-unit rows (origin
        == destination) are ignored: the models describe flows between units.
    cost : DataFrame
        Columns ``origin``, ``destination``, ``cost`` (minutes or km), as the
        accessibility tools build it.  Every flow row between two units needs a cost;
        for ``decay="power"`` costs must be > 0, for ``"exponential"`` >= 0.
    constraint : {"doubly", "production", "attraction", "unconstrained"}
        ``"production"``: origin fixed effects (fitted row totals equal the observed
        outflows); ``"attraction"``: destination effects (column totals reproduced);
        ``"doubly"``: both; ``"unconstrained"``: a constant and log masses.
    decay : {"power", "exponential"}
        ``f(d) = ln d`` or ``f(d) = d`` in ``- beta f(d)``.
    origin_mass, destination_mass : Series, optional
        Masses ``O_i``, ``D_j`` (e.g. population) indexed by unit id, > 0.  Default: the
        observed outflow and inflow totals over the modelled pairs.  Only for the terms
        the model has (origin mass: unconstrained and attraction; destination mass:
        unconstrained and production); passing one the model replaces by fixed effects
        is an error.
    include_zeros : bool, default True
        True: the modelled set is every pair in ``cost`` (between two different units);
        pairs without a flow row enter with volume 0 -- the standard Poisson treatment,
        in which zeros are information.  False: only pairs with volume > 0 are modelled
        (as many published fits do); say so when reporting.
    tol, max_iter
        IRLS stops when the relative change in deviance is below ``tol``.

    Returns
    -------
    GravityResult

    Raises
    ------
    DataError
        Missing columns, negative/NaN volumes, duplicated pairs, flow pairs without a
        cost (named, with their count), costs unusable for the decay, masses missing or
        <= 0, fewer than 3 units, or no more pairs than parameters.

    Notes
    -----
    A unit whose observed outflow (inflow) total over the modelled pairs is 0 has an
    origin (destination) effect of minus infinity, and a zero observed mass has no
    logarithm: its pairs are left out of the likelihood and predicted 0, which is the
    limit of the maximum-likelihood fit.  ``notes`` lists such units.

    Examples
    --------
    >>> from urbanrural.analysis.flows._gravity import _example
    >>> flows, cost = _example()
    >>> res = gravity_model(flows, cost, constraint="doubly", decay="power")
    >>> res.params.index.tolist()
    ['beta']
    >>> bool(res.beta > 0)
    True
    >>> out = res.pairs.groupby("origin")[["observed", "predicted"]].sum()
    >>> bool(np.allclose(out["observed"], out["predicted"]))
    True
    """
    constraint = check_choice(constraint, CONSTRAINTS, what="constraint")
    decay = check_choice(decay, DECAYS, what="decay")
    has_o_fe = constraint in ("production", "doubly")
    has_d_fe = constraint in ("attraction", "doubly")
    problems: list[str] = []
    if origin_mass is not None and has_o_fe:
        problems.append(f"origin_mass is not used by the {constraint}-constrained model (origin effects "
                        "replace it); drop it or use constraint='attraction' or 'unconstrained'")
    if destination_mass is not None and has_d_fe:
        problems.append(f"destination_mass is not used by the {constraint}-constrained model (destination "
                        "effects replace it); drop it or use constraint='production' or 'unconstrained'")
    ok_f = _columns(flows, "flows", ("origin", "destination", "volume"), problems)
    ok_c = _columns(cost, "cost", ("origin", "destination", "cost"), problems)
    if not (ok_f and ok_c):
        raise DataError("; ".join(problems))
    vol = _numeric(flows["volume"], "flows.volume", problems)
    cst = _numeric(cost["cost"], "cost.cost", problems)
    if vol is not None and (vol < 0).any():
        neg = vol < 0
        problems.append(f"flows.volume must be >= 0; {int(neg.sum())} row(s) are negative "
                        f"(first rows: {', '.join(map(str, flows.index[neg][:_SHOW]))})")
    if problems:
        raise DataError("; ".join(problems))

    # unit codes shared by both tables: sorted text ids (the reference unit is the first)
    columns = (flows["origin"], flows["destination"], cost["origin"], cost["destination"])
    parts = [pd.factorize(col) for col in columns]  # per column: no 1M Python strings made
    for (cd_, _), col, name in zip(parts, columns, ("flows.origin", "flows.destination", "cost.origin",
                                                    "cost.destination"), strict=True):
        if (cd_ < 0).any():
            problems.append(f"{name} has {int((cd_ < 0).sum())} missing id(s) "
                            f"(first rows: {', '.join(map(str, col.index[cd_ < 0][:_SHOW]))})")
    if problems:
        raise DataError("; ".join(problems))
    texts = [np.asarray(u).astype(str).astype(object) for _, u in parts]
    uniq = np.asarray(pd.Index(np.concatenate(texts)).unique().sort_values(), dtype=object)
    nu = len(uniq)
    fo_c, fd_c, co_c, cd_c = (pd.Index(uniq).get_indexer(t)[c_] for (c_, _), t in zip(parts, texts, strict=True))
    nf = len(fo_c)
    fo, fd, co, cd = uniq[fo_c], uniq[fd_c], uniq[co_c], uniq[cd_c]
    fkey = fo_c.astype(np.int64) * nu + fd_c
    ckey = co_c.astype(np.int64) * nu + cd_c
    f_inter = fo_c != fd_c
    c_inter = co_c != cd_c
    for key, inter, o_, d_, name in ((fkey, f_inter, fo, fd, "flows"), (ckey, c_inter, co, cd, "cost")):
        dup = pd.Index(key).duplicated() & inter
        if dup.any():
            problems.append(f"{name} has {int(dup.sum())} duplicated origin-destination pair(s) "
                            f"({_pairs_text(o_[dup], d_[dup])}); one kind and one year per call -- "
                            "split or aggregate first")
    if problems:
        raise DataError("; ".join(problems))

    cidx = pd.Index(ckey[c_inter])
    c_rows = np.flatnonzero(c_inter)
    pos = cidx.get_indexer(fkey)  # flow row -> position among inter-unit cost rows
    lost = f_inter & (pos < 0)
    if lost.any():
        problems.append(f"{int(lost.sum())} flow pair(s) have no cost ({_pairs_text(fo[lost], fd[lost])}); "
                        "unreachable pairs must be dropped from flows or given a cost")
        raise DataError("; ".join(problems))

    # the modelled set, in the order of the cost table (or of the flow rows)
    if include_zeros:
        m_rows = c_rows
        obs = np.zeros(len(m_rows))
        obs[pos[f_inter]] = vol[f_inter]
        f_to_m = np.where(f_inter, pos, -1)
    else:
        keep = f_inter & (vol > 0)
        m_rows = c_rows[pos[keep]]
        obs = vol[keep]
        f_to_m = np.full(nf, -1)
        f_to_m[keep] = np.arange(int(keep.sum()))
    mo, md, mc = co_c[m_rows], cd_c[m_rows], cst[m_rows]
    bad = (mc <= 0) if decay == "power" else (mc < 0)
    if bad.any():
        rule = "> 0 for decay='power' (ln cost)" if decay == "power" else ">= 0"
        problems.append(f"cost must be {rule}; {int(bad.sum())} modelled pair(s) are not "
                        f"({_pairs_text(uniq[mo[bad]], uniq[md[bad]])}); use decay='exponential' or fix the costs")
    if problems:
        raise DataError("; ".join(problems))

    # masses and units with nothing to fit
    o_tot = np.bincount(mo, obs, minlength=nu)
    d_tot = np.bincount(md, obs, minlength=nu)
    uses_o = constraint in ("unconstrained", "attraction")
    uses_d = constraint in ("unconstrained", "production")
    fit_rows = np.ones(len(obs), dtype=bool)
    notes: list[str] = []
    ln_o = ln_d = None
    if uses_o and origin_mass is not None:
        v = _mass(origin_mass, "origin_mass", uniq[np.unique(mo)], problems)
        if v is not None:
            full = np.zeros(nu)
            full[np.unique(mo)] = v
            ln_o = np.log(full[mo], where=full[mo] > 0, out=np.zeros(len(mo)))
    if uses_d and destination_mass is not None:
        v = _mass(destination_mass, "destination_mass", uniq[np.unique(md)], problems)
        if v is not None:
            full = np.zeros(nu)
            full[np.unique(md)] = v
            ln_d = np.log(full[md], where=full[md] > 0, out=np.zeros(len(md)))
    if problems:
        raise DataError("; ".join(problems))
    if has_o_fe or (uses_o and ln_o is None):
        zero = o_tot[mo] == 0
        if zero.any():
            fit_rows &= ~zero
            notes.append(f"{len(np.unique(mo[zero]))} origin(s) with no observed outflow "
                         f"({', '.join(uniq[np.unique(mo[zero])][:_SHOW])}) predicted 0, outside the fit")
    if has_d_fe or (uses_d and ln_d is None):
        zero = d_tot[md] == 0
        if zero.any():
            fit_rows &= ~zero
            notes.append(f"{len(np.unique(md[zero]))} destination(s) with no observed inflow "
                         f"({', '.join(uniq[np.unique(md[zero])][:_SHOW])}) predicted 0, outside the fit")
    y = obs[fit_rows]
    fo_m, fd_m = mo[fit_rows], md[fit_rows]
    units = np.union1d(fo_m, fd_m)
    if len(units) < 3 or not y.any():
        raise DataError(f"a gravity model needs at least 3 units with flows; the modelled pairs join "
                        f"{len(units) if y.any() else 0}" + (f" ({'; '.join(notes)})" if notes else ""))
    f_cost = np.log(mc[fit_rows]) if decay == "power" else mc[fit_rows]
    o_ids_c, oi = np.unique(fo_m, return_inverse=True)
    d_ids_c, di = np.unique(fd_m, return_inverse=True)
    n_o, n_d = len(o_ids_c), len(d_ids_c)

    cols: list[np.ndarray] = []
    names: list[str] = []
    if constraint == "unconstrained":
        cols.append(np.ones(len(y)))
        names.append("const")
    if uses_o:
        cols.append(ln_o[fit_rows] if ln_o is not None else np.log(o_tot[fo_m]))
        names.append("origin_mass")
    if uses_d:
        cols.append(ln_d[fit_rows] if ln_d is not None else np.log(d_tot[fd_m]))
        names.append("destination_mass")
    cols.append(-f_cost)
    names.append("beta")
    Z = np.column_stack(cols)
    k = Z.shape[1] + (n_o if has_o_fe else 0) + (n_d if has_d_fe else 0) - (1 if has_o_fe and has_d_fe else 0)
    if len(y) <= k:
        raise DataError(f"the {constraint}-constrained model has {k} parameters for {len(y)} pairs; "
                        "it needs more pairs than parameters (more units, or include_zeros=True)")

    # fixed effects: the larger set is eliminated exactly, the other kept dense
    if has_o_fe and has_d_fe:
        swap = n_d > n_o
        ia, na, ig, ng = (di, n_d, oi, n_o) if swap else (oi, n_o, di, n_d)
    elif has_o_fe:
        swap, ia, na, ig, ng = False, oi, n_o, None, 0
    elif has_d_fe:
        swap, ia, na, ig, ng = True, di, n_d, None, 0
    else:
        swap, ia, na, ig, ng = False, None, 0, None, 0
    try:
        fit = poisson_fe_irls(y, Z, ia=ia, na=na, ig=ig, ng=ng, tol=tol, max_iter=max_iter)
    except np.linalg.LinAlgError:
        raise DataError(f"the {constraint}-constrained model cannot be fitted: its columns are collinear "
                        "(e.g. a constant cost, or masses proportional to each other)") from None
    if not fit.converged:
        logger.warning("gravity_model: IRLS did not converge in %d iterations", fit.iterations)

    # effects in the reported coding: origin effects absorb the constant, destination
    # effects have the first destination at 0 (doubly)
    o_eff = d_eff = None
    a_o, a_d = (fit.g, fit.a) if swap and ng else (fit.a, fit.g)
    if has_o_fe and has_d_fe:
        if swap:
            shift = a_d[0]
            a_o, a_d = a_o + shift, a_d - shift
        o_eff = pd.Series(a_o, index=pd.Index(uniq[o_ids_c], name="origin"), name="origin_effect")
        d_eff = pd.Series(a_d, index=pd.Index(uniq[d_ids_c], name="destination"), name="destination_effect")
    elif has_o_fe:
        o_eff = pd.Series(fit.a, index=pd.Index(uniq[o_ids_c], name="origin"), name="origin_effect")
    elif has_d_fe:
        d_eff = pd.Series(fit.a, index=pd.Index(uniq[d_ids_c], name="destination"), name="destination_effect")

    mu = fit.mu
    n = len(y)
    llf = poisson_loglike(y, mu)
    llnull = poisson_loglike(y, np.full(n, y.mean()))
    params = pd.Series(fit.b, index=names, name="coef")
    bse = pd.Series(np.sqrt(np.diag(fit.cov_b)), index=names, name="std_err")
    tvalues = (params / bse).rename("z")
    pvalues = pd.Series(2 * stats.norm.sf(np.abs(tvalues)), index=names, name="p")

    pred_m = np.zeros(len(obs))
    pred_m[fit_rows] = mu
    with np.errstate(divide="ignore", invalid="ignore"):
        std_resid = np.where(fit_rows, (obs - pred_m) / np.sqrt(pred_m), np.nan)
    pairs = pd.DataFrame({"origin": uniq[mo], "destination": uniq[md], "cost": mc, "observed": obs,
                          "predicted": pred_m, "std_resid": std_resid})
    predicted = pd.Series(np.where(f_to_m >= 0, pred_m[np.maximum(f_to_m, 0)], np.nan),
                          index=flows.index, name="predicted")
    n_zero = int((obs == 0).sum())
    notes.insert(0, f"{len(obs)} pairs modelled ({n_zero} with volume 0; "
                    f"{'pairs in cost without a flow enter as 0' if include_zeros else 'zero pairs left out'}); "
                    f"{int((~f_inter).sum())} intra-unit row(s) ignored")
    f_text = "ln d_ij" if decay == "power" else "d_ij"
    variant = (f"{constraint}{'' if constraint == 'unconstrained' else '-constrained'} gravity model, "
               f"{decay} decay: {_FORMULA[constraint].format(f=f_text)}; Poisson ML"
               f"{', zeros included' if include_zeros else ', zero flows excluded'}")
    return GravityResult(
        params=params, bse=bse, tvalues=tvalues, pvalues=pvalues,
        cov_params=pd.DataFrame(fit.cov_b, index=names, columns=names),
        origin_effects=o_eff, destination_effects=d_eff, predicted=predicted, pairs=pairs,
        llf=llf, llnull=llnull, deviance=fit.deviance, aic=-2 * llf + 2 * fit.k,
        pseudo_r2=1 - llf / llnull, adj_pseudo_r2=1 - (llf - fit.k) / llnull,
        srmse=float(np.sqrt(np.sum((y - mu) ** 2) / n) / (y.sum() / n)),
        ssi=float(np.mean(2 * np.minimum(y, mu) / (y + mu))),
        n=n, k=fit.k, constraint=constraint, decay=decay, variant=variant,
        converged=fit.converged, iterations=fit.iterations, notes=tuple(notes),
    )


def underflow(result: GravityResult, groups: pd.Series | dict, *, threshold: float = -2.0) -> pd.DataFrame:
    """Pairs whose observed flow is well below the model's, by group of origin and destination.

    A pair "underflows" when its standardised residual ``(T - T^) / sqrt(T^)`` is at most
    ``threshold``: after distance and size (or the fixed effects) it carries less than
    the model expects.  Summarised by ``(origin_group, destination_group)`` so that, e.g.,
    rural -> urban can be read against urban -> rural.

    Parameters
    ----------
    result : GravityResult
    groups : Series or dict
        Group label (e.g. "urban"/"rural") by unit id; every modelled unit needs one.
    threshold : float, default -2.0

    Returns
    -------
    DataFrame
        Indexed by (origin_group, destination_group), every group pair present among the
        modelled pairs: ``pairs`` (underflowing pairs), ``of_pairs`` (modelled pairs),
        ``share``, ``observed`` and ``predicted`` (sums over the underflowing pairs),
        ``ratio`` = observed / predicted (NaN where no pair underflows).

    Examples
    --------
    >>> from urbanrural.analysis.flows._gravity import _example
    >>> res = gravity_model(*_example(), constraint="doubly")
    >>> g = {f"u{i}": "urban" if i < 2 else "rural" for i in range(6)}
    >>> underflow(res, g).columns.tolist()
    ['pairs', 'of_pairs', 'share', 'observed', 'predicted', 'ratio']
    """
    g = pd.Series(groups)
    g.index = g.index.astype(str)
    p = result.pairs
    og = p["origin"].map(g)
    dg = p["destination"].map(g)
    missing = np.union1d(p["origin"][og.isna()].unique(), p["destination"][dg.isna()].unique())
    if len(missing):
        raise DataError(f"groups has no label for {len(missing)} unit(s): {', '.join(missing[:_SHOW])}"
                        f"{', ...' if len(missing) > _SHOW else ''}")
    frame = pd.DataFrame({"origin_group": og.to_numpy(), "destination_group": dg.to_numpy(),
                          "under": (p["std_resid"] <= threshold).to_numpy(),
                          "observed": p["observed"].to_numpy(), "predicted": p["predicted"].to_numpy()})
    keys = ["origin_group", "destination_group"]
    total = frame.groupby(keys).size().rename("of_pairs")
    sub = frame[frame["under"]].groupby(keys)[["observed", "predicted"]].agg(["size", "sum"])
    out = pd.DataFrame(index=total.index)
    out["pairs"] = sub[("observed", "size")].reindex(total.index).fillna(0).astype(int) if len(sub) else 0
    out["of_pairs"] = total
    out["share"] = out["pairs"] / out["of_pairs"]
    out["observed"] = sub[("observed", "sum")].reindex(total.index).fillna(0.0) if len(sub) else 0.0
    out["predicted"] = sub[("predicted", "sum")].reindex(total.index).fillna(0.0) if len(sub) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(out["pairs"] > 0, out["observed"] / out["predicted"], np.nan)
    return out
