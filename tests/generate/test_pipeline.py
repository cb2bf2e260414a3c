"""imusim.generate.generate(GenerateConfig): the library pipeline the CLI, the demo, realism and the bench call."""

import json
import re

import numpy as np
import pytest
import torch

from imusim.cli import main
from imusim.generate import GenerateConfig, GenerateSummary, generate, load

ACTS = {"walking": ["a person walks."], "running": ["a person runs."]}


def _cfg(tmp_path, shared_data, name, **kw):
    base = dict(out=tmp_path / name, from_mocap=shared_data, activities=ACTS, per_activity=2, seconds=(3.0, 4.0),
                progress=False)
    base.update(kw)
    return GenerateConfig(**base)


def test_joint_sensor_renders_the_joint_frame(tmp_path, shared_data):
    """``joint:NAME`` (advertised by --sensors) used to fail in the sources' PRESETS lookup. Without
    augmentation and noise, its windows are synthesize_imu of the clip crop named in the store (an
    independent path: per-motion reference poses + resampling vs the batched render kernel)."""
    from imusim.data import load_motion
    from imusim.data.dataset import list_clips
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.imu import synthesize_imu

    s = generate(_cfg(tmp_path, shared_data, "j", sensors="joint:right_wrist,thigh_r", mirror=0.0, jitter_cm=0.0,
                      rot_deg=0.0, speed=(1.0, 1.0), noise="none"))
    st = load(s.out)
    meta = json.loads((tmp_path / "j" / "meta.json").read_text())
    assert [m["name"] for m in meta["sensors"]] == ["joint:right_wrist", "thigh_r"]
    assert meta["sensors"][0]["offset_m"] == [0.0, 0.0, 0.0] and s.windows == len(st) > 0
    files = {p.name: p for p in list_clips(shared_data)}
    k = int(np.flatnonzero(st.window_ids % (1 << 12) == 0)[0])  # the first window of a rendering
    m = re.match(r"(.+)\[(\d+):(\d+)\] x1\.00$", str(st.sources[k]))
    raw = load_motion(files[m.group(1)])
    mo = retarget_to_smpl22(raw, fps=raw.fps)  # as MocapSource: the clip's own rate
    a, b = int(m.group(2)), int(m.group(3))
    ref = synthesize_imu(mo.local_rot[a:b].float(), mo.root_pos[a:b].float(), mo.skeleton,
                         ["joint:right_wrist", "thigh_r"], mo.fps, rate=50.0)
    W = st.shape[1]
    want = torch.cat([ref.acc[:W], ref.gyro[:W]], -1).numpy()
    np.testing.assert_allclose(st[k], want, rtol=1e-4, atol=2e-3)


def test_library_and_cli_write_the_same_store(tmp_path, shared_data, capsys):
    (tmp_path / "acts.yaml").write_text("walking: [a person walks.]\nrunning: [a person runs.]\n")
    summ = generate(_cfg(tmp_path, shared_data, "lib", activities=tmp_path / "acts.yaml", variants=2, batch=3))
    assert isinstance(summ, GenerateSummary) and summ.store_wide
    assert main(["generate", "--from-mocap", str(shared_data), "--activities", str(tmp_path / "acts.yaml"),
                 "--per-activity", "2", "--seconds", "3,4", "--variants", "2", "--out", str(tmp_path / "cli")]) == 0
    printed = json.loads(capsys.readouterr().out)
    a, b = load(tmp_path / "lib"), load(tmp_path / "cli")
    np.testing.assert_array_equal(a.window_ids, b.window_ids)
    np.testing.assert_array_equal(a.array(), b.array())
    assert printed["windows"] == summ.windows == len(a)
    assert summ.per_activity == {k: int(v) for k, v in zip(*np.unique(a.labels, return_counts=True))}
    assert json.loads((tmp_path / "lib" / "summary.json").read_text()) == summ.to_dict()
    ca = json.loads((tmp_path / "lib" / "meta.json").read_text())["config"]
    cb = json.loads((tmp_path / "cli" / "meta.json").read_text())["config"]
    for key in ("seed", "per_activity", "seconds", "speed", "sensors", "noise", "variants"):
        assert ca[key] == cb[key], key


