"""Yearbook tables in every layout: merged XLSX headers, GB18030 and BOM CSVs, years as
columns or rows, units in headers, footnotes, totals, lost zeros, joins by id and name."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from urbanrural.geo.checks import CheckLog
from urbanrural.layers.readers import read_indicators
from urbanrural.layers.yearbook import YearbookTable, read_yearbook, split_unit


def _write_csv(path, lines, encoding):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def merged_xlsx(tmp_path, units_gdf):
    """Title merged over the table, unit line, 地区/代码 merged over two header rows, a group
    header 人口 merged over 户籍/常住, codes stored as numbers (zeros lost), a total row and
    two footnote lines."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表2"
    ws.append(["表2-3 各乡镇人口与收入"])
    ws.merge_cells("A1:E1")
    ws.append([None, None, None, None, "单位：万人"])
    ws.append(["地区", "代码", "人口", None, "农村居民人均可支配收入（元）"])
    ws.append([None, None, "户籍", "常住", None])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("C3:D3")
    ws.merge_cells("E3:E4")
    codes = units_gdf["code"].tolist()
    for i, code in enumerate(codes):
        ws.append([f"Zhen {i}", int(code), 1.5 + i, "1,234.5" if i == 0 else 2.0 + i, 15000 + 100 * i])
    ws.append(["合计", None, 30.0, 40.0, None])
    ws.append(["注：常住人口为年末数。"])
    ws.append(["资料来源：县统计局。"])
    path = tmp_path / "yearbook.xlsx"
    wb.save(path)
    return path


def test_xlsx_merged_headers_units_totals_footnotes_and_lost_zeros(merged_xlsx, units_gdf):
    units = units_gdf.set_index("code")
    log = CheckLog()
    t = read_yearbook(merged_xlsx, units=units, log=log)
    assert isinstance(t, YearbookTable)
    assert list(t.frame.columns) == ["人口_户籍", "人口_常住", "农村居民人均可支配收入"]
    assert t.units_of == {"人口_户籍": "万人", "人口_常住": "万人", "农村居民人均可支配收入": "元"}
    assert t.frame.index.tolist() == units.index.tolist()  # '0101001' restored from 101001
    assert t.frame.loc["0101001", "人口_常住"] == 1234.5
    assert t.frame.loc["1101006", "农村居民人均可支配收入"] == 15500.0
    assert t.frame.loc["0101003", "人口_户籍"] == 3.5
    r = t.report
    assert r["header_rows"] == 2 and r["layout"] == "cross-section" and r["title"] == "表2-3 各乡镇人口与收入"
    assert r["totals_dropped"] == 1 and r["totals"] == ["合计"]
    assert r["footnotes_dropped"] == 2 and r["footnotes"][1] == "资料来源：县统计局。"
    assert r["ids_restored"] == 3
    assert r["join"]["matched"] == 6 and r["join"]["unmatched_rows"] == [] and r["join"]["matched_by"] == "id"
    assert r["numbers"]["人口_常住"]["separators"] == 1
    assert t.names.loc["0101002"] == "Zhen 1"
    checks = {r.check for r in log.records}
    assert {"merged cells", "total rows", "footnote rows", "ids"} <= checks


def test_gb18030_csv_indicator_over_unit_rows(tmp_path):
    path = _write_csv(tmp_path / "t.csv", [
        "区县,地区生产总值,城镇化率,人均可支配收入,常住人口",
        ",万元,%,元/人,（万人）",
        "通川区,\"4,120,000\",78.5,\"38,512\",61.2",
        "达川区,\"3,050,123\",45.1,—,89.0",
        "宣汉县,2980000,40.2,26001,98.7",
        "全市,\"10,150,123\",…,…,249.0",
    ], "gb18030")
    log = CheckLog()
    t = read_yearbook(path, log=log)
    assert t.units_of == {"地区生产总值": "万元", "城镇化率": "%", "人均可支配收入": "元/人", "常住人口": "万人"}
    assert t.frame.index.tolist() == ["通川区", "达川区", "宣汉县"]
    assert t.frame["地区生产总值"].tolist() == [4120000.0, 3050123.0, 2980000.0]
    assert np.isnan(t.frame.loc["达川区", "人均可支配收入"])
    assert t.report["totals"] == ["全市"] and t.report["header_rows"] == 2
    assert t.report["numbers"]["人均可支配收入"]["placeholders"] == {"—": 1}
    assert any(r.check == "encoding" for r in log.records)


