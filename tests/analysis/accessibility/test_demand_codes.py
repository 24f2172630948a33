"""Per-unit sums by integer unit codes (issue 16) equal the previous groupby-by-label
implementation; units smaller than a population cell always get a point and a value."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from urbanrural.analysis.accessibility import coverage, demand, euclidean
from urbanrural.geo.raster import open_raster


# ---------------------------------------------------------------- the previous implementation (oracle)
def _old_aggregate(values, points, *, index):
    t = np.asarray(values, dtype=float)
    finite = np.isfinite(t)
    people = points["people"].to_numpy(dtype=float)
    frame = pd.DataFrame({"unit": points["unit"].to_numpy(), "wt": np.where(finite, t, 0.0) * people,
                          "reach": np.where(finite, people, 0.0), "people": people})
    g = frame.groupby("unit")[["wt", "reach", "people"]].sum().reindex(index).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(g["reach"] > 0, g["wt"] / g["reach"], np.nan)
        share = np.where(g["people"] > 0, g["reach"] / g["people"], np.nan)
    return pd.DataFrame({"mean": mean, "unreachable": g["people"] - g["reach"], "people": g["people"],
                         "reachable_share": share}, index=index)


def _old_within_share(minutes, points, *, threshold, index):
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    frame = pd.DataFrame({"unit": points["unit"].to_numpy(), "within": np.where(t <= threshold, people, 0.0),
                          "people": people})
    g = frame.groupby("unit")[["within", "people"]].sum().reindex(index).fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(g["people"] > 0, g["within"] / g["people"], np.nan)
    return pd.DataFrame({"within": g["within"], "beyond": g["people"] - g["within"], "share": share}, index=index)


def _old_unit_values(values, points, *, index):
    t = np.asarray(values, dtype=float)
    out = _old_aggregate(t, points, index=index)
    fb = points["fallback"].to_numpy(dtype=bool)
    at = pd.Series(t[fb], index=points["unit"].to_numpy()[fb])
    at = at[~at.index.duplicated(keep="first")].reindex(index)
    empty = (out["people"] <= 0).to_numpy()
    mean = out["mean"].to_numpy(copy=True)
    fill = at.to_numpy(dtype=float)
    mean[empty] = np.where(np.isfinite(fill[empty]), fill[empty], np.nan)
    out["mean"] = mean
    reach = np.where(empty, demand.REACH_NO_PEOPLE, demand.REACH_OK).astype(object)
    reach[np.isnan(mean)] = demand.REACH_UNREACHABLE
    out["reach"] = reach
    return out


def _old_underserved(minutes, points, *, threshold, index):
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    beyond = pd.Series(np.where(t <= threshold, 0.0, people)).groupby(points["unit"].to_numpy()).sum()
    return beyond.reindex(index).fillna(0.0).rename(f"underserved_{threshold:g}min")


def _old_coverage_table(minutes, points, *, thresholds, class_col="urban_class"):
    t = np.asarray(minutes, dtype=float)
    people = points["people"].to_numpy(dtype=float)
    groups = [("all", np.ones(len(t), dtype=bool))]
    if class_col in points.columns:
        cls = points[class_col].astype(object).to_numpy()
        groups += [(str(c), cls == c) for c in sorted(pd.unique(cls[pd.notna(cls)]).tolist())]
    rows = []
    for name, m in groups:
        total = people[m].sum()
        for th in sorted(float(x) for x in thresholds):
            within = people[m & (t <= th)].sum()
            rows.append({"urban_class": name, "threshold_min": int(th) if th == int(th) else th,
                         "population": total, "population_within": within,
                         "share": within / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


def _old_mean_time_ratio(minutes, points):
    t = np.asarray(minutes, dtype=float)
    p = points["people"].to_numpy(dtype=float)
    cls = points["urban_class"].to_numpy()
    means = {}
    for c in ("rural", "urban"):
        m = (cls == c) & np.isfinite(t)
        means[c] = (t[m] * p[m]).sum() / p[m].sum() if p[m].sum() > 0 else np.nan
    return float(means["rural"] / means["urban"]) if means["urban"] > 0 else float("nan")


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def case():
    """20,000 points over 300 units (some units absent, some points in units not listed,
    one point without a unit), zero-people fallback points, unreachable points."""
    rng = np.random.default_rng(16)
    n = 20_000
    labels = np.array([f"u{i:03d}" for i in range(320)], dtype=object)
    unit = labels[rng.integers(0, 320, n)]
    unit[5] = None
    people = rng.gamma(0.8, 40, n)
    people[rng.random(n) < 0.05] = 0.0
    pts = pd.DataFrame({"x": rng.uniform(0, 1e5, n), "y": rng.uniform(0, 1e5, n), "people": people, "unit": unit,
                        "fallback": people <= 0,
                        "urban_class": np.where(rng.random(n) < 0.3, "urban", "rural").astype(object)})
    t = rng.gamma(2, 15, n)
    t[rng.random(n) < 0.03] = np.inf
    index = pd.Index(labels[10:310][rng.permutation(300)])  # shuffled; u000-u009, u310-u319 not in it
    return pts, t, index


def _check_all(pts, t, index):
    # 1e-12 of the people counted: "unreachable" and "beyond" are now summed directly, the
    # old code took them as differences of two sums (people - reached)
    atol = 1e-12 * float(pts["people"].sum())
    same = {"check_exact": False, "rtol": 1e-12, "atol": atol}
    new, old = demand.aggregate(t, pts, index=index), _old_aggregate(t, pts, index=index)
    pd.testing.assert_frame_equal(new, old, **same)
    pd.testing.assert_frame_equal(demand.unit_values(t, pts, index=index), _old_unit_values(t, pts, index=index),
                                  **same)
    for th in (15.0, 30.0, 60.0):
        pd.testing.assert_frame_equal(demand.within_share(t, pts, threshold=th, index=index),
                                      _old_within_share(t, pts, threshold=th, index=index), **same)
        pd.testing.assert_series_equal(coverage.underserved(t, pts, threshold=th, index=index),
                                       _old_underserved(t, pts, threshold=th, index=index), **same)


def test_sums_by_label_equal_the_groupby(case):
    _check_all(*case)


def test_sums_by_codes_equal_the_groupby_and_stale_codes_are_not_used(case):
    pts, t, index = case
    coded = demand.set_unit_codes(pts, index)
    assert coded["unit_code"].iloc[5] == -1 and (coded["unit_code"] >= -1).all()
    _check_all(coded, t, index)
    _check_all(coded.iloc[::3], t[::3], index)  # a subset keeps valid codes
    other = index[::-1]  # codes made for another order of the units: matched by label instead
    _check_all(coded, t, other)
    dup = index.append(index[:5])  # repeated ids: each row gets the unit's sums
    pd.testing.assert_frame_equal(demand.aggregate(t, coded, index=dup), _old_aggregate(t, pts, index=dup),
                                  check_exact=False, rtol=1e-12, atol=1e-12 * float(pts["people"].sum()))


def test_class_tables_unchanged(case):
    pts, t, _ = case
    pts = pts.copy()
    pts.loc[7, "urban_class"] = None
    pd.testing.assert_frame_equal(coverage.coverage_table(t, pts, thresholds=[30, 15, 45.5]),
                                  _old_coverage_table(t, pts, thresholds=[30, 15, 45.5]), check_exact=True)
    assert coverage.mean_time_ratio(t, pts) == _old_mean_time_ratio(t, pts)
    cat = pts.assign(urban_class=pd.Categorical(pts["urban_class"], categories=["urban", "rural", "peri"]))
    pd.testing.assert_frame_equal(coverage.coverage_table(t, cat, thresholds=[15]),
                                  _old_coverage_table(t, pts, thresholds=[15]), check_exact=True)
    assert coverage.mean_time_ratio(t, cat) == _old_mean_time_ratio(t, pts)
    only_rural = pts.assign(urban_class="rural")
    assert np.isnan(coverage.mean_time_ratio(t, only_rural))


# ---------------------------------------------------------------- demand points: codes and fallback
@pytest.fixture
def tiny_study(tmp_path):
    """3 x 3 cells of 100 m, 10 people each; a big unit and a 50 m unit inside one cell."""
    path = tmp_path / "pop.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3, height=3, count=1, dtype="float32", crs="EPSG:32650",
                       transform=from_origin(400_000, 4_300_300, 100, 100), nodata=-1) as dst:
        dst.write(np.full((3, 3), 10.0, dtype="float32"), 1)
    tiny = shapely.box(400_105, 4_300_155, 400_155, 4_300_195)  # 50 m x 40 m in the middle cell, not its centre
    big = shapely.box(400_000, 4_300_000, 400_300, 4_300_300).difference(tiny)
    units = gpd.GeoDataFrame(geometry=[big, tiny], index=pd.Index(["big", "tiny"]), crs=32650)
    return open_raster(path), units


@pytest.mark.parametrize("zonal", ["exact", "centre"])
def test_unit_smaller_than_a_cell_gets_a_point_and_a_value(tiny_study, zonal):
    info, units = tiny_study
    pts, used = demand.demand_points(units, how="raster", raster=info, zonal=zonal)
    assert used == "raster" and set(pts["unit"]) == {"big", "tiny"}
    assert (units.index.to_numpy()[pts["unit_code"].to_numpy()] == pts["unit"].to_numpy()).all()
    tiny = pts[pts["unit"] == "tiny"]
    if zonal == "exact":  # a fifth of the cell: 10 x 0.2 people at the cell centre
        assert tiny["people"].sum() == pytest.approx(2.0, rel=1e-6) and not tiny["fallback"].any()
        assert pts.attrs["fallback_units"] == 0 and pts.attrs["fallback_smaller_than_cell"] == 0
    else:  # no cell centre inside: its unit point, people 0, counted
        assert tiny["fallback"].all() and tiny["people"].sum() == 0 and len(tiny) == 1
        assert (tiny["x"].iat[0], tiny["y"].iat[0]) == (400_130.0, 4_300_175.0)
        assert pts.attrs["fallback_units"] == 1 and pts.attrs["fallback_smaller_than_cell"] == 1
    fac = pd.DataFrame({"x": [400_010.0], "y": [4_300_010.0]})
    minutes = euclidean.nearest_minutes(pts[["x", "y"]].to_numpy(), fac, speed_kmh=30.0)
    v = demand.unit_values(minutes, pts, index=units.index)
    assert v["mean"].notna().all() and (v["reach"] != demand.REACH_UNREACHABLE).all()
    for cls in ("all",):
        tab = coverage.coverage_table(minutes, pts, thresholds=[1, 5])
        assert tab["urban_class"].eq(cls).all() and tab["share"].notna().all()
    for how in ("weighted_centroid", "centroid"):
        p2, _ = demand.demand_points(units, how=how, raster=info, zonal=zonal,
                                     people=pd.Series({"big": 88.0, "tiny": 2.0}))
        assert len(p2) == 2 and p2["unit_code"].tolist() == [0, 1]
        assert demand.unit_values(np.array([3.0, 4.0]), p2, index=units.index)["mean"].notna().all()


def test_points_share_one_id_object_per_unit(tiny_study):
    """The unit column refers to the units' own ids (one object per unit), not a new string
    per point: at 10 million cells the copies held ~0.6 GB."""
    info, units = tiny_study
    units = units.set_axis(pd.Index(["big", "tiny"], dtype=object))
    pts, _ = demand.demand_points(units, how="raster", raster=info, zonal="centre")  # tiny: a fallback row
    assert pts["unit"].dtype == object and len(pts) == 10
    ids = {id(v) for v in pts["unit"].to_numpy()}
    assert len(ids) == 2 and ids == {id(v) for v in units.index.to_numpy(dtype=object)}
