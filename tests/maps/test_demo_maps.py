"""The demo's maps and report: every HTML map opens offline with features and a legend."""

from __future__ import annotations

import json

import pytest

from urbanrural.layers.demo import demo_region
from urbanrural.pipeline import run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    cfg = demo_region(base / "data")
    return run(cfg, out_dir=base / "results")


def test_demo_writes_every_format_and_a_report(demo_run):
    out = demo_run.out_dir
    specs = json.loads((out / "run.json").read_text())["config"]["outputs"]["maps"]
    assert len(specs) >= 7
    for fmt in ("html", "png", "pdf", "svg"):
        assert len(list((out / "maps").glob(f"*.{fmt}"))) == len(specs)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2" in report and "Maps" in report  # the report's own content is tested with the report
    assert report.count("data:image/png;base64") == len(specs)


@pytest.mark.browser
def test_every_demo_map_and_the_report_open_offline(demo_run, browser, tmp_path):
    out = demo_run.out_dir
    for page in sorted((out / "maps").glob("*.html")):
        browser.open(page)
        assert browser.requests == [] and browser.errors == [], page.name
        n = browser.page.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
        assert n >= 120, (page.name, n)  # every unit drawn
        assert browser.page.query_selector(".ur-legend") is not None, page.name
        browser.page.screenshot(path=str(tmp_path / f"{page.stem}.png"))
    browser.open(out / "report.html")
    assert browser.requests == [] and browser.errors == []
    assert browser.page.evaluate("Array.from(document.images).every(i => i.naturalWidth > 0)")
