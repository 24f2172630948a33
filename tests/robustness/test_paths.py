"""Names from data become safe, unique, readable file names inside the run folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from robustness.hostile import HOSTILE_NAMES

from urbanrural.geo.errors import OutputError
from urbanrural.geo.io import RunFolder, safe_name


def _ok_component(name: str) -> bool:
    return (name not in ("", ".", "..") and "/" not in name and "\\" not in name and "\x00" not in name
            and not name.startswith(".") and ".." not in name and len(name) <= 80
            and len(name.encode("utf-8")) <= 200)


def test_long_names_of_four_byte_letters_fit_a_file_system(tmp_path):
    name = "\U00020000" * 100  # CJK Extension B: 4 bytes each in UTF-8
    out = RunFolder(tmp_path).file("rasters", name, ".tif")
    out.write_bytes(b"x")  # would raise 'File name too long' above 255 bytes
    assert len(out.name.encode("utf-8")) <= 255


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_become_plain_components(name):
    assert _ok_component(safe_name(name))


def test_cjk_letters_survive_and_differ():
    assert safe_name("tt_县级医院_min") == "tt_县级医院_min"
    assert safe_name("tt_县级医院_min") != safe_name("tt_市级医院_min")


def test_run_folder_keeps_every_hostile_name_inside_and_apart(tmp_path):
    rf = RunFolder(tmp_path / "run")
    paths = [rf.file("rasters", n, ".tif") for n in HOSTILE_NAMES]
    assert len({p.name.casefold() for p in paths}) == len(set(HOSTILE_NAMES))
    root = (tmp_path / "run").resolve()
    assert all(root in p.resolve().parents for p in paths)
    assert rf.file("rasters", HOSTILE_NAMES[0], ".tif") == paths[0]  # same name, same file


def test_run_folder_refuses_a_bad_suffix(tmp_path):
    with pytest.raises(OutputError, match="suffix"):
        RunFolder(tmp_path).file("maps", "x", "/../../y")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=200))
def test_safe_name_is_always_a_plain_component(name):
    out = safe_name(name)
    assert _ok_component(out)
    assert safe_name(out) == out  # stable


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=25, unique=True))
def test_distinct_names_never_share_a_file(tmp_path_factory, names):
    root = Path(tmp_path_factory.mktemp("rf"))
    rf = RunFolder(root)
    paths = [rf.file("maps", n, ".png") for n in names]
    assert len({p.name.casefold() for p in paths}) == len(names)
    assert all(p.resolve().parent == (root / "maps").resolve() for p in paths)
