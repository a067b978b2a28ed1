"""geotext_ros.model"""
