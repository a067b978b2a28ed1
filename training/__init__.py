"""Training package: data, losses, train, evaluate, export. Imports geotext_ros, never the reverse."""
