"""Bad Chinese data as it comes: each case raises a typed urbanrural error whose message
names the input, the rule and the fix (key words asserted), and never modifies the input."""

from __future__ import annotations

import hashlib

import openpyxl
import pandas as pd
import pytest

from urbanrural.geo.errors import (
    CRSError,
    DataError,
    IdError,
    InputFileError,
    JoinError,
    UnknownNameError,
    UrbanRuralError,
)
from urbanrural.layers import china
from urbanrural.layers.pois import read_pois
from urbanrural.layers.readers import read_indicators
from urbanrural.layers.yearbook import read_yearbook


def _csv(path, lines, encoding="utf-8"):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _refused(call, error, *words):
    """The call raises ``error`` (an UrbanRuralError) whose message holds every word."""
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, UrbanRuralError)
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


def _unchanged(path):
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    return lambda: hashlib.sha256(path.read_bytes()).hexdigest() == before


# POI exports


def test_poi_file_without_coordinates(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,address", "医院,090100,某路"])
    same = _unchanged(p)
    _refused(lambda: read_pois(p), InputFileError, "p.csv", "no coordinate columns", "location", "x=", "y=")
    assert same()


def test_poi_lat_lng_swapped(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "医院,090100,31.21,107.49", "诊所,090300,31.22,107.50"])
    _refused(lambda: read_pois(p), CRSError, "p.csv", "swapped", "x=", "longitude")