def test_utf8_bom_csv_long_layout_with_year_column(tmp_path):
    path = _write_csv(tmp_path / "long.csv", [
        "代码,地区,年份,GDP(亿元),人口(万人)",
        "511702,通川区,2019,400.1,61",
        "511702,通川区,2020年,420.5,61.5",
        "511703,达川区,2019,300,89",
        "511703,达川区,2020,310.25,88.8",
    ], "utf-8-sig")
    t = read_yearbook(path)
    assert t.report["layout"] == "long" and t.years == (2019, 2020)
    assert t.frame.index.names == ["unit", "year"]
    assert t.frame.loc[("511702", 2020), "GDP"] == 420.5
    assert t.units_of == {"GDP": "亿元", "人口": "万人"}
    assert t.at_year(2019)["人口"].to_dict() == {"511702": 61.0, "511703": 89.0}


def test_wide_years_as_columns_mixed_spellings(tmp_path):
    path = _write_csv(tmp_path / "wide.csv", [
        "各区县年末常住人口",
        ",,单位：万人",
        "地区,2019年,2020,2021年末",
        "通川区,60.1,61.0,61.9",
        "达川区,\"1,089.5\",88.0,87.2",
        "注：2020年为普查数。",
    ], "utf-8")
    t = read_yearbook(path)
    assert t.report["layout"] == "wide" and t.years == (2019, 2020, 2021)
    assert list(t.frame.columns) == ["年末常住人口"] and t.units_of == {"年末常住人口": "万人"}
    assert t.frame.loc[("达川区", 2019), "年末常住人口"] == 1089.5
    assert t.frame.loc[("通川区", 2021), "年末常住人口"] == 61.9
    assert read_yearbook(path, year=2020).frame["年末常住人口"].to_dict() == {"通川区": 61.0, "达川区": 88.0}


def test_wide_years_over_indicators_two_header_rows(tmp_path):
    path = _write_csv(tmp_path / "w2.csv", [
        "代码,名称,2019年,,2020年,",
        ",,GDP(亿元),人口(万人),GDP(亿元),人口(万人)",
        "511702,通川区,400,61,420,61.5",
        "511703,达川区,300,89,310,88.8",
    ], "utf-8")
    t = read_yearbook(path)
    assert list(t.frame.columns) == ["GDP", "人口"] and t.years == (2019, 2020)
    assert t.frame.loc[("511703", 2020), "人口"] == 88.8
    assert t.names.loc["511703"] == "达川区"


def test_xlsx_years_as_merged_numbers_over_indicators(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["地区", 2019, None, 2020, None])
    ws.append([None, "GDP", "人口", "GDP", "人口"])
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:C1")
    ws.merge_cells("D1:E1")
    ws.append(["通川区", 400, 61, 420, 61.5])
    wb.save(tmp_path / "y.xlsx")
    t = read_yearbook(tmp_path / "y.xlsx")
    assert t.years == (2019, 2020) and list(t.frame.columns) == ["GDP", "人口"]
    assert t.frame.loc[("通川区", 2020), "人口"] == 61.5 and t.frame.loc[("通川区", 2019), "GDP"] == 400


def test_year_in_the_title_dates_a_cross_section(tmp_path):
    path = _write_csv(tmp_path / "t.csv", ["2020年各区县主要指标", "地区,GDP(亿元)", "通川区,420", "达川区,310"], "utf-8")
    t = read_yearbook(path)
    assert t.years == (2020,) and t.report["year_from_title"] == 2020
    assert t.at_year(2020)["GDP"].tolist() == [420.0, 310.0]


