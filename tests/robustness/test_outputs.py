"""Output folders and files: nothing deleted or overwritten that is not ours, nothing
written outside the run folder, no half-written folder left behind.

Each case runs the CLI on a sandbox (``tmp_path``) holding the small study and checks,
through :mod:`robustness.harness`, the exit code, the message's key words, that no input
changed (SHA-256 before and after) and that nothing was written outside the run folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from robustness.harness import assert_ran, assert_refused, invoke

from urbanrural.geo.io import MARKER


@pytest.fixture
def study(small_study: Path) -> Path:
    """The small study's config, with a quick analysis set (no maps)."""
    cfg = yaml.safe_load(small_study.read_text())
    cfg["analyses"] = {"urban_rural": {"column": "urban_class"}}
    small_study.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return small_study


def _cfg(path: Path, **changes) -> Path:
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg.update(changes)
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("out", [".", "..", "./", "../.."])
def test_current_folder_or_parent_refused(study, tmp_path, out):
    o = invoke(["run", study.name, "--out", out, "--overwrite"], sandbox=tmp_path, cwd=study.parent)
    assert_refused(o, "current folder")


def test_input_folder_refused_even_with_overwrite(study, tmp_path):
    o = invoke(["run", study, "--out", study.parent, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "holds the input", "--out")


def test_ancestor_of_inputs_refused(study, tmp_path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    o = invoke(["run", study, "--out", tmp_path, "--overwrite"], sandbox=tmp_path, cwd=elsewhere)
    assert_refused(o, "holds the input")


@pytest.mark.parametrize("outdir", ["..", ".", "../.."])
def test_outputs_dir_in_config_cannot_reach_inputs(study, tmp_path, outdir):
    _cfg(study, outputs={"dir": outdir})
    o = invoke(["run", study, "--overwrite"], sandbox=tmp_path, cwd=tmp_path)
    assert_refused(o, "output folder")
    v = invoke(["validate", study], sandbox=tmp_path)
    assert_refused(v, "outputs.dir")


def test_output_under_a_file_refused(study, tmp_path):
    o = invoke(["run", study, "--out", study.parent / "units.gpkg" / "res"], sandbox=tmp_path)
    assert_refused(o, "which is a file")


def test_output_that_is_a_file_refused(study, tmp_path):
    o = invoke(["run", study, "--out", study.parent / "units.gpkg", "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "is the input")
    (tmp_path / "notes.txt").write_text("mine")
    o = invoke(["run", study, "--out", tmp_path / "notes.txt", "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "is an existing file")


def test_overwrite_refuses_a_folder_we_did_not_make(study, tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_bytes(b"years of work")
    o = invoke(["run", study, "--out", mine, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "not made by urbanrural", "--overwrite")
    assert (mine / "chapter1.docx").read_bytes() == b"years of work"


def test_overwrite_replaces_our_run_folder_and_says_so(study, tmp_path):
    out = tmp_path / "res"
    assert_ran(invoke(["run", study, "--out", out], sandbox=tmp_path), "res")
    assert (out / MARKER).is_file()
    o = invoke(["run", study, "--out", out, "--overwrite"], sandbox=tmp_path)
    assert o.exit_code == 0 and "replaced" in o.output
    assert not o.changed or all(c.startswith("res/") for c in o.changed)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".res")] == []


def test_old_run_folder_with_our_run_json_counts_as_ours(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    (out / MARKER).unlink()  # a folder made before the marker existed
    assert invoke(["run", study, "--out", out, "--overwrite"], sandbox=tmp_path).exit_code == 0


def test_existing_run_folder_without_overwrite_refused(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    o = invoke(["run", study, "--out", out], sandbox=tmp_path)
    assert_refused(o, "already exists", "--overwrite")


def test_existing_empty_folder_is_used(study, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_ran(invoke(["run", study, "--out", tmp_path / "empty"], sandbox=tmp_path), "empty")


def test_folder_appearing_meanwhile_is_not_replaced(study, tmp_path, monkeypatch):
    """Two runs into one new --out: the later must not replace the earlier's folder."""
    import urbanrural.pipeline as pipeline

    out = tmp_path / "res"
    real = pipeline.ANALYSES["urban_rural"]

    def other_run_finishes_first(ctx):
        out.mkdir()
        (out / "run.json").write_text('{"urbanrural": "0", "outputs": []}')
        (out / "results.gpkg").write_bytes(b"the other run's results")
        real(ctx)

    monkeypatch.setitem(pipeline.ANALYSES, "urban_rural", other_run_finishes_first)
    o = invoke(["run", study, "--out", out], sandbox=tmp_path)
    assert o.exit_code == 2 and "appeared while this run was going" in o.output
    assert (out / "results.gpkg").read_bytes() == b"the other run's results"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".res")] == []


def test_ctrl_c_exits_130_and_leaves_nothing(study, tmp_path, monkeypatch):
    import urbanrural.pipeline as pipeline

    def interrupted(ctx):
        (ctx.tmp / "partial.csv").write_text("x")
        raise KeyboardInterrupt

    monkeypatch.setitem(pipeline.ANALYSES, "urban_rural", interrupted)
    o = invoke(["run", study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert o.exit_code == 130 and "interrupted" in o.output
    assert o.created == () and not o.changed


def test_sigterm_cleans_up_the_temporary_folder(study, tmp_path):
    """A real process killed with SIGTERM mid-run: exit 143, no temporary folder left."""
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time\n"
        "import urbanrural.pipeline as p\n"
        "from urbanrural.cli import main\n"
        "real = p.ANALYSES['urban_rural']\n"
        "def slow(ctx):\n"
        "    (ctx.tmp / 'partial.csv').write_text('x')\n"
        "    print('STEP', flush=True)\n"
        "    time.sleep(60)\n"
        "p.ANALYSES['urban_rural'] = slow\n"
        "sys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "res"
    err_log = tmp_path / "stderr.txt"
    with open(err_log, "w") as err, subprocess.Popen(
            [sys.executable, str(slow), "run", str(study), "--out", str(out)],
            stdout=subprocess.PIPE, stderr=err, text=True) as proc:
        try:
            deadline = time.time() + 120
            line = ""
            while "STEP" not in line and time.time() < deadline:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    break
            assert "STEP" in line, err_log.read_text()
            assert any(p.name.startswith(".res") for p in tmp_path.iterdir())
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 143, err_log.read_text()
    assert "terminated" in err_log.read_text()
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".res")] == []


def test_demo_refuses_current_folder_and_foreign_folder(tmp_path):
    o = invoke(["demo", "--out", ".", "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "current folder")
    mine = tmp_path / "work"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    o = invoke(["demo", "--out", mine, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "not made by urbanrural")


def test_map_never_replaces_its_input(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    gpkg = out / "results.gpkg"
    o = invoke(["map", gpkg, "--column", "population", "--out", gpkg, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "is the input")


def test_degurba_never_replaces_its_input(study, tmp_path):
    pop = study.parent / "pop.tif"
    o = invoke(["degurba", pop, "--out", pop, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "is the input")


def test_map_output_under_a_file_refused(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    o = invoke(["map", out / "results.gpkg", "--column", "population", "--out", study.parent / "units.gpkg" / "m.html"],
               sandbox=tmp_path)
    assert_refused(o, "which is a file")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_parent_refused(study, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        o = invoke(["run", study, "--out", ro / "res"], sandbox=tmp_path)
        assert_refused(o, "permission denied")
    finally:
        ro.chmod(0o755)


# ------------------------------------------------------------------ names from data

def _facilities_with(study: Path, categories: list[str]) -> None:
    d = study.parent
    x0, y0 = 400_000.0, 4_300_000.0
    pts = [shapely.Point(x0 + 500 + 700 * i % 5500, y0 + 500 + 300 * i % 3500) for i in range(len(categories))]
    gpd.GeoDataFrame({"kind": categories, "beds": [10] * len(categories)}, geometry=pts,
                     crs=32650).to_file(d / "named.gpkg")
    cfg = yaml.safe_load(study.read_text(encoding="utf-8"))
    cfg["facilities"] = [{"path": "named.gpkg", "category_column": "kind", "capacity": "beds"}]
    study.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


def test_cjk_categories_get_distinct_readable_files(study, tmp_path):
    cats = ["县级医院", "市级医院"]
    _facilities_with(study, cats)
    cfg = yaml.safe_load(study.read_text(encoding="utf-8"))
    cfg["analyses"]["accessibility"] = {"mode": "network", "demand": "centroid", "measures": ["nearest"]}
    cfg["outputs"] = {"maps": [f"tt:{c}" for c in cats], "formats": ["png"]}
    study.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    o = invoke(["-q", "run", study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    names = {Path(c).name for c in o.created}
    assert {"tt_县级医院.tif", "tt_市级医院.tif", "tt_县级医院.png", "tt_市级医院.png"} <= names


@pytest.mark.parametrize("mode", ["network", "raster", "euclidean"])
def test_hostile_categories_stay_inside_the_run_folder(study, tmp_path, mode):
    """`category: x/../../population` in raster mode once overwrote the input raster."""
    cats = ["x/../../population", "../../pop", "/tmp/evil", "..", "a:b*c?", "a/b*c?", "tt", "<script>"]
    _facilities_with(study, cats)
    cfg = yaml.safe_load(study.read_text(encoding="utf-8"))
    cfg["analyses"]["accessibility"] = {"mode": mode, "measures": ["nearest"], "resolution": 500}
    cfg["outputs"] = {"maps": [f"tt:{cats[0]}", f"iso:{cats[1]}"], "formats": ["html"]}
    study.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    o = invoke(["-q", "run", study, "--out", tmp_path / "res"], sandbox=tmp_path)
    assert_ran(o, "res")
    rasters = [c for c in o.created if c.startswith("res/rasters/tt")]
    assert len(rasters) == len(cats), rasters  # one file per category: none replaced another
    run = json.loads((tmp_path / "res" / "run.json").read_text(encoding="utf-8"))
    assert all(not p.startswith(("/", "..")) for p in run["outputs"])


def test_categories_differing_only_in_case_refused(study, tmp_path):
    _facilities_with(study, ["clinic", "Clinic"])
    o = invoke(["validate", study], sandbox=tmp_path)
    assert_refused(o, "differ only in letter case", "'clinic'", "'Clinic'")


def test_overwrite_refuses_a_run_folder_holding_files_we_did_not_write(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    (out / "my_notes.docx").write_bytes(b"added by the user")
    (out / "maps" / "annotated.png").write_bytes(b"also the user's")
    o = invoke(["run", study, "--out", out, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "did not write", "my_notes.docx", "maps/annotated.png")
    assert (out / "my_notes.docx").read_bytes() == b"added by the user"


def test_a_copied_run_json_does_not_make_a_folder_ours(study, tmp_path):
    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    mine = tmp_path / "report-drafts"
    mine.mkdir()
    (mine / "run.json").write_bytes((out / "run.json").read_bytes())
    (mine / "draft.md").write_text("my draft")
    o = invoke(["run", study, "--out", mine, "--overwrite"], sandbox=tmp_path)
    assert_refused(o, "did not write", "draft.md")


def test_failed_swap_puts_the_previous_results_back(study, tmp_path, monkeypatch):
    import os as _os

    out = tmp_path / "res"
    assert invoke(["run", study, "--out", out], sandbox=tmp_path).exit_code == 0
    before = (out / "results.gpkg").read_bytes()
    real = _os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        if str(dst) == str(out) and Path(src).name.endswith(".tmp") and not calls["n"]:
            calls["n"] += 1  # the new folder moving into place fails once
            raise OSError("disk trouble")
        return real(src, dst)

    import urbanrural.geo.io as io_mod

    monkeypatch.setattr(io_mod.os, "replace", flaky)
    o = invoke(["run", study, "--out", out, "--overwrite"], sandbox=tmp_path)
    monkeypatch.setattr(io_mod.os, "replace", real)
    assert o.exit_code != 0
    assert (out / "results.gpkg").read_bytes() == before
