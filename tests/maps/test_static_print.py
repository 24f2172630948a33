"""Print layouts: page size, TrueType fonts in PDF, SVG text, legend, Chinese glyphs,
numeric scale, labels, small multiples."""

from __future__ import annotations

import io
import logging
import re
import zlib

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from urbanrural.maps import fonts, layout, static

ZH_TITLE = "到医院出行时间（分钟）"


def _pdf_fonts(data: bytes) -> tuple[set[bytes], list[bytes]]:
    """Font subtypes and the decompressed embedded TrueType programs of a PDF."""
    subtypes = set(re.findall(rb"/Subtype\s*/(Type3|TrueType|Type0|CIDFontType2|CIDFontType0|Type1)", data))
    programs = []
    for m in re.finditer(rb"/FontFile2\s+(\d+)\s+0\s+R", data):
        obj = re.search(rb"\n" + m.group(1) + rb"\s+0\s+obj(.*?)stream\r?\n", data, re.S)
        start = obj.end()
        end = data.index(b"endstream", start)
        raw = data[start:end]
        programs.append(zlib.decompress(raw) if b"FlateDecode" in obj.group(1) else raw)
    return subtypes, programs


def test_png_is_an_a4_page_at_the_dpi(grid_units, tmp_path):
    p = static.static_map(grid_units, "value", tmp_path / "v.png", title="Value", k=4, dpi=100)
    with Image.open(p) as im:
        assert im.size == (827, 1169) and round(im.info["dpi"][0]) == 100
    p = static.static_map(grid_units, "value", tmp_path / "l.png", title="Value", k=4, dpi=72, page="A3",
                          orientation="landscape")
    with Image.open(p) as im:
        assert abs(im.size[0] - 16.54 * 72) <= 1 and abs(im.size[1] - 11.69 * 72) <= 1


