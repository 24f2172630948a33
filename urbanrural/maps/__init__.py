"""Maps that work offline: interactive folium maps (Leaflet inlined, no CDN, no tiles by
default), print-ready static maps, and the run report.

Examples
--------
>>> import urbanrural as ur
>>> callable(ur.maps.choropleth) and callable(ur.maps.save_html)
True
"""

from __future__ import annotations

from .flows import flow_map, flow_matrix
from .interactive import add_raster, add_roads, categorical, choropleth, facilities_map
from .labels import label
from .offline import save_html, to_html
from .panel import density_figure, years_map
from .render import render_map
from .static import small_multiples, static_map

__all__ = ["choropleth", "categorical", "facilities_map", "add_roads", "add_raster", "save_html", "to_html",
           "static_map", "small_multiples", "render_map", "label", "flow_map", "flow_matrix", "years_map", "density_figure"]
