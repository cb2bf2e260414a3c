#!/usr/bin/env python
"""Run an ``imusim`` command with the MiniLM text encoder replaced by stored embeddings of known prompts.

For a machine that cannot hold the encoder's weights (the GPU machine of scripts/gpu_check.py receives at most
64 MiB, MiniLM is 88 MB): encode the prompts here, carry the small file, and run the command there. The
embeddings are MiniLM's own, so samples are the same as with the encoder; a prompt that is not stored is an error.

    python scripts/cached_text.py --write emb.pt                   # here: the end-to-end benchmark's prompts
    python scripts/cached_text.py emb.pt bench generate --checkpoint refined ...   # there
"""

from __future__ import annotations

import sys

import torch

from imusim.bench.generate import E2E_PROMPTS


def write(path: str, prompts=E2E_PROMPTS) -> None:
    from imusim.diffusion.text import get_text_encoder
    emb = get_text_encoder("minilm").encode(list(prompts))
    torch.save({"encoder": "minilm", "prompts": {p: e.clone() for p, e in zip(prompts, emb)}}, path)
    print(f"{path}: {len(prompts)} prompts, dim {emb.shape[1]}")


def install(path: str) -> None:
    """Make ``get_text_encoder("minilm")`` return the stored embeddings."""
    import imusim.diffusion.text as T
    stored = torch.load(path)
    table = stored["prompts"]

    class StoredMiniLM(T.TextEncoder):
        name = "minilm"
        dim = next(iter(table.values())).shape[0]

        def __init__(self, device="cpu", **kw):
            super().__init__(device)

        def _encode(self, texts):
            missing = [t for t in texts if t not in table]
            if missing:
                raise KeyError(f"cached_text: prompts not stored in {path}: {missing}")
            return torch.stack([table[t] for t in texts])

    T.ENCODERS["minilm"] = StoredMiniLM


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "--write":
        write(argv[1])
        return 0
    install(argv[0])
    from imusim.cli import main as imusim_main
    return imusim_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