def test_poi_location_holding_lat_first(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,location", 'a,090100,"31.21,107.49"'])
    _refused(lambda: read_pois(p), CRSError, "swapped")


def test_poi_coordinates_in_metres(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,x,y", "a,090100,12000000,3600000"])
    _refused(lambda: read_pois(p), CRSError, "not longitude/latitude degrees", "x= longitude")


def test_poi_unknown_source_and_crs(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "a,090100,107.5,31.2"])
    _refused(lambda: read_pois(p, source="google"), UnknownNameError, "google", "amap", "baidu")
    _refused(lambda: read_pois(p, crs="mars"), UnknownNameError, "mars", "gcj02", "bd09", "wgs84")


def test_amap_typecode_column_missing(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,type,lng,lat", "a,医疗保健服务;综合医院,107.5,31.2"])
    _refused(lambda: read_pois(p), InputFileError, "p.csv", "no 'typecode' column", "source='baidu'")


def test_baidu_tag_column_missing(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,lng,lat", "a,107.5,31.2"])
    _refused(lambda: read_pois(p, source="baidu"), InputFileError, "no 'tag'", "医疗;综合医院")


def test_poi_location_not_a_pair(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,location", "a,090100,通川区", 'b,090100,"107.5,31.2"'])
    _refused(lambda: read_pois(p), DataError, "not 'lng,lat' pairs", "row 0", "x= and y=")


def test_poi_text_in_a_coordinate_column(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "a,090100,东经107度,31.2"])
    _refused(lambda: read_pois(p), DataError, "'lng'", "not numbers", "东经107度")


def test_poi_no_category_at_all(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "加油站,010100,107.5,31.2"])
    _refused(lambda: read_pois(p), DataError, "none of its 1 POIs has a category", "mapping=")


def test_poi_unknown_category_filter(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "a,090100,107.5,31.2"])
    _refused(lambda: read_pois(p, categories=["hospitals"]), UnknownNameError, "hospitals", "hospital")


def test_poi_x_without_y(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat", "a,090100,107.5,31.2"])
    _refused(lambda: read_pois(p, x="lng"), InputFileError, "both x=", "y=")


def test_poi_header_only(tmp_path):
    p = _csv(tmp_path / "p.csv", ["name,typecode,lng,lat"])
    _refused(lambda: read_pois(p), InputFileError, "no rows")


# boundaries


def test_ambiguous_district_name():
    _refused(lambda: china.boundaries(district="朝阳区"), UnknownNameError,
             "ambiguous", "110105", "220104", "北京市", "长春市", "province=")


def test_unknown_city_name():
    _refused(lambda: china.boundaries(province="四川", city="达洲"), UnknownNameError, "达州市", "china.names")


def test_village_code_is_not_an_adcode():
    _refused(lambda: china.boundaries(code=511702001001), UnknownNameError, "6-digit adcode", "511702")


# yearbook tables


def test_yearbook_no_year_found(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,GDP", "通川区,1", "达川区,2"])
    same = _unchanged(p)
    _refused(lambda: read_yearbook(p, year=2020), DataError, "y.csv", "no year found", "2019年", "年份")
    _refused(lambda: read_yearbook(p, years="columns"), DataError, "no header holds a year")
    _refused(lambda: read_indicators(p, id_col="地区", year=2020), DataError, "no year found")
    assert same()


def test_yearbook_year_not_in_table(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,2019年,2020年", "通川区,1,2"])
    _refused(lambda: read_yearbook(p, year=2018), DataError, "no year 2018", "2019, 2020")


def test_yearbook_duplicated_unit_rows(tmp_path):
    p = _csv(tmp_path / "y.csv", ["代码,地区,GDP", "511702,通川区,1", "511703,达川区,2", "511702,通川区,1"])
    _refused(lambda: read_yearbook(p), IdError, "y.csv", "duplicated unit", "511702", "delete the repeated rows")


def test_yearbook_duplicated_unit_year_rows(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,年份,GDP", "通川区,2019,1", "通川区,2019,2"])
    _refused(lambda: read_yearbook(p), IdError, "duplicated unit and year", "per year")


def test_yearbook_bad_year_cells(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,年份,GDP", "通川区,2019,1", "达川区,去年,2"])
    _refused(lambda: read_yearbook(p), DataError, "year column '年份'", "not years", "去年")


def test_yearbook_without_header(tmp_path):
    p = _csv(tmp_path / "y.csv", ["511702,1,2", "511703,3,4"])
    _refused(lambda: read_yearbook(p), InputFileError, "no header", "add a header row")


def test_yearbook_without_numbers(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,备注", "通川区,无", "达川区,无"])
    _refused(lambda: read_yearbook(p), InputFileError, "no row holds a number", "header_rows=")


def test_yearbook_unknown_id_column(tmp_path):
    p = _csv(tmp_path / "y.csv", ["区划代码,地区,GDP", "511702,通川区,1"])
    _refused(lambda: read_yearbook(p, id_col="代号"), InputFileError, "no column '代号'", "区划代码")


def test_yearbook_ambiguous_name_in_join(tmp_path):
    units = pd.DataFrame({"name": ["朝阳区", "朝阳区"]}, index=pd.Index(["110105", "220104"]))
    p = _csv(tmp_path / "y.csv", ["地区,GDP", "朝阳区,1"])
    _refused(lambda: read_yearbook(p, units=units), JoinError, "朝阳区", "matches 2 units", "id_col=")


def test_yearbook_codes_matching_no_unit(tmp_path):
    units = pd.DataFrame({"name": ["甲", "乙"]}, index=pd.Index(["110105", "220104"]))
    p = _csv(tmp_path / "y.csv", ["代码,GDP", "999999,1", "888888,2"])
    _refused(lambda: read_yearbook(p, units=units), JoinError, "only 0 of 2 units", "id_col=")


def test_yearbook_values_with_text(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,GDP", "通川区,1", "达川区,2", "宣汉县,约3", "开江县,4"])
    _refused(lambda: read_yearbook(p), DataError, "GDP", "约3", "not numbers")


def test_yearbook_unknown_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "2020"
    wb.save(tmp_path / "y.xlsx")
    _refused(lambda: read_yearbook(tmp_path / "y.xlsx", sheet="2019"), InputFileError, "no sheet '2019'", "2020")


def test_yearbook_header_rows_invalid(tmp_path):
    p = _csv(tmp_path / "y.csv", ["地区,GDP", "通川区,1"])
    _refused(lambda: read_yearbook(p, header_rows=0), UnknownNameError, "header_rows=0", "'auto'")
    _refused(lambda: read_yearbook(p, header_rows=5), InputFileError, "leaves no row")
