"""Virtual IMUs: sensor mounts, synthesis, sensor error model and profiles, magnetometer, Allan deviation."""
from .allan import allan_deviation
from .magnetic import earth_field
from .noise import AxisNoise, DrawnErrors, NoiseModel, apply_noise
from .profiles import get_noise_model
from .profiles import list_noise_models
from .sensors import PRESETS, Sensor, sensors_from_names
from .mesh import TRANSPOSE_SENSORS, SMPLBody, VertexSensor, synthesize_imu_mesh
from .synth import IMUResult, synthesize_imu

__all__ = ["Sensor", "PRESETS", "sensors_from_names", "synthesize_imu", "IMUResult", "NoiseModel", "AxisNoise",
           "DrawnErrors", "apply_noise", "get_noise_model", "list_noise_models", "allan_deviation", "earth_field",
           "SMPLBody", "VertexSensor", "TRANSPOSE_SENSORS", "synthesize_imu_mesh"]
