"""Fonts for print maps: a CJK fallback found automatically, and PDF-safe TrueType.

Every text of a print map is set in DejaVu Sans (matplotlib's own) with a CJK font as
the fallback family: matplotlib (>= 3.6) takes each glyph from the first family that has
it, so "到医院出行时间（分钟）" and "1:250,000" mix on one line.

The CJK font is looked up once, in this order:

1. the file named by the environment variable ``URBANRURAL_CJK_FONT`` (.otf/.ttf/.ttc);
2. a font that installs with urbanrural (its dependency ``pylopdf-fonts-zh-cn``):
   ``pylopdf-fonts-zh-cn`` ships Noto Sans SC (SIL OFL 1.1, an 8 MB OTF);
3. a system font matplotlib knows (Noto Sans CJK SC, Source Han Sans SC, WenQuanYi,
   Microsoft YaHei, PingFang SC...: Debian's ``fonts-noto-cjk``);
4. any font fontconfig lists for ``:lang=zh``.

Bold: matplotlib picks a face per weight within a family, so a bold title in Chinese is
bold only if a bold face is registered under the fallback's family name.  The bundled
``pylopdf-fonts-zh-cn`` ships Noto Sans SC *Regular* only (and Noto Serif SC Regular), so
after the regular face is found a bold companion is looked up, in this order:

1. the file named by ``URBANRURAL_CJK_FONT_BOLD``;
2. a file beside the regular one with ``Bold`` for ``Regular`` in its name;
3. a bold (weight >= 600) face matplotlib knows of the same family or of the same design
   under another name: Noto Sans SC = Noto Sans CJK SC = Source Han Sans SC/CN (Debian's
   ``fonts-noto-cjk`` installs ``NotoSansCJK-Bold.ttc``), likewise for the serif;
4. the same, among fonts fontconfig lists as bold for ``:lang=zh``.

The face found is registered under the fallback's family name with its own weight, so
``fontweight="bold"`` picks it on screen, in PNG and SVG.  PDF/PS text goes through the
TrueType subset below: ``truetype_fallback(chars, bold=True)`` adds a bold subset to the
subset's family (a second embedded font program); without ``bold=True`` bold Chinese in
PDF is drawn with the regular subset.  A face of another design (WenQuanYi, SimHei) is not used as bold: a
title would change typeface, not weight.  With none, bold Chinese is drawn in the
regular face (``CJKFont.bold`` is None; ``pip install pylopdf-fonts-zh-cn`` alone gives
no bold: add ``fonts-noto-cjk`` or set ``URBANRURAL_CJK_FONT_BOLD``).

Noto/Source Han fonts are CFF-flavoured OpenType; matplotlib embeds a Type 42 font by
copying the file's outlines, and a CFF font in a TrueType slot (``/FontFile2``) makes
PDFs that strict readers reject (matplotlib issue 20870).  :func:`truetype_fallback`
therefore writes, per figure, a subset of the CJK font holding only the characters the
figure uses, with its outlines converted to TrueType quadratics (fontTools ``cu2qu``,
about 0.3 s), under a family name of its own; PDF and PS maps use that subset.

Examples
--------
>>> family("en")[0]
'DejaVu Sans'
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from matplotlib import font_manager

__all__ = ["CJKFont", "find_cjk_font", "family", "missing_glyphs", "truetype_fallback", "INSTALL_HINT",
           "BASE_FAMILY"]

logger = logging.getLogger("urbanrural")
BASE_FAMILY = "DejaVu Sans"
INSTALL_HINT = ('install a CJK font: pip install pylopdf-fonts-zh-cn (Noto Sans SC, SIL OFL), or '
                "apt-get install fonts-noto-cjk, or set URBANRURAL_CJK_FONT=/path/to/font.otf")
_SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
                    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
                    "SimHei", "Noto Sans CJK JP", "Noto Serif CJK SC")
# (importable package, path of the font inside it)
_PACKAGED = (("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf"), ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf"))
_PROBE = "中国县乡镇村统计"  # a font must have these to count as Chinese
# one design published under several family names: a bold face of one serves the others
_SAME_DESIGN = (("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN"),
                ("Noto Serif SC", "Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN"))
_BOLD_MIN = 600  # weights from semibold up count as bold


@dataclass(frozen=True)
class CJKFont:
    """A CJK font file (``index``: the face in a .ttc collection) and where it came from."""

    path: Path
    index: int
    family: str
    origin: str  # "env", "package:<name>", "system", "fontconfig"
    bold: CJKFont | None = None
    """The bold companion registered under ``family`` (None: bold text uses this face)."""

    @property
    def is_cff(self) -> bool:
        return _is_cff(str(self.path), self.index)


@contextmanager
def _open(path: str, index: int) -> Iterator[object]:
    """A TTFont read from a file we close ourselves (fontTools leaks the handle of a file
    it cannot parse)."""
    from fontTools.ttLib import TTFont

    with open(path, "rb") as fh, TTFont(fh, fontNumber=index, lazy=True) as f:
        yield f


@functools.lru_cache(maxsize=16)
def _is_cff(path: str, index: int) -> bool:
    with _open(path, index) as f:
        return "CFF " in f or "CFF2" in f


@functools.lru_cache(maxsize=64)
def _cmap(path: str, index: int) -> frozenset[int]:
    try:
        with _open(path, index) as f:
            return frozenset(f.getBestCmap() or {})
    except Exception:  # an unreadable font covers nothing
        return frozenset()


def _covers(path: Path, index: int, text: str = _PROBE) -> bool:
    cmap = _cmap(str(path), index)
    return all(ord(c) in cmap for c in text)


def _family_of(path: Path, index: int) -> str:
    with _open(str(path), index) as f:
        return str(f["name"].getBestFamilyName())


def _faces(path: Path) -> range:
    if path.suffix.lower() not in (".ttc", ".otc"):
        return range(1)
    from fontTools.ttLib import TTCollection

    with open(path, "rb") as fh, TTCollection(fh, lazy=True) as c:
        return range(len(c.fonts))


def _candidate(path: Path, origin: str, index: int | None = None) -> CJKFont | None:
    if not path.is_file():
        return None
    try:
        faces = [index] if index is not None else list(_faces(path))
        # in a collection prefer the Simplified Chinese face
        faces.sort(key=lambda i: (not _family_of(path, i).endswith(("SC", "CN")), i))
        for i in faces:
            if _covers(path, i):
                return CJKFont(path, i, _family_of(path, i), origin)
    except Exception as exc:  # a broken font file is skipped, with a note
        logger.debug("font %s skipped: %s", path, exc)
    return None


def _from_env() -> CJKFont | None:
    value = os.environ.get("URBANRURAL_CJK_FONT")
    if not value:
        return None
    found = _candidate(Path(value).expanduser(), "env")
    if found is None:
        logger.warning("URBANRURAL_CJK_FONT=%s is not a readable font with Chinese glyphs; looking elsewhere", value)
    return found


def _from_packages() -> CJKFont | None:
    for module, rel in _PACKAGED:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            continue
        for base in spec.submodule_search_locations:
            found = _candidate(Path(base) / rel, f"package:{module}")
            if found:
                return found
    return None


def _from_matplotlib() -> CJKFont | None:
    entries = {}
    for e in font_manager.fontManager.ttflist:
        if e.name in _SYSTEM_FAMILIES and e.weight in (400, "normal", "regular") and e.style == "normal":
            entries.setdefault(e.name, e)
    for name in _SYSTEM_FAMILIES:
        e = entries.get(name)
        if e is not None:
            found = _candidate(Path(e.fname), "system", getattr(e, "index", 0))
            if found:
                return found
    return None


def _from_fontconfig() -> CJKFont | None:
    exe = shutil.which("fc-list")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, ":lang=zh", "-f", "%{file}|%{index}|%{style}\n"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [r.split("|") for r in out.splitlines() if r.count("|") == 2]
    rows.sort(key=lambda r: ("Regular" not in r[2], "Sans" not in r[0], r[0]))
    for file, index, _style in rows:
        found = _candidate(Path(file), "fontconfig", int(index or 0))
        if found:
            return found
    return None


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont | None:
    """The CJK font print maps fall back to, or None (see the module notes for the order)."""
    for finder in (_from_env, _from_packages, _from_matplotlib, _from_fontconfig):
        found = finder()
        if found is not None:
            _register(found)
            bold = _find_bold(found)
            if bold is not None:
                _register_bold(found, bold)
                found = replace(found, bold=bold)
            logger.debug("CJK font: %s (%s, face %d) from %s; bold: %s", found.family, found.path, found.index,
                         found.origin, f"{bold.path} face {bold.index}" if bold else "none (drawn regular)")
            return found
    return None


def _register(font: CJKFont) -> None:
    known = {(Path(e.fname), getattr(e, "index", 0)) for e in font_manager.fontManager.ttflist}
    if (font.path, font.index) not in known:
        font_manager.fontManager.addfont(str(font.path))


# ---------------------------------------------------------------------------- bold
def _weight(value: object) -> int:
    if isinstance(value, (int, float)):
        return int(value)
    return font_manager.weight_dict.get(str(value).lower(), 400)


def _design(family: str) -> tuple[str, ...]:
    """The family names of ``family``'s design (itself first)."""
    for group in _SAME_DESIGN:
        if family in group:
            return (family, *[f for f in group if f != family])
    return (family,)


