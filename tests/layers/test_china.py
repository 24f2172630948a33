"""China's boundaries by every route: adcode (int/str), names with and without suffixes."""

from __future__ import annotations

import pytest

from urbanrural.geo.errors import DataError, UnknownNameError
from urbanrural.layers import china


@pytest.mark.parametrize("code", [510000, "510000"])
def test_province_by_adcode_int_or_text(code):
    g = china.boundaries(code=code, level="province")
    assert g.index.tolist() == ["510000"] and g["name"].iloc[0] == "四川省"
    assert g.crs.to_epsg() == 4326


def test_province_adcode_in_place_of_a_name_gives_its_districts():
    by_code = china.names("district", province="510000")
    by_name = china.names("district", province="四川")
    assert by_code.index.equals(by_name.index) and len(by_code) > 150
    assert by_code.index.str.startswith("51").all()


def test_city_by_adcode_and_by_name_with_and_without_suffix():
    expected = ["511702", "511703", "511722", "511723", "511724", "511725", "511781"]
    assert china.names("district", code=511700).index.tolist() == expected
    assert china.names("district", city="达州").index.tolist() == expected
    assert china.names("district", province="四川省", city="达州市").index.tolist() == expected
    g = china.boundaries(code="511700", level="city")
    assert g.index.tolist() == ["511700"] and g["province"].iloc[0] == "四川省"


@pytest.mark.parametrize("kwargs", [{"code": 511702}, {"code": "511702"}, {"district": "通川"},
                                    {"district": "通川区"}, {"city": "达州", "district": "通川"},
                                    {"province": "四川", "district": "511702"}])
def test_district_every_route(kwargs):
    g = china.boundaries(**kwargs)
    assert g.index.tolist() == ["511702"]
    assert g.loc["511702", ["name", "province", "city", "level"]].tolist() == ["通川区", "四川省", "达州市", "district"]
    # Tongchuan lies near 107.5E 31.2N
    c = g.geometry.iloc[0].centroid
    assert 107.2 < c.x < 107.8 and 31.0 < c.y < 31.5


@pytest.mark.parametrize("name,code", [("凉山", "513400"), ("凉山彝族自治州", "513400"),
                                       ("阿拉善", "152900"), ("大兴安岭", "232700"), ("湘西", "433100")])
def test_autonomous_prefectures_leagues_and_regions(name, code):
    assert china.names("city", city=name).index.tolist() == [code]


@pytest.mark.parametrize("name,code", [("浦东", "310115"), ("浦东新区", "310115"), ("和县", "340523"),
                                       ("额济纳", "152923"), ("峨边", "511132")])
def test_district_suffixes_new_areas_banners_and_autonomous_counties(name, code):
    assert china.names("district", district=name).index.tolist() == [code]


def test_exact_name_preferred_over_suffix_free_match():
    # 朝阳 matches 朝阳区 (x2) and 朝阳县 once suffixes go; with the province the exact one wins
    assert china.names("district", province="辽宁", district="朝阳县").index.tolist() == ["211321"]
    assert china.names("district", province="北京", district="朝阳").index.tolist() == ["110105"]
    assert china.names("city", city="朝阳").index.tolist() == ["211300"]


def test_ambiguous_district_lists_candidates_with_codes_and_parents():
    with pytest.raises(UnknownNameError, match="ambiguous") as err:
        china.boundaries(district="朝阳区")
    msg = str(err.value)
    assert "110105" in msg and "220104" in msg and "北京市" in msg and "长春市" in msg
    assert "code=" in msg


def test_unknown_name_suggests_close_matches_and_how_to_list():
    with pytest.raises(UnknownNameError, match=r"did you mean.*达州市") as err:
        china.boundaries(province="四川", city="达洲")
    assert "china.names(level='city'" in str(err.value)


def test_name_in_the_wrong_province_says_where_it_is():
    with pytest.raises(UnknownNameError, match=r"保定市 \(130600, 河北省\)"):
        china.boundaries(province="四川", city="保定")


def test_unknown_and_malformed_codes():
    with pytest.raises(UnknownNameError, match="no area with adcode 519999.*5101"):
        china.boundaries(code=519999)
    with pytest.raises(UnknownNameError, match="6-digit adcode.*first six digits are '511702'"):
        china.boundaries(code="511702001")
    with pytest.raises(UnknownNameError, match="not an adcode"):
        china.boundaries(code="通川")


def test_level_above_the_chosen_area_refused():
    with pytest.raises(DataError, match="holds no city boundaries"):
        china.boundaries(code=511702, level="city")
    with pytest.raises(UnknownNameError, match="level 'county' is not one of"):
        china.boundaries(province="四川", level="county")


def test_code_and_names_must_agree():
    with pytest.raises(UnknownNameError, match="no area with adcode 511702 inside 河北省"):
        china.boundaries(province="河北", code=511702)


def test_municipalities_and_cities_without_districts():
    assert china.names("district", province="重庆").index.str.startswith("50").all()
    assert china.names("city", code=500000).index.tolist() == ["500000"]
    assert china.names("district", city="东莞").index.tolist() == ["441900"]
    assert china.names("district", code=110000).index.str.startswith("1101").all()


def test_strip_suffix():
    assert china.strip_suffix("保亭黎族苗族自治县") == "保亭"
    assert china.strip_suffix("内蒙古自治区") == "内蒙古"
    assert china.strip_suffix("锡林郭勒盟") == "锡林郭勒"
    assert china.strip_suffix("沙市区") == "沙市"
