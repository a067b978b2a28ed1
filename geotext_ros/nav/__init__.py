"""geotext_ros.nav"""