def test_pdf_is_a4_with_truetype_fonts_and_no_type3(grid_units, tmp_path):
    p = static.static_map(grid_units, "value", tmp_path / "v.pdf", title=ZH_TITLE, language="zh",
                          source="县统计局 2024")
    data = p.read_bytes()
    box = [float(x) for x in re.search(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", data).group(1).split()]
    assert round(box[2]) == 595 and round(box[3]) == 842
    subtypes, programs = _pdf_fonts(data)
    assert b"Type3" not in subtypes and b"CIDFontType2" in subtypes and programs
    cjk = 0
    for prog in programs:  # real TrueType outlines, not CFF in a TrueType slot
        assert prog[:4] in (b"\x00\x01\x00\x00", b"true"), prog[:4]
        with TTFont(io.BytesIO(prog)) as f:
            assert "glyf" in f and "CFF " not in f
            cjk += f["name"].getBestFamilyName().startswith("urbanrural CJK")
    found = fonts.find_cjk_font()
    if found is not None:  # the Chinese glyphs come from the TrueType subset (and its bold twin)
        assert cjk == (2 if found.bold is not None else 1)


def test_svg_keeps_text_as_text_or_paths_on_request(grid_units, tmp_path):
    svg = static.static_map(grid_units, "value", tmp_path / "t.svg", title=ZH_TITLE, language="zh",
                            source="县统计局 2024").read_text(encoding="utf-8")
    assert "<text" in svg and ZH_TITLE in svg and "县统计局 2024" in svg
    svg2 = static.static_map(grid_units, "value", tmp_path / "p.svg", title=ZH_TITLE, language="zh",
                             svg_text=False).read_text(encoding="utf-8")
    assert "<text" not in svg2


def test_legend_entries_in_a_panel_off_the_map_and_readable(grid_units):
    with static.font_context("en"):
        fig, info = static.map_figure(grid_units, "value", title="Value", k=4, context={"boundary": True})
    try:
        assert len(info.legend_texts) == 4 + 2  # 4 classes, no data, boundary
        assert "No data" in info.legend_texts and "Boundary" in info.legend_texts
        assert info.legend_fontsize >= layout.MIN_FONT_PT
        r = fig.canvas.get_renderer()
        leg = info.legend_axes.get_legend().get_window_extent(r)
        assert not leg.overlaps(info.map_axes[0].get_window_extent(r))
        texts = [t.get_text() for t in fig.texts]
        assert not any("urbanrural" in t for t in texts)  # no made-up source line
    finally:
        plt.close(fig)


def test_source_subtitle_date_lines(grid_units):
    with static.font_context("zh"):
        fig, _info = static.map_figure(grid_units, "value", title=ZH_TITLE, subtitle="示范县", language="zh",
                                       source="县统计局 2024", date="2024-12")
    try:
        texts = "\n".join(t.get_text() for t in fig.texts)
        assert "示范县" in texts and "数据来源: 县统计局 2024" in texts and "日期: 2024-12" in texts
    finally:
        plt.close(fig)


def test_chinese_has_no_missing_glyphs(grid_units, tmp_path, caplog):
    if fonts.find_cjk_font() is None:
        pytest.skip(fonts.INSTALL_HINT)
    g = grid_units.assign(name=[f"乡镇{i}" for i in range(25)])
    with caplog.at_level(logging.WARNING, logger="urbanrural"):
        for suffix in (".png", ".pdf", ".svg"):
            static.static_map(g, "value", tmp_path / f"zh{suffix}", title=ZH_TITLE, language="zh", labels="name",
                              subtitle="示范县 2024", source="县统计局 2024", legend_title="出行时间（分钟）", dpi=80)
    assert "no glyph" not in caplog.text
    # the rendered Chinese is not the missing-glyph box: compare with a character no font has
    def ink(text: str) -> np.ndarray:
        with static.font_context("zh"), __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore")  # the box glyph warns, as it should
            fig = plt.figure(figsize=(1, 0.5), dpi=100)
            fig.text(0.1, 0.3, text, fontsize=20)
            fig.canvas.draw()
            a = np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()
            plt.close(fig)
        return a

    tofu = ink("\ue000")
    assert not np.array_equal(ink("县"), tofu) and not np.array_equal(ink("县"), ink("乡"))


def test_numeric_scale_matches_the_map(grid_units):
    with static.font_context("en"):
        fig, info = static.map_figure(grid_units, "value", title="t", graticule=True, inset=True)
    try:
        real = layout.axes_denominator(info.map_axes[0])
        assert abs(real / info.denominator - 1) < 1e-6
        assert info.scale_label == f"1:{info.denominator:,}"
        assert info.denominator == layout.nice_denominator(info.denominator)
        assert any(info.scale_label in t.get_text() for t in fig.texts)
        assert info.inset_axes is not None
    finally:
        plt.close(fig)


def test_wide_map_turns_landscape(grid_units):
    wide = grid_units.copy()
    wide["geometry"] = wide.geometry.scale(4, 1, origin=(400_000, 4_300_000))
    with static.font_context("en"):
        fig, info = static.map_figure(wide, "lisa_value", title="t")
    plt.close(fig)
    assert info.orientation == "landscape" and info.size_in == (11.69, 8.27)


def test_unit_labels_do_not_collide(grid_units):
    g = grid_units.assign(name=[f"a long township name {i}" for i in range(25)])
    with static.font_context("en"):
        fig, info = static.map_figure(g, "value", title="t", labels="name")
    try:
        r = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(r) for t in info.labels_drawn]
        assert boxes and info.labels_skipped > 0
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    finally:
        plt.close(fig)


def test_small_multiples_share_classes(grid_units, tmp_path):
    from urbanrural.maps.interactive import Classes

    g = grid_units.assign(v2=grid_units["value"] * 2)
    path, info = static.small_multiples(g, ["value", "v2"], tmp_path / "sm.png", title="t", k=4, dpi=60,
                                        titles={"value": "2020", "v2": "2024"}, _return_info=True)
    pooled = Classes(pd.Series(np.concatenate([g["value"], g["v2"]])), k=4)
    assert info.bins == [float(b) for b in pooled.bins]
    assert len(info.map_axes) == 2 and "No data" in info.legend_texts
    assert {a.get_title() for a in info.map_axes} == {"2020", "2024"}
    with Image.open(path) as im:
        assert im.size[0] > 0
