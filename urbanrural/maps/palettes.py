"""Conventional palettes and labels for categorical maps (English and Chinese)."""

from __future__ import annotations

LISA = {"HH": "#d7191c", "LL": "#2c7bb6", "LH": "#abd9e9", "HL": "#f4a6b8", "ns": "#e6e6e6"}
LISA_LABELS = {"en": {"HH": "High-High", "LL": "Low-Low", "LH": "Low-High", "HL": "High-Low", "ns": "Not significant"},
               "zh": {"HH": "高-高", "LL": "低-低", "LH": "低-高", "HL": "高-低", "ns": "不显著"}}
GI = {"hot 99%": "#b2182b", "hot 95%": "#ef8a62", "hot 90%": "#fddbc7", "ns": "#e6e6e6",
      "cold 90%": "#d1e5f0", "cold 95%": "#67a9cf", "cold 99%": "#2166ac"}
GI_LABELS = {"en": {k: ("Hot spot " + k[4:] if k.startswith("hot") else "Cold spot " + k[5:] if k.startswith("cold")
                        else "Not significant") for k in GI},
             "zh": {k: ("热点 " + k[4:] if k.startswith("hot") else "冷点 " + k[5:] if k.startswith("cold")
                        else "不显著") for k in GI}}
# GHSL Degree of Urbanisation colours (level 2)
DEGURBA = {30: "#ff0000", 23: "#732600", 22: "#a87000", 21: "#ffff00", 13: "#375623", 12: "#abcd66",
           11: "#cdf57a", 10: "#7ab6f5"}
DEGURBA_LABELS = {"en": {30: "Urban centre", 23: "Dense urban cluster", 22: "Semi-dense urban cluster",
                         21: "Suburban or peri-urban", 13: "Rural cluster", 12: "Low density rural",
                         11: "Very low density rural", 10: "Water"},
                  "zh": {30: "城市中心", 23: "密集城市集群", 22: "半密集城市集群", 21: "郊区或城市边缘", 13: "农村集群",
                         12: "低密度农村", 11: "极低密度农村", 10: "水域"}}
DEGURBA_UNITS = {3: "#ff0000", 2: "#ffaa00", 1: "#73b273"}
DEGURBA_UNITS_LABELS = {"en": {3: "City", 2: "Town or semi-dense area", 1: "Rural area"},
                        "zh": {3: "城市", 2: "城镇与半密集地区", 1: "农村地区"}}
CCD = {1: "#a50026", 2: "#d73027", 3: "#f46d43", 4: "#fdae61", 5: "#fee08b", 6: "#d9ef8b", 7: "#a6d96a",
       8: "#66bd63", 9: "#1a9850", 10: "#006837"}
URBAN_CLASS = {"urban": "#e31a1c", "rural": "#33a02c"}
URBAN_CLASS_LABELS = {"en": {"urban": "Urban", "rural": "Rural"}, "zh": {"urban": "城镇", "rural": "农村"}}
NO_DATA = "#bdbdbd"
NO_DATA_LABEL = {"en": "No data", "zh": "无数据"}
SEQUENTIAL = "YlOrRd"
# why a value is missing (choropleth ``missing_reason``): colour and hatch per reason
MISSING = {"unreachable": ("#4d4d4d", True), "no people": ("#f7f7f7", False)}
MISSING_EXTRA = ("#8c8c8c", "#737373", "#969696", "#636363")
MISSING_LABELS = {"en": {"unreachable": "unreachable", "no people": "no people"},
                  "zh": {"unreachable": "无法到达", "no people": "无人口"}}
