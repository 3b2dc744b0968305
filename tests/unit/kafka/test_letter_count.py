"""Dead letters count once the broker acknowledged them, and only then (``LetterCount``)."""

from __future__ import annotations

import asyncio

from forewarn.streams.kafka.letter_count import LetterCount

TOPICS = {"p.alarms.dead-letter": "alarms.dead-letter",
          "p.notifications.dead-letter": "notifications.dead-letter"}


def test_only_acknowledged_letters_on_dead_letter_topics_are_counted() -> None:
    async def run() -> dict[str, int]:
        count = LetterCount(TOPICS)
        loop = asyncio.get_running_loop()
        acked, failed, cancelled, pending, other = (loop.create_future() for _ in range(5))
        count.watch("p.alarms.dead-letter", acked)
        count.watch("p.alarms.dead-letter", failed)
        count.watch("p.notifications.dead-letter", cancelled)
        count.watch("p.alarms.dead-letter", pending)
        count.watch("p.alarms.raw", other)  # not a dead-letter topic: ignored
        acked.set_result("metadata")
        failed.set_exception(ConnectionError("broker gone"))
        cancelled.cancel()
        other.set_result("metadata")
        await asyncio.sleep(0)  # done callbacks run on the loop
        return count.acked()

    assert asyncio.run(run()) == {"alarms.dead-letter": 1, "notifications.dead-letter": 0}


def test_every_dead_letter_topic_is_reported_before_any_letter() -> None:
    assert LetterCount(TOPICS).acked() == {"alarms.dead-letter": 0,
                                           "notifications.dead-letter": 0}
