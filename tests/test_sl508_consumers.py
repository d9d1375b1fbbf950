"""SL508: message consumers and long-lived connections that no shutdown path closes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import check_json, lint_fixture
from tests.test_sl5_threads import lint_variant

FIXTURE = "sl5/consumers.py"
POSITIVES = [
    ("SL508", 26, 10),  # confluent-kafka Consumer in a module global
    ("SL508", 31, 16),  # kafka-python KafkaConsumer as a class attribute
    ("SL508", 36, 26),  # aiokafka consumer on self, started and never stopped
    ("SL508", 44, 10),  # redis PubSub closed only after an endless `while True` loop
    ("SL508", 55, 14),  # a local consumed in a loop (a thread's target)
    ("SL508", 65, 23),  # `.pubsub()` on a client of unknown type
    ("SL508", 68, 25),  # `self.nc = await nats.connect()`, subscribed, never drained
    ("SL508", 72, 15),  # iterated where it is created
    ("SL508", 77, 16),  # created at startup (main() under __main__), its worker thread never stopped
    ("SL508", 84, 18),  # pika connection closed only after a blocking start_consuming()
]


def test_consumers(tmp_path: Path) -> None:
    # Silent: an atexit hook (a registered reference, a decorated function), a SIGTERM handler,
    # a close after a loop a stop flag ends, a finally block, with and async with blocks, a
    # lifespan's code after yield, an HTTP session, a producer, a local closed after its loop,
    # a short-lived local, a returned consumer, a stopped run_in_thread worker, a pika channel's
    # stop_consuming() in a SIGTERM handler, a NATS drain() in close(), a stop in a finally
    # around `await asyncio.Future()`.
    assert lint_fixture(FIXTURE, tmp_path, "SL508") == POSITIVES


def test_the_thread_consuming_is_reported_apart(tmp_path: Path) -> None:
    # The thread running the consume loop is SL501's; the consumer it leaves open is SL508's.
    found = lint_fixture(FIXTURE, tmp_path, "SL5")
    assert found == sorted([*POSITIVES, ("SL501", 60, 1)], key=lambda t: (t[1], t[2]))


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ("atexit.register(HOOKED.close)", "HOOKED.subscribe(['hooked'])", ("SL508", 92, 10)),
        ("    DECORATED.close()\n", "    DECORATED.commit()\n", ("SL508", 95, 13)),
        ("    ON_SIGNAL.close()\n", "    ON_SIGNAL.commit()\n", ("SL508", 103, 13)),
        ("    while running:\n", "    while True:\n", ("SL508", 124, 15)),  # the close is never reached
        ("    finally:\n        guarded.close()", "    except ValueError:\n        pass\n    guarded.close()", ("SL508", 131, 15)),
        ("    with pika.BlockingConnection() as scoped:\n", "    scoped = pika.BlockingConnection()\n    if scoped:\n", ("SL508", 140, 14)),
        ("    await app_consumer.stop()\n", "    await app_consumer.commit()\n", ("SL508", 164, 20)),
        ("    once.close()\n", "    once.commit()\n", ("SL508", 178, 12)),
        ("atexit.register(worker.stop)", "worker.is_alive()", ("SL508", 193, 11)),
        ("    consuming_channel.stop_consuming()", "    consuming_channel.basic_qos()", ("SL508", 198, 13)),
        ("        await self.nc.drain()", "        await self.nc.flush()", ("SL508", 211, 25)),
        ("    try:\n        await asyncio.Future()  # runs until cancelled\n    finally:\n        await FOREVER.stop()",
         "    await asyncio.Future()  # runs until cancelled\n    await FOREVER.stop()", ("SL508", 218, 11)),
    ],
)
def test_what_keeps_each_near_miss_quiet(tmp_path: Path, old: str, new: str, reported: tuple[str, int, int]) -> None:
    found = lint_variant(tmp_path, FIXTURE, old, new, "SL508")
    assert found == sorted([*POSITIVES, reported], key=lambda t: (t[1], t[2]))


@pytest.mark.parametrize(
    ("old", "new", "quiet"),
    [
        # a close after a call that returns is reached
        ("    channel.start_consuming()\n    connection.close()", "    channel.basic_get('jobs')\n    connection.close()", ("SL508", 84, 18)),
        # a close after a loop that can end is reached
        ("    while True:\n        handle(EVENTS", "    while EVENTS.subscribed:\n        handle(EVENTS", ("SL508", 44, 10)),
        # closed by an atexit hook: the startup PubSub is released
        ("    listener.run_in_thread(sleep_time=0.1)\n", "    listener.run_in_thread(sleep_time=0.1); atexit.register(listener.close)\n", ("SL508", 77, 16)),
    ],
)
def test_what_makes_each_positive_one(tmp_path: Path, old: str, new: str, quiet: tuple[str, int, int]) -> None:
    assert lint_variant(tmp_path, FIXTURE, old, new, "SL508") == [p for p in POSITIVES if p != quiet]


PUBLISHER = """\
import pika

CONNECTION = pika.BlockingConnection()
CHANNEL = CONNECTION.channel()


def publish(body):
    CHANNEL.basic_publish(exchange="", routing_key="jobs", body=body)
"""


def test_a_connection_counts_once_the_module_consumes(tmp_path: Path) -> None:
    # Only publishing, a pika connection holds nothing in flight; consuming, it holds the deliveries.
    (tmp_path / "publisher.py").write_text(PUBLISHER)
    assert check_json("publisher.py", cwd=tmp_path, select="SL508").triples == []
    consumer = PUBLISHER.replace("CHANNEL.basic_publish(exchange=\"\", routing_key=\"jobs\", body=body)",
                                 "CHANNEL.basic_consume(\"jobs\", on_message_callback=body)")
    (tmp_path / "publisher.py").write_text(consumer)
    assert check_json("publisher.py", cwd=tmp_path, select="SL508").triples == [("SL508", 3, 14)]


def test_extra_consumer_classes(tmp_path: Path) -> None:
    (tmp_path / "bus.py").write_text(
        "from myapp.events import OrderConsumer\n\nCONSUMER = OrderConsumer('orders')\n"
        "STOPPED = OrderConsumer('stopped')\n\n\ndef shutdown():\n    STOPPED.stop()\n"
    )
    assert check_json("bus.py", cwd=tmp_path, select="SL508").triples == []
    (tmp_path / "pyproject.toml").write_text(
        '[tool.statelint.options.SL508]\nextra-consumer-classes = ["myapp.events.OrderConsumer"]\n'
    )
    assert check_json("bus.py", cwd=tmp_path, select="SL508").triples == [("SL508", 3, 12)]


def test_the_message_names_the_consumer_its_holder_and_what_is_lost(tmp_path: Path) -> None:
    copy = tmp_path / "consumers.py"
    copy.write_text((Path(__file__).parent / "fixtures" / FIXTURE).read_text())
    run = check_json("consumers.py", cwd=tmp_path, select="SL508")
    first = run.findings[0]
    assert first["message"] == "confluent-kafka Consumer held in `ORDERS` is never closed on shutdown"
    # what is missing and what is lost, the library's own, lead the hint
    assert first["hint"].startswith(
        "No shutdown path calls its close(). At SIGTERM the offsets consumed since the last commit are never committed"
    )
