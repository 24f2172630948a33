"""Command-line misuse: every case exits 2 with one line, never a traceback or exit 1."""

from __future__ import annotations

import pytest
from robustness.harness import assert_refused, invoke


@pytest.fixture
def files(tmp_path):
    (tmp_path / "empty.gpkg").write_bytes(b"")
    (tmp_path / "junk.tif").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "truncated.tif").write_bytes(b"II*\x00" + b"\x00" * 60)
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a map layer\n")
    return tmp_path


@pytest.mark.parametrize("name,words", [
    ("empty.gpkg", ["empty.gpkg"]),
    ("junk.tif", ["junk.tif"]),
    ("truncated.tif", ["truncated.tif"]),
    ("folder", ["is a folder"]),
    ("missing.gpkg", ["does not exist"]),
])
def test_info_on_broken_files(files, name, words):
    assert_refused(invoke(["info", files / name], sandbox=files), *words)


@pytest.mark.parametrize("k", ["0", "1", "-3", "99", "five"])
def test_map_class_count_out_of_range(files, k):
    o = invoke(["map", files / "empty.gpkg", "--column", "x", "-k", k, "--out", files / "m.html"], sandbox=files)
    assert_refused(o, "-k")


@pytest.mark.parametrize("args,words", [
    (["run"], ["missing argument"]),
    (["run", "nope.yaml"], ["does not exist"]),
    (["validate", "notes.txt"], ["mapping"]),
    (["degurba", "junk.tif", "--out", "c.tif"], ["junk.tif"]),
    (["degurba", "folder", "--out", "c.tif"], ["folder"]),
    (["nosuchcommand"], ["no such command"]),
    (["map", "notes.txt", "--column", "x", "--out", "m.html"], ["notes.txt"]),
])
def test_misuse(files, args, words):
    assert_refused(invoke(args, sandbox=files), *words)
