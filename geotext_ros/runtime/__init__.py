"""geotext_ros.runtime"""
