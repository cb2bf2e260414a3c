"""Assets of the paper's setting, built in their own layouts with tiny random weights (no real assets here):
an MDM checkpoint directory (MDM's key names, ``args.json``), a CLIP text tower in transformers' format,
a HumanML3D directory made from ``../shared/data/humanml3d_sample``, and Guo et al.'s evaluator files."""

from __future__ import annotations

import json
import math
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


# ----------------------------------------------------------------------------- MDM checkpoint
def mdm_args(latent=16, layers=2, dataset="humanml", **kw):
    """args.json as MDM's train_mdm writes it (the fields imusim reads plus a few it ignores)."""
    a = {"arch": "trans_enc", "batch_size": 64, "cond_mask_prob": 0.1, "cuda": True, "data_dir": "",
         "dataset": dataset, "device": 0, "diffusion_steps": 1000, "emb_trans_dec": False, "lambda_fc": 0.0,
         "lambda_rcxyz": 0.0, "lambda_vel": 0.0, "latent_dim": latent, "layers": layers, "lr": 0.0001,
         "noise_schedule": "cosine", "num_steps": 600000, "seed": 10, "sigma_small": True,
         "unconstrained": False, "weight_decay": 0.0}
    a.update(kw)
    return a


def sinusoid_table(L, d):
    """MDM's PositionalEncoding buffer ``[L, 1, d]`` (sin on even, cos on odd channels)."""
    pos = np.arange(L, dtype=np.float64)[:, None]
    div = np.exp(np.arange(0, d, 2, dtype=np.float64) * (-math.log(10000.0) / d))
    pe = np.zeros((L, d))
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div)
    return torch.from_numpy(pe).float()[:, None, :]


def mdm_state_dict(latent=16, layers=2, n_feats=263, ff=1024, clip_dim=512, pe_len=5000, seed=0, clip_keys=True):
    """A state dict with the keys and shapes of MDM's trans_enc (model/mdm.py), random values."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g) * 0.2  # noqa: E731
    d = latent
    sd = {"sequence_pos_encoder.pe": sinusoid_table(pe_len, d),
          "embed_timestep.sequence_pos_encoder.pe": sinusoid_table(pe_len, d),
          "embed_timestep.time_embed.0.weight": r(d, d), "embed_timestep.time_embed.0.bias": r(d),
          "embed_timestep.time_embed.2.weight": r(d, d), "embed_timestep.time_embed.2.bias": r(d),
          "embed_text.weight": r(d, clip_dim) * 0.2, "embed_text.bias": r(d),
          "input_process.poseEmbedding.weight": r(d, n_feats) * 0.3, "input_process.poseEmbedding.bias": r(d),
          "output_process.poseFinal.weight": r(n_feats, d), "output_process.poseFinal.bias": r(n_feats)}
    for i in range(layers):
        p = f"seqTransEncoder.layers.{i}."
        sd.update({p + "self_attn.in_proj_weight": r(3 * d, d), p + "self_attn.in_proj_bias": r(3 * d),
                   p + "self_attn.out_proj.weight": r(d, d), p + "self_attn.out_proj.bias": r(d),
                   p + "linear1.weight": r(ff, d) * 0.5, p + "linear1.bias": r(ff),
                   p + "linear2.weight": r(d, ff) * 0.1, p + "linear2.bias": r(d),
                   p + "norm1.weight": 1 + r(d), p + "norm1.bias": r(d),
                   p + "norm2.weight": 1 + r(d), p + "norm2.bias": r(d)})
    if clip_keys:  # frozen CLIP weights some checkpoints still carry
        sd["clip_model.positional_embedding"] = r(77, 8)
        sd["clip_model.token_embedding.weight"] = r(10, 8)
    return sd


def write_mdm_dir(d: Path, sd=None, args=None, step=475000, stats=True, wrap=None):
    """An MDM checkpoint directory: args.json, model<step>.pt and (``stats``) HumanML3D's Mean/Std."""
    d.mkdir(parents=True, exist_ok=True)
    args = args or mdm_args()
    sd = sd if sd is not None else mdm_state_dict(args["latent_dim"], args["layers"])
    (d / "args.json").write_text(json.dumps(args, indent=4))
    torch.save(sd if wrap is None else wrap(sd), d / f"model{step:09d}.pt")
    if stats:
        F = 263 if args.get("dataset", "humanml") == "humanml" else 251
        rng = np.random.default_rng(1)
        np.save(d / "Mean.npy", rng.normal(size=F).astype(np.float32))
        np.save(d / "Std.npy", (0.5 + rng.random(F)).astype(np.float32))
    return d


