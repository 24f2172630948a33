import geopandas as gpd
import pytest
import shapely

from urbanrural.geo.checks import CheckLog
from urbanrural.geo.crs import (
    check_area_of_use,
    choose_analysis_crs,
    parse_crs,
    require_crs,
    require_projected,
    require_same_crs,
    to_analysis_crs,
)
from urbanrural.geo.errors import CRSError


def pts(xy, crs=None):
    return gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in xy], crs=crs)


def test_missing_crs_is_refused_with_the_fix():
    with pytest.raises(CRSError, match=r"has no CRS; pass crs="):
        require_crs(pts([(116, 39)]), name="pts.shp")


def test_declared_crs_is_used_and_logged():
    log = CheckLog()
    g = require_crs(pts([(116, 39)]), name="pts.shp", crs="EPSG:4326", log=log)
    assert g.crs.to_epsg() == 4326
    assert any("declared" in r.detail for r in log.records)


def test_declared_crs_conflicting_with_file_is_refused():
    with pytest.raises(CRSError, match="already has CRS EPSG:4326"):
        require_crs(pts([(116, 39)], 4326), name="a.gpkg", crs="EPSG:4547")


def test_swapped_lat_lon_detected():
    with pytest.raises(CRSError, match="wrong order"):
        check_area_of_use(pts([(39.9, 116.4)], 4326), name="pts")


def test_metres_labelled_as_degrees_detected():
    with pytest.raises(CRSError, match="look like projected metres"):
        check_area_of_use(pts([(450_000, 4_400_000)], 4326), name="pts")


def test_degrees_labelled_as_utm_detected():
    with pytest.raises(CRSError, match="look like degrees"):
        check_area_of_use(pts([(116.4, 39.9)], 32650), name="pts")


def test_projected_extent_outside_area_of_use_detected():
    # UTM 50N coordinates labelled as UTM zone 18N (eastern US) land far outside it.
    with pytest.raises(CRSError, match="area of use"):
        check_area_of_use(pts([(450_000, 4_400_000)], 2263), name="pts")


def test_plausible_layers_pass():
    check_area_of_use(pts([(116.4, 39.9)], 4326), name="pts")
    check_area_of_use(pts([(450_000, 4_400_000)], 32650), name="pts")


@pytest.mark.parametrize("lon, lat, epsg", [(116.4, 39.9, 32650), (-3.7, 40.4, 32630), (151.2, -33.9, 32756)])
def test_auto_crs_is_the_utm_zone(lon, lat, epsg):
    assert choose_analysis_crs(pts([(lon, lat)], 4326)).to_epsg() == epsg


def test_user_analysis_crs_must_be_projected():
    with pytest.raises(CRSError, match="geographic"):
        choose_analysis_crs(pts([(116, 39)], 4326), "EPSG:4326")
    assert choose_analysis_crs(pts([(116, 39)], 4326), "EPSG:4547").to_epsg() == 4547


def test_distances_in_lat_lon_are_refused():
    with pytest.raises(CRSError, match="degrees are meaningless"):
        require_projected("EPSG:4326", name="units")
    with pytest.raises(CRSError, match="not metres"):
        require_projected("EPSG:2263", name="units")  # US feet


def test_mixed_crs_refused_with_fix():
    with pytest.raises(CRSError, match=r"to_crs"):
        require_same_crs(pts([(116, 39)], 4326), pts([(4e5, 4.3e6)], 32650), names=("units", "roads"))


def test_bad_crs_text():
    with pytest.raises(CRSError, match="not a CRS"):
        parse_crs("EPSG:99999999")


def test_reprojection_is_logged_and_input_unchanged():
    g = pts([(116.4, 39.9)], 4326)
    log = CheckLog()
    out = to_analysis_crs(g, parse_crs(32650), name="pts", log=log)
    assert out.crs.to_epsg() == 32650 and g.crs.to_epsg() == 4326
    assert "reprojected EPSG:4326 -> EPSG:32650" in log.records[0].detail
