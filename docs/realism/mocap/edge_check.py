# Medians of the per-window intensity of the harmonised windows (WISDM, 20 Hz), with and without 3 samples at each end.
import numpy as np
from imusim.har.real import load_npz, harmonise, rewindow
from imusim.har.evaluate import map_labels
from imusim.har.synthetic import from_store
from imusim.har.realism import window_intensity
ref = rewindow(load_npz("../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz"), 2.56)
s = harmonise(map_labels(from_store("out/realism/mocap_store", "wrist_r"), {"walking": "walking", "jogging": "running"}), ref)
for act in ["walking", "jogging"]:
    for nm, S in (("wisdm", ref), ("mocap", s)):
        X = S.X[S.y == act][..., :3].astype(float)
        a, b = window_intensity(X, True), window_intensity(X[:, 3:-3], True)
        print(f"{act:8s} {nm:6s} median all samples {np.median(a):.3f}  without 3 at each end {np.median(b):.3f}  "
              f"p90 {np.percentile(a, 90):.3f} / {np.percentile(b, 90):.3f} m/s^2")
