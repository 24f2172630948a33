"""Config files that are hostile, broken, misspelt or in another encoding: exit 2 with a
short message that names the problem and a fix that works (tested by applying it)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from robustness.harness import assert_ran, assert_refused, invoke


def _edit(path: Path, fn) -> Path:
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(cfg)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nname: *a{levels - 1}\nunits: {{path: units.gpkg, id: code}}\n"


def test_alias_bomb_refused_quickly_with_a_short_message(small_study, tmp_path):
    small_study.write_text(_bomb())
    for cmd in ("validate", "run"):
        o = invoke([cmd, small_study], sandbox=tmp_path)
        assert_refused(o, "alias")
        assert len(o.output) < 1000


def test_small_config_cannot_print_a_huge_line(small_study, tmp_path):
    """A 409-byte config once made `validate` print a 312 MB line."""
    small_study.write_text(_bomb(4).replace("name: *a3", "crs: *a3"))
    assert small_study.stat().st_size < 600
    o = invoke(["validate", small_study], sandbox=tmp_path)
    assert_refused(o, "crs")
    assert len(o.output) < 3000


def test_config_that_is_a_folder(small_study, tmp_path):
    assert_refused(invoke(["validate", small_study.parent], sandbox=tmp_path), "is a folder")
    assert_refused(invoke(["run", small_study.parent], sandbox=tmp_path), "is a folder")


def test_gbk_config_is_read(small_study, tmp_path):
    text = small_study.read_text(encoding="utf-8").replace("Small test county", "小县 (GBK 编码)")
    small_study.write_bytes(text.encode("gbk"))
    o = invoke(["validate", small_study], sandbox=tmp_path)
    assert o.exit_code == 0, o.output
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    run = json.loads((tmp_path / "res" / "run.json").read_text(encoding="utf-8"))
    assert run["config"]["name"] == "小县 (GBK 编码)"


def test_utf8_bom_and_utf16_configs_are_read(small_study, tmp_path):
    text = small_study.read_text(encoding="utf-8")
    small_study.write_bytes(text.encode("utf-8-sig"))
    assert invoke(["validate", small_study], sandbox=tmp_path).exit_code == 0
    small_study.write_bytes(text.encode("utf-16"))
    assert invoke(["validate", small_study], sandbox=tmp_path).exit_code == 0


def test_binary_config_refused_naming_the_encoding(small_study, tmp_path):
    small_study.write_bytes(b"units: \x00\xff\xfe\x80\x81" + bytes(range(128, 256)))
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "utf-8")


@pytest.mark.parametrize("text,words", [
    ("", ["mapping"]),
    ("- units\n- analyses\n", ["mapping"]),
    ("units: [unclosed\n", ["not valid yaml", "line"]),
    ("units: {path: units.gpkg, idd: code}\n", ["did you mean 'id'"]),
    ("units: {path: units.gpkg, id: code}\nanalysis: {}\n", ["did you mean 'analyses'"]),
    ("units: {path: nope.gpkg, id: code}\n", ["does not exist"]),
    ("units: {path: units.gpkg, id: code}\nlanguage: fr\n", ["language"]),
    ("units: {path: units.gpkg, id: code}\nanalyses:\n  integration:\n    dimensions:\n      a:\n        x: -\n",
     ["quoted"]),
])
def test_malformed_configs(small_study, tmp_path, text, words):
    small_study.write_text(text)
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), *words)


def test_huge_config_file_refused(small_study, tmp_path):
    small_study.write_text("# " + "x" * (2 << 20) + "\nunits: {path: units.gpkg, id: code}\n")
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), "bytes")


@pytest.mark.parametrize("edit,words", [
    (lambda c: c.setdefault("analyses", {}).update(
        integration={"dimensions": {"u": {"incme": "+"}, "r": {"nonfarm_share": "+"}}}),
     ["unknown indicator 'incme'", "did you mean 'income'"]),
    (lambda c: c.setdefault("analyses", {}).update(autocorrelation={"variables": ["populaton"]}),
     ["unknown variable 'populaton'", "did you mean 'population'"]),
    (lambda c: c.setdefault("analyses", {}).update(urban_rural={"column": "urban_clas"}),
     ["urban_rural.column", "did you mean 'urban_class'"]),
    (lambda c: c.setdefault("outputs", {}).update(maps=["lisa:population"]),
     ["lisa:population", "analyses.autocorrelation.variables"]),
    (lambda c: (c.setdefault("analyses", {}).update(accessibility={"mode": "network"}),
                c.setdefault("outputs", {}).update(maps=["tt:hospitl"])),
     ["no facility category 'hospitl'", "did you mean 'tt:hospital'"]),
    (lambda c: c.setdefault("outputs", {}).update(maps=["tt:hospital"]),
     ["needs analyses.accessibility"]),
    (lambda c: c.setdefault("outputs", {}).update(maps=["foo:bar"]), ["unknown kind 'foo'"]),
    (lambda c: c.setdefault("outputs", {}).update(maps=["densty_per_km2"]),
     ["did you mean 'density_per_km2'"]),
    (lambda c: c.setdefault("analyses", {}).update(accessibility={"categories": ["clinic"]}),
     ["no facility of category 'clinic'"]),
    (lambda c: c.setdefault("analyses", {}).update(
        integration={"dimensions": {"u": {"income": "+"}, "r": {"nonfarm_share": "+"}},
                     "ccd": {"subsystems": ["urban", "rural"]}}),
     ["'urban' is not a dimension"]),
])
def test_validate_finds_what_the_run_would_refuse(small_study, tmp_path, edit, words):
    """validate runs every check the run runs: the run refuses the same, before computing."""
    _edit(small_study, edit)
    assert_refused(invoke(["validate", small_study], sandbox=tmp_path), *words)
    assert_refused(invoke(["run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path), *words)
    assert not (tmp_path / "res").exists()


def test_quiet_still_shows_warnings(small_study, tmp_path):
    def no_capacity(c):
        c["facilities"] = [{"path": "hospitals.gpkg", "category": "hospital"}]
        c["analyses"] = {"accessibility": {"mode": "euclidean", "measures": ["2sfca"]}}

    _edit(small_study, no_capacity)
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    assert "no capacity given" in o.output and "[accessibility]" not in o.output


def test_same_column_as_id_and_name(small_study, tmp_path):
    _edit(small_study, lambda c: c["units"].update(id="code", name="code"))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    u = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="units")
    assert u["code"].tolist()[:2] == ["0101001", "0101002"]


def test_nodata_hint_works_for_degurba(small_study, tmp_path):
    """The error for a raster without nodata says `population: nodata:`; applying it must work
    in every step, the Degree of Urbanisation included (it used to reopen the raster)."""
    d = small_study.parent
    with rasterio.open(d / "pop.tif") as src:
        prof, arr = src.profile, src.read(1)
    prof.pop("nodata")
    with rasterio.open(d / "pop_nn.tif", "w", **prof) as dst:
        dst.write(arr, 1)

    def use(c):
        c["population"] = {"raster": "pop_nn.tif"}
        c["analyses"] = {"urban_rural": {"method": "degurba"}}

    _edit(small_study, use)
    o = invoke(["run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_refused(o, "nodata: -9999")
    _edit(small_study, lambda c: c["population"].update(nodata=-9999))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    u = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="units")
    assert u["degurba_l1"].isin([1, 2, 3]).all()


def test_missing_mean_reaches_topsis(small_study, tmp_path):
    d = small_study.parent
    ind = pd.read_csv(d / "ind.csv", dtype={"code": str})
    ind.loc[2, "income"] = np.nan
    ind.to_csv(d / "ind.csv", index=False)
    _edit(small_study, lambda c: c.update(analyses={"integration": {
        "dimensions": {"u": {"income": "+"}, "r": {"nonfarm_share": "+"}}, "missing": "mean"}}))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    u = gpd.read_file(tmp_path / "res" / "results.gpkg", layer="units")
    assert u["topsis"].notna().all() and u["integration_index"].notna().all()


def test_codes_without_population_show_unknown_not_zero(small_study, tmp_path):
    def codes_only(c):
        c.pop("population")
        c["analyses"] = {"urban_rural": {"column": "urban_class"}}

    _edit(small_study, codes_only)
    assert_ran(invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path), "res")
    t = pd.read_csv(tmp_path / "res" / "tables" / "urban_rural.csv", index_col=0)
    assert t["units"].sum() == 6
    assert t["population"].isna().all() and t["population_share"].isna().all()


@pytest.mark.parametrize("name", ["$x^2$", "a $ b", "\\frac{1}{2}", "<b>bold</b>", "`${x}`", "100% 城乡"])
def test_study_names_drawn_literally_in_print_maps(small_study, tmp_path, name):
    _edit(small_study, lambda c: c.update(name=name, outputs={"maps": ["population"], "formats": ["png", "svg"]}))
    o = invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    svg = (tmp_path / "res" / "maps" / "population.svg").read_text(encoding="utf-8")
    from xml.sax.saxutils import escape

    assert "Population" in svg and escape(name) in svg  # the name drawn as text, character for character


def _indicators(small_study: Path, income: list[str]) -> None:
    d = small_study.parent
    ind = pd.read_csv(d / "ind.csv", dtype={"code": str})
    ind["income"] = income
    ind.to_csv(d / "ind.csv", index=False, encoding="utf-8")
    _edit(small_study, lambda c: c.update(analyses={"integration": {
        "dimensions": {"u": {"income": "+"}, "r": {"nonfarm_share": "+"}}}}))


def test_thousands_separators_are_numbers_not_a_constant_column(small_study, tmp_path):
    """'43,228' once became NaN, then 'constant, left out', silently changing the weights."""
    _indicators(small_study, ["43,228", "25,100", "12 000", "１０，５００", "11,000", "—"])
    _edit(small_study, lambda c: c["analyses"]["integration"].update(missing="mean"))
    assert_ran(invoke(["-q", "run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path), "res")
    w = pd.read_csv(tmp_path / "res" / "tables" / "integration.csv", index_col=0)
    assert "income" in w.index and w.loc["income", "weight"] > 0


def test_text_in_an_indicator_is_refused_naming_the_cell(small_study, tmp_path):
    _indicators(small_study, ["30", "25", "n.a.", "10", "11", "28"])
    o = invoke(["run", small_study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_refused(o, "income", "'n.a.'", "not numbers")


@pytest.mark.parametrize("where", ["variables", "maps"])
def test_indicator_table_columns_outside_integration_are_refused_up_front(small_study, tmp_path, where):
    """validate used to accept them; the run then skipped the variable or the map and exited 0."""
    def use(c):
        if where == "variables":
            c["analyses"] = {"autocorrelation": {"variables": ["income"]}}
        else:
            c["outputs"] = {"maps": ["income"]}

    _edit(small_study, use)
    for cmd in (["validate", small_study], ["run", small_study, "--out", tmp_path / "res"]):
        assert_refused(invoke(cmd, sandbox=tmp_path), "indicators table", "only analyses.integration")


def test_negative_cells_outside_units_refused_up_front_for_degurba(small_study, tmp_path):
    """They are only counted for the other analyses; the DoU grid classifies every cell."""
    d = small_study.parent
    with rasterio.open(d / "pop.tif") as src:
        prof, arr = src.profile, src.read(1)
    # the units cover 6 km x 4 km from the raster's corner; grow the raster by a column of -5
    big = np.full((arr.shape[0], arr.shape[1] + 2), -5.0, dtype="float32")
    big[:, : arr.shape[1]] = arr
    prof.update(width=big.shape[1])
    with rasterio.open(d / "pop_neg.tif", "w", **prof) as dst:
        dst.write(big, 1)
    _edit(small_study, lambda c: (c["population"].update(raster="pop_neg.tif"),
                                  c.update(analyses={"urban_rural": {"method": "degurba"}})))
    for cmd in (["validate", small_study], ["run", small_study, "--out", tmp_path / "res"]):
        assert_refused(invoke(cmd, sandbox=tmp_path), "negative", "nodata")
