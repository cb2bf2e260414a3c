import numpy as np
import pytest

from imusim.generate.windows import sliding_windows, window_params


def test_window_params():
    assert window_params(50, 2.56, 1.28) == (128, 64)
    with pytest.raises(ValueError, match="stride"):
        window_params(50, 2.56, 0.001)


def test_sliding_windows_match_naive():
    x = np.arange(300 * 2 * 6, dtype=np.float32).reshape(300, 2, 6)
    w = sliding_windows(x, 128, 64)
    naive = np.stack([x[s:s + 128] for s in range(0, 300 - 128 + 1, 64)])
    assert w.shape == (3, 128, 2, 6) and w.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(w, naive)
    assert sliding_windows(x[:100], 128, 64).shape == (0, 128, 2, 6)
