"""Urban/rural designation from labels, thresholds and codes (hand-worked cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from robustness.harness import assert_ran, assert_refused, invoke

from urbanrural.analysis.designation import designate, from_labels, from_threshold, parse_condition
from urbanrural.geo.errors import ConfigError, DataError


def test_builtin_labels_any_case_and_language():
    s = pd.Series([" Urban", "RURAL", "城镇", "乡村", "城市", "农村"], index=list("abcdef"))
    assert designate(s).classes.tolist() == ["urban", "rural"] * 3
    assert designate(s).classes.index.tolist() == list("abcdef")


def test_user_labels_over_builtin():
    s = pd.Series(["A区", "B村", "urban"])
    out = from_labels(s, labels={"A区": "urban", "B村": "rural"})
    assert out.tolist() == ["urban", "rural", "urban"]


def test_unmatched_labels_are_named_with_the_fix():
    with pytest.raises(DataError, match=r"'郊区' x2.*labels: \{'郊区': rural\}"):
        from_labels(pd.Series(["郊区", "郊区", "城镇"]))


def test_bad_label_target_refused():
    with pytest.raises(ConfigError, match="urban or rural"):
        from_labels(pd.Series(["x"]), labels={"x": "suburban"})


@pytest.mark.parametrize("cond,expected", [(">= 50", ["rural", "rural", "urban"]),
                                           ("> 50", ["rural", "urban", "urban"]),
                                           ("< 50", ["urban", "urban", "rural"])])
def test_rural_if_conditions(cond, expected):
    assert from_threshold(pd.Series([70, 50, 10]), rural_if=cond).tolist() == expected


def test_urban_if_and_formatted_numbers_and_missing():
    out = from_threshold(pd.Series(["1,200", "300", None]), urban_if=">= 1000")
    assert out.iloc[:2].tolist() == ["urban", "rural"] and pd.isna(out.iloc[2])


@pytest.mark.parametrize("text", ["50", ">= fifty", "=> 50", ">= 50 %", ""])
def test_bad_conditions(text):
    with pytest.raises(ConfigError, match="rural_if"):
        parse_condition(text)


def test_codes_detected_and_bad_code_named():
    assert designate(pd.Series(["111", 122, 210, 220])).classes.tolist() == ["urban", "urban", "rural", "rural"]
    with pytest.raises(DataError, match="999"):
        designate(pd.Series([111, 210, 999]))


def test_numeric_column_without_condition_asks_for_one():
    """PctRural used to pass validate, then fail: now the message says rural_if."""
    with pytest.raises(DataError, match="rural_if: '>= 50'"):
        designate(pd.Series(np.linspace(0, 100, 11)), name="PctRural")


GEORGIA = {"name": "g", "units": {"path": "example:georgia", "id": "AreaKey", "crs": "EPSG:26916"}}


def _write(tmp_path, ur):
    import yaml

    cfg = dict(GEORGIA, analyses={"urban_rural": ur})
    p = tmp_path / "g.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return p


def test_cli_numeric_column_needs_a_condition(tmp_path):
    p = _write(tmp_path, {"column": "PctRural"})
    assert_refused(invoke(["validate", p], sandbox=tmp_path), "PctRural", "rural_if")


def test_cli_condition_and_labels(tmp_path):
    p = _write(tmp_path, {"column": "PctRural", "urban_if": "< 50"})
    assert_ran(invoke(["-q", "run", p, "--out", tmp_path / "r"], sandbox=tmp_path), "r")
    assert_refused(invoke(["validate", _write(tmp_path, {"column": "PctRural", "rural_if": "fifty"})],
                          sandbox=tmp_path), "rural_if")
    assert_refused(invoke(["validate", _write(tmp_path, {"rural_if": ">= 50"})], sandbox=tmp_path), "column")
