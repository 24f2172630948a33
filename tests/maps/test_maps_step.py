"""The pipeline's map step: which files of a spec are written together."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from urbanrural._steps import maps as step


class _Out:
    def file(self, sub: str, spec: str, suffix: str) -> Path:
        return Path(sub) / f"{spec.replace(':', '_')}{suffix}"


def _ctx(formats):
    return SimpleNamespace(config=SimpleNamespace(outputs=SimpleNamespace(formats=formats)), out=_Out())


def test_print_formats_are_one_group_html_alone_in_config_order():
    groups = step._groups(_ctx(["html", "png", "pdf", "svg"]), "tt:clinic")
    assert [[p.name for p in g] for g in groups] == [["tt_clinic.html"],
                                                    ["tt_clinic.png", "tt_clinic.pdf", "tt_clinic.svg"]]
    groups = step._groups(_ctx(["pdf", "html", "png"]), "ccd")
    assert [[p.name for p in g] for g in groups] == [["ccd.pdf", "ccd.png"], ["ccd.html"]]
    assert step._groups(_ctx(["html"]), "ccd") == [[Path("maps/ccd.html")]]
    assert step._fmts([Path("a.png"), Path("a.svg")]) == "png, svg"
