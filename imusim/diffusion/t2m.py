"""Guo et al.'s text-to-motion evaluator and the standard metrics (FID, R-precision top-1/2/3, MM-Dist,
Diversity, MultiModality), as MDM and the papers that compare with it compute them.

The user brings the evaluator (it cannot be downloaded here): a directory laid out as in MDM's checkout
after ``prepare/download_t2m_evaluators.sh`` and ``download_glove.sh`` (or any of the alternatives)::

    t2m/text_mot_match/model/finest.tar   (or text_mot_match/model/finest.tar, or finest.tar)
    glove/our_vab_data.npy, our_vab_words.pkl, our_vab_idx.pkl   (or those three files in DIR)
    dataset/t2m_mean.npy, t2m_std.npy     (or t2m_mean.npy, or t2m/Comp_v6_KLD01/meta/{mean,std}.npy)

(``kit`` instead of ``t2m`` for 251-feature KIT-ML models.) ``finest.tar`` is read with
``torch.load(weights_only=True)``; the word lists are pickles read by an unpickler that builds only
lists, dicts, strings and numbers.

Networks (Guo et al. 2022, ``networks/modules.py``; written here from their description; sizes are
read from the weights): *MovementConvEncoder* — features without the 4 foot contacts ``[B, T, F−4]`` →
Conv1d(k 4, s 2, p 1) → LeakyReLU(0.2) → Conv1d(k 4, s 2, p 1) → LeakyReLU(0.2) → Linear: ``[B, T/4,
512]`` (dropout is off in evaluation); *MotionEncoderBiGRUCo* — Linear → bidirectional GRU over the
``T // 4`` valid steps from a learned initial state → [last forward, last backward] → Linear, LayerNorm,
LeakyReLU(0.2), Linear → 512; *TextEncoderBiGRUCo* — GloVe word vector + Linear(POS one-hot) → the same
GRU head. Text tokens are HumanML3D's ``word/POS`` tokens (at most 20, between ``sos/OTHER`` and
``eos/OTHER``); words of the five VIP lists get their VIP class instead of their POS tag, unknown words
the ``unk`` vector and the OTHER class.

Protocol (:func:`evaluate_t2m`, MDM's ``eval_humanml.py``): per replication, every test clip with one
random caption and a random crop to a multiple of 4 frames (one unit shorter with probability 1/3) is
the ground truth; the first ``n_samples`` of them (rounded up to whole batches: 1,024 for 1,000) are
generated from their caption at their length. R-precision and MM-Dist over batches of 32 (text vs
motion embeddings), FID of the generated against all ground-truth embeddings, Diversity over 300
random pairs, MultiModality over 10 pairs of the ``mm_repeats`` (30) generations of ``mm_samples``
(100, rounded up to whole batches) captions. Reported: mean and 95 % interval (1.96 σ/√R) over the
replications. Motions enter the evaluator normalised by its own mean/std on a zero canvas of 196
frames (MDM pads its batches so; the convolutions see 3 frames past a motion's end). Generated motions
of MDM-architecture models keep their sampled canvas past the length, as in MDM; others are zero there.
"""

from __future__ import annotations

import io
import math
import pickle
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

POS = {"VERB": 0, "NOUN": 1, "DET": 2, "ADP": 3, "NUM": 4, "AUX": 5, "PRON": 6, "ADJ": 7, "ADV": 8,
       "Loc_VIP": 9, "Body_VIP": 10, "Obj_VIP": 11, "Act_VIP": 12, "Desc_VIP": 13, "OTHER": 14}
VIP = {
    "Loc_VIP": ("left", "right", "clockwise", "counterclockwise", "anticlockwise", "forward", "back", "backward",
                "up", "down", "straight", "curve"),
    "Body_VIP": ("arm", "chin", "foot", "feet", "face", "hand", "mouth", "leg", "waist", "eye", "knee", "shoulder",
                 "thigh"),
    "Obj_VIP": ("stair", "dumbbell", "chair", "window", "floor", "car", "ball", "handrail", "baseball", "basketball"),
    "Act_VIP": ("walk", "run", "swing", "pick", "bring", "kick", "put", "squat", "throw", "hop", "dance", "jump",
                "turn", "stumble", "dance", "stop", "sit", "lift", "lower", "raise", "wash", "stand", "kneel",
                "stroll", "rub", "bend", "balance", "flap", "jog", "shuffle", "lean", "rotate", "spin", "spread",
                "climb"),
    "Desc_VIP": ("slowly", "carefully", "fast", "careful", "slow", "quickly", "happy", "angry", "sad", "happily",
                 "angrily", "sadly"),
}
MAX_TEXT_LEN = 20
UNIT_LENGTH = 4
MAX_MOTION_LEN = 196


