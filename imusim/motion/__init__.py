"""Motion: the clip container every loader returns (:class:`Motion`, imusim/motion/clip.py), its HumanML3D
263-d feature representation (imusim/motion/humanml.py) and physical-plausibility measures (quality.py)."""
from .clip import Motion
from .humanml import Normalizer, features_from_positions, positions_from_features, recover_from_ric

__all__ = ["Motion", "features_from_positions", "recover_from_ric", "positions_from_features", "Normalizer"]