# ----------------------------------------------------------------------------- CLIP
def _byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_tiny_clip(d: Path, full=False, seed=0, projection_dim=512):
    """A randomly initialised CLIP text tower (2 layers, width 32, projection 512) and a byte-level BPE
    tokenizer with a few merges, saved with transformers' save_pretrained. ``full``: a whole CLIPModel
    (with a tiny vision tower), as openai/clip-vit-base-patch32 is distributed."""
    from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPTextModelWithProjection, CLIPTokenizer

    chars = _byte_alphabet()
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    merges = [("w", "a"), ("wa", "l"), ("wal", "k"), ("walk", "s</w>"), ("p", "e"), ("pe", "r"), ("r", "u"),
              ("ru", "n"), ("run", "s</w>"), ("j", "u"), ("ju", "m"), ("jum", "p")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    tok = CLIPTokenizer(vocab=vocab, merges=merges)
    torch.manual_seed(seed)
    cfg = CLIPTextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=77, projection_dim=projection_dim,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, hidden_act="quick_gelu")
    if full:
        model = CLIPModel(CLIPConfig(text_config=cfg.to_dict(), projection_dim=projection_dim,
                                     vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                                        num_attention_heads=2, image_size=32, patch_size=16)))
    else:
        model = CLIPTextModelWithProjection(cfg)
    d.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(d))
    tok.save_pretrained(str(d))
    return d


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory):
    return write_tiny_clip(tmp_path_factory.mktemp("clip") / "clip-tiny")


# ----------------------------------------------------------------------------- HumanML3D layout
HML_TEXTS = {
    # id: lines caption#tokens#start#end (start = end = 0: the whole motion)
    "000000": ["a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0",
               "someone walks ahead slowly.#someone/PRON walk/VERB ahead/ADV slowly/ADV#0.0#0.0",
               "a person jumps up.#a/DET person/NOUN jump/VERB up/ADP#2.0#4.5",
               "the person jumps.#the/DET person/NOUN jump/VERB#2.0#4.5",
               "a person waves the right hand.#a/DET person/NOUN wave/VERB the/DET right/ADJ hand/NOUN#0.5#3.0",
               "too short a piece.#too/ADV short/ADJ a/DET piece/NOUN#1.0#2.5"],
    "000001": ["a man runs in a circle.#a/DET man/NOUN run/VERB in/ADP a/DET circle/NOUN#0.0#0.0"],
    "000002": ["a person kicks with the left leg.#a/DET person/NOUN kick/VERB with/ADP the/DET left/ADJ leg/NOUN#nan#nan",
               "a person dances.#a/DET person/NOUN dance/VERB#0.0#4.0"],
    "000003": ["a person turns around.#a/DET person/NOUN turn/VERB around/ADV#0.0#0.0"],
    "000004": ["a person bends down.#a/DET person/NOUN bend/VERB down/ADV#0.0#0.0"],
    "000005": ["a person stands still.#a/DET person/NOUN stand/VERB still/ADV#0.0#0.0"],
    "000006": ["much too long a clip.#much/ADV too/ADV long/ADJ a/DET clip/NOUN#0.0#0.0",
               "a sub-clip of a long clip.#a/DET sub/NOUN clip/NOUN#0.0#5.0"],
}
HML_SPLITS = {"train": ["000000", "000001", "000002", "M000000", "000006"], "val": ["000003"],
              "test": ["000004", "000005", "M000001"]}


def write_humanml3d_dir(d: Path, source: Path = None):
    """A HumanML3D directory (new_joint_vecs/, texts/, train/val/test.txt, Mean.npy, Std.npy) made from the
    one shipped sample (012314, 170 frames): crops, a time-reversed copy and a 230-frame repetition (too
    long: skipped as MDM does), with captions whose sub-clip ranges exercise the HumanML3D rules."""
    source = source or (SHARED / "humanml3d_sample")
    f = np.load(source / "new_joint_vecs" / "012314.npy").astype(np.float32)  # [170, 263]
    motions = {"000000": f, "000001": f[10:150], "000002": f[::-1].copy(), "000003": f[20:120],
               "000004": f[30:160], "000005": f[:90], "000006": np.concatenate([f, f[:60]]),
               "M000000": f[5:165], "M000001": f[40:150]}
    (d / "new_joint_vecs").mkdir(parents=True, exist_ok=True)
    (d / "texts").mkdir(parents=True, exist_ok=True)
    for k, v in motions.items():
        np.save(d / "new_joint_vecs" / f"{k}.npy", v)
    for k, lines in HML_TEXTS.items():
        (d / "texts" / f"{k}.txt").write_text("\n".join(lines) + "\n")
        # mirrored copies' captions swap left/right, as HumanML3D's own M-files do
    for k in ("M000000", "M000001"):
        src = HML_TEXTS[k[1:]]
        (d / "texts" / f"{k}.txt").write_text("\n".join(x.replace("left", "LEFT").replace("right", "left")
                                                        .replace("LEFT", "right") for x in src) + "\n")
    for s, ids in HML_SPLITS.items():
        (d / f"{s}.txt").write_text("\n".join(ids) + "\n")
    shutil.copy(source / "Mean.npy", d / "Mean.npy")
    shutil.copy(source / "Std.npy", d / "Std.npy")
    return d