# ----------------------------------------------------------------------------- networks
class MovementConvEncoder(nn.Module):
    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.main = nn.Sequential(nn.Conv1d(n_in, hidden, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(hidden, n_out, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2))
        self.out_net = nn.Linear(n_out, n_out)

    def forward(self, x):  # [B, T, F-4] -> [B, T/4, n_out]
        return self.out_net(self.main(x.transpose(1, 2)).transpose(1, 2))


class _BiGRUHead(nn.Module):
    """Linear → bidirectional GRU from a learned state → last states → Linear, LayerNorm, LeakyReLU, Linear."""

    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.input_emb = nn.Linear(n_in, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.output_net = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.LayerNorm(hidden), nn.LeakyReLU(0.2),
                                        nn.Linear(hidden, n_out))
        self.hidden = nn.Parameter(torch.zeros(2, 1, hidden))

    def _encode(self, x, lengths):  # x [B, L, n_in], lengths [B] (any order)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if (lengths < 1).any() or int(lengths.max()) > x.shape[1]:
            raise ValueError(f"t2m evaluator: sequence lengths must be in [1, {x.shape[1]}], got "
                             f"{lengths.min().item()}..{lengths.max().item()}")
        h0 = self.hidden.repeat(1, x.shape[0], 1)
        packed = pack_padded_sequence(self.input_emb(x), lengths, batch_first=True, enforce_sorted=False)
        _, last = self.gru(packed, h0)
        return self.output_net(torch.cat([last[0], last[1]], -1))


class TextEncoderBiGRUCo(_BiGRUHead):
    def __init__(self, word: int, pos: int, hidden: int, n_out: int):
        super().__init__(word, hidden, n_out)
        self.pos_emb = nn.Linear(pos, word)

    def forward(self, word_embs, pos_onehot, lengths):  # [B, L, word], [B, L, pos], [B]
        return self._encode(word_embs + self.pos_emb(pos_onehot), lengths)


class MotionEncoderBiGRUCo(_BiGRUHead):
    def forward(self, movements, lengths):  # [B, L, n_in], [B]
        return self._encode(movements, lengths)


# ----------------------------------------------------------------------------- files
class _SafeUnpickler(pickle.Unpickler):
    """Builds only built-in containers, strings and numbers (and numpy scalars): no code runs."""

    ALLOWED = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            import importlib
            return getattr(importlib.import_module(module), name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only lists/dicts of words and numbers")


def safe_pickle_load(path):
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return _SafeUnpickler(io.BytesIO(f.read())).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise ValueError(f"{path}: not a plain pickle of words/indices ({e})") from None


def _first(cands: Sequence[Path], what: str, root: Path) -> Path:
    for c in cands:
        if c.is_file():
            return c
    raise FileNotFoundError(f"t2m evaluator {root}: {what} not found; looked for "
                            + ", ".join(str(c.relative_to(root)) if c.is_relative_to(root) else str(c) for c in cands))


def find_evaluator_files(root, n_feats: int = 263) -> Dict[str, Path]:
    """Paths of ``finest``, ``glove_data``/``glove_words``/``glove_idx``, ``mean``/``std`` under ``root``."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"t2m evaluator {root}: no such directory (expected Guo et al.'s evaluator: "
                                f"t2m/text_mot_match/model/finest.tar, glove/our_vab_*, dataset/t2m_mean.npy)")
    name = {263: "t2m", 251: "kit"}.get(n_feats)
    if name is None:
        raise ValueError(f"t2m evaluator: motions have {n_feats} features; evaluators exist for 263 (HumanML3D) "
                         f"and 251 (KIT-ML)")
    out = {"finest": _first([root / name / "text_mot_match" / "model" / "finest.tar",
                             root / "text_mot_match" / "model" / "finest.tar", root / "finest.tar"],
                            "the evaluator weights (finest.tar)", root)}
    for k in ("data.npy", "words.pkl", "idx.pkl"):
        out["glove_" + k.split(".")[0]] = _first([root / "glove" / f"our_vab_{k}", root / f"our_vab_{k}"],
                                                 f"the word vectors (our_vab_{k})", root)
    for k in ("mean", "std"):
        out[k] = _first([root / "dataset" / f"{name}_{k}.npy", root / f"{name}_{k}.npy",
                         root / name / "Comp_v6_KLD01" / "meta" / f"{k}.npy", root / "meta" / f"{k}.npy"],
                        f"the evaluator's normalisation ({name}_{k}.npy)", root)
    return out


class WordVectorizer:
    """GloVe vectors and POS one-hots of HumanML3D ``word/POS`` tokens (Guo et al.'s rules)."""

    def __init__(self, data_path, words_path, idx_path):
        vecs = np.load(data_path, allow_pickle=False)
        words, idx = safe_pickle_load(words_path), safe_pickle_load(idx_path)
        if vecs.ndim != 2:
            raise ValueError(f"{data_path}: expected word vectors [N, D], got shape {list(vecs.shape)}")
        if not isinstance(words, (list, tuple)) or not isinstance(idx, dict):
            raise ValueError(f"{words_path} / {idx_path}: expected a list of words and a dict word -> row")
        self.vectors = {}
        for w in words:
            i = int(idx[w]) if w in idx else -1
            if not 0 <= i < vecs.shape[0]:
                raise ValueError(f"{idx_path}: word {w!r} has no row in {data_path} ({vecs.shape[0]} rows)")
            self.vectors[w] = vecs[i].astype(np.float32)
        if "unk" not in self.vectors:
            raise ValueError(f"{words_path}: the vocabulary has no 'unk' word")
        self.dim = int(vecs.shape[1])
        self.vip = {w: k for k, ws in VIP.items() for w in ws}

    def __getitem__(self, token: str):
        word, _, pos = token.partition("/")
        oh = np.zeros(len(POS), np.float32)
        if word in self.vectors:
            vec = self.vectors[word]
            p = self.vip.get(word, pos)
            oh[POS.get(p, POS["OTHER"])] = 1
        else:
            vec = self.vectors["unk"]
            oh[POS["OTHER"]] = 1
        return vec, oh

    def sentence(self, tokens: Sequence[str]):
        """``(word_embs [22, D], pos_onehot [22, 15], length)`` of a caption's tokens (sos/eos/unk padding)."""
        tokens = list(tokens)
        if len(tokens) < MAX_TEXT_LEN:
            tokens = ["sos/OTHER"] + tokens + ["eos/OTHER"]
            n = len(tokens)
            tokens += ["unk/OTHER"] * (MAX_TEXT_LEN + 2 - n)
        else:
            tokens = ["sos/OTHER"] + tokens[:MAX_TEXT_LEN] + ["eos/OTHER"]
            n = len(tokens)
        we, po = zip(*(self[t] for t in tokens))
        return np.stack(we), np.stack(po), n


class T2MEvaluator:
    """Text and motion embeddings of Guo et al.'s evaluator (see the module docstring)."""

    def __init__(self, root, n_feats: int = 263, device="cpu"):
        self.files = f = find_evaluator_files(root, n_feats)
        self.device = torch.device(device)
        self.words = WordVectorizer(f["glove_data"], f["glove_words"], f["glove_idx"])
        self.mean = self._stat(f["mean"], n_feats)
        self.std = self._stat(f["std"], n_feats)
        if (self.std <= 0).any():
            raise ValueError(f"{f['std']}: standard deviations must be > 0")
        ck = torch.load(f["finest"], map_location="cpu", weights_only=True)
        need = ("movement_encoder", "text_encoder", "motion_encoder")
        if not isinstance(ck, dict) or any(k not in ck for k in need):
            raise ValueError(f"{f['finest']}: expected a dict with {list(need)}, got "
                             f"{sorted(ck) if isinstance(ck, dict) else type(ck).__name__}")
        self.epoch = ck.get("epoch")
        mv, tx, mo = (ck[k] for k in need)
        try:
            self.movement = MovementConvEncoder(mv["main.0.weight"].shape[1], mv["main.0.weight"].shape[0],
                                                mv["main.3.weight"].shape[0])
            self.text = TextEncoderBiGRUCo(tx["pos_emb.weight"].shape[0], tx["pos_emb.weight"].shape[1],
                                           tx["input_emb.weight"].shape[0], tx["output_net.3.weight"].shape[0])
            self.motion = MotionEncoderBiGRUCo(mo["input_emb.weight"].shape[1], mo["input_emb.weight"].shape[0],
                                               mo["output_net.3.weight"].shape[0])
        except KeyError as e:
            raise ValueError(f"{f['finest']}: not Guo et al.'s evaluator (missing {e})") from None
        for name, net, sd in (("movement_encoder", self.movement, mv), ("text_encoder", self.text, tx),
                              ("motion_encoder", self.motion, mo)):
            try:
                net.load_state_dict(sd, strict=True)
            except RuntimeError as e:
                raise ValueError(f"{f['finest']}: {name} does not match Guo et al.'s network: {e}") from None
            net.to(self.device).eval().requires_grad_(False)
        if self.movement.main[0].in_channels != n_feats - 4:
            raise ValueError(f"{f['finest']}: the movement encoder takes {self.movement.main[0].in_channels} "
                             f"features, motions have {n_feats} (- 4 foot contacts)")
        if self.text.pos_emb.in_features != len(POS) or self.text.pos_emb.out_features != self.words.dim:
            raise ValueError(f"{f['finest']}: text encoder expects {self.text.pos_emb.out_features}-d words and "
                             f"{self.text.pos_emb.in_features} POS classes; the GloVe files give {self.words.dim} "
                             f"and {len(POS)}")

    @staticmethod
    def _stat(p, n):
        a = np.load(p, allow_pickle=False)
        if a.shape != (n,) or not np.isfinite(a).all():
            raise ValueError(f"{p}: expected finite [{n}], got shape {list(a.shape)}")
        return torch.from_numpy(a.astype(np.float32))

    @torch.no_grad()
    def text_embeddings(self, tokens: Sequence[Sequence[str]], chunk: int = 256) -> torch.Tensor:
        """``[N, D]`` for captions given as token lists (input order)."""
        out = []
        for c in range(0, len(tokens), chunk):
            s = [self.words.sentence(t) for t in tokens[c:c + chunk]]
            we = torch.from_numpy(np.stack([x[0] for x in s])).to(self.device)
            po = torch.from_numpy(np.stack([x[1] for x in s])).to(self.device)
            out.append(self.text(we, po, torch.tensor([x[2] for x in s])).cpu())
        return torch.cat(out)

    @torch.no_grad()
    def motion_embeddings(self, motions: Sequence, lengths: Optional[Sequence[int]] = None,
                          chunk: int = 256) -> torch.Tensor:
        """``[N, D]`` for raw (de-normalised) feature sequences ``[T_i, F]`` (input order).

        Each motion is normalised with the evaluator's statistics and placed on a zero canvas of at least
        ``MAX_MOTION_LEN`` (196) frames, as MDM's loaders pad them; the motion encoder runs over its first
        ``length // 4`` steps (``length`` = ``T_i`` unless ``lengths`` gives a shorter valid length, as for
        motions sampled on a whole canvas). The convolution sees 3 frames past the length, so the padding
        matters: it is zeros here, as for MDM's ground truth."""
        lengths = [int(np.shape(m)[0]) for m in motions] if lengths is None else [int(n) for n in lengths]
        if any(n < UNIT_LENGTH for n in lengths):
            raise ValueError(f"t2m evaluator: motions need >= {UNIT_LENGTH} frames, got {min(lengths)}")
        if any(n > np.shape(m)[0] for n, m in zip(lengths, motions)):
            raise ValueError("t2m evaluator: a length exceeds its motion's frames")
        out = []
        for c in range(0, len(motions), chunk):
            ms, ls = motions[c:c + chunk], lengths[c:c + chunk]
            x = torch.zeros(len(ms), max([MAX_MOTION_LEN] + [np.shape(m)[0] for m in ms]), self.mean.shape[0])
            for i, m in enumerate(ms):
                x[i, :np.shape(m)[0]] = (torch.from_numpy(np.array(m, dtype=np.float32)) - self.mean) / self.std
            mov = self.movement(x[..., :-4].to(self.device))
            out.append(self.motion(mov, torch.tensor(ls) // UNIT_LENGTH).cpu())
        return torch.cat(out)


# ----------------------------------------------------------------------------- metrics
def euclidean_distance_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = -2 * a @ b.T + (a ** 2).sum(1, keepdims=True) + (b ** 2).sum(1)
    return np.sqrt(np.maximum(d, 0.0))


def r_precision(text: np.ndarray, motion: np.ndarray, batch: int = 32, top_k: int = 3):
    """``(R-precision [top_k], MM-Dist)`` over consecutive batches of ``batch`` pairs (the last partial
    batch dropped, as MDM's loader): within a batch, the fraction of texts whose own motion is among the
    ``k`` nearest motions, and the mean distance between matched text and motion."""
    n = (len(text) // batch) * batch
    if n == 0:
        raise ValueError(f"r_precision: need at least one full batch of {batch} pairs, got {len(text)}")
    hits, dist = np.zeros(top_k), 0.0
    for s in range(0, n, batch):
        d = euclidean_distance_matrix(text[s:s + batch], motion[s:s + batch])
        dist += np.trace(d)
        rank = np.argsort(d, axis=1)
        own = rank == np.arange(batch)[:, None]
        k = min(top_k, batch)  # with fewer candidates than k, every text is a hit
        hits[:k] += np.cumsum(own[:, :k], axis=1).astype(bool).sum(0)
        hits[k:] += batch
    return hits / n, dist / n


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance of Gaussians fitted to ``a`` and ``b`` (Guo et al.'s / Heusel et al.'s formula)."""
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * eps
        covmean = linalg.sqrtm((s1 + off) @ (s2 + off))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"frechet_distance: imaginary component {np.abs(covmean.imag).max():.3g}")
        covmean = covmean.real
    d = mu1 - mu2
    return float(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def diversity(emb: np.ndarray, times: int, rng: np.random.Generator) -> float:
    """Mean distance between two independent draws of ``times`` rows (each without replacement)."""
    if emb.shape[0] <= times:
        raise ValueError(f"diversity: needs more than {times} motions, got {emb.shape[0]}")
    i = rng.choice(emb.shape[0], times, replace=False)
    j = rng.choice(emb.shape[0], times, replace=False)
    return float(np.linalg.norm(emb[i] - emb[j], axis=1).mean())


def multimodality(emb: np.ndarray, times: int, rng: np.random.Generator) -> float:
    """``emb`` ``[captions, repeats, D]``: mean distance between ``times`` random pairs of one caption's motions."""
    if emb.ndim != 3 or emb.shape[1] <= times:
        raise ValueError(f"multimodality: needs [captions, repeats > {times}, D], got {list(emb.shape)}")
    i = rng.choice(emb.shape[1], times, replace=False)
    j = rng.choice(emb.shape[1], times, replace=False)
    return float(np.linalg.norm(emb[:, i] - emb[:, j], axis=2).mean())


def mean_ci(values) -> Dict[str, object]:
    v = np.asarray(values, dtype=np.float64)
    m, s = v.mean(0), v.std(0)
    ci = 1.96 * s / math.sqrt(len(v))
    conv = (lambda x: x.tolist()) if v.ndim > 1 else float
    return {"mean": conv(m), "ci95": conv(ci), "runs": v.tolist()}


def crop_length(T: int, rng: np.random.Generator) -> int:
    """MDM's evaluation crop: a multiple of 4 frames, one unit shorter with probability 1/3."""
    coin = rng.choice(["single", "single", "double"])
    n = (T // UNIT_LENGTH - (1 if coin == "double" else 0)) * UNIT_LENGTH
    return max(n, UNIT_LENGTH)


# ----------------------------------------------------------------------------- protocol
def evaluate_t2m(checkpoints: Sequence[str], data_dir, evaluator_dir, *, replications: int = 20,
                 n_samples: int = 1000, batch: int = 32, mm_samples: int = 0, mm_repeats: int = 30,
                 mm_times: int = 10, diversity_times: int = 300, sampler: str = "ddpm", steps: int = 1000,
                 guidance: float = 2.5, seed: int = 0, device: Optional[str] = None, split: str = "test",
                 progress: bool = True, limit: Optional[int] = None) -> Dict:
    """The standard text-to-motion evaluation of each checkpoint on ``data_dir``'s ``split`` (clips that
    carry HumanML3D tokens). Defaults are MDM's (``wo_mm``: 20 replications, 1,000 samples, DDPM with
    all 1,000 steps, guidance 2.5); ``mm_samples=100`` adds MultiModality (MDM's ``mm_short``).
    ``sampler="ddim"`` uses ``steps`` respaced steps instead (faster, not MDM's protocol); DDPM always runs
    all 1,000. Every checkpoint gets the same captions, lengths and initial noise."""
    from tqdm.auto import tqdm

    from .. import acc_loss
    from ..data.dataset import load_split
    from .checkpoint import load_checkpoint
    from .evaluate import _display_name
    from .text import get_text_encoder
    from .train import sample
    from .zoo import resolve_checkpoint

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    clips, dmean, dstd = load_split(data_dir, split)
    clips = [c for c in clips if c.get("tokens")]
    if limit:
        clips = clips[:limit]
    if len(clips) < batch:
        raise ValueError(f"--data {data_dir}: {len(clips)} {split} clips with HumanML3D tokens; the t2m metrics need "
                         f"at least one batch of {batch} (build the data with 'imusim data build --humanml3d')")
    F = int(dmean.shape[0])
    ev = T2MEvaluator(evaluator_dir, F, device)
    n_batches = min(n_samples // batch + 1, len(clips) // batch)
    if mm_samples and mm_samples // batch + 1 > n_batches:
        raise ValueError(f"mm_samples {mm_samples} needs {mm_samples // batch + 1} batches, only {n_batches} generated")
    rows: Dict[str, Dict[str, list]] = {"ground truth": {}}
    models = []
    for k, spec in enumerate(checkpoints):
        path = resolve_checkpoint(spec)
        model, mean, std, enc_name, meta = load_checkpoint(path, device)
        name = _display_name(spec)
        name = name if name not in rows else f"{name} ({k + 1})"
        models.append((name, model, mean, std, get_text_encoder(enc_name, device=device)))
        rows[name] = {}

    def add(row, key, v):
        rows[row].setdefault(key, []).append(v)

    def draw(rng):
        """One pass of MDM's test loader: shuffled clips, one random caption each, random crops, drop_last."""
        out = []
        for i in rng.permutation(len(clips)):
            c = clips[i]
            k = int(rng.integers(len(c["captions"])))
            T = c["features"].shape[0]
            n = crop_length(T, rng)
            s = int(rng.integers(0, T - n + 1))
            out.append({"tokens": c["tokens"][k], "caption": c["captions"][k], "motion": np.asarray(c["features"][s:s + n])})
        return out[: (len(out) // batch) * batch]

    for rep in range(replications):
        rng = np.random.default_rng([seed, rep])
        # ground truth: R-precision / MM-Dist / Diversity on one pass, FID against a second pass (as MDM)
        gt = draw(rng)
        t_emb = ev.text_embeddings([g["tokens"] for g in gt]).numpy()
        m_emb = ev.motion_embeddings([g["motion"] for g in gt]).numpy()
        ref = ev.motion_embeddings([g["motion"] for g in draw(rng)]).numpy()
        rp, md = r_precision(t_emb, m_emb, batch)
        add("ground truth", "r_precision", rp)
        add("ground truth", "mm_dist", md)
        add("ground truth", "fid", frechet_distance(ref, m_emb))
        add("ground truth", "diversity", diversity(m_emb, min(diversity_times, len(m_emb) - 1), rng))
        # generated: the first n_batches batches of another pass (MDM's 'eval' loader), at their crop lengths
        jobs = draw(rng)[: n_batches * batch]
        mm_idx = set(rng.choice(n_batches, mm_samples // batch + 1, replace=False).tolist()) if mm_samples else set()
        for spec, model, mean, std, text in models:
            gen, mm = [], []
            canvas = model.cfg.arch == "mdm" and not model.cfg.mask_frames
            bar = tqdm(total=len(jobs), desc=f"t2m {spec} rep {rep + 1}/{replications}", disable=not progress,
                       unit="motion")
            for b in range(n_batches):
                jb = jobs[b * batch:(b + 1) * batch]
                reps = mm_repeats if b in mm_idx else 1
                outs = []
                for r in range(reps):  # the same noise for every checkpoint (paired comparison)
                    feats, _ = sample(model, mean, std, text, [j["caption"] for j in jb],
                                      [j["motion"].shape[0] for j in jb], steps=steps, guidance=guidance,
                                      sampler=sampler, seed=((seed * 1_000_003 + rep) * 10_007 + b) * 101 + r,
                                      device=device)
                    # MDM-architecture models sample a whole canvas: the evaluator sees it past the length, as in MDM
                    keep = feats.shape[1] if canvas else None
                    outs.append([f[: keep or j["motion"].shape[0]].float().cpu().numpy() for f, j in zip(feats, jb)])
                gen += outs[0]
                if b in mm_idx:
                    mm.append(np.stack([ev.motion_embeddings([o[i] for o in outs], [jb[i]["motion"].shape[0]] * reps)
                                        .numpy() for i in range(len(jb))]))
                bar.update(len(jb))
            bar.close()
            glen = [j["motion"].shape[0] for j in jobs]
            g_emb = ev.motion_embeddings(gen, glen).numpy()
            t_g = ev.text_embeddings([j["tokens"] for j in jobs]).numpy()
            rp, md = r_precision(t_g, g_emb, batch)
            add(spec, "r_precision", rp)
            add(spec, "mm_dist", md)
            add(spec, "fid", frechet_distance(ref, g_emb))
            add(spec, "diversity", diversity(g_emb, min(diversity_times, len(gen) - 1), rng))
            if mm:
                add(spec, "multimodality", multimodality(np.concatenate(mm), mm_times, rng))
            # the paper's L_acc, paired with the ground-truth crop each motion was generated for
            la = [float(acc_loss(torch.from_numpy((g - dmean.numpy()) / dstd.numpy())[None].float(),
                                 torch.from_numpy((j["motion"] - dmean.numpy()) / dstd.numpy())[None].float(),
                                 backend="torch")) for g, j in zip((g[:n] for g, n in zip(gen, glen)), jobs)]
            add(spec, "l_acc", float(np.mean(la)))
    out = {"checkpoints": {m[0]: str(c) for m, c in zip(models, checkpoints)},
           "protocol": {"replications": replications, "n_samples": n_batches * batch, "batch": batch,
                        "mm_samples": (mm_samples // batch + 1) * batch if mm_samples else 0, "mm_repeats": mm_repeats,
                        "diversity_times": diversity_times, "sampler": sampler, "steps": steps, "guidance": guidance,
                        "seed": seed, "split": split, "clips": len(clips)},
           "evaluator": {k: str(v) for k, v in ev.files.items()}, "rows": {}}
    for name, r in rows.items():
        out["rows"][name] = {k: mean_ci(v) for k, v in r.items()}
    return out


def markdown_t2m(res: Dict) -> str:
    """The usual table: R-precision top-1/2/3, FID, MM-Dist, Diversity, MultiModality (mean ± 95 %)."""
    cols = ["R-prec top-1 ↑", "top-2 ↑", "top-3 ↑", "FID ↓", "MM-Dist ↓", "Diversity →", "MModality ↑", "L_acc ↓"]
    lines = ["| model | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, r in res["rows"].items():
        def cell(key, i=None):
            if key not in r:
                return "—"
            m, c = r[key]["mean"], r[key]["ci95"]
            if i is not None:
                m, c = m[i], c[i]
            return f"{m:.3f} ± {c:.3f}"
        lines.append("| " + " | ".join([name, cell("r_precision", 0), cell("r_precision", 1), cell("r_precision", 2),
                                        cell("fid"), cell("mm_dist"), cell("diversity"), cell("multimodality"),
                                        cell("l_acc")]) + " |")
    p = res["protocol"]
    lines += ["", f"{p['replications']} replications × {p['n_samples']} generated motions ({p['sampler']}, {p['steps']} "
                  f"steps, guidance {p['guidance']}) on {p['clips']} {p['split']} clips; ± = 95 % interval."]
    return "\n".join(lines) + "\n"
