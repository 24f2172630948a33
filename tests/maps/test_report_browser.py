"""The demo's report.html in headless Chromium, English and Chinese, with the network blocked:
no request but the run folder's own map images (file://, linked by relative path), no page
error, no horizontal overflow at 1000 px, every image decoded; a screenshot of each is
written to the test's temporary folder for review."""

from __future__ import annotations

import pytest
from _support import demo_run_dir

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "zh"])
def test_demo_report_in_chromium(chromium, tmp_path_factory, language):
    out = demo_run_dir(tmp_path_factory, language)
    report = out / "report.html"
    page = chromium.new_page(viewport={"width": 1000, "height": 800})
    requests: list[str] = []
    loaded: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    maps_dir = (out / "maps").resolve().as_uri() + "/"

    def route(r):
        url = r.request.url
        if url == report.as_uri() or url.startswith("data:"):
            r.continue_()
        elif url.startswith(maps_dir) and url.endswith(".png"):  # a map of the run, linked
            loaded.append(url)
            r.continue_()
        else:
            requests.append(url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        assert requests == [] and errors == []
        lang = page.evaluate("document.documentElement.lang")
        assert lang == ("zh-CN" if language == "zh" else "en")
        assert page.evaluate("document.scripts.length") == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1000 + 2, width
        # lazy images load as they come into view: scroll to each, wait until it is decoded
        page.evaluate("""async () => { for (const i of document.images) { i.scrollIntoView();
                                       await i.decode().catch(() => null); } window.scrollTo(0, 0); }""")
        imgs = page.evaluate("""() => Array.from(document.images).map(i => [i.complete, i.naturalWidth,
                                  i.getBoundingClientRect().width, i.alt])""")
        assert len(imgs) >= 5
        linked = page.evaluate("Array.from(document.images).filter(i => !i.src.startsWith('data:')).length")
        assert linked >= 5 and len(set(loaded)) == linked, (linked, loaded)  # 300 dpi pages: linked
        assert requests == [] and errors == []
        for complete, natural, shown, alt in imgs:
            assert complete and natural > 0, alt
            assert shown >= 800, (alt, shown)  # maps full width of the page
        first = page.inner_text("#summary")
        if language == "zh":
            assert "研究对象" in first and "公共服务可达性" in first
        else:
            assert "What was studied" in first and "Access to services" in first
        shot = tmp_path_factory.getbasetemp() / f"report_{language}.png"
        page.screenshot(path=str(shot))
        page.screenshot(path=str(shot.with_name(f"report_{language}_full.png")), full_page=True)
        assert shot.stat().st_size > 10_000
        # print: A4 pages (794 px at 96 dpi), nothing wider than the page
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 794 + 2, width
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
    finally:
        page.close()