@pytest.fixture
def humanml3d_dir(tmp_path):
    if not (SHARED / "humanml3d_sample").exists():
        pytest.skip("shared HumanML3D sample not found")
    return write_humanml3d_dir(tmp_path / "HumanML3D")


# ----------------------------------------------------------------------------- t2m evaluator
def t2m_evaluator_state(seed=0, dim_pose=263, word=300, pos=15, text_hidden=512, motion_hidden=1024,
                        movement=512, coemb=512):
    """``finest.tar``'s content: the three state dicts with Guo et al.'s key names, random values."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g) * (1.0 / math.sqrt(s[-1]))  # noqa: E731
    z = lambda *s: torch.randn(*s, generator=g) * 0.05  # noqa: E731

    def gru(prefix, i, h):
        out = {}
        for sfx in ("", "_reverse"):
            out.update({f"{prefix}weight_ih_l0{sfx}": r(3 * h, i), f"{prefix}weight_hh_l0{sfx}": r(3 * h, h),
                        f"{prefix}bias_ih_l0{sfx}": z(3 * h), f"{prefix}bias_hh_l0{sfx}": z(3 * h)})
        return out

    def head(prefix, h, o):
        return {f"{prefix}0.weight": r(h, 2 * h), f"{prefix}0.bias": z(h), f"{prefix}1.weight": 1 + z(h),
                f"{prefix}1.bias": z(h), f"{prefix}3.weight": r(o, h), f"{prefix}3.bias": z(o)}

    mov = {"main.0.weight": r(movement, dim_pose - 4, 4) * 0.5, "main.0.bias": z(movement),
           "main.3.weight": r(movement, movement, 4) * 0.5, "main.3.bias": z(movement),
           "out_net.weight": r(movement, movement), "out_net.bias": z(movement)}
    txt = {"pos_emb.weight": r(word, pos), "pos_emb.bias": z(word), "input_emb.weight": r(text_hidden, word),
           "input_emb.bias": z(text_hidden), "hidden": torch.randn(2, 1, text_hidden, generator=g) * 0.1,
           **gru("gru.", text_hidden, text_hidden), **head("output_net.", text_hidden, coemb)}
    mot = {"input_emb.weight": r(motion_hidden, movement), "input_emb.bias": z(motion_hidden),
           "hidden": torch.randn(2, 1, motion_hidden, generator=g) * 0.1,
           **gru("gru.", motion_hidden, motion_hidden), **head("output_net.", motion_hidden, coemb)}
    return {"movement_encoder": mov, "text_encoder": txt, "motion_encoder": mot, "epoch": 7, "it": 1234}


GLOVE_WORDS = ["a", "person", "walk", "forward", "someone", "ahead", "slowly", "jump", "up", "the", "wave",
               "right", "hand", "man", "run", "in", "circle", "kick", "with", "left", "leg", "dance", "turn",
               "around", "bend", "down", "stand", "still", "unk"]


def write_t2m_evaluator(d: Path, mdm_layout=True, seed=0, **dims):
    """Guo et al.'s evaluator as MDM's checkout holds it: t2m/text_mot_match/model/finest.tar,
    glove/our_vab_{data.npy,words.pkl,idx.pkl}, dataset/t2m_{mean,std}.npy."""
    st = t2m_evaluator_state(seed, **dims)
    ck = d / "t2m" / "text_mot_match" / "model"
    ck.mkdir(parents=True, exist_ok=True)
    torch.save(st, ck / "finest.tar")
    gl = d / "glove"
    gl.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    words = list(GLOVE_WORDS)
    np.save(gl / "our_vab_data.npy", rng.normal(size=(len(words), 300)).astype(np.float32))
    with open(gl / "our_vab_words.pkl", "wb") as f:
        pickle.dump(words, f)
    with open(gl / "our_vab_idx.pkl", "wb") as f:
        pickle.dump({w: i for i, w in enumerate(words)}, f)
    ds = d / "dataset"
    ds.mkdir(parents=True, exist_ok=True)
    F = dims.get("dim_pose", 263)
    np.save(ds / "t2m_mean.npy", rng.normal(size=F).astype(np.float32) * 0.1)
    np.save(ds / "t2m_std.npy", (0.5 + rng.random(F)).astype(np.float32))
    return d


@pytest.fixture(scope="session")
def assets():
    """The builders above, for tests (test modules cannot import conftest under --import-mode=importlib)."""
    import types
    return types.SimpleNamespace(
        mdm_args=mdm_args, mdm_state_dict=mdm_state_dict, write_mdm_dir=write_mdm_dir, sinusoid_table=sinusoid_table,
        write_tiny_clip=write_tiny_clip, write_humanml3d_dir=write_humanml3d_dir, HML_TEXTS=HML_TEXTS,
        HML_SPLITS=HML_SPLITS, t2m_evaluator_state=t2m_evaluator_state, write_t2m_evaluator=write_t2m_evaluator,
        GLOVE_WORDS=GLOVE_WORDS, SHARED=SHARED)
