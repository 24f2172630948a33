"""A corpus of hostile and awkward names, shared by the path and escaping tests.

Each string is something a user's data or config can hold (a facility category, a unit
name, a column, a map spec, a title).  Paths built from them must stay inside the run
folder; HTML built from them must show them as text and run nothing.
"""

from __future__ import annotations

HOSTILE_NAMES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "`${alert(1)}`",
    "${alert(1)}",
    "</script><script>alert(1)</script>",
    "</SCRIPT ><script>alert(1)</script >",
    "'); alert(1); //",
    '"); alert(1); //',
    "\\'; alert(1); //",
    "javascript:alert(1)",
    "{{7*7}}",
    "<!--",
    "]]>",
    "\u2028\u2029",
    "$x^2$ \\frac{1}{2}",
    "../../population",
    "x/../../population",
    "..\\..\\evil",
    "/etc/passwd",
    "C:\\Windows\\evil",
    "con",
    "a:b*c?d|e<f>g\"h",
    ".hidden",
    "..",
    ".",
    "",
    " ",
    "县级医院",
    "市级医院",
    "卫生院 (乡镇)",
    "école/élémentaire",
    "a" * 300,
    "tab\tnew\nline",
    "nul\x00byte",
    "emoji 🏥",
)
"""Names that must be escaped, sanitised and kept apart."""

SCRIPT_MARKERS: tuple[str, ...] = ("alert(1)",)
"""What a successful injection would call (browser tests hook it)."""