def test_resume_accepts_stores_recorded_with_text_pairs(tmp_path, shared_data):
    """Stores written before the library call recorded 'lo,hi' options as the text typed: resuming
    them with equal values must not be refused, other values must."""
    from imusim.generate.pipeline import config_diff

    new = _cfg(tmp_path, shared_data, "x").record()
    old = {**new, "seconds": "3,4", "speed": "0.85,1.15", "mag_field": "50,60", "temperature": None}
    assert config_diff(old, new) == []
    assert [k for k, _, _ in config_diff({**old, "speed": "0.9,1.1"}, new)] == ["speed"]
    assert config_diff({**old, "temperature": "25"}, {**new, "temperature": [25.0, 25.0]}) == []


@pytest.mark.parametrize("kw,pattern", [
    (dict(speed="a,b"), r"speed must be two numbers 'lo,hi', got 'a,b'"),
    (dict(seconds=(9, 4)), r"seconds must be 'lo,hi' with 0 < lo <= hi, got '9,4'"),
    (dict(variants=0), r"variants must be in 1\.\.256, got 0"),
    (dict(per_activity=1.5), r"per_activity must be an integer >= 1, got 1\.5"),
    (dict(noise="bmi999"), r"noise: unknown noise model 'bmi999'"),
    (dict(channels="acc,foo"), r"channels: channels must be a non-empty subset of acc,gyro,mag"),
    (dict(quality_filter="yes"), r"quality_filter must be None, 'global' or 'activity', got 'yes'"),
    (dict(window=100.0), r"window 100 s is longer than the longest motion"),
    (dict(resume=True, overwrite=True), r"resume and overwrite exclude each other"),
])
def test_bad_configuration_is_named(tmp_path, shared_data, kw, pattern):
    with pytest.raises(ValueError, match=pattern):
        generate(_cfg(tmp_path, shared_data, "bad", **kw))
    assert not (tmp_path / "bad").exists()  # refused before anything was written


def test_generate_rejects_other_config_types(tmp_path):
    with pytest.raises(TypeError, match="config must be a GenerateConfig, got dict"):
        generate({"out": str(tmp_path)})


def test_mocap_styles_keep_only_the_clips_of_those_styles(tmp_path, shared_data):
    """``mocap_styles`` (``--mocap-styles``) renders only clips whose file name carries one of the styles, and
    records it; an unknown style is an error that lists the styles there are; it needs from_mocap."""
    from imusim.data.captions import labels_from_path

    s = generate(_cfg(tmp_path, shared_data, "normal", mocap_styles="normal", per_activity=6))
    st = load(s.out)
    styles = {labels_from_path(x.split("[")[0])["style"] for x in st.sources}
    assert styles == {"normal"} and len(st.sources) > 0
    meta = st.meta
    assert meta["config"]["mocap_styles"] == ["normal"] and meta["source"].endswith("(styles normal)")
    # without the filter the same plan draws other styles too (many more clips have a style than not)
    st_all = load(generate(_cfg(tmp_path, shared_data, "all", per_activity=6)).out)
    assert len({labels_from_path(x.split("[")[0])["style"] for x in st_all.sources}) > 1
    with pytest.raises(ValueError, match=r"--mocap-styles: .*\['nosuchstyle'\].*their styles are \[.*'normal'"):
        generate(_cfg(tmp_path, shared_data, "bad", mocap_styles="normal,nosuchstyle"))
    with pytest.raises(ValueError, match="mocap_styles 'normal' needs from_mocap"):
        generate(_cfg(tmp_path, shared_data, "diff", from_mocap=None, mocap_styles=["normal"]))
    with pytest.raises(ValueError, match="must name at least one style"):
        generate(_cfg(tmp_path, shared_data, "empty", mocap_styles=" , "))
