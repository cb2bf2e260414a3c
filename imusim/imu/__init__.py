"""Virtual IMUs: sensor mounts, synthesis, sensor error model."""
from .noise import AxisNoise, NoiseModel, apply_noise
from .sensors import PRESETS, Sensor, sensors_from_names
from .mesh import TRANSPOSE_SENSORS, SMPLBody, VertexSensor, synthesize_imu_mesh
from .synth import IMUResult, synthesize_imu

__all__ = ["Sensor", "PRESETS", "sensors_from_names", "synthesize_imu", "IMUResult", "NoiseModel", "AxisNoise",
           "apply_noise", "SMPLBody", "VertexSensor", "TRANSPOSE_SENSORS", "synthesize_imu_mesh"]
