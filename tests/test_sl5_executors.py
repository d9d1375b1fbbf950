"""SL504: long-lived executors and pools never shut down."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import lint_fixture
from tests.test_sl5_threads import lint_variant

POSITIVES = [
    ("SL504", 11, 12),  # module-level ThreadPoolExecutor
    ("SL504", 12, 7),  # futures.ProcessPoolExecutor
    ("SL504", 13, 11),  # multiprocessing.Pool
    ("SL504", 14, 15),  # ThreadPool closed but never joined
    ("SL504", 19, 12),  # class attribute
    ("SL504", 24, 26),  # self._executor, never shut down
]


def test_executors_never_shut_down(tmp_path: Path) -> None:
    # Not reported: a with block, atexit.register(pool.shutdown), close() + join(),
    # terminate(), grpc.server(executor), shutdown() in close()/__exit__, a local pool.
    assert lint_fixture("sl5/executors.py", tmp_path, "SL5") == POSITIVES


def test_the_shutdown_hook_is_what_manages_a_pool(tmp_path: Path) -> None:
    found = lint_variant(
        tmp_path, "sl5/executors.py", "atexit.register(HOOKED.shutdown, wait=True)", "HOOKED.submit(print)", "SL504"
    )
    assert found == [*POSITIVES, ("SL504", 34, 10)]


def test_grpc_is_what_owns_an_executor(tmp_path: Path) -> None:
    owned = "rpc_server = grpc.server(RPC_POOL)"
    found = lint_variant(tmp_path, "sl5/executors.py", owned, "rpc_server = RPC_POOL", "SL504")
    assert found == [*POSITIVES, ("SL504", 45, 12)]
