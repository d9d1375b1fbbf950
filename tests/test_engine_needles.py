"""The needle finder answers exactly ``needle in text``: its word shortcuts only skip scans."""

from __future__ import annotations

import random

import pytest

from statelint.engine.needles import NeedleIndex

NEEDLES = [
    "FileHandler",  # one word: found inside a longer word too
    "basicConfig",
    ".get(",  # a whole word between other characters
    '.get("/',
    "from time",  # words at both ends, which may be parts of longer words
    "def health",
    "time(",
    "request.files",
    "127.0.0.1",  # digits are word characters: "0" must be a whole word of the text
    "] +=",  # no word at all: the text is searched
    "= [",
    "_route(",
    "é(",  # non-ASCII characters separate words, in needles as in text
    "naïve",
    "",
]

TEXTS = [
    "",
    "handler = logging.handlers.RotatingFileHandler('app.log')",
    "x = d.get(key)\ny = d.gets(key)\nz = d._get(key)",
    'app.get("/health")',
    "import os\nfrom timeit import default_timer\nfrom  time import sleep",
    "xfrom time import time\n",
    "def healthz():\n    return time()\n",
    "if request.files_count: pass",
    "bind('127.0.0.1')",
    "bind('127.00.0.1')",
    "counts[key] += 1\nbuf = [1]",
    "counts[key]+= 1\nbuf =[1]",
    "app.add_route(handler)",
    "café(1)\ncafé (2)",
    "naïve = True",
    "naive = True",
    "s = '\udcff'  # a lone surrogate, as surrogateescape decoding leaves one",
    "tab\tseparated\x0bwords\x0cand\rcarriage returns\x00nul",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_prepared_needle_matches_plain_search(text: str) -> None:
    occurs = NeedleIndex(NEEDLES).finder(text)
    assert {needle: occurs(needle) for needle in NEEDLES} == {needle: needle in text for needle in NEEDLES}


def test_needles_that_were_not_prepared_are_searched_plainly() -> None:
    occurs = NeedleIndex(["FileHandler"]).finder("a.get(b)")
    assert occurs(".get(") is True
    assert occurs(".set(") is False


def test_answers_are_remembered_per_text() -> None:
    index = NeedleIndex(["FileHandler"])
    first, second = index.finder("FileHandler"), index.finder("nothing here")
    assert (first("FileHandler"), second("FileHandler"), first("FileHandler")) == (True, False, True)


def test_random_texts_agree_with_plain_search() -> None:
    """Texts built from the pieces that sit at word edges: letters, digits, underscores,
    punctuation, spaces, non-ASCII letters; needles cut from those texts and made up."""
    pieces = ["a", "b", "get", "time", "_", "0", "1", ".", "(", '"', "/", " ", "\n", "]", "+=", "=", "é", "ß", "from"]
    rng = random.Random(20261126)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(300)]
    needles = set(NEEDLES)
    for text in texts[:100]:
        if text:
            start = rng.randrange(len(text))
            needles.add(text[start : start + rng.randrange(1, 8)])
    index = NeedleIndex(sorted(needles))
    for text in texts:
        occurs = index.finder(text)
        wrong = [needle for needle in needles if occurs(needle) != (needle in text)]
        assert not wrong, (text, wrong)
