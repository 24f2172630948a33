"""The command line: thin click commands that parse options and call the library.

Exit codes: 0 done; 2 bad input, config or usage (one line on stderr naming the input
and the fix; traceback only with -v); 1 a bug.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .geo.errors import UrbanRuralError

logger = logging.getLogger("urbanrural")


_MAX_MESSAGE = 2000  # an error line never echoes more than this (a 409-byte config once printed 312 MB)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that temporary outputs are cleaned up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n"))
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + f" ... ({len(text):,} characters cut)"


_FILE_ERRORS = {("rasterio.errors", "RasterioIOError"), ("pyogrio.errors", "DataSourceError"),
                ("pyogrio.errors", "DataLayerError")}


def _is_file_error(exc: BaseException) -> bool:
    """GDAL could not open or read a file (a broken or foreign input, not a bug of ours)."""
    return any((k.__module__, k.__name__) in _FILE_ERRORS for k in type(exc).__mro__)


class _Group(click.Group):
    """Turns library errors into one line and exit 2; bugs into exit 1; Ctrl-C 130, SIGTERM 143."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        previous = None
        try:
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (e.g. some test runners): no handler
            previous = None
        try:
            return super().invoke(ctx)
        except UrbanRuralError as exc:
            if ctx.obj and ctx.obj.get("verbose", 0) > 0:
                traceback.print_exc()
            click.echo(f"error: {_one_line(exc)}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted: nothing was written (temporary files removed)", err=True)
            ctx.exit(130)
        except Terminated:
            click.echo("terminated: nothing was written (temporary files removed)", err=True)
            ctx.exit(143)
        except MemoryError:
            click.echo("error: out of memory; for a large study set a coarser resolution or fewer units, or "
                       "split the area", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # a bug, unless a file reader refused a file we did not check first
            if _is_file_error(exc):
                if ctx.obj and ctx.obj.get("verbose", 0) > 0:
                    traceback.print_exc()
                click.echo(f"error: a file cannot be read: {_one_line(exc)}; check that it is complete and in a "
                           "format GDAL reads (GeoPackage, shapefile, GeoTIFF, CSV)", err=True)
                ctx.exit(2)
            if ctx.obj and ctx.obj.get("verbose", 0) > 0:
                traceback.print_exc()
            click.echo(f"internal error (a bug, please report it): {type(exc).__name__}: {_one_line(exc)}; "
                       "rerun with -v for the traceback", err=True)
            ctx.exit(1)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


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
    from .geo.io import MARKER, check_output_dir
    from .layers.demo import demo_region
    from .pipeline import run

    check_output_dir(out_dir, overwrite=overwrite, what="demo folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not (out_dir / MARKER).exists():
        (out_dir / MARKER).write_text('{"made_by": "urbanrural", "what": "demo"}\n', encoding="utf-8")
    cfg = demo_region(out_dir / "data", overwrite=overwrite)
    click.echo(f"demo data (synthetic) in {cfg.parent}", err=True)
    _finish(run(cfg, out_dir=out_dir / "results", overwrite=overwrite))


@main.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: outputs.dir of the config).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--memory-gb", type=click.FloatRange(min=0.1), default=None,
              help="Memory budget for streamed work (overrides scale: memory_gb; default 8).")
@click.option("--scheduler", default=None,
              help="Where dask work runs (overrides scale: scheduler): 'local' for a LocalCluster on this "
                   "machine, or a scheduler address like tcp://host:8786.")
def run_cmd(config: Path, out_dir: Path | None, overwrite: bool, memory_gb: float | None,
            scheduler: str | None) -> None:
    """Run the study described by CONFIG.yaml."""
    from .config import load_config
    from .geo.cluster import check_scheduler
    from .pipeline import run

    cfg = load_config(config)
    if memory_gb is not None or scheduler is not None:
        update = {"memory_gb": memory_gb, "scheduler": check_scheduler(scheduler)}
        cfg = cfg.model_copy(update={"scale": cfg.scale.model_copy(
            update={k: v for k, v in update.items() if v is not None})})
    _finish(run(cfg, out_dir=out_dir, overwrite=overwrite))


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
    from .preflight import run_problems

    area = build_study_area(cfg)
    problems = run_problems(cfg, area, out_dir=cfg.outputs.dir)
    if problems:
        for p in problems:
            click.echo(f"  - {p}", err=True)
        raise ConfigError(f"{config.name}: {len(problems)} problem(s), listed above")
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
    from .geo.io import check_output_file

    check_output_file(out, overwrite=overwrite, inputs=[p for p in (population, land, built) if p is not None])
    res = classify_raster(population, land=land, built=built, level=int(level), out=out,
                          params=GridParams.preset(rules))
    click.echo(f"wrote {out}")
    for code, row in res.counts().iterrows():
        click.echo(f"  {code:>3} {row['class']:<26} {row['cells']:>9,d} cells {row['population']:>14,.0f} people")


