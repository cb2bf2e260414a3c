#!/usr/bin/env python
"""HAR fit for fit: macro-F1 per generation store (mean over its fits) of `imusim evaluate`'s results.json, and a
candidate's difference from each reference on the same store index, with the number of stores it wins.

    python scripts/har_by_store.py docs/realism/jointacc/har_basicmotions/results.json st_bja10_s0 \
        original smooth2 afu1i5hs7
"""
import argparse
import collections
import json

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="imusim evaluate's results.json")
    p.add_argument("candidate", help="the synthetic set compared")
    p.add_argument("references", nargs="+", help="the synthetic sets it is compared with")
    a = p.parse_args(argv)
    m = collections.defaultdict(list)
    for r in json.load(open(a.results))["results"]:
        if "store" in r:  # the real-data upper bound has none
            m[(r["synthetic"], r["classifier"], r["store"])].append(r["macro_f1"])
    for clf in sorted({k[1] for k in m}, reverse=True):
        stores = sorted({k[2] for k in m if k[1] == clf})
        for s in (*a.references, a.candidate):
            print(clf, s, [round(float(np.mean(m[(s, clf, i)])), 3) for i in stores])
        for ref in a.references:
            diff = [np.mean(m[(a.candidate, clf, i)]) - np.mean(m[(ref, clf, i)]) for i in stores]
            print(f"  {clf} {a.candidate} - {ref} per store: {[round(float(x), 3) for x in diff]}, "
                  f"wins {sum(x > 0 for x in diff)}/{len(diff)}")


if __name__ == "__main__":
    main()
