r"""Escaping per HTML context: one function for each place text can land in the HTML we write.

Every string from data or config (unit names, facility categories and names, column
names, titles, legend labels, layer names) that reaches a map or the report goes through
the function for the context it lands in:

=====================  ===========================================  ======================
context                example                                      function
=====================  ===========================================  ======================
HTML text              ``<td>{}</td>``, ``<title>{}</title>``       :func:`html_text`
HTML attribute         ``<img alt="{}">`` (quoted, ``"`` or ``'``)  :func:`html_attr`
URL in an attribute    ``<a href="{}">`` (a relative path)          :func:`href_path`
CSS colour             ``style="background:{}"``                    :func:`css_color`
JS string literal      ``var s = {};``                              :func:`js_string`
JS template literal    ``var s = {};`` (backticks included)         :func:`js_template`
JSON in ``<script>``   ``var d = {};``                              :func:`script_json`
=====================  ===========================================  ======================

HTML escaping does not protect JavaScript (``${...}`` and a backtick run inside a
template literal whatever the entities); JSON does not protect an HTML ``<script>``
(``</script>`` ends it; ``<!--`` changes how it is parsed). Text that is inserted into the
page as HTML from JavaScript needs both: :func:`html_text` first, then the JS function.
The maps avoid that by building tooltips and legends with ``textContent`` from raw text
in :func:`script_json` data.

Every function also breaks Jinja2 delimiters (``{{``, ``{%``, ``{#``): folium/branca
render a map's script twice (a macro's output becomes the template of a new element),
so ``{{7*7}}`` in a layer name or tooltip would otherwise be evaluated as a template
(``49``) when the map is saved. HTML writes ``{`` as ``&#123;``; JavaScript as ``\u007b``.

A NUL character cannot be written in HTML (the parser drops it): the HTML functions
show it as U+FFFD. Lone surrogates (which UTF-8 cannot encode) become U+FFFD everywhere.

Examples
--------
>>> print(html_text("<b>&</b>"))
&lt;b&gt;&amp;&lt;/b&gt;
>>> print(js_template("`${alert(1)}`"))
`\`\$\u007balert(1)}\``
>>> print(script_json(["</script>"]))
["\u003c/script\u003e"]
>>> href_path("javascript:alert(1)")
'javascript%3Aalert%281%29'
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import matplotlib.colors

from ..geo.errors import DataError

__all__ = ["html_text", "html_attr", "href_path", "css_color", "js_string", "js_template", "script_json",
           "plain"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\r": "&#13;", "\x00": "\ufffd",
         "{": "&#123;"}
_HTML_RE = re.compile("[&<>\"'\r\x00{]")
_SCRIPT = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_RE = re.compile("[<>&\u2028\u2029]")
_JINJA_RE = re.compile(r"\{(?=[{%#])")  # inside JSON only string content can hold these pairs
_TEMPLATE = {"\\": "\\\\", "`": "\\`", "$": "\\$", "\r": "\\r", "\x00": "\\u0000", "{": "\\u007b", **_SCRIPT}
_TEMPLATE_RE = re.compile("[\\\\`$\r\x00<>&\u2028\u2029{]")


def plain(value: object) -> str:
    """``str(value)`` with lone surrogates replaced by U+FFFD (they cannot be written as UTF-8)."""
    return _SURROGATE.sub("\ufffd", str(value))


def html_text(value: object) -> str:
    """Text for an HTML element's content (also ``<title>`` and ``<textarea>``).

    Escapes ``& < > " ' {``, writes CR as ``&#13;`` (the parser would turn it into LF) and NUL
    as U+FFFD.

    Examples
    --------
    >>> html_text('"><img src=x onerror=alert(1)>')
    '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'
    """
    return _HTML_RE.sub(lambda m: _HTML[m.group()], plain(value))


def html_attr(value: object) -> str:
    """A quoted attribute value (``"..."`` or ``'...'``); never for unquoted attributes,
    event handlers (``on...``), ``style`` or URLs (see :func:`css_color`, :func:`href_path`).

    Examples
    --------
    >>> html_attr("a' onmouseover='alert(1)")
    'a&#39; onmouseover=&#39;alert(1)'
    """
    return html_text(value)


def href_path(value: object) -> str:
    """A relative path for ``href``/``src``: percent-encoded (``:`` included, so no scheme such
    as ``javascript:`` can appear); safe inside a quoted attribute as it is.

    Examples
    --------
    >>> href_path("maps/tt hospital.html")
    'maps/tt%20hospital.html'
    """
    return quote(plain(value).replace("\\", "/"), safe="/")


def css_color(value: object) -> str:
    """A colour as ``#rrggbb`` (or ``#rrggbbaa``) for a ``style`` attribute; DataError for
    anything matplotlib does not read as a colour (so no CSS can be injected).

    Examples
    --------
    >>> css_color("red"), css_color((0, 0.5, 1))
    ('#ff0000', '#0080ff')
    """
    try:
        rgba = matplotlib.colors.to_rgba(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise DataError(f"{value!r} is not a colour; use a name ('red') or a hex code ('#ff0000')") from exc
    return matplotlib.colors.to_hex(rgba, keep_alpha=rgba[3] < 1)


def script_json(obj: object) -> str:
    """JSON that is safe anywhere inside an HTML ``<script>`` element (and a JS expression).

    ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so neither
    ``</script>`` nor ``<!--`` can appear (nor ``{{``, ``{%``, ``{#``); strings are cleaned
    with :func:`plain`.
    """
    s = json.dumps(_clean(obj), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _JINJA_RE.sub(r"\\u007b", _SCRIPT_RE.sub(lambda m: _SCRIPT[m.group()], s))


def js_string(value: object) -> str:
    """A double-quoted JavaScript string literal (quotes included), safe inside ``<script>``.

    Examples
    --------
    >>> js_string("'); alert(1); //")
    '"\\'); alert(1); //"'
    """
    return script_json(plain(value))


def js_template(value: object, *, quotes: bool = True) -> str:
    """A JavaScript template literal whose cooked value is ``value``: backslash, backtick
    and ``$`` escaped (so ``${...}`` is text), and ``< > &`` U+2028 U+2029 as in
    :func:`script_json`. With ``quotes=False`` the body only, for a literal someone else
    opens (e.g. folium's Tooltip); if that body is then used as HTML, pass
    :func:`html_text` output.
    """
    body = _TEMPLATE_RE.sub(lambda m: _TEMPLATE[m.group()], plain(value))
    return f"`{body}`" if quotes else body


def _clean(obj: object) -> object:
    if isinstance(obj, str):
        return plain(obj)
    if isinstance(obj, dict):
        return {plain(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj
