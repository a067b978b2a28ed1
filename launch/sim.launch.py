"""PX4 SITL + Gazebo: camera bridge, Micro XRCE-DDS Agent, navigator and px4_bridge (docs/px4_sitl.md).

Start PX4 first, in its own terminal:   cd PX4-Autopilot && make px4_sitl gz_x500_mono_cam_down
then:                                     ros2 launch geotext_ros sim.launch.py allow_arming:=true

Everything here runs with use_sim_time:=true (Gazebo's /clock is bridged). Parameters come from
share/geotext_ros/config/nav.yaml unless config:= names another file (the same argument as nav.launch.py); the
camera topic defaults come from its navigator section, as in nav.launch.py.
The imports live inside generate_launch_description() so the file loads (for tests) where launch is not installed.
"""

# Gazebo topics of PX4's x500_mono_cam_down in the "default" world. PX4-gazebo-models renamed the down camera's
# sensor from "imager" to "camera" on 2025-10-15: the default is the current name; with models from before that
# date pass gz_camera_topic:=.../sensor/imager/image and gz_camera_info_topic:=.../sensor/imager/camera_info
# (check with `gz topic -l | grep image`; another world replaces "default").
GZ_CAMERA_SENSOR_PREFIX = "/world/default/model/x500_mono_cam_down_0/link/camera_link/sensor/camera"
GZ_CAMERA_TOPIC = f"{GZ_CAMERA_SENSOR_PREFIX}/image"
GZ_CAMERA_INFO_TOPIC = f"{GZ_CAMERA_SENSOR_PREFIX}/camera_info"


def generate_launch_description():
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, ExecuteProcess
    from launch.conditions import IfCondition
    from launch.substitutions import LaunchConfiguration
    from launch_ros.actions import Node
    from launch_ros.parameter_descriptions import ParameterValue

    from geotext_ros.param_file import default_config_path, load_node_params

    nav = load_node_params("navigator")   # launch-argument defaults come from nav.yaml, as in nav.launch.py
    arg = LaunchConfiguration
    use_sim_time = ParameterValue(arg("use_sim_time"), value_type=bool)

    arguments = [
        DeclareLaunchArgument("config", default_value=str(default_config_path()),
                              description="ROS 2 parameter file for all nodes"),
        DeclareLaunchArgument("use_sim_time", default_value="true", description="follow Gazebo's /clock"),
        DeclareLaunchArgument("allow_arming", default_value="false",
                              description="operator consent: let px4_bridge switch to offboard and arm"),
        DeclareLaunchArgument("start_agent", default_value="true",
                              description="start `MicroXRCEAgent udp4 -p <agent_port>` here"),
        DeclareLaunchArgument("agent_port", default_value="8888", description="uXRCE-DDS agent UDP port"),
        DeclareLaunchArgument("gz_camera_topic", default_value=GZ_CAMERA_TOPIC,
                              description="Gazebo image topic (sensor 'camera'; '.../sensor/imager/image' with "
                                          "PX4-gazebo-models before 2025-10-15)"),
        DeclareLaunchArgument("gz_camera_info_topic", default_value=GZ_CAMERA_INFO_TOPIC,
                              description="Gazebo camera_info topic (sensor 'camera'; 'imager' before 2025-10-15)"),
        DeclareLaunchArgument("camera_topic", default_value=nav["camera_topic"], description="ROS image topic"),
        DeclareLaunchArgument("camera_info_topic", default_value=nav["camera_info_topic"],
                              description="ROS camera_info topic"),
    ]

    agent = ExecuteProcess(cmd=["MicroXRCEAgent", "udp4", "-p", arg("agent_port")], output="screen",
                           condition=IfCondition(arg("start_agent")))

    # gz -> ROS only ("[" direction): the camera, its intrinsics and the simulation clock.
    camera_bridge = Node(
        package="ros_gz_bridge", executable="parameter_bridge", name="camera_bridge", output="screen",
        arguments=[[arg("gz_camera_topic"), "@sensor_msgs/msg/Image[gz.msgs.Image"],
                   [arg("gz_camera_info_topic"), "@sensor_msgs/msg/CameraInfo[gz.msgs.CameraInfo"],
                   "/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock"],
        remappings=[(arg("gz_camera_topic"), arg("camera_topic")),
                    (arg("gz_camera_info_topic"), arg("camera_info_topic"))],
    )

    navigator = Node(
        package="geotext_ros", executable="navigator", name="navigator", output="screen",
        parameters=[arg("config"), {"use_sim_time": use_sim_time,
                                         "camera_topic": arg("camera_topic"),
                                         "camera_info_topic": arg("camera_info_topic")}],
    )

    px4_bridge = Node(
        package="geotext_ros", executable="px4_bridge", name="px4_bridge", output="screen",
        parameters=[arg("config"), {"use_sim_time": use_sim_time,
                                         "allow_arming": ParameterValue(arg("allow_arming"), value_type=bool)}],
    )

    return LaunchDescription(arguments + [agent, camera_bridge, navigator, px4_bridge])
