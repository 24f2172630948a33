"""CJK font discovery: a font is found, covers Chinese, and PDFs get a TrueType subset."""

from __future__ import annotations

import logging

import pytest
from fontTools.ttLib import TTFont

from urbanrural.maps import fonts

ZH = "到医院出行时间（分钟）县统计局无数据"


@pytest.fixture
def cjk():
    font = fonts.find_cjk_font()
    if font is None:
        pytest.skip(f"no CJK font on this machine; {fonts.INSTALL_HINT}")
    return font


def test_found_font_covers_chinese_and_is_the_fallback(cjk):
    assert fonts.family("zh") == [fonts.BASE_FAMILY, cjk.family]
    assert fonts.missing_glyphs(ZH + " 1:250,000 km") == set()
    assert fonts.missing_glyphs("\ue000") == {"\ue000"}  # a private-use character nobody draws


def test_truetype_subset_for_pdf_has_glyf_outlines_and_the_characters(cjk):
    fam = fonts.truetype_fallback(ZH + "abc")
    assert fam and fam.startswith("urbanrural CJK")
    path, name = fonts._truetype_subset(str(cjk.path), cjk.index, "".join(sorted(set(ZH))))
    with TTFont(path) as f:
        assert "glyf" in f and "CFF " not in f
        assert {ord(c) for c in ZH} <= set(f.getBestCmap())
        assert f["name"].getBestFamilyName() == name
    assert fonts.truetype_fallback("abc") is None  # DejaVu has Latin: no subset needed


def test_env_font_that_is_not_a_font_is_reported_and_skipped(tmp_path, monkeypatch, caplog):
    bad = tmp_path / "x.ttf"
    bad.write_bytes(b"not a font")
    monkeypatch.setenv("URBANRURAL_CJK_FONT", str(bad))
    fonts.find_cjk_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="urbanrural"):
            found = fonts.find_cjk_font()
        assert "URBANRURAL_CJK_FONT" in caplog.text
        assert found is None or found.path != bad
    finally:
        fonts.find_cjk_font.cache_clear()


def test_no_cjk_font_warns_with_install_hint(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="urbanrural"):
        assert fonts.family("zh") == [fonts.BASE_FAMILY]
        assert fonts.family("en") == [fonts.BASE_FAMILY]
    assert "pylopdf-fonts-zh-cn" in caplog.text and "fonts-noto-cjk" in caplog.text


def test_system_font_found_without_the_extra(monkeypatch):
    """Without the packaged font a system CJK font (fonts-noto-cjk here) is used."""
    monkeypatch.delenv("URBANRURAL_CJK_FONT", raising=False)
    monkeypatch.setattr(fonts, "_PACKAGED", ())
    fonts.find_cjk_font.cache_clear()
    try:
        found = fonts.find_cjk_font()
        if found is None:
            pytest.skip("no system CJK font")
        assert found.origin in ("system", "fontconfig") and fonts._covers(found.path, found.index, ZH)
    finally:
        fonts.find_cjk_font.cache_clear()


def _ink(text: str, weight: str) -> int:
    """Dark pixels of ``text`` drawn at 40 pt with the map's font family list."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    with plt.rc_context({"font.family": fonts.family("zh")}):
        fig = plt.figure(figsize=(4, 1), dpi=100)
        fig.text(0.02, 0.2, text, fontsize=40, fontweight=weight)
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        plt.close(fig)
    return int((img.mean(axis=2) < 128).sum())


def test_bold_chinese_title_picks_a_bold_face(cjk):
    if cjk.bold is None:
        pytest.skip("no bold face of the CJK fallback's design here (pylopdf-fonts-zh-cn ships Regular only); "
                    "apt-get install fonts-noto-cjk or set URBANRURAL_CJK_FONT_BOLD")
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    bold = FontProperties(family=fonts.family("zh"), weight="bold")
    picked = [str(p) for p in font_manager.fontManager._find_fonts_by_props(bold)]
    assert str(cjk.bold.path) in picked  # the fallback for bold text is the bold face
    assert fonts._face_weight(cjk.bold.path, cjk.bold.index) >= 600 and fonts._covers(cjk.bold.path, cjk.bold.index, ZH)
    regular = FontProperties(family=fonts.family("zh"))
    assert str(cjk.path) in [str(p) for p in font_manager.fontManager._find_fonts_by_props(regular)]
    # drawn: the bold title has clearly more ink than the regular one
    assert _ink("县统计局", "bold") > 1.15 * _ink("县统计局", "normal")
    # PDF: asked for, the TrueType subset family has a bold member too
    fam = fonts.truetype_fallback(ZH, bold=True)
    path = font_manager.findfont(FontProperties(family=fam, weight="bold"), fallback_to_default=False)
    with TTFont(path) as f:
        assert f["OS/2"].usWeightClass >= 600 and {ord(c) for c in ZH} <= set(f.getBestCmap())
        assert f["name"].getBestFamilyName() == fam and f["name"].getDebugName(6).endswith("-Bold")
    regular_path = font_manager.findfont(FontProperties(family=fam), fallback_to_default=False)
    assert regular_path != path


def test_without_a_bold_face_bold_chinese_is_drawn_regular(monkeypatch):
    monkeypatch.delenv("URBANRURAL_CJK_FONT_BOLD", raising=False)
    monkeypatch.setattr(fonts, "_find_bold", lambda font: None)
    fonts.find_cjk_font.cache_clear()
    try:
        found = fonts.find_cjk_font()
        if found is None:
            pytest.skip("no CJK font")
        assert found.bold is None
        assert _ink("县统计局", "bold") > 0  # drawn (in the regular face), not boxes or an error
    finally:
        fonts.find_cjk_font.cache_clear()


def test_bold_companion_only_of_the_same_design(cjk):
    assert fonts._design("Noto Sans SC")[:2] == ("Noto Sans SC", "Noto Sans CJK SC")
    assert fonts._design("WenQuanYi Zen Hei") == ("WenQuanYi Zen Hei",)
    if cjk.bold is not None:
        assert cjk.bold.family in fonts._design(cjk.family)
