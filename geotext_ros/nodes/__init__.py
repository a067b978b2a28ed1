"""geotext_ros.nodes"""
