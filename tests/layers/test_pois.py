"""AMap and Baidu POI exports: coordinates converted exactly, typecodes and tags mapped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbanrural.geo import china as cc
from urbanrural.geo.checks import CheckLog
from urbanrural.layers.pois import poi_table, read_pois

# hand values: GCJ-02 (AMap) and BD-09 (Baidu) coordinates as the services give them
GCJ = {"hosp": (107.497912, 31.213745), "school": (107.501234, 31.210111),
       "elderly": (107.512001, 31.220456), "park": (107.509876, 31.205432),
       "clinic": (107.488888, 31.199999), "bus": (107.495555, 31.215555)}
BD = {"hosp": (107.504321, 31.219876), "kinder": (107.508765, 31.216543), "bank": (107.511111, 31.222222)}


def _amap_rows() -> list[dict]:
    return [
        {"id": "B0FF1", "name": "达州市中心医院", "type": "医疗保健服务;综合医院;三级甲等医院",
         "typecode": "090101", "address": "通川区南外大北街56号", "location": "{:.6f},{:.6f}".format(*GCJ["hosp"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        {"id": "B0FF2", "name": "通川区第一小学", "type": "科教文化服务;学校;小学|科教文化服务;学校;学校",
         "typecode": "141203|141200", "address": "朝阳东路", "location": "{:.6f},{:.6f}".format(*GCJ["school"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        # first code unmapped (公司), second mapped: the first matching one counts
        {"id": "B0FF3", "name": "民康诊所", "type": "公司企业;公司;医药公司|医疗保健服务;诊所;诊所",
         "typecode": "170200|090300", "address": "", "location": "{:.6f},{:.6f}".format(*GCJ["clinic"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        # elderly care has no AMap class: found by name
        {"id": "B0FF4", "name": "通川区敬老院", "type": "生活服务;生活服务场所;生活服务场所",
         "typecode": "070000", "address": "", "location": "{:.6f},{:.6f}".format(*GCJ["elderly"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        # a hospital car park: transport class, never mapped by name
        {"id": "B0FF5", "name": "达州市中心医院停车场", "type": "交通设施服务;停车场;公共停车场",
         "typecode": "150904", "address": "", "location": "{:.6f},{:.6f}".format(*GCJ["park"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        {"id": "B0FF6", "name": "西外公交站", "type": "交通设施服务;公交车站;普通公交站",
         "typecode": "150702", "address": "", "location": "{:.6f},{:.6f}".format(*GCJ["bus"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        # no coordinates: dropped and counted
        {"id": "B0FF7", "name": "无坐标药房", "type": "医疗保健服务;医药保健销售店;药房",
         "typecode": "090601", "address": "", "location": "",
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
        # the same POI twice (overlapping crawl tiles): dropped and counted
        {"id": "B0FF1", "name": "达州市中心医院", "type": "医疗保健服务;综合医院;三级甲等医院",
         "typecode": "090101", "address": "通川区南外大北街56号", "location": "{:.6f},{:.6f}".format(*GCJ["hosp"]),
         "pname": "四川省", "cityname": "达州市", "adname": "通川区"},
    ]


@pytest.fixture
def amap_csv(tmp_path):
    """An AMap export in UTF-8 with BOM: one "lng,lat" location column, |-joined codes."""
    path = tmp_path / "amap_pois.csv"
    pd.DataFrame(_amap_rows()).to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.fixture
def baidu_csv(tmp_path):
    """A Baidu export in GB18030 with BD-09 lat/lng columns and tags."""
    path = tmp_path / "baidu_pois.csv"
    pd.DataFrame({"uid": ["u1", "u2", "u3", "u4"],
                  "name": ["达州市第二人民医院", "金苹果幼儿园", "中国农业银行(西外支行)", "某某广场"],
                  "lat": ["{:.6f}".format(BD["hosp"][1]), "{:.6f}".format(BD["kinder"][1]), "{:.6f}".format(BD["bank"][1]), "31.2"],
                  "lng": ["{:.6f}".format(BD["hosp"][0]), "{:.6f}".format(BD["kinder"][0]), "{:.6f}".format(BD["bank"][0]), "107.5"],
                  "tag": ["医疗;综合医院", "教育培训;幼儿园", "金融;银行", "购物;购物中心"],
                  "address": ["通川区", "西外", "西外", ""]}).to_csv(path, index=False, encoding="gb18030")
    return path


def _gcj_back(gdf: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return cc.wgs84_to_gcj02(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())


def test_amap_location_column_codes_and_counts(amap_csv):
    log = CheckLog()
    g = read_pois(amap_csv, log=log)
    assert g.crs.to_epsg() == 4326
    assert g.index.tolist() == ["amap_pois-0", "amap_pois-1", "amap_pois-2", "amap_pois-3", "amap_pois-5"]
    assert g["category"].tolist() == ["hospital", "school", "clinic", "elderly_care", "bus_stop"]
    assert g["typecode"].tolist() == ["090101", "141203", "090300", "070000", "150702"]
    assert g.loc["amap_pois-0", "address"] == "通川区南外大北街56号"
    assert g["capacity"].isna().all()
    # converting back to GCJ-02 gives the hand values
    bx, by = _gcj_back(g)
    for (x, y), key in zip(zip(bx, by, strict=True), ["hosp", "school", "clinic", "elderly", "bus"], strict=True):
        assert abs(x - GCJ[key][0]) < 1e-6 and abs(y - GCJ[key][1]) < 1e-6
    # WGS 84 lies west and south of GCJ-02 here by a few hundred metres
    assert 0.001 < GCJ["hosp"][0] - g.geometry.x.iloc[0] < 0.01
    recs = {(r.check, r.status): r for r in log.records}
    assert recs[("coordinates", "dropped")].count == 1
    assert recs[("duplicate POIs", "dropped")].count == 1
    unmapped = recs[("unmapped POIs", "dropped")]
    assert unmapped.count == 1 and "150904" in unmapped.detail
    assert recs[("categories by name", "info")].detail.startswith("elderly_care x1")


def test_amap_gb18030_lng_lat_columns_and_codes_that_lost_their_zero(tmp_path):
    path = tmp_path / "amap.csv"
    pd.DataFrame({"name": ["卫生院", "邮局", "银行"], "typecode": [90102, 70400, 160105],
                  "lng": [GCJ["hosp"][0], GCJ["school"][0], GCJ["bus"][0]],
                  "lat": [GCJ["hosp"][1], GCJ["school"][1], GCJ["bus"][1]]}).to_csv(
        path, index=False, encoding="gb18030")
    log = CheckLog()
    g = read_pois(path, log=log)
    assert g["category"].tolist() == ["health_center", "post_office", "bank"]
    assert g["typecode"].tolist() == ["090102", "070400", "160105"]
    assert any(r.check == "typecode" and r.count == 2 for r in log.records)
    assert any(r.check == "encoding" for r in log.records)
    bx, by = _gcj_back(g)
    assert np.allclose(bx, [GCJ["hosp"][0], GCJ["school"][0], GCJ["bus"][0]], atol=1e-6, rtol=0)
    assert np.allclose(by, [GCJ["hosp"][1], GCJ["school"][1], GCJ["bus"][1]], atol=1e-6, rtol=0)


def test_amap_xlsx_with_named_columns(tmp_path):
    path = tmp_path / "amap.xlsx"
    pd.DataFrame({"名称": ["图书馆", "文化宫"], "typecode": ["140500", "140800"],
                  "GCJ经度": [GCJ["hosp"][0], GCJ["bus"][0]], "GCJ纬度": [GCJ["hosp"][1], GCJ["bus"][1]]}).to_excel(
        path, index=False)
    g = read_pois(path, x="GCJ经度", y="GCJ纬度")
    assert g["category"].tolist() == ["culture", "culture"] and g["name"].tolist() == ["图书馆", "文化宫"]
    bx, by = _gcj_back(g)
    assert abs(bx[1] - GCJ["bus"][0]) < 1e-6 and abs(by[1] - GCJ["bus"][1]) < 1e-6


def test_baidu_bd09_tags(baidu_csv):
    log = CheckLog()
    g = read_pois(baidu_csv, source="baidu", log=log)
    assert g["category"].tolist() == ["hospital", "kindergarten", "bank"]
    assert g["type"].tolist() == ["医疗;综合医院", "教育培训;幼儿园", "金融;银行"]
    bx, by = cc.wgs84_to_bd09(g.geometry.x.to_numpy(), g.geometry.y.to_numpy())
    for x, y, key in zip(bx, by, ["hosp", "kinder", "bank"], strict=True):
        assert abs(x - BD[key][0]) < 1e-6 and abs(y - BD[key][1]) < 1e-6
    assert any(r.check == "unmapped POIs" and r.count == 1 and "购物中心" in r.detail for r in log.records)


def test_crs_wgs84_keeps_coordinates(baidu_csv):
    g = read_pois(baidu_csv, source="baidu", crs="wgs84")
    assert abs(g.geometry.x.iloc[0] - BD["hosp"][0]) < 1e-9


def test_categories_filter_and_mapping_override(amap_csv):
    log = CheckLog()
    g = read_pois(amap_csv, categories=["hospital", "clinic"], log=log)
    assert g["category"].tolist() == ["hospital", "clinic"]
    assert any(r.check == "other categories" and r.count == 3 for r in log.records)
    g2 = read_pois(amap_csv, mapping={"150904": "parking", "090100": "general_hospital"})
    assert g2["category"].tolist()[:1] == ["general_hospital"] and "parking" in g2["category"].tolist()


def test_location_given_as_x_and_y_and_keyed_pairs(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame({"name": ["a", "b"], "tag": ["医疗;诊所", "生活服务;邮局"],
                  "pos": ["{{'lat': {:.6f}, 'lng': {:.6f}}}".format(BD["hosp"][1], BD["hosp"][0]),
                          "({:.6f}, {:.6f})".format(*BD["bank"])]}).to_csv(path, index=False)
    g = read_pois(path, source="baidu", x="pos", y="pos")
    assert g["category"].tolist() == ["clinic", "post_office"]
    bx, by = cc.wgs84_to_bd09(g.geometry.x.to_numpy(), g.geometry.y.to_numpy())
    assert abs(bx[0] - BD["hosp"][0]) < 1e-6 and abs(by[1] - BD["bank"][1]) < 1e-6


def test_table_is_documented_and_consistent():
    t = poi_table()
    cats = set(t["categories"])
    used = {v["category"] for v in t["amap"]["typecodes"].values() if v["category"] is not None}
    used |= {r["category"] for r in t["baidu"]["tags"]} | {r["category"] for r in t["names"]}
    assert used <= cats
    assert all(len(k) == 6 and k.isdigit() for k in t["amap"]["typecodes"])
    assert t["amap"]["typecodes"]["090100"]["zh"] == "综合医院"
