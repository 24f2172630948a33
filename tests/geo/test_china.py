"""Chinese map-service coordinates against published reference pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from urbanrural.geo import china

# Reference values printed in wandergis/coordtransform's test/app.js (JavaScript, an
# independent implementation), for the input (116.404, 39.915).
REF_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
REF_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
REF_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)
REF_GCJ_TO_WGS_ONE_STEP = (116.39775550083061, 39.91359571849836)  # their approximate inverse


def test_forward_transforms_match_reference():
    np.testing.assert_allclose(china.wgs84_to_gcj02(116.404, 39.915), REF_WGS_TO_GCJ, rtol=0, atol=1e-12)
    np.testing.assert_allclose(china.gcj02_to_bd09(116.404, 39.915), REF_GCJ_TO_BD, rtol=0, atol=1e-12)


def test_bd09_inverse_close_to_reference_one_step():
    # Their bd09->gcj02 is a one-step inverse; ours iterates, so agreement is ~1e-6 deg.
    np.testing.assert_allclose(china.bd09_to_gcj02(116.404, 39.915), REF_BD_TO_GCJ, rtol=0, atol=2e-6)


def test_gcj02_inverse_is_exact_where_one_step_is_not():
    lon, lat = china.gcj02_to_wgs84(116.404, 39.915)
    # the one-step inverse is off by a few metres; ours round-trips to < 1e-9 degree
    np.testing.assert_allclose((lon, lat), REF_GCJ_TO_WGS_ONE_STEP, rtol=0, atol=5e-5)
    np.testing.assert_allclose(china.wgs84_to_gcj02(lon, lat), (116.404, 39.915), rtol=0, atol=1e-9)


def test_offset_is_hundreds_of_metres_in_china_and_zero_outside():
    lon, lat = china.wgs84_to_gcj02(np.array([116.4, 2.35]), np.array([39.9, 48.85]))  # Beijing, Paris
    assert 1e-3 < abs(lon[0] - 116.4) < 1e-2
    assert lon[1] == 2.35 and lat[1] == 48.85


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="same shape"):
        china.wgs84_to_gcj02([1.0, 2.0], [1.0])


@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_round_trips(lon, lat):
    np.testing.assert_allclose(china.gcj02_to_wgs84(*china.wgs84_to_gcj02(lon, lat)), (lon, lat), atol=1e-9)
    np.testing.assert_allclose(china.bd09_to_wgs84(*china.wgs84_to_bd09(lon, lat)), (lon, lat), atol=1e-9)
