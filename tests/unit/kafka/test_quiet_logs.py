"""Quiet worker logs: no liveness warnings for the topic our own consumer reads, no terminal
escape codes when stderr is a file or a pipe."""

from __future__ import annotations

import io
from typing import Any

import faust
import pytest
from faust.types import TP

from forewarn.streams.kafka.runner import _Worker, is_terminal
from forewarn.streams.kafka.transport import _Consumer
from forewarn.streams.kafka.worker_app import ClientSettings, WorkerApp


class _Thread:
    def __init__(self) -> None:
        self.checked: list[TP] = []

    def verify_event_path(self, now: float, tp: TP) -> None:
        self.checked.append(tp)


class _Tables:
    changelog_topics = frozenset({"t.episodes-changelog"})


def _consumer(fed: frozenset[str], paused: frozenset[TP] = frozenset()) -> Any:
    consumer = object.__new__(_Consumer)  # no transport: only the check itself is exercised
    app = object.__new__(WorkerApp)  # no Faust app behind it: its client settings, tables
    app.clients = ClientSettings(fed_topics=fed)
    app.__dict__["tables"] = _Tables()
    consumer.__dict__.update(app=app, _thread=_Thread(), _paused_partitions=set(paused))
    return consumer


def test_fed_topic_is_not_checked_for_fetch_requests_faust_never_sends() -> None:
    consumer = _consumer(frozenset({"t.alarms.raw"}))
    consumer.verify_event_path(1000.0, TP("t.alarms.raw", 0))
    assert consumer._thread.checked == []


def test_other_topics_are_still_checked() -> None:
    consumer = _consumer(frozenset({"t.alarms.raw"}))
    consumer.verify_event_path(1000.0, TP("t.impacts", 3))
    assert consumer._thread.checked == [TP("t.impacts", 3)]


def test_a_paused_changelog_of_an_owned_table_is_not_checked() -> None:
    """After recovery Faust pauses the changelogs of the tables it owns and never fetches
    them again: the check logged an error per partition every 7 s after 300 s."""
    changelog = TP("t.episodes-changelog", 1)
    consumer = _consumer(frozenset({"t.alarms.raw"}), paused=frozenset({changelog}))
    consumer.verify_event_path(1000.0, changelog)
    assert consumer._thread.checked == []


def test_a_changelog_being_read_and_a_paused_stream_are_still_checked() -> None:
    reading, held = TP("t.episodes-changelog", 0), TP("t.impacts", 0)
    consumer = _consumer(frozenset({"t.alarms.raw"}), paused=frozenset({held}))
    consumer.verify_event_path(1000.0, reading)
    consumer.verify_event_path(1000.0, held)
    assert consumer._thread.checked == [reading, held]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize(("stream", "expected"), [
    (_Tty(), True), (io.StringIO(), False), (None, False), (_Closed(), False)])
def test_only_an_interactive_stream_is_a_terminal(stream: object, expected: bool) -> None:
    assert is_terminal(stream) is expected


def _worker(stream: io.StringIO) -> _Worker:
    app = faust.App("quiet-logs-test", broker="memory://", web_enabled=False)
    return _Worker(app, stop=None, loglevel="warning", quiet=True, redirect_stdouts=False,
                   override_logging=False, stdout=stream, stderr=stream)


def test_worker_on_a_pipe_or_file_has_no_spinner_and_writes_no_escape_codes() -> None:
    stream = io.StringIO()
    worker = _worker(stream)
    assert worker.spinner is None
    worker._on_startup_end_spinner()  # where Faust finishes its spinner
    assert "\x1b" not in stream.getvalue()


def test_worker_on_a_terminal_keeps_faust_spinner() -> None:
    assert _worker(_Tty()).spinner is not None
