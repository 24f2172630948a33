"""Summaries of an input file without loading all of it."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import rasterio

from ..geo.crs import crs_label
from ..geo.errors import InputFileError
from ..geo.io import require_file
from ..geo.raster import READ_ERRORS

__all__ = ["info"]

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".asc", ".nc"}


def info(path: str | Path) -> dict[str, Any]:
    """Count, CRS, bounds and fields of a vector, raster or table, read from headers.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> pd.DataFrame({"code": ["01"], "x": [1.5]}).to_csv(p, index=False)
    >>> info(p)["kind"], info(p)["count"]
    ('table', 1)
    """
    p = require_file(path, what="file")
    if p.is_file() and p.stat().st_size == 0:
        raise InputFileError(f"{p.name} is empty (0 bytes)")
    suffix = p.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        with open(p, "rb") as f:
            header = f.readline().decode("utf-8-sig", errors="replace").strip()
            count = sum(1 for _ in f)
        sep = "\t" if suffix == ".tsv" else ","
        return {"path": str(p), "kind": "table", "count": count, "fields": header.split(sep)}
    if suffix in {".xlsx", ".xls"}:
        import pandas as pd

        try:
            frame = pd.read_excel(p, nrows=0)
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise InputFileError(f"{p.name} cannot be read as a spreadsheet ({exc})") from exc
        return {"path": str(p), "kind": "table", "count": None, "fields": list(frame.columns)}
    if suffix in RASTER_SUFFIXES:
        try:
            src = rasterio.open(p)
        except READ_ERRORS as exc:
            raise InputFileError(f"{p.name} cannot be read as a raster ({exc}); the file is truncated, "
                                 "corrupt or not a raster") from exc
        with src:
            return {
                "path": str(p), "kind": "raster", "width": src.width, "height": src.height,
                "count": src.count, "dtype": src.dtypes[0],
                "crs": crs_label(src.crs) if src.crs else None,
                "resolution": [abs(src.transform.a), abs(src.transform.e)],
                "bounds": list(src.bounds), "nodata": src.nodata,
            }
    try:
        if suffix in {".parquet", ".geoparquet"}:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(p)
            return {"path": str(p), "kind": "vector", "count": meta.num_rows,
                    "fields": meta.schema.names}
        layers = pyogrio.list_layers(p)
        out: dict[str, Any] = {"path": str(p), "kind": "vector", "layers": []}
        for name, geom_type in layers:
            meta = pyogrio.read_info(p, layer=name)
            out["layers"].append({
                "name": str(name), "geometry_type": geom_type, "count": int(meta["features"]),
                "crs": crs_label(meta["crs"]) if meta["crs"] else None,
                "bounds": [float(v) for v in meta["total_bounds"]] if meta.get("total_bounds") is not None else None,
                "fields": [str(f) for f in meta["fields"]],
            })
        return out
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(f"{p.name} is not a vector, raster or table this tool can read ({exc})") from exc
