"""Train-on-synthetic, test-on-real HAR evaluation (the paper's protocol) and its report.

``evaluate(real, synthetic={name: IMUSet}, ...)``:
1. Labels: an optional map real label → synthetic activity; real classes with no synthetic windows in
   a set are reported (``missing_classes``) and left out of that set's scores, never silently.
2. Every synthetic set is harmonised to the real one (rate, window length, units, channels, gravity).
3. For each set × classifier × repeat (seed): train only on the synthetic windows, test on all real
   windows of the covered classes → macro-F1, accuracy, per-class F1, confusion matrix.
4. Upper bound: real → real stratified 5-fold cross-validation grouped by recording, same classifiers
   and seeds. Real recordings longer than the synthetic windows are first cut into windows of that length.
   It depends only on the real set, so it is cached by content (``bound_cache``: a directory; the key
   hashes the windows, labels, groups, classifiers, repeats and epochs), computed on a stratified
   subsample above ``bound_max_windows`` windows, or skipped (``upper_bound="skip"``); the result's
   ``upper_bound`` entry and the report say which.
5. Synthetic–real distances per class: MMD (RBF), per-channel Wasserstein, and the distance between
   class centroids in the embedding of a CNN trained on the real data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .metrics import channel_wasserstein, classification_metrics, mmd_rbf
from .models import make_classifier
from .real import IMUSet, harmonise, rewindow

MIN_SAMPLES = 8  # shortest real window the classifiers and the harmonisation make sense for
BOUND_VERSION = 1  # bump when the bound's protocol changes (invalidates cached bounds)


def default_bound_cache() -> Path:
    """Where upper bounds are cached by default: ``$IMUSIM_CACHE``, else ``$XDG_CACHE_HOME/imusim`` or
    ``~/.cache/imusim``."""
    import os

    if os.environ.get("IMUSIM_CACHE"):
        return Path(os.environ["IMUSIM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "imusim"


def inverse_label_map(label_map: Optional[Dict[str, str]]) -> Dict[str, str]:
    """synthetic label → real label, from a real → synthetic ``label_map`` (a value may list several synthetic
    labels; None: empty)."""
    inv: Dict[str, str] = {}
    for real, syn in (label_map or {}).items():
        for x in ([syn] if isinstance(syn, str) else list(syn)):
            inv[x] = real
    return inv


def mapped_windows(y, label_map: Optional[Dict[str, str]]) -> np.ndarray:
    """Bool ``[N]``: the windows of synthetic labels ``y`` that :func:`map_labels` keeps (all without a map)."""
    if not label_map:
        return np.ones(len(y), dtype=bool)
    inv = inverse_label_map(label_map)
    return np.array([v in inv for v in y], dtype=bool)


def map_labels(s: IMUSet, label_map: Optional[Dict[str, str]]) -> IMUSet:
    """Rename synthetic labels into the real label space (inverse of real→synthetic ``label_map``);
    synthetic labels without a real counterpart are dropped (and reported by the caller)."""
    from dataclasses import replace

    if not label_map:
        return s
    inv = inverse_label_map(label_map)
    keep = mapped_windows(s.y, label_map)
    return replace(s, X=s.X[keep], y=np.array([inv[v] for v in s.y[keep]]),
                   groups=None if s.groups is None else np.asarray(s.groups)[keep])


def _concat(sets: List[IMUSet]) -> IMUSet:
    from dataclasses import replace

    if len(sets) == 1:
        return sets[0]
    return replace(sets[0], X=np.concatenate([s.X for s in sets]), y=np.concatenate([s.y for s in sets]),
                   groups=None)


def _check_inputs(real: IMUSet, synthetic: Dict[str, List[IMUSet]], classifiers, repeats, cnn_epochs) -> None:
    if len(real.X) == 0:
        raise ValueError(f"real set {real.name!r} has no windows (N = 0)")
    if real.X.shape[1] < MIN_SAMPLES:
        raise ValueError(f"real set {real.name!r}: windows of {real.X.shape[1]} samples are too short for HAR; "
                         f"need at least {MIN_SAMPLES} ({MIN_SAMPLES / real.rate:.2g} s at {real.rate:g} Hz)")
    if len(real.classes) < 2:
        raise ValueError(f"real set {real.name!r} needs at least 2 classes, got {real.classes}")
    if not synthetic:
        raise ValueError("no synthetic set given")
    for name, sets in synthetic.items():
        for s in sets:
            if not isinstance(s, IMUSet):
                raise TypeError(f"synthetic[{name!r}] must hold IMUSet objects, got {type(s).__name__}")
            if len(s.X) == 0:
                raise ValueError(f"synthetic set {name!r} ({s.name}) has no windows (N = 0)")
    bad = [c for c in classifiers if c not in ("cnn", "rf")]
    if bad or not classifiers:
        raise ValueError(f"classifiers must be a non-empty subset of ['cnn', 'rf'], got {list(classifiers)}")
    if repeats < 1 or cnn_epochs < 1:
        raise ValueError(f"repeats and cnn_epochs must be >= 1, got {repeats} and {cnn_epochs}")


def _bound_key(real: IMUSet, classifiers, repeats, cnn_epochs, max_windows) -> str:
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(real.X).tobytes())
    h.update("\0".join(real.y.tolist()).encode())
    h.update(np.asarray(real.groups if real.groups is not None else [], dtype=str).tobytes())
    h.update(json.dumps([list(classifiers), repeats, cnn_epochs, max_windows, real.rate, BOUND_VERSION]).encode())
    return h.hexdigest()


def _subsample(y: np.ndarray, n_max: int, seed: int = 0) -> np.ndarray:
    """Indices of a class-stratified random subsample of at most ``n_max`` of ``len(y)`` windows (sorted)."""
    rng = np.random.default_rng(seed)
    frac = n_max / len(y)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = max(min(len(idx), 2), int(round(frac * len(idx))))
        keep.append(rng.choice(idx, size=k, replace=False))
    return np.sort(np.concatenate(keep))


def real_upper_bound(real: IMUSet, classes: List[str], classifiers: Sequence[str], repeats: int, cnn_epochs: int,
                     max_windows: Optional[int] = 5000, cache: Optional[Path] = None, bar=None):
    """Real → real stratified grouped 5-fold CV (see the module doc): ``(results, info)``; ``info`` says
    how it was obtained (``status``: computed | cached | skipped, ``windows`` used of ``of``)."""
    from sklearn.model_selection import StratifiedGroupKFold

    N = len(real.y)
    info = {"status": "computed", "windows": N, "of": N, "cache": None}
    key = _bound_key(real, classifiers, repeats, cnn_epochs, max_windows)
    path = Path(cache) / f"har-bound-{key[:40]}.json" if cache else None
    if path is not None and path.exists():
        try:
            d = json.loads(path.read_text())
            if d.get("key") == key:
                info.update(d["info"], status="cached", cache=str(path))
                if bar:
                    bar.update(len(classifiers) * repeats)
                return d["results"], info
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is recomputed and rewritten
    idx = np.arange(N)
    if max_windows is not None and N > max_windows:
        idx = _subsample(real.y, max_windows)
        info["windows"] = int(len(idx))
    X = real.X[idx]
    y = np.array([classes.index(v) for v in real.y[idx]])
    groups = (np.asarray(real.groups) if real.groups is not None else np.arange(N))[idx]
    per_class = [len(set(groups[y == c].tolist())) for c in range(len(classes))]
    n_splits = min(5, min(per_class))
    if n_splits < 2:
        c = classes[int(np.argmin(per_class))]
        info.update(status="skipped", reason=f"class {c!r} has windows from only one recording (group): a grouped "
                                             f"cross-validation needs at least 2")
        if bar:
            bar.update(len(classifiers) * repeats)
        return [], info
    results = []
    kw = lambda c: {"epochs": cnn_epochs} if c == "cnn" else {}  # noqa: E731
    for clf in classifiers:
        for rep in range(repeats):
            pred = np.zeros_like(y)
            # grouped by recording: windows of one recording never sit on both sides of a split
            cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=rep)
            for tr, te in cv.split(X, y, groups):
                model = make_classifier(clf, seed=rep, **kw(clf)).fit(X[tr], y[tr], len(classes))
                pred[te] = model.predict(X[te])
            m = classification_metrics(y, pred, classes)
            results.append({"synthetic": f"real ({n_splits}-fold CV)", "classifier": clf, "seed": rep,
                            "classes": classes, **m})
            if bar:
                bar.update(1)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, "info": info, "results": results}))
        tmp.replace(path)
        info["cache"] = str(path)
    return results, info


def evaluate(real: IMUSet, synthetic: Dict[str, "IMUSet | List[IMUSet]"], *, classifiers: Sequence[str] = ("cnn", "rf"),
             repeats: int = 3, label_map: Optional[Dict[str, str]] = None, cnn_epochs: int = 40,
             progress: bool = True, reference: Optional[str] = None, upper_bound: str = "cv",
             bound_max_windows: Optional[int] = 5000, bound_cache=None) -> Dict:
    """``synthetic[name]`` is one set or a list of sets of the same method (e.g. generated with different
    ``--seed``): repeat ``r`` trains on set ``r mod n`` with classifier seed ``r``, so the spread over
    repeats covers both the generation and the training randomness. Distances use all of a method's sets.

    ``upper_bound``: ``"cv"`` (real → real CV, cached in the directory ``bound_cache`` when given, on a
    stratified subsample of ``bound_max_windows`` windows above that size) or ``"skip"``. Raises
    ValueError for empty or too short sets, fewer than 2 real classes, or no synthetic set covering
    at least 2 real classes (check the label map)."""
    if upper_bound not in ("cv", "skip"):
        raise ValueError(f"upper_bound must be 'cv' or 'skip', got {upper_bound!r}")
    if bound_max_windows is not None and bound_max_windows < 10:
        raise ValueError(f"bound_max_windows must be >= 10 (or None for all), got {bound_max_windows}")
    synthetic = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in synthetic.items()}
    _check_inputs(real, synthetic, classifiers, repeats, cnn_epochs)
    real = real.to_si()
    # bring long real recordings to the synthetic window length (e.g. BasicMotions' 10 s → 2.56 s windows)
    durations = [s.X.shape[1] / s.rate for v in synthetic.values() for s in v]
    if durations and real.X.shape[1] / real.rate > 1.2 * min(durations):
        real = rewindow(real, min(durations))
    classes_all = real.classes
    results, distances, missing, prepared, per_seed = [], {}, {}, {}, {}
    for name, syns in synthetic.items():
        hs = [harmonise(map_labels(syn, label_map), real) for syn in syns]
        s = _concat(hs)
        covered = [c for c in classes_all if c in set(s.y.tolist())]
        missing[name] = [c for c in classes_all if c not in covered]
        prepared[name] = (s, covered)
        per_seed[name] = hs
    unusable = {n: p[1] for n, p in prepared.items() if len(p[1]) < 2}
    if len(unusable) == len(prepared):
        labels = {n: sorted(set(np.concatenate([x.y for x in synthetic[n]]).tolist()))[:12] for n in synthetic}
        raise ValueError(f"no synthetic set covers at least 2 of the real classes {classes_all} "
                         f"(covered: {unusable}; synthetic labels: {labels}); map real labels to synthetic "
                         f"activities with label_map (imusim evaluate --labels)")
    for n, cov in unusable.items():
        import warnings
        warnings.warn(f"synthetic set {n!r} covers {cov} of the real classes {classes_all}: fewer than 2, it is "
                      f"left out of the scores")
    jobs = [(n, c, r) for n in synthetic for c in classifiers for r in range(repeats)]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(jobs) + len(classifiers) * repeats, desc="HAR", unit="fit")
    kw = lambda c: {"epochs": cnn_epochs} if c == "cnn" else {}  # noqa: E731
    for name, clf, rep in jobs:
        _, covered = prepared[name]
        s = per_seed[name][rep % len(per_seed[name])]
        if len(covered) < 2:
            if bar:
                bar.update(1)
            continue
        keep = np.isin(s.y, covered)  # synthetic activities without a real class take no part
        ys = np.array([covered.index(v) for v in s.y[keep]])
        rmask = np.isin(real.y, covered)
        yr = np.array([covered.index(v) for v in real.y[rmask]])
        model = make_classifier(clf, seed=rep, **kw(clf)).fit(s.X[keep], ys, len(covered))
        m = classification_metrics(yr, model.predict(real.X[rmask]), covered)
        results.append({"synthetic": name, "classifier": clf, "seed": rep, "store": rep % len(per_seed[name]),
                        "classes": covered, **m})
        if bar:
            bar.update(1)
    # upper bound: real -> real CV (cached by content, subsampled above bound_max_windows, or skipped)
    yr_all = np.array([classes_all.index(v) for v in real.y])
    if upper_bound == "skip":
        bound = {"status": "skipped", "reason": "upper_bound='skip' (--upper-bound skip)", "windows": 0,
                 "of": len(yr_all), "cache": None}
        if bar:
            bar.update(len(classifiers) * repeats)
    else:
        rows, bound = real_upper_bound(real, classes_all, classifiers, repeats, cnn_epochs, bound_max_windows,
                                       Path(bound_cache) if bound_cache else None, bar)
        results += rows
    if bar:
        bar.close()
    # distances: embedding of a CNN trained on the real windows (the same stratified subsample as the bound
    # above bound_max_windows: this fit too depends on the real set only and grows with it)
    fit_idx = (_subsample(real.y, bound_max_windows) if bound_max_windows is not None
               and len(yr_all) > bound_max_windows else slice(None))
    ref = make_classifier("cnn", seed=0, epochs=cnn_epochs).fit(real.X[fit_idx], yr_all[fit_idx], len(classes_all))
    er = ref.embed(real.X)
    for name, (s, covered) in prepared.items():
        es = ref.embed(s.X) if len(s.X) else np.zeros((0, er.shape[1]))
        d = {}
        for c in covered:
            a, b = s.X[s.y == c], real.X[real.y == c]
            d[c] = {"mmd": mmd_rbf(a, b), "wasserstein": channel_wasserstein(a, b, real.channels),
                    "embedding_centroid_distance": float(np.linalg.norm(es[s.y == c].mean(0) - er[real.y == c].mean(0)))}
        distances[name] = d
    summary = summarise(results)
    return {"real": real.name, "classes": classes_all, "missing_classes": missing, "results": results,
            "upper_bound": bound,
            "summary": summary, "relative": relative_change(summary, reference) if reference else [],
            "distances": distances,
            "_embeddings": {"real": (er, real.y), **{n: (ref.embed(p[0].X), p[0].y) for n, p in prepared.items()}},
            "_prepared": prepared, "_real": real}


def summarise(results: List[Dict]) -> List[Dict]:
    """Mean ± std over seeds for each (synthetic set, classifier)."""
    out = {}
    for r in results:
        out.setdefault((r["synthetic"], r["classifier"]), []).append(r)
    rows = []
    for (syn, clf), rs in out.items():
        f1 = np.array([r["macro_f1"] for r in rs])
        acc = np.array([r["accuracy"] for r in rs])
        rows.append({"synthetic": syn, "classifier": clf, "macro_f1": float(f1.mean()), "macro_f1_std": float(f1.std()),
                     "accuracy": float(acc.mean()), "accuracy_std": float(acc.std()), "repeats": len(rs),
                     "per_class_f1": {c: float(np.mean([r["per_class_f1"][c] for r in rs])) for c in rs[0]["per_class_f1"]}})
    return rows


def relative_change(summary: List[Dict], reference: str) -> List[Dict]:
    """Relative macro-F1 / accuracy change of every synthetic set against ``reference`` (same classifier):
    ``(x − x_ref) / x_ref`` — the paper reports refined vs original this way (+8.7 %)."""
    ref = {s["classifier"]: s for s in summary if s["synthetic"] == reference}
    if not ref:
        raise ValueError(f"reference {reference!r} is not one of the synthetic sets "
                         f"{sorted({s['synthetic'] for s in summary})}")
    out = []
    for s in summary:
        r = ref.get(s["classifier"])
        if r is None or s["synthetic"] == reference or s["synthetic"].startswith("real ("):
            continue
        out.append({"synthetic": s["synthetic"], "classifier": s["classifier"], "reference": reference,
                    "macro_f1_change": (s["macro_f1"] - r["macro_f1"]) / max(r["macro_f1"], 1e-12),
                    "accuracy_change": (s["accuracy"] - r["accuracy"]) / max(r["accuracy"], 1e-12)})
    return out


def write_report(ev: Dict, out_dir, json_path=None) -> Path:
    """``report.md`` + PNGs (t-SNE, confusion matrices, per-class F1, example signals) + JSON."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    real, classes = ev["_real"], ev["classes"]
    # t-SNE of embeddings, synthetic vs real by class
    from sklearn.manifold import TSNE

    embs = ev["_embeddings"]
    names = list(embs)
    Z = np.concatenate([embs[n][0] for n in names])
    src = np.concatenate([[n] * len(embs[n][0]) for n in names])
    lab = np.concatenate([embs[n][1] for n in names])
    if len(Z) > 5:
        Y = TSNE(2, perplexity=min(30, max(5, len(Z) // 10)), random_state=0, init="pca").fit_transform(Z)
        syn_names = [n for n in names if n != "real"]
        # one joint embedding, one panel per synthetic set against the real windows
        cols = min(4, max(1, len(syn_names)))
        rows = (len(syn_names) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(max(3.6 * cols, 6.0), 3.6 * rows + 0.4), squeeze=False)
        colors = plt.cm.tab10.colors
        for ax in axes.ravel()[len(syn_names):]:
            ax.axis("off")
        for ax, n in zip(axes.ravel(), syn_names):
            for j, c in enumerate(classes):
                k = (src == n) & (lab == c)
                if k.any():
                    ax.scatter(*Y[k].T, s=6, marker="o", color=colors[j % 10], alpha=0.35, edgecolors="none",
                               label=f"synthetic {c}")
                k = (src == "real") & (lab == c)
                if k.any():
                    ax.scatter(*Y[k].T, s=16, marker="^", color=colors[j % 10], alpha=0.95, edgecolors="k",
                               linewidths=0.3, label=f"real {c}")
            ax.set_title(n, fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes.ravel()[0].legend(fontsize=5, ncol=2, loc="best")
        fig.suptitle("t-SNE of embeddings of a CNN trained on real data\nsynthetic: dots, real: triangles", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "tsne.png", dpi=130)
        plt.close(fig)
    # confusion matrices (first seed, cnn if present)
    first = {}
    for r in ev["results"]:
        first.setdefault((r["synthetic"], r["classifier"]), r)
    keys = sorted(first)
    if keys:
        fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.2), squeeze=False)
        for ax, k in zip(axes[0], keys):
            r = first[k]
            cm = np.array(r["confusion"])
            ax.imshow(cm, cmap="Blues")
            ax.set_xticks(range(len(r["classes"])), r["classes"], rotation=60, fontsize=6)
            ax.set_yticks(range(len(r["classes"])), r["classes"], fontsize=6)
            for (i, j), v in np.ndenumerate(cm):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=6)
            ax.set_title(f"{k[0]}\n{k[1]} (seed 0)", fontsize=7)
            ax.set_xlabel("predicted", fontsize=6)
        fig.tight_layout()
        fig.savefig(out / "confusion.png", dpi=130)
        plt.close(fig)
    # per-class F1 bars
    summ = ev["summary"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    w = 0.8 / max(len(summ), 1)
    for i, s in enumerate(summ):
        xs = [classes.index(c) + i * w for c in s["per_class_f1"]]
        ax.bar(xs, list(s["per_class_f1"].values()), w, label=f"{s['synthetic']} / {s['classifier']}")
    ax.set_xticks(np.arange(len(classes)) + 0.4 - w / 2, classes)
    ax.set_ylabel("F1 on real")
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "per_class_f1.png", dpi=130)
    plt.close(fig)
    # example signals
    prepared = ev["_prepared"]
    fig, axes = plt.subplots(len(classes), 2, figsize=(9, 1.8 * len(classes)), squeeze=False)
    t = np.arange(real.X.shape[1]) / real.rate
    for i, c in enumerate(classes):
        for j, (kind, sl) in enumerate((("acc", slice(0, 3)), ("gyro", slice(3, 6)))):
            ax = axes[i, j]
            xr = real.X[real.y == c]
            if len(xr):
                ax.plot(t, np.linalg.norm(xr[0][:, sl], axis=-1), "k", lw=1.2, label="real")
            for n, (s, _) in prepared.items():
                xs = s.X[s.y == c]
                if len(xs):
                    ax.plot(t, np.linalg.norm(xs[0][:, sl], axis=-1), lw=0.8, label=n)
            ax.set_title(f"{c}: |{kind}| ({'m/s²' if kind == 'acc' else 'rad/s'})", fontsize=7)
            ax.tick_params(labelsize=6)
            if i == 0 and j == 0:
                ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "examples.png", dpi=130)
    plt.close(fig)
    public = {k: v for k, v in ev.items() if not k.startswith("_")}
    lines = [f"# HAR evaluation: train on synthetic, test on real ({ev['real']})", "",
             f"Real classes: {', '.join(classes)}", ""]
    b = ev.get("upper_bound") or {}
    if b:
        how = {"computed": f"computed on {b['windows']} of {b['of']} real windows"
                           + (" (a class-stratified random subsample, --bound-max-windows)" if b["windows"] < b["of"]
                              else ""),
               "cached": f"reused from the cache {b.get('cache')} ({b['windows']} of {b['of']} real windows)",
               "skipped": f"skipped: {b.get('reason', '')}"}[b["status"]]
        lines += [f"Upper bound (real → real grouped cross-validation): {how}", ""]
    for n, miss in ev["missing_classes"].items():
        if miss:
            lines.append(f"- **{n}** has no synthetic windows for: {', '.join(miss)} (left out of its scores)")
    lines += ["", "| synthetic | classifier | macro-F1 | accuracy | repeats |", "|---|---|---|---|---|"]
    for s in summ:
        lines.append(f"| {s['synthetic']} | {s['classifier']} | {s['macro_f1']:.3f} ± {s['macro_f1_std']:.3f} | "
                     f"{s['accuracy']:.3f} ± {s['accuracy_std']:.3f} | {s['repeats']} |")
    if ev.get("relative"):
        ref = ev["relative"][0]["reference"]
        lines += ["", f"## Relative change against `{ref}`", "", "| synthetic | classifier | macro-F1 | accuracy |",
                  "|---|---|---|---|"]
        for r in ev["relative"]:
            lines.append(f"| {r['synthetic']} | {r['classifier']} | {100 * r['macro_f1_change']:+.1f} % | "
                         f"{100 * r['accuracy_change']:+.1f} % |")
    if ev["distances"]:
        lines += ["", "## Distance to the real windows (mean over classes; lower = closer)", "",
                  "| synthetic | MMD² (RBF) | mean channel W1 | embedding centroid dist. |", "|---|---|---|---|"]
        for n, d in ev["distances"].items():
            if d:
                lines.append(f"| {n} | {np.mean([v['mmd'] for v in d.values()]):.4f} | "
                             f"{np.mean([np.mean(list(v['wasserstein'].values())) for v in d.values()]):.3f} | "
                             f"{np.mean([v['embedding_centroid_distance'] for v in d.values()]):.3f} |")
    lines += ["", "## Synthetic–real distances per class", "",
              "| synthetic | class | MMD² (RBF) | mean channel W1 | embedding centroid dist. |", "|---|---|---|---|---|"]
    for n, d in ev["distances"].items():
        for c, v in d.items():
            lines.append(f"| {n} | {c} | {v['mmd']:.4f} | {np.mean(list(v['wasserstein'].values())):.3f} | "
                         f"{v['embedding_centroid_distance']:.3f} |")
    lines += ["", "![t-SNE](tsne.png)", "", "![confusion](confusion.png)", "", "![per-class F1](per_class_f1.png)", "",
              "![examples](examples.png)", ""]
    (out / "report.md").write_text("\n".join(lines))
    jp = Path(json_path) if json_path else out / "results.json"
    jp.write_text(json.dumps(public, indent=1, default=float))
    return out / "report.md"
