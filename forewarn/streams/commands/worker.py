"""``forewarn worker``: the long-running stream processor in live mode."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

from forewarn.config import Settings, load_settings
from forewarn.geo import RegionIndex, load_region
from forewarn.notifiers import Dispatcher
from forewarn.streams.kafka.app import PipelineOptions, build_pipeline
from forewarn.streams.kafka.embedded_broker import open_broker
from forewarn.streams.kafka.preflight import check_topics
from forewarn.streams.kafka.runner import (
    STOP_TIMEOUT_S,
    WorkerFailed,
    run_command,
    running_worker,
    worker_failure,
)
from forewarn.streams.kafka.signals import StopRequest
from forewarn.streams.kafka.tls import aiokafka_security
from forewarn.streams.kafka.worker_app import WorkerApp

__all__ = ["run_worker"]

log = logging.getLogger(__name__)


def run_worker(region: Path, config: Path | None, web_port: int, web_host: str) -> None:
    """Build the index, connect (or start the embedded broker) and process until stopped."""
    settings = load_settings(config)
    index = RegionIndex.build(load_region(region))
    log.info("region %s: %d customers indexed", region, len(index))
    run_command(_run(index, settings, web_port, web_host))


async def _run(index: RegionIndex, settings: Settings, web_port: int, web_host: str) -> None:
    # SIGTERM is the worker's normal end (exit 0), bounded even if a client hangs.
    stop = StopRequest(exit_code=0)
    stop.install()
    dispatcher = Dispatcher.from_settings(settings)
    try:
        with open_broker() as broker:
            pipeline = build_pipeline(index, PipelineOptions(
                bootstrap=broker.bootstrap, settings=settings,
                deliver=dispatcher.deliver, channels=dispatcher.channels,
                delivery_metrics=dispatcher.metrics, live=True,
                web_port=web_port, web_host=web_host,
            ))
            await check_topics(broker.bootstrap, pipeline.topics, settings.kafka.partitions,
                               aiokafka_security(settings.kafka) if not broker.embedded else None,
                               retry_for_s=settings.kafka.connect_retry_s,
                               replication_factor=settings.kafka.replication_factor)
            try:
                async with running_worker(pipeline.app, loglevel="info", stop=stop) as worker:
                    log.info("worker ready on %s; web on http://%s:%d/", broker.url,
                                web_host, web_port)
                    while not worker.should_stop and not stop.requested:
                        await asyncio.sleep(0.2)
                    _exit_if_stuck(STOP_TIMEOUT_S * 2, pipeline.app)
            except WorkerFailed:  # exit non-zero even if the shutdown that follows hangs
                _exit_if_stuck(STOP_TIMEOUT_S, pipeline.app)
                raise
    finally:
        await dispatcher.close()


def _exit_if_stuck(after_s: float, app: WorkerApp) -> None:
    """A stop requested by a signal must end the process even if Faust's shutdown hangs
    (an orchestrator would SIGKILL it anyway); Kafka holds everything needed to resume.
    After a failed stage the exit status is 1, never 0 (``runner.worker_failure``)."""

    def leave() -> None:
        failure = worker_failure(app)
        log.warning("shutdown took longer than %.0f s; exiting%s", after_s,
                    f" after a stage failed ({failure!r})" if failure is not None else "")
        os._exit(1 if failure is not None else 0)

    timer = threading.Timer(after_s, leave)
    timer.daemon = True
    timer.start()
