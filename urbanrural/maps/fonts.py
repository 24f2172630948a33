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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CJKFont:
    """A CJK font file (``index``: the face in a .ttc collection) and where it came from."""

    path: Path
    index: int
    family: str
    origin: str  # "env", "package:<name>", "system", "fontconfig"

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
            logger.debug("CJK font: %s (%s, face %d) from %s", found.family, found.path, found.index, found.origin)
            return found
    return None


def _register(font: CJKFont) -> None:
    known = {(Path(e.fname), getattr(e, "index", 0)) for e in font_manager.fontManager.ttflist}
    if (font.path, font.index) not in known:
        font_manager.fontManager.addfont(str(font.path))


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
def _truetype_subset(path: str, index: int, chars: str) -> tuple[str, str]:
    """(file, family) of a TrueType-outline subset of ``path`` holding ``chars``."""
    from fontTools import subset

    digest = hashlib.sha1(f"{path}|{index}|{chars}".encode()).hexdigest()[:10]
    name = f"urbanrural CJK {digest}"
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
        elif rec.nameID == 6:
            names.setName(name.replace(" ", ""), rec.nameID, rec.platformID, rec.platEncID, rec.langID)
    font.save(str(out))


def truetype_fallback(chars: str) -> str | None:
    """A family name of a TrueType subset of the CJK font holding ``chars`` (None when no
    CJK font or no character needs it): what PDF/PS output uses for Type 42 embedding."""
    cjk = find_cjk_font()
    if cjk is None:
        return None
    cmap = _cmap(str(cjk.path), cjk.index)
    base = _cmap(str(_base_path()), 0)
    need = "".join(sorted({c for c in chars if ord(c) in cmap and ord(c) not in base}))
    if not need:
        return None
    return _truetype_subset(str(cjk.path), cjk.index, need)[1]
