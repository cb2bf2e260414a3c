#!/usr/bin/env python
"""Feature acceleration power per HumanML3D channel group from an `imusim evaluate-motion` JSON (its
``acc_power_groups``, docs/realism.md §30): each group's power, its share of the clip set's whole power
(power × width / 263 / whole) and each checkpoint's power as a ratio to the real test clips'.

    python scripts/acc_power_groups.py docs/realism/lacc/motion_eval_shipped.json
"""
import argparse
import json

from imusim.motion.humanml import GROUPS, N_FEATS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", help="evaluate-motion JSON written with acc_power_groups")
    args = ap.parse_args()
    d = json.load(open(args.json))
    if not d["real"].get("acc_power_groups"):
        raise SystemExit(f"{args.json}: no acc_power_groups (written before evaluate-motion recorded them, or not "
                         "263-d HumanML3D features)")
    width = {k: sl.stop - sl.start for k, sl in GROUPS.items()}

    def whole(g):
        return sum(g[k] * width[k] for k in width) / N_FEATS

    r, cks = d["real"]["acc_power_groups"], d["checkpoints"]
    print(f"{args.json}: {d['n_clips']} {d['split']} clips, guidance {d['sampler']['guidance']}")
    print(f"{'group':<14}{'width':>6}{'real':>9}{'share':>8}"
          + "".join(f"{c['name'] + ' ratio':>22}{'share':>8}" for c in cks))
    for k in width:
        line = f"{k:<14}{width[k]:>6}{r[k]:>9.4f}{r[k] * width[k] / N_FEATS / whole(r):>8.1%}"
        for c in cks:
            g = c["acc_power_groups"]
            line += f"{g[k] / r[k]:>22.2f}{g[k] * width[k] / N_FEATS / whole(g):>8.1%}"
        print(line)
    print(f"{'whole':<14}{N_FEATS:>6}{whole(r):>9.4f}{'':>8}"
          + "".join(f"{whole(c['acc_power_groups']) / whole(r):>22.2f}{'':>8}" for c in cks))


if __name__ == "__main__":
    main()
