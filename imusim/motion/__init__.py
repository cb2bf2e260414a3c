"""Motion representations (HumanML3D 263-d features)."""
from .humanml import Normalizer, features_from_positions, positions_from_features, recover_from_ric

__all__ = ["features_from_positions", "recover_from_ric", "positions_from_features", "Normalizer"]
