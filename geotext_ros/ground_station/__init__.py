"""The operator's ground station: a web page (aiohttp + websockets) with the live camera, a map, the state
timeline and a text box for instructions. ROS-free: geotext_ros/nodes/ground_station.py feeds it from topics."""