def _bold_face(path: Path, origin: str, names: tuple[str, ...], index: int | None = None) -> CJKFont | None:
    """A face of ``path`` that covers Chinese, is bold and belongs to one of ``names``
    (the first name preferred)."""
    if not path.is_file():
        return None
    try:
        faces = [index] if index is not None else list(_faces(path))
        hits = []
        for i in faces:
            fam = _family_of(path, i)
            if fam in names and _face_weight(path, i) >= _BOLD_MIN and _covers(path, i):
                hits.append((names.index(fam), i, fam))
        if hits:
            _, i, fam = min(hits)
            return CJKFont(path, i, fam, origin)
    except Exception as exc:  # a broken font file is skipped, with a note
        logger.debug("bold font %s skipped: %s", path, exc)
    return None


@functools.lru_cache(maxsize=64)
def _face_weight(path: Path, index: int) -> int:
    with _open(str(path), index) as f:
        return int(f["OS/2"].usWeightClass) if "OS/2" in f else 400


def _bold_from_env() -> CJKFont | None:
    value = os.environ.get("URBANRURAL_CJK_FONT_BOLD")
    if not value:
        return None
    path = Path(value).expanduser()
    found = None
    try:
        found = next((CJKFont(path, i, _family_of(path, i), "env") for i in _faces(path) if _covers(path, i)), None)
    except Exception as exc:
        logger.debug("bold font %s skipped: %s", path, exc)
    if found is None:
        logger.warning("URBANRURAL_CJK_FONT_BOLD=%s is not a readable font with Chinese glyphs; looking elsewhere",
                       value)
    return found


