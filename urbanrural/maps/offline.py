"""Self-contained, offline HTML for folium maps.

folium's saved HTML loads Leaflet, jQuery, Bootstrap and more from CDNs; offline it is a
blank page. :func:`save_html` renders the map, removes every external script and style,
and inlines Leaflet 1.9 (from the ``django-js-lib-leaflet`` package on PyPI) with its
images as data URIs. No tile layer is added unless the map has one.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import folium

from ..geo.errors import MissingDependencyError
from ..geo.io import atomic_path

__all__ = ["save_html", "to_html", "leaflet_assets"]

_EXTERNAL = re.compile(r"<(script|link)\b[^>]*(?:src|href)\s*=\s*\"(?:https?:)?//[^\"]*\"[^>]*>(?:\s*</script>)?",
                       re.IGNORECASE)


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS (images inlined as data URIs)."""
    try:
        import js_lib_leaflet
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("offline maps need django-js-lib-leaflet: pip install django-js-lib-leaflet") \
            from exc
    root = Path(js_lib_leaflet.__file__).resolve().parent / "static" / "js_lib_leaflet"
    js = (root / "leaflet.js").read_text(encoding="utf-8")
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        img = root / "images" / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(img.read_bytes()).decode()})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    # Leaflet looks for its default marker icons relative to leaflet.css: give it data URIs
    icons = {name: base64.b64encode((root / "images" / name).read_bytes()).decode()
             for name in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")}
    js += ("\nL.Icon.Default.prototype.options.imagePath='';"
           f"L.Icon.Default.prototype.options.iconUrl='data:image/png;base64,{icons['marker-icon.png']}';"
           f"L.Icon.Default.prototype.options.iconRetinaUrl='data:image/png;base64,{icons['marker-icon-2x.png']}';"
           f"L.Icon.Default.prototype.options.shadowUrl='data:image/png;base64,{icons['marker-shadow.png']}';")
    return js.replace("</script", "<\\/script"), css


def to_html(m: folium.Map) -> str:
    """The map's HTML with every CDN reference removed and Leaflet inlined; a layer control
    is added last (after every layer) when the map has none."""
    if not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
        folium.LayerControl(collapsed=True).add_to(m)
    html = m.get_root().render()
    html = _EXTERNAL.sub("", html)
    js, css = leaflet_assets()
    inline = f"<style>{css}</style>\n<script>{js}</script>\n"
    return html.replace("<head>", "<head>\n" + inline, 1)


def save_html(m: folium.Map, path: str | Path) -> Path:
    """Write a self-contained HTML map that opens with zero network requests (atomic write).

    Examples
    --------
    >>> import folium, re, tempfile, pathlib
    >>> p = save_html(folium.Map(tiles=None), pathlib.Path(tempfile.mkdtemp()) / "m.html")
    >>> text = p.read_text(encoding="utf-8")
    >>> re.search(r'<(script|link)[^>]*(src|href)="(https?:)?//', text) is None, "L.map" in text
    (True, True)
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(to_html(m), encoding="utf-8")
    return path
