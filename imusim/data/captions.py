"""Labels and captions from clip names.

Bandai Namco files are ``dataset-N_{content}_{style}_{take}.bvh[.gz]``; DeepMimic clips are
``humanoid3d_{name}.txt``. :func:`labels_from_path` turns a path into a labels dict
(``dataset``, ``content``, ``style``, ``take``, ``activity``); :func:`captions_for` gives several
English phrasings (e.g. walk + angry → "a person walks angrily."). ``activity`` is the label kept
for HAR; ``ACTIVITY_GROUP`` maps it to coarse classes (locomotion speed vs in-place gestures), which
is what real data sets such as BasicMotions (standing / walking / running / badminton) label.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Dict, List

# content -> (activity, verb phrases in 3rd person present)
_CONTENT: Dict[str, tuple] = {
    "walk": ("walk", ["walks", "walks forward", "is walking"]),
    "run": ("run", ["runs", "runs forward", "is running", "jogs forward"]),
    "dash": ("run", ["sprints forward", "dashes forward", "runs fast"]),
    "jog": ("run", ["jogs", "jogs forward", "is jogging"]),
    "walk-back": ("walk", ["walks backwards", "steps backwards", "is walking backwards"]),
    "walk-left": ("walk", ["walks to the left", "walks sideways to the left", "steps to the left"]),
    "walk-right": ("walk", ["walks to the right", "walks sideways to the right", "steps to the right"]),
    "walk-turn-left": ("walk", ["walks and turns left", "walks forward and turns to the left"]),
    "walk-turn-right": ("walk", ["walks and turns right", "walks forward and turns to the right"]),
    "stealthy_walk": ("walk", ["walks stealthily", "sneaks forward", "tiptoes forward"]),
    "zombie_walk": ("walk", ["walks like a zombie", "shuffles forward with arms raised like a zombie"]),
    "bow": ("bow", ["bows", "bows politely", "bends forward in a bow"]),
    "bye": ("wave", ["waves goodbye", "waves a hand to say bye"]),
    "byebye": ("wave", ["waves goodbye with both hands", "waves both hands to say goodbye"]),
    "wave-both-hands": ("wave", ["waves both hands", "waves with both hands above the head"]),
    "wave-left-hand": ("wave", ["waves the left hand", "waves with the left hand"]),
    "wave-right-hand": ("wave", ["waves the right hand", "waves with the right hand"]),
    "raise-up-both-hands": ("raise_hands", ["raises both hands", "lifts both arms up"]),
    "raise-up-left-hand": ("raise_hands", ["raises the left hand", "lifts the left arm up"]),
    "raise-up-right-hand": ("raise_hands", ["raises the right hand", "lifts the right arm up"]),
    "guide": ("gesture", ["points the way with an arm", "gestures to guide someone"]),
    "respond": ("gesture", ["responds with a gesture", "nods and gestures in reply"]),
    "call": ("gesture", ["calls someone over with a hand", "beckons someone to come"]),
    "punch": ("punch", ["punches", "throws a punch", "punches forward"]),
    "kick": ("kick", ["kicks", "kicks forward with one leg", "throws a kick"]),
    "spinkick": ("kick", ["does a spinning kick", "spins and kicks"]),
    "slash": ("slash", ["slashes with a sword", "swings an arm as if slashing with a sword"]),
    "dance-short": ("dance", ["dances", "dances energetically", "performs a short dance"]),
    "dance-long": ("dance", ["dances", "performs a long dance"]),
    "dance_a": ("dance", ["dances", "performs a dance"]),
    "dance_b": ("dance", ["dances", "dances rhythmically"]),
    "dance_spin": ("dance", ["dances and spins", "spins around while dancing"]),
    "backflip": ("jump", ["does a backflip", "jumps and flips backwards"]),
    "sideflip": ("jump", ["does a side flip", "jumps and flips sideways"]),
    "jump": ("jump", ["jumps", "jumps up", "jumps forward"]),
    "cartwheel": ("cartwheel", ["does a cartwheel", "performs a cartwheel"]),
    "crawl": ("crawl", ["crawls on the floor", "crawls forward on hands and knees"]),
    "getup_facedown": ("get_up", ["gets up from lying face down", "stands up from the floor"]),
    "getup_faceup": ("get_up", ["gets up from lying on the back", "stands up from the floor"]),
    "roll": ("roll", ["rolls on the ground", "does a forward roll"]),
    "spin": ("spin", ["spins around", "turns around in place"]),
}

# style -> adverb / adjective phrase
_STYLE: Dict[str, str] = {
    "normal": "", "happy": "happily", "sad": "sadly", "angry": "angrily", "proud": "proudly",
    "not-confident": "timidly", "masculinity": "in a masculine way", "masculine": "in a masculine way",
    "feminine": "in a feminine way", "childish": "like a child", "old": "like an old person",
    "elderly": "like an elderly person", "tired": "wearily", "exhausted": "in an exhausted way",
    "active": "energetically", "youthful": "youthfully", "musical": "like in a musical",
    "giant": "like a giant", "chimpira": "like a swaggering thug",
}

# extra phrasings of a style's pace (``captions_for(..., paraphrase=True)``, ``imusim data build --caption-paraphrases``):
# the default captions say nothing of pace, so a prompt such as "walks at a normal pace" lands wherever the text
# encoder puts it (the shipped models answer it with a brisk walk, docs/realism.md §18). "" is the plain caption.
_PACE: Dict[str, List[str]] = {
    "normal": ["", "normally", "at a steady pace", "at an easy pace"],
    "active": ["energetically", "briskly", "at a fast pace", "vigorously"],
}

# ``paraphrase="manner"`` (``--caption-paraphrases manner``): many phrasings of each pace, so that the network sees the
# pace words of the normal and the active style side by side (MiniLM puts "at a normal pace" at cosine 0.98 to "at a
# medium pace" and 0.975 to "at a fast pace": only pairs that differ in the pace word teach that direction). Held out
# for evaluation (tested): no phrasing contains "normal pace", "regular", "ordinary" or "slow", so the realism
# protocol's walking prompts ("... at a normal pace.", "... slowly.") and §18.5's held-out phrases stay unseen; "quickly"
# and "rapidly" are left out as well because MiniLM puts "walks slowly" nearest to them (antonyms).
_MANNER: Dict[str, List[str]] = {
    "normal": ["", "normally", "at a steady pace", "at an easy pace", "at a moderate pace", "at a comfortable pace",
               "at an average speed", "at a relaxed pace", "casually", "at a medium pace", "at a usual speed"],
    "active": ["energetically", "briskly", "at a fast pace", "vigorously", "at a quick pace", "hurriedly",
               "at a high speed", "at a brisk pace", "at a lively pace"],
    "tired": ["wearily", "at a sluggish pace", "tiredly", "at a weary pace"],
}
MANNER_HELD_OUT = ("normal pace", "regular", "ordinary", "slow")
_PARAPHRASES = {"pace": _PACE, "manner": _MANNER}

# fine activity -> coarse group (HAR classes that real data sets use)
ACTIVITY_GROUP: Dict[str, str] = {
    "walk": "walking", "run": "running", "jump": "jumping", "dance": "dancing",
    "bow": "standing", "wave": "standing", "raise_hands": "standing", "gesture": "standing",
    "punch": "fighting", "kick": "fighting", "slash": "fighting",
    "cartwheel": "acrobatics", "roll": "acrobatics", "spin": "standing", "crawl": "crawling",
    "get_up": "getting_up",
}

# "high-dynamic" activities for the per-activity L_acc analysis (the paper: running, jumping)
DYNAMIC_ACTIVITIES = {"run", "jump", "dance", "kick", "cartwheel", "punch"}

_BANDAI = re.compile(r"^dataset-(\d+)_([a-z\-]+)_([a-z\-]+)_(\d+)$")


def _stem(path) -> str:
    name = Path(path).name
    for ext in (".bvh.gz", ".bvh", ".txt", ".npz", ".npy"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return Path(path).stem


def labels_from_path(path) -> Dict[str, str]:
    """Labels parsed from a Bandai/DeepMimic file name (``content``, ``style``, ``activity``, ...).

    Unknown names give ``content`` = the file stem and ``activity`` = "unknown".
    """
    stem = _stem(path)
    m = _BANDAI.match(stem)
    if m:
        ds, content, style, take = m.groups()
        return {"dataset": f"bandai_namco_{ds}", "content": content, "style": style, "take": take,
                "activity": _CONTENT.get(content, (content,))[0]}
    if stem.startswith("humanoid3d_"):
        content = stem[len("humanoid3d_"):]
        return {"dataset": "deepmimic", "content": content, "style": "normal", "take": "001",
                "activity": _CONTENT.get(content, (content,))[0]}
    return {"dataset": "unknown", "content": stem, "style": "normal", "take": "", "activity": "unknown"}


def paraphrase_set(paraphrase, name: str = "paraphrase"):
    """``paraphrase`` as :func:`captions_for` and ``build`` record it: ``False``, ``"pace"`` (also ``True``) or
    ``"manner"``; anything else is an error naming the argument (``name``)."""
    if paraphrase is True:
        return "pace"
    if paraphrase and paraphrase not in _PARAPHRASES:
        raise ValueError(f"{name} must be False, True, 'pace' or 'manner', got {paraphrase!r}")
    return paraphrase or False


def captions_for(labels: Dict[str, str], n: int = 3, seed: int = 0, paraphrase=False) -> List[str]:
    """``n`` distinct English phrasings of the clip (deterministic for a seed); the first is canonical:
    "a person <verb phrase> <style adverb>.". ``paraphrase``: the other phrasings may also name the style's pace:
    ``True`` or ``"pace"`` (``_PACE``: "normally", "at a steady pace", … for the normal style; "briskly", "at a fast
    pace", … for the active one), ``"manner"`` (``_MANNER``: ten or so per pace, the tired style's too); the
    canonical caption is the same either way."""
    paraphrase = paraphrase_set(paraphrase)
    content, style = labels.get("content", ""), labels.get("style", "normal")
    verbs = _CONTENT.get(content, (None, [content.replace("-", " ").replace("_", " ")]))[1]
    adv = _STYLE.get(style, style.replace("-", " ") if style not in ("", "normal") else "")
    advs = _PARAPHRASES[paraphrase].get(style, [adv]) if paraphrase else [adv]
    subjects = ["a person", "someone", "a man", "a woman", "the person"]
    out = [" ".join(x for x in (subj, verb, a) if x) + "." for subj in subjects for verb in verbs for a in advs]
    # "manner" draws the paraphrased styles' phrasings per take, so that the takes of one content and style carry
    # different ones (the default and "pace" draw per content and style: every take of it has the same captions, the
    # shipped data set's rule, which gave §18.5's "pace" build only 7 new captions in all)
    per_take = paraphrase == "manner" and style in _MANNER
    key = f"{content}|{style}|{seed}" + (f"|{labels.get('take', '')}" if per_take else "")
    random.Random(key).shuffle(out)
    canon = " ".join(x for x in ("a person", verbs[0], adv) if x) + "."
    out = [canon] + [c for c in out if c != canon]
    return out[:n]
