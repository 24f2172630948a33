"""Layout pieces: page sizes, nice scales, labels without collisions, legend columns."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import pytest
import shapely

from urbanrural.geo.errors import DataError
from urbanrural.maps import layout


def test_page_sizes_and_orientation():
    assert layout.page_size("A4", "portrait") == (8.27, 11.69)
    assert layout.page_size("a3", "landscape") == (16.54, 11.69)
    assert layout.page_size((4, 6), "landscape") == (6.0, 4.0)
    with pytest.raises(DataError, match="A4"):
        layout.page_size("B9")
    assert layout.auto_orientation((0, 0, 30, 10)) == "landscape"
    assert layout.auto_orientation((0, 0, 10, 10)) == "portrait"


@pytest.mark.parametrize(("d", "nice"), [(243_117, 250_000), (250_000, 250_000), (1001, 1500), (8_100, 10_000),
                                         (61_000, 75_000)])
def test_nice_denominator(d, nice):
    assert layout.nice_denominator(d) == nice
    assert layout.scale_text(nice) == f"1:{nice:,}"


def test_fit_to_scale_is_exact():
    fig = plt.figure(figsize=(8.27, 11.69))
    try:
        ax = fig.add_axes((0.1, 0.3, 0.8, 0.6))
        d = layout.fit_to_scale(ax, (400_000, 4_300_000, 425_000, 4_330_000))
        assert abs(layout.axes_denominator(ax) / d - 1) < 1e-9
        assert d == layout.nice_denominator(d)
    finally:
        plt.close(fig)


def test_labels_never_overlap_and_stay_in_the_frame():
    geoms = [shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100) for i in range(12) for j in range(12)]
    g = gpd.GeoDataFrame({"name": [f"a rather long village name {i}" for i in range(144)]}, geometry=geoms,
                         crs=32650)
    fig = plt.figure(figsize=(6, 6))
    try:
        ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
        g.plot(ax=ax)
        layout.fit_to_scale(ax, g.total_bounds)
        none, _ = layout.place_labels(ax, g, "name")  # every name is far wider than its unit
        assert none == []
        drawn, skipped = layout.place_labels(ax, g, "name", max_overhang=float("inf"))
        assert drawn and skipped > 0 and len(drawn) + skipped == 144
        r = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(r) for t in drawn]
        frame = ax.get_window_extent(r)
        for i, a in enumerate(boxes):
            assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
            for b in boxes[i + 1:]:
                assert not a.overlaps(b)
        assert all(t.get_fontsize() >= layout.MIN_FONT_PT for t in drawn)
        with pytest.raises(DataError, match="labels='nope'"):
            layout.place_labels(ax, g, "nope")
    finally:
        plt.close(fig)


def test_long_categorical_legend_wraps_into_columns_and_stays_readable():
    fig = plt.figure(figsize=(8.27, 11.69))
    try:
        items = [("#888888", f"category {i}", False) for i in range(40)]
        ax, leg = layout.draw_legend(fig, (0.05, 0.05, 0.9, 0.2), items, title="t")
        assert leg._ncols > 1
        assert min(t.get_fontsize() for t in leg.get_texts()) >= layout.MIN_FONT_PT
        assert [t.get_text() for t in leg.get_texts()] == [f"category {i}" for i in range(40)]
    finally:
        plt.close(fig)
