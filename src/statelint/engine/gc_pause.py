"""Keeping the cyclic garbage collector off what it cannot collect.

A parser allocates a whole tree and frees nothing: every few hundred allocations
the collector wakes up and walks the young objects, and now and then everything
alive in the process, to find no garbage at all. Syntax trees hold no reference
cycles (children only, no parents), so pausing it while a tree is built loses
nothing; on the stdlib it costs CPython's parser more than the parse itself.

What a run imports and loads before its files (modules, the catalog, the settings)
lives until the run ends: it is frozen out of every collection for the run.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_collection() -> Iterator[None]:
    """Pause automatic garbage collection (unless someone else already did) for the block."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Leave everything alive now out of the collector's walks for the block (:func:`gc.freeze`).

    A collection would walk it to find no garbage and, in a forked process, copy each page
    it reads. Only the outermost block unfreezes: a nested one adds what was made since.
    """
    outermost = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if outermost:
            gc.unfreeze()


def trim_heap() -> None:
    """Give freed heap memory back to the system (glibc; a no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass
