"""geotext_ros: natural-language drone navigation on board (GeoText-1652 / HCCM methods)."""

__version__ = "0.1.0"
