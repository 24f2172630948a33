import pytest
import yaml

from urbanrural.config import config_problems, load_config
from urbanrural.geo.errors import ConfigError


def edit(path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data))
    return path


def test_small_study_loads_with_paths_relative_to_the_file(small_study):
    cfg = load_config(small_study)
    assert cfg.units.path == small_study.parent / "units.gpkg"
    assert cfg.outputs.dir == small_study.parent / "out"
    assert cfg.roads.class_ == "road_class"


def test_typo_suggests_the_nearest_key(small_study):
    edit(small_study, lambda d: d["units"].update({"nmae": "name"}))
    with pytest.raises(ConfigError, match="units.nmae: unknown key; did you mean 'name'"):
        load_config(small_study)


def test_every_problem_is_listed_at_once(small_study):
    def breakit(d):
        d["units"]["path"] = "missing.gpkg"
        d["analyses"] = {"accessibility": {"thresholds": [-5], "measures": ["2sfac"]}}
        d["outputs"]["formats"] = ["html", "gif"]
    edit(small_study, breakit)
    cfg, problems = config_problems(small_study)
    text = " | ".join(problems)
    assert "thresholds must be positive" in text
    assert "unknown measure(s) ['2sfac']" in text
    assert "outputs.formats.1" in text
    assert cfg is None and len(problems) == 3
    edit(small_study, lambda d: d.pop("analyses") and d["outputs"].pop("formats"))
    cfg, problems = config_problems(small_study)
    assert problems == [f"units: file {small_study.parent / 'missing.gpkg'} does not exist"]


def test_unquoted_direction_in_block_yaml_gets_a_hint(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("units: {path: u.gpkg, id: code}\nanalyses:\n  integration:\n    dimensions:\n      e:\n        a: -\n")
    with pytest.raises(ConfigError, match="must be quoted"):
        load_config(p)


def test_analysis_needing_missing_input(small_study):
    edit(small_study, lambda d: (d.pop("roads"), d.update({"analyses": {"accessibility": {"mode": "network"}}})))
    _, problems = config_problems(small_study)
    assert problems == ["analyses.accessibility: mode network needs a roads: section (or use mode: euclidean)"]