def test_name_join_with_and_without_suffixes(tmp_path):
    units = pd.DataFrame({"name": ["通川区", "达川区", "宣汉县", "开江县"]},
                         index=pd.Index(["511702", "511703", "511722", "511723"], name="code"))
    path = _write_csv(tmp_path / "n.csv", ["地区,GDP", "通川,1", "达川区,2", "宣 汉,3", "万源市,4"], "utf-8")
    t = read_yearbook(path, units=units)
    assert t.frame["GDP"].to_dict() == {"511702": 1.0, "511703": 2.0, "511722": 3.0}
    j = t.report["join"]
    assert j["matched_by"] == "name" and j["unmatched_rows"] == ["万源市"] and j["units_without_row"] == ["511723"]


def test_village_codes_read_as_numbers_lose_nothing(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["村代码", "村名", "户数"])
    ws.append([511702001001, "甲村", 300])
    ws.append([511702001002, "乙村", 250])
    wb.save(tmp_path / "v.xlsx")
    t = read_yearbook(tmp_path / "v.xlsx", id_col="村代码", name_col="村名")
    assert t.frame.index.tolist() == ["511702001001", "511702001002"]
    assert t.frame["户数"].tolist() == [300.0, 250.0]


def test_explicit_header_rows_and_sheet(tmp_path):
    with pd.ExcelWriter(tmp_path / "s.xlsx") as xw:
        pd.DataFrame({"a": [1]}).to_excel(xw, sheet_name="说明", index=False)
        pd.DataFrame({"代码": ["01", "02"], "x(个)": [3, 4]}).to_excel(xw, sheet_name="数据", index=False)
    t = read_yearbook(tmp_path / "s.xlsx", sheet="数据", header_rows=1, id_col="代码")
    assert t.frame["x"].to_dict() == {"01": 3.0, "02": 4.0} and t.units_of == {"x": "个"}


def test_split_unit_variants():
    assert split_unit("人均GDP（元/人）") == ("人均GDP", "元/人")
    assert split_unit("面积(平方公里)") == ("面积", "平方公里")
    assert split_unit("增长率%") == ("增长率", "%")
    assert split_unit("每千人床位数（张）") == ("每千人床位数", "张")
    assert split_unit("地区生产总值(当年价)") == ("地区生产总值(当年价)", None)


# read_indicators takes yearbook tables without changing its plain behaviour


def test_read_indicators_picks_a_year_from_a_wide_yearbook(tmp_path, units_gdf):
    units = units_gdf.set_index("code")
    lines = ["表1 乡镇指标", "代码,收入,,人口,", ",2019年,2020年,2019年,2020年"]
    lines += [f"{c},{10 + i},{20 + i},{i},{i + 0.5}" for i, c in enumerate(units.index)]
    path = _write_csv(tmp_path / "yb.csv", lines, "gb18030")
    out = read_indicators(path, id_col="代码", units=units, year=2020)
    assert list(out.columns) == ["收入", "人口"] and out.index.name == "code"
    assert out["收入"].tolist() == [20.0, 21, 22, 23, 24, 25]
    with pytest.raises(Exception, match="pick one with year="):
        read_indicators(path, id_col="代码", header_rows="auto")


def test_read_indicators_header_rows_on_a_title_table_with_lost_zeros(tmp_path, units_gdf):
    units = units_gdf.set_index("code")
    lines = ["乡镇收入表", "代码,收入(元)"] + [f"{int(c)},{100 * i}" for i, c in enumerate(units.index)] + ["合计,1500"]
    path = _write_csv(tmp_path / "t.csv", lines, "utf-8")
    out = read_indicators(path, id_col="代码", units=units, header_rows="auto", zfill=True)
    assert out["收入"].tolist() == [0.0, 100, 200, 300, 400, 500]


def test_read_indicators_title_without_yearbook_option_says_how(tmp_path):
    path = _write_csv(tmp_path / "t.csv", ["乡镇收入表,", "代码,收入", "01,1"], "utf-8")
    with pytest.raises(OSError, match="header_rows='auto'"):
        read_indicators(path, id_col="代码")


def test_read_indicators_plain_table_unchanged(tmp_path, units_gdf, indicators_frame):
    indicators_frame.to_csv(tmp_path / "ind.csv", index=False)
    out = read_indicators(tmp_path / "ind.csv", id_col="code", units=units_gdf.set_index("code"))
    assert out["income"].tolist() == [10.0, 11, 12, 13, 14, 15]