def _bold_sibling(font: CJKFont, names: tuple[str, ...]) -> CJKFont | None:
    if "Regular" not in font.path.name:
        return None
    for weight in ("Bold", "SemiBold", "Semibold"):
        found = _bold_face(font.path.with_name(font.path.name.replace("Regular", weight)), font.origin, names)
        if found is not None:
            return found
    return None


def _bold_from_matplotlib(names: tuple[str, ...]) -> CJKFont | None:
    entries = [e for e in font_manager.fontManager.ttflist
               if e.name in names and e.style == "normal" and _weight(e.weight) >= _BOLD_MIN]
    entries.sort(key=lambda e: (names.index(e.name), abs(_weight(e.weight) - 700)))
    for e in entries:
        found = _bold_face(Path(e.fname), "system", names, getattr(e, "index", 0))
        if found is not None:
            return found
    return None


def _bold_from_fontconfig(names: tuple[str, ...]) -> CJKFont | None:
    exe = shutil.which("fc-list")
    if not exe:
        return None
    try:  # fontconfig weight 200 is bold (180 semibold)
        out = subprocess.run([exe, ":lang=zh:weight=200", "-f", "%{file}|%{index}\n"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for row in sorted({r for r in out.splitlines() if r.count("|") == 1}):
        file, index = row.split("|")
        found = _bold_face(Path(file), "fontconfig", names, int(index or 0))
        if found is not None:
            return found
    return None


def _find_bold(font: CJKFont) -> CJKFont | None:
    """A bold face for ``font`` (see the module notes for the order), or None."""
    names = _design(font.family)
    return (_bold_from_env() or _bold_sibling(font, names) or _bold_from_matplotlib(names)
            or _bold_from_fontconfig(names))


def _register_bold(font: CJKFont, bold: CJKFont) -> None:
    """Register ``bold`` under ``font.family`` with its own weight, once."""
    fm = font_manager.fontManager
    if any(e.name == font.family and Path(e.fname) == bold.path and getattr(e, "index", 0) == bold.index
           for e in fm.ttflist):
        return
    from matplotlib import ft2font

    prop = font_manager.ttfFontProperty(ft2font.FT2Font(str(bold.path), face_index=bold.index))
    fm.ttflist.append(replace(prop, name=font.family))
    fm._findfont_cached.cache_clear()


_warned: set[str] = set()


def family(language: str = "en") -> list[str]:
    """The font family list for every text: DejaVu Sans, then the CJK fallback if any.

    With ``language="zh"`` and no CJK font a warning names how to install one (once).
    """
    cjk = find_cjk_font()
    if cjk is None:
        if language == "zh" and "zh" not in _warned:
            _warned.add("zh")
            logger.warning("Chinese map text needs a CJK font and none was found; %s", INSTALL_HINT)
        return [BASE_FAMILY]
    return [BASE_FAMILY, cjk.family]


def _base_path() -> Path:
    return Path(font_manager.findfont(font_manager.FontProperties(family=BASE_FAMILY), fallback_to_default=True))


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` that neither DejaVu Sans nor the CJK fallback can draw.

    Examples
    --------
    >>> missing_glyphs("abc 1:250,000")
    set()
    """
    have = set(_cmap(str(_base_path()), 0))
    cjk = find_cjk_font()
    if cjk is not None:
        have |= _cmap(str(cjk.path), cjk.index)
    return {c for c in text if not c.isspace() and ord(c) not in have}


_TMP: list[Path] = []


def _cache_dir() -> Path:
    if not _TMP:
        d = Path(tempfile.mkdtemp(prefix="urbanrural-fonts-"))
        atexit.register(shutil.rmtree, d, True)
        _TMP.append(d)
    return _TMP[0]


@functools.lru_cache(maxsize=64)
def _truetype_subset(path: str, index: int, chars: str, family: str | None = None) -> tuple[str, str]:
    """(file, family) of a TrueType-outline subset of ``path`` holding ``chars``; named
    ``family`` when given (a bold face joining a regular subset's family), else after a
    digest of its source."""
    from fontTools import subset

    digest = hashlib.sha1(f"{path}|{index}|{chars}".encode()).hexdigest()[:10]
    name = family or f"urbanrural CJK {digest}"
    out = _cache_dir() / f"cjk-{digest}.ttf"
    opts = subset.Options()
    opts.font_number = index
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.layout_features = ["*"]
    with subset.load_font(path, opts) as font:
        _subset_to_truetype(font, chars, opts, name, out)
    font_manager.fontManager.addfont(str(out))
    return str(out), name


def _subset_to_truetype(font: object, chars: str, opts: object, name: str, out: Path) -> None:
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(font)
    if "CFF " in font:
        glyphs = font.getGlyphSet()
        order = font.getGlyphOrder()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for g in order:
            pen = TTGlyphPen(glyphs)
            glyphs[g].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[g] = pen.glyph()
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
                     "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                     "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["head"].glyphDataFormat = 0
        post = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
        font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 4, 16, 21):
            names.setName(name, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:  # PostScript names differ per face (PDF readers key fonts on them)
            bold = "OS/2" in font and font["OS/2"].usWeightClass >= _BOLD_MIN
            ps = name.replace(" ", "") + ("-Bold" if bold else "")
            names.setName(ps, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    font.save(str(out))


def truetype_fallback(chars: str, *, bold: bool = False) -> str | None:
    """A family name of a TrueType subset of the CJK font holding ``chars`` (None when no
    CJK font or no character needs it): what PDF/PS output uses for Type 42 embedding.

    With ``bold=True`` and a bold companion (``find_cjk_font().bold``), a bold subset of
    the same characters joins the family, so bold text stays bold in the PDF (the file
    then embeds two CJK font programs)."""
    cjk = find_cjk_font()
    if cjk is None:
        return None
    cmap = _cmap(str(cjk.path), cjk.index)
    base = _cmap(str(_base_path()), 0)
    need = "".join(sorted({c for c in chars if ord(c) in cmap and ord(c) not in base}))
    if not need:
        return None
    family_name = _truetype_subset(str(cjk.path), cjk.index, need)[1]
    if bold and cjk.bold is not None:  # bold text stays bold in PDF: a bold subset under the same family
        _truetype_subset(str(cjk.bold.path), cjk.bold.index, need, family_name)
    return family_name
