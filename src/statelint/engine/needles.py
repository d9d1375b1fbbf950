"""Which of the rules' needles occur in a file: exactly ``needle in text``, with fewer scans.

A file is tested against about two hundred needles, and nearly all of them miss:
searched one by one, each miss reads the whole text. Most needles are, or contain,
words (``FileHandler``, ``.get(``, ``from time``), and a word can only occur inside
one of the file's words. So the file's distinct words are collected once, in one
pass over its bytes, and each needle is first tested against them:

* a needle that is one word occurs in the text exactly when it occurs in one of the
  text's words, so it is looked for in those words joined (each word once: a few
  kilobytes for most files), never in the text;
* a needle with other characters around a word (``.get(``) needs that word as a whole
  word of the text, and one at its start or end (``from time``) as part of one; only
  when they are there is the text itself searched.

Words are runs of ASCII letters, digits and underscores, in needles and text alike;
everything else (other characters included) separates them. The answer for every
needle is ``needle in text``, never an estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_WORD_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
_SEPARATE = bytes(byte if byte in _WORD_BYTES else 0x20 for byte in range(256))  # non-word bytes -> space


def _prepare(needle: str) -> tuple[bytes | None, frozenset[bytes], tuple[bytes, ...]]:
    """How one needle is tested: the needle itself when it is a single word; else the whole
    words it needs (between other characters) and the word parts at its two ends."""
    data = needle.encode("utf-8", "surrogatepass")
    words = data.translate(_SEPARATE).split()
    if not words:
        return None, frozenset(), ()
    starts, ends = data[0] in _WORD_BYTES, data[-1] in _WORD_BYTES
    if len(words) == 1 and starts and ends:
        return data, frozenset(), ()
    edges = [words.pop(0)] if starts else []
    if ends and words:
        edges.append(words.pop())
    return None, frozenset(words), tuple(edges)


class NeedleIndex:
    """The needles of a run, prepared once; :meth:`finder` tests one text against them."""

    def __init__(self, needles: Iterable[str]) -> None:
        self._prepared = {needle: _prepare(needle) for needle in set(needles)}

    def finder(self, text: str) -> Callable[[str], bool]:
        """``needle in text`` for the needles given above (any other string is searched plainly);
        each answer is remembered, so a needle shared by several rules is tested once."""
        words = set(text.encode("utf-8", "surrogatepass").translate(_SEPARATE).split())
        joined = b" ".join(words)
        answers: dict[str, bool] = {}
        prepared = self._prepared

        def occurs(needle: str) -> bool:
            answer = answers.get(needle)
            if answer is None:
                word, inner, ends = prepared.get(needle) or (None, frozenset(), ())
                if word is not None:
                    answer = word in joined
                else:
                    answer = inner <= words and all(end in joined for end in ends) and needle in text
                answers[needle] = answer
            return answer

        return occurs
