"""Real example datasets bundled with libpysal, loaded by name (offline).

=========  ==================================================  ===================  ==========
name       what                                                CRS                  id
=========  ==================================================  ===================  ==========
columbus   49 Columbus, Ohio neighbourhoods, 1980 (Anselin      none (arbitrary      ``POLYID``
           1988): CRIME, INC, HOVAL ...                        planar units)
georgia    159 Georgia counties, 1990 census (GWR4 test data)   EPSG:26916 (set      ``AreaKey``
           TotPop90, PctRural, PctBach ...                     here: ships no .prj)
chicago    77 Chicago community areas (Anselin and Rey)         EPSG:3435 (set here  ``AREANO``
                                                               from the coordinate
                                                               range; no .prj)
=========  ==================================================  ===================  ==========

Georgia's README says UTM zone 16N; the county centroids in NAD83 / UTM 16N land within
1 km of the latitude/longitude columns the file carries, which is how the datum was
checked. Chicago77's coordinates are US survey feet in the Illinois East state plane
(NAD83), which places the city where it is. Columbus's coordinates are in an arbitrary
local system: contiguity weights work; distance weights in metres do not.

Examples
--------
>>> from urbanrural.layers import load_example
>>> columbus = load_example("columbus")
>>> len(columbus), columbus.index[0], columbus.crs is None
(49, '1', True)
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from ..geo.checks import CheckLog, get_log
from ..geo.errors import MissingDependencyError
from ..geo.registry import check_choice
from ..geo.validate import check_geometries
from .readers import POLYGONAL, _attach_ids, read_units, read_vector

__all__ = ["load_example", "EXAMPLES"]

# name -> (libpysal folder, file, id column, name column, CRS to assign or None)
EXAMPLES: dict[str, tuple[str, str, str, str | None, str | None]] = {
    "columbus": ("columbus", "columbus.shp", "POLYID", None, None),
    "georgia": ("georgia", "G_utm.shp", "AreaKey", None, "EPSG:26916"),
    "chicago": ("chicago", "Chicago77.shp", "AREANO", "COMMUNITY", "EPSG:3435"),
}


def example_path(name: str) -> Path:
    """Path of a bundled example's file (see :data:`EXAMPLES`)."""
    check_choice(name, EXAMPLES, what="example")
    try:
        import libpysal
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("examples need libpysal: pip install libpysal") from exc
    folder, file, *_ = EXAMPLES[name]
    return Path(libpysal.__file__).resolve().parent / "examples" / folder / file


def load_example(name: str, *, log: CheckLog | None = None) -> gpd.GeoDataFrame:
    """Load a real example dataset bundled with libpysal as analysis units.

    Parameters
    ----------
    name : {"columbus", "georgia", "chicago"}
    log : CheckLog, optional
        Receives the reading checks (and the CRS assignment for files without .prj).

    Returns
    -------
    GeoDataFrame
        Indexed by the text id listed in the module table; original columns kept.
    """
    check_choice(name, EXAMPLES, what="example")
    _, _, id_col, name_col, crs = EXAMPLES[name]
    path = example_path(name)
    if crs is not None:
        return read_units(path, id_col=id_col, name_col=name_col, crs=crs, log=log)
    # No real CRS exists for Columbus: read it without one, with the same id/geometry checks.
    log = get_log(log)
    gdf = _attach_ids(read_vector(path), id_col, name=path.name, log=log)
    gdf = check_geometries(gdf, name=path.name, expected=POLYGONAL, repair=True, drop_empty=False, log=log)
    log.add(path.name, "crs", "ok", detail="no CRS: arbitrary planar units (contiguity only)")
    return gdf
