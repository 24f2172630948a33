"""The command line: thin click commands that parse options and call the library.

Exit codes: 0 done; 2 bad input, config or usage (one line on stderr naming the input
and the fix; traceback only with -v); 1 a bug.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .geo.errors import UrbanRuralError

logger = logging.getLogger("urbanrural")


class _Group(click.Group):
    """Turns library errors into one line and exit 2; bugs into exit 1."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except UrbanRuralError as exc:
            if ctx.obj and ctx.obj.get("verbose", 0) > 0:
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # a bug
            if ctx.obj and ctx.obj.get("verbose", 0) > 0:
                traceback.print_exc()
            click.echo(f"internal error (a bug, please report it): {type(exc).__name__}: {exc}; "
                       "rerun with -v for the traceback", err=True)
            ctx.exit(1)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="urbanrural")
@click.option("-v", "--verbose", count=True, help="More detail; tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Measure urban-rural integration: accessibility, urban-rural classes,
    spatial statistics, integration indices, offline maps."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    _setup_logging(verbose, quiet)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(path: Path, as_json: bool) -> None:
    """Summarise a vector, raster or table without loading it all."""
    from .layers.info import info as _info

    out = _info(path)
    if as_json:
        click.echo(json.dumps(out, indent=2, default=str))
        return
    for key, value in out.items():
        if key == "layers":
            for layer in value:
                click.echo(f"layer {layer['name']}: {layer['count']} {layer['geometry_type']} "
                           f"features, crs {layer['crs']}, bounds {layer['bounds']}")
                click.echo(f"  fields: {', '.join(layer['fields'])}")
        else:
            click.echo(f"{key}: {value}")


def _finish(result) -> None:
    click.echo(f"wrote {result.out_dir}")
    for name in ("results.gpkg", "report.html", "run.json"):
        click.echo(f"  {result.out_dir / name}")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("urbanrural-demo"),
              show_default=True, help="Folder for the demo data and its results.")
@click.option("--overwrite", is_flag=True, help="Replace an existing demo folder.")
def demo(out_dir: Path, overwrite: bool) -> None:
    """Build the synthetic demo county and run every analysis on it."""
    from .geo.io import ensure_new
    from .layers.demo import demo_region
    from .pipeline import run

    ensure_new(out_dir, overwrite=overwrite)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = demo_region(out_dir / "data", overwrite=overwrite)
    click.echo(f"demo data (synthetic) in {cfg.parent}", err=True)
    _finish(run(cfg, out_dir=out_dir / "results", overwrite=overwrite))


@main.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: outputs.dir of the config).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
def run_cmd(config: Path, out_dir: Path | None, overwrite: bool) -> None:
    """Run the study described by CONFIG.yaml."""
    from .pipeline import run

    _finish(run(config, out_dir=out_dir, overwrite=overwrite))


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
def validate(config: Path) -> None:
    """Preflight a config: list every problem (exit 2) or say it is ready."""
    from .config import config_problems
    from .geo.errors import ConfigError

    cfg, problems = config_problems(config)
    if problems or cfg is None:
        for p in problems:
            click.echo(f"  - {p}", err=True)
        raise ConfigError(f"{config.name}: {len(problems)} problem(s), listed above")
    from .pipeline import build_study_area

    area = build_study_area(cfg)
    s = area.summary()
    click.echo(f"{config.name}: ok - {s['units']} units in {s['crs']}, population "
               f"{s['population'] if s['population'] is not None else 'n/a'}, "
               f"facilities {s['facilities']}, roads {s['roads']}")
    for c in area.checks.problems():
        click.echo(f"  note: {c.input}: {c.check}: {c.status} ({c.count}) {c.detail}")


@main.command()
@click.argument("population", type=click.Path(path_type=Path))
@click.option("--land", type=click.Path(path_type=Path), default=None, help="Permanent land (share or m2 per cell).")
@click.option("--built", type=click.Path(path_type=Path), default=None, help="Built-up surface (share or m2).")
@click.option("--level", type=click.Choice(["1", "2"]), default="2", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output classes GeoTIFF.")
@click.option("--rules", type=click.Choice(["2024", "R2023A", "R2022A"]), default="2024", show_default=True,
              help="2024: GHSL R2023A with the July 2024 semi-dense rule (flexurba's defaults); R2023A/R2022A: "
                   "the GHS-SMOD products' rules.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def degurba(population: Path, land: Path | None, built: Path | None, level: str, out: Path, rules: str,
            overwrite: bool) -> None:
    """Degree of Urbanisation grid classes from a population raster."""
    from .analysis.degurba import GridParams, classify_raster
    from .geo.io import ensure_new

    ensure_new(out, overwrite=overwrite)
    res = classify_raster(population, land=land, built=built, level=int(level), out=out,
                          params=GridParams.preset(rules))
    click.echo(f"wrote {out}")
    for code, row in res.counts().iterrows():
        click.echo(f"  {code:>3} {row['class']:<26} {row['cells']:>9,d} cells {row['population']:>14,.0f} people")


@main.command("map")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--column", required=True, help="Column, or lisa:VAR, gi:VAR, degurba, ccd, facilities, tt:CATEGORY, iso:CATEGORY.")
@click.option("--layer", default="units", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="MAP.html|.png|.pdf|.svg")
@click.option("--scheme", default="quantiles", show_default=True,
              help="quantiles, natural_breaks, fisher_jenks, equal_interval")
@click.option("-k", "k", default=5, show_default=True, help="Number of classes.")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def map_cmd(results: Path, column: str, layer: str, out: Path, scheme: str, k: int, language: str,
            overwrite: bool) -> None:
    """Draw a map of RESULTS.gpkg: offline HTML or a print map (PNG 300 dpi, PDF, SVG)."""
    from .geo.io import ensure_new
    from .maps.render import render_map

    ensure_new(out, overwrite=overwrite)
    render_map(results, column, out, layer=layer, language=language, scheme=scheme, k=k)
    click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
