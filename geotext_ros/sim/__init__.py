"""geotext_ros.sim"""
