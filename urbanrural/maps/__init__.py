"""Maps: interactive (folium, offline) and static (matplotlib) maps, and the report."""
