"""Parsing without the cyclic garbage collector.

A parser allocates a whole tree and frees nothing: every few hundred allocations
the collector wakes up and walks the young objects, and now and then everything
alive in the process, to find no garbage at all. Syntax trees hold no reference
cycles (children only, no parents), so pausing it while a tree is built loses
nothing; on the stdlib it costs CPython's parser more than the parse itself.
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
