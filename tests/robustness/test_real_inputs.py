"""Real-data input routes through the CLI: AMap POI exports as facilities, yearbook tables as
indicators (two header rows, units in headers, years as columns, merged cells)."""

from __future__ import annotations

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import yaml
from robustness.harness import assert_ran, assert_refused, invoke

from urbanrural.geo import china


def _edit(path, fn):
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def amap_csv(small_study):
    """Three AMap POIs inside the small study (GCJ-02 'lng,lat' locations, |-joined typecodes)."""
    d = small_study.parent
    units = gpd.read_file(d / "units.gpkg")
    pts = units.to_crs(32650).geometry.representative_point().to_crs(4326)
    lon, lat = china.wgs84_to_gcj02(pts.x.to_numpy(), pts.y.to_numpy())
    rows = [("县人民医院", "090101", 0), ("城关小学", "141203|141200", 2), ("便民诊所", "170200|090300", 4),
            ("加油站", "010100", 5)]
    frame = pd.DataFrame({"name": [r[0] for r in rows], "type": "x", "typecode": [r[1] for r in rows],
                          "location": [f"{lon[i]:.6f},{lat[i]:.6f}" for *_, i in rows]})
    frame.to_csv(d / "amap.csv", index=False, encoding="utf-8-sig")
    return d / "amap.csv"


def test_amap_export_as_facilities(small_study, amap_csv, tmp_path):
    _edit(small_study, lambda c: (c.update(facilities=[{"path": "amap.csv", "source": "amap"}]),
                                  c.update(analyses={"accessibility": {"mode": "euclidean"}})))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    fac = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="facilities")
    assert sorted(fac["category"]) == ["clinic", "hospital", "school"]  # the petrol station is not kept
    units = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="units")
    assert {"tt_hospital_min", "tt_clinic_min", "tt_school_min"} <= set(units.columns)


def test_amap_export_with_category_filter_and_bad_options(small_study, amap_csv, tmp_path):
    _edit(small_study, lambda c: c.update(facilities=[{"path": "amap.csv", "source": "amap",
                                                       "categories": ["hospital"]}]))
    assert invoke(["validate", small_study], sandbox=tmp_path).exit_code == 0
    _edit(small_study, lambda c: c.update(facilities=[{"path": "amap.csv", "source": "amap", "category": "x"}]))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "typecodes", "categories:")
    _edit(small_study, lambda c: c.update(facilities=[{"path": "amap.csv", "source": "google"}]))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "source", "amap")


@pytest.fixture
def yearbook_xlsx(small_study):
    """A yearbook sheet: title, unit line, codes stored as numbers (zeros lost), two header
    rows with years over indicators (merged), units in the headers, a total row, footnotes."""
    d = small_study.parent
    codes = pd.read_csv(d / "ind.csv", dtype={"code": str})["code"].tolist()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["表3 各乡镇主要指标"])
    ws.merge_cells("A1:F1")
    ws.append(["代码", "名称", 2020, None, 2021, None])
    ws.append([None, None, "农村居民人均收入（元）", "非农就业比重(%)", "农村居民人均收入（元）", "非农就业比重(%)"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:D2")
    ws.merge_cells("E2:F2")
    for i, code in enumerate(codes):
        ws.append([int(code), f"Zhen {i}", f"{12_000 + 900 * i:,}", 20 + 10 * i, 12_500 + 950 * i, 22 + 10 * i])
    ws.append(["合计", None, None, None, None, None])
    ws.append(["资料来源：县统计局。"])
    wb.save(d / "yearbook.xlsx")
    return d / "yearbook.xlsx"


def test_yearbook_table_as_indicators(small_study, yearbook_xlsx, tmp_path):
    def use(c):
        c["indicators"] = {"path": "yearbook.xlsx", "id": "代码", "header_rows": "auto", "year": 2021}
        c["analyses"] = {"integration": {"dimensions": {"income": {"农村居民人均收入": "+"},
                                                        "work": {"非农就业比重": "+"}}}}

    _edit(small_study, use)
    # Excel stored the codes as numbers: refused with the fix, which then works
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "leading zeros", "zfill: true")
    _edit(small_study, lambda c: c["indicators"].update(zfill=True))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    u = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="units").set_index("code")
    # every indicator rises with the unit number in 2021, so the index does too
    assert u["integration_index"].is_monotonic_increasing
    assert u["integration_index"].iloc[0] == pytest.approx(0.0) and u["integration_index"].iloc[-1] == pytest.approx(1.0)


def test_yearbook_with_several_years_needs_year(small_study, yearbook_xlsx, tmp_path):
    _edit(small_study, lambda c: c.update(indicators={"path": "yearbook.xlsx", "id": "代码", "header_rows": "auto"}))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "year")
