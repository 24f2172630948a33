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
