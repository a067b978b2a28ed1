"""Drone launch: navigator + px4_bridge; `sim:=true` swaps px4_bridge for the built-in sim_world.

    ros2 launch geotext_ros nav.launch.py engine_dir:=/path/to/engine gallery:=/path/gallery.json
    ros2 launch geotext_ros nav.launch.py sim:=true
    ros2 launch geotext_ros nav.launch.py sim:=true ui:=true   # + the ground station page (127.0.0.1:8765)

Every node gets the parameter file `config` (default: the package's config/nav.yaml, where all defaults live)
plus the launch arguments below. `geotext-nav` (geotext_ros/nodes/node_graph.py) starts the same nodes with the same
parameters in one process; test/test_launch_graph.py checks that they agree.
"""


def generate_launch_description():
    # launch / launch_ros exist only on a ROS install: imported here so this file can be read anywhere.
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument
    from launch.conditions import IfCondition, UnlessCondition
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node
    from launch_ros.parameter_descriptions import ParameterValue

    from geotext_ros.param_file import default_config_path, load_node_params

    nav = load_node_params("navigator")   # launch-argument defaults come from nav.yaml too
    arguments = [
        DeclareLaunchArgument("config", default_value=str(default_config_path()),
                              description="ROS 2 parameter file for all nodes"),
        DeclareLaunchArgument("engine_dir", default_value=nav["engine_dir"],
                              description="exported engine directory (empty = engines/default)"),
        DeclareLaunchArgument("gallery", default_value=nav["gallery"],
                              description="gallery.json of geotagged places (empty = no search)"),
        DeclareLaunchArgument("camera_topic", default_value=nav["camera_topic"],
                              description="camera image topic (sensor_msgs/Image)"),
        DeclareLaunchArgument("sim", default_value="false",
                              description="true = built-in sim_world instead of px4_bridge"),
        DeclareLaunchArgument("ui", default_value="false",
                              description="true = also start the ground_station web page"),
    ]
    config = LaunchConfiguration("config")
    sim = LaunchConfiguration("sim")

    navigator = Node(
        package="geotext_ros", executable="navigator", name="navigator", output="screen",
        parameters=[config, {
            "engine_dir": ParameterValue(LaunchConfiguration("engine_dir"), value_type=str),
            "gallery": ParameterValue(LaunchConfiguration("gallery"), value_type=str),
            "camera_topic": ParameterValue(LaunchConfiguration("camera_topic"), value_type=str),
        }])
    px4_bridge = Node(
        package="geotext_ros", executable="px4_bridge", name="px4_bridge", output="screen",
        parameters=[config], condition=UnlessCondition(sim))
    sim_world = Node(
        package="geotext_ros", executable="sim_world", name="sim_world", output="screen",
        parameters=[config, {
            "camera_topic": ParameterValue(LaunchConfiguration("camera_topic"), value_type=str),
        }], condition=IfCondition(sim))
    ground_station = Node(
        package="geotext_ros", executable="ground_station", name="ground_station", output="screen",
        parameters=[config], condition=IfCondition(LaunchConfiguration("ui")))
    return LaunchDescription([*arguments, navigator, px4_bridge, sim_world, ground_station])
