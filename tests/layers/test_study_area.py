import geopandas as gpd
import pytest
import shapely
from _support import X0, Y0

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.errors import CRSError
from urbanrural.layers import StudyArea


@pytest.fixture
def units(units_gdf):
    return units_gdf.set_index("code").to_crs(4326)


def test_auto_crs_and_reprojection(units):
    area = StudyArea.build(units)
    assert area.crs.to_epsg() == 32650 and area.source_crs.to_epsg() == 4326
    assert area.area_km2.sum() == pytest.approx(24.0, rel=1e-3)


def test_facilities_outside_counted_kept_or_dropped(units):
    fac = gpd.GeoDataFrame({"category": ["a", "a"], "capacity": [1.0, 2.0]},
                           geometry=[shapely.Point(X0 + 100, Y0 + 100), shapely.Point(X0 - 5000, Y0)],
                           crs=32650, index=["f0", "f1"])
    log = CheckLog()
    kept = StudyArea.build(units, facilities=fac, log=log)
    assert len(kept.facilities) == 2
    assert any(r.check == "outside the units" and r.count == 1 for r in log.records)
    dropped = StudyArea.build(units, facilities=fac, facilities_outside="drop")
    assert dropped.facilities.index.tolist() == ["f0"]


def test_layer_in_wrong_crs_detected(units):
    # UTM metres of another zone: far from the units once reprojected
    fac = gpd.GeoDataFrame({"category": ["a"], "capacity": [1.0]},
                           geometry=[shapely.Point(X0, Y0)], crs=32633)
    with pytest.raises(CRSError, match="none of the 1 facilities lies inside"):
        StudyArea.build(units, facilities=fac)