@main.command("map")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--column", required=True,
              help="Column, or lisa:VAR, lisa_p:VAR, gi:VAR, degurba, ccd, facilities, tt:CATEGORY, iso:CATEGORY, "
                   "flow:KIND, flow_matrix:KIND.")
@click.option("--layer", default="units", show_default=True, help="Layer of RESULTS to map.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="MAP.html|.png|.pdf|.svg")
@click.option("--title", default=None, help="Map title (default: the column's title in the chosen language).")
@click.option("--scheme", default="quantiles", show_default=True,
              help="quantiles, natural_breaks, fisher_jenks, equal_interval (travel times use --bins).")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(2, 12),
              help="Number of classes (2-12); not used for travel-time bands or named classes.")
@click.option("--bins", default=None, help="Travel-time bands in minutes, e.g. 15,30,60.")
@click.option("--lang", "--language", "language", type=click.Choice(["en", "zh"]), default="en",
              show_default=True, help="Language of titles, legends and tooltips.")
@click.option("--page", type=click.Choice(["A4", "A3"]), default="A4", show_default=True, help="Print page size.")
@click.option("--orientation", type=click.Choice(["auto", "portrait", "landscape"]), default="auto",
              show_default=True)
@click.option("--dpi", type=click.IntRange(72, 1200), default=300, show_default=True, help="PNG resolution.")
@click.option("--source", default=None, help="Source line under a print map, e.g. '县统计局 2024'.")
@click.option("--context", default="", help="HTML: context layers of RESULTS to add, e.g. facilities,roads,isochrones.")
@click.option("--tiles", default=None, help="HTML: a tile layer by name or URL template (default: none, offline).")
@click.option("--attribution", default=None, help="Attribution of a --tiles URL template.")
@click.option("--top-n", "top_n", type=click.IntRange(1), default=200, show_default=True,
              help="flow:KIND maps: draw the N largest flows.")
@click.option("--min-volume", "min_volume", type=click.FloatRange(0), default=None,
              help="flow:KIND maps: draw only flows of at least this volume.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def map_cmd(results: Path, column: str, layer: str, out: Path, title: str | None, scheme: str, k: int,
            bins: str | None, language: str, page: str, orientation: str, dpi: int, source: str | None,
            context: str, tiles: str | None, attribution: str | None, top_n: int, min_volume: float | None,
            overwrite: bool) -> None:
    """Draw a map of RESULTS.gpkg: offline HTML or a print map (PNG, PDF, SVG)."""
    from .geo.errors import UnknownNameError
    from .geo.io import check_output_file
    from .maps.render import render_map

    check_output_file(out, overwrite=overwrite, inputs=[results])
    band_list = None
    if bins:
        try:
            band_list = sorted(float(b) for b in bins.split(","))
        except ValueError:
            raise UnknownNameError(f"--bins {bins!r}: give minutes separated by commas, e.g. --bins 15,30,60") from None
    layers = tuple(c.strip() for c in context.split(",") if c.strip())
    bad = [c for c in layers if c not in ("facilities", "roads", "isochrones")]
    if bad:
        raise UnknownNameError(f"--context {bad}: valid layers are facilities, roads, isochrones")
    render_map(results, column, out, layer=layer, language=language, scheme=scheme, k=k, title=title,
               bins=band_list, context=layers, tiles=tiles, attr=attribution, top_n=top_n, min_volume=min_volume,
               print_options={"page": page, "orientation": orientation, "dpi": dpi, "source": source,
                              "context": {"boundary": True}})
    click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
