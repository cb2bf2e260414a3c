"""Compatibility import: the ``Motion`` clip moved to :mod:`imusim.motion.clip` (issue 17: "motion" names one
package, :mod:`imusim.motion`). Import ``Motion`` from :mod:`imusim.motion` or :mod:`imusim.data`; this module
is kept only so that scripts written before the move keep working."""
from ..motion.clip import NPZ_FORMAT, ROT_TOL, Motion  # noqa: F401
