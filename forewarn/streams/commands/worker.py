"""``forewarn worker``: the long-running stream processor in live mode."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

from forewarn.config import Settings, load_settings
from forewarn.errors import ForewarnError
from forewarn.geo import RegionIndex, load_region
from forewarn.geo.artifact import version_dir
from forewarn.geo.slices import SlicedIndex, is_sliced, load_slices
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

__all__ = ["load_index_dir", "run_worker"]

log = logging.getLogger(__name__)


def run_worker(region: Path | None, config: Path | None, web_port: int, web_host: str, *,
               index_dir: Path | None = None) -> None:
    """Build the index (or load it from ``index_dir``), connect (or start the embedded
    broker) and process until stopped."""
    settings = load_settings(config)
    if index_dir is not None:
        index, settings = load_index_dir(index_dir, settings)
    elif region is not None:
        index = RegionIndex.build(load_region(region))
        log.info("region %s: %d customers indexed", region, len(index))
    else:
        raise ForewarnError("give --region REGION or --index DIR")
    run_command(_run(index, settings, web_port, web_host))


def load_index_dir(index_dir: Path, settings: Settings) -> tuple[RegionIndex, Settings]:
    """The newest version in ``index_dir``, and settings that hot-reload from that folder.

    A sliced index starts with no slice mapped: the worker maps those of the partitions it
    is assigned, and follows rebalances (``streams.kafka.slice_mapping``). It must have as
    many slices as the customer topics have partitions (``[kafka] partitions``): otherwise
    a customer's slice and their partition disagree.
    """
    folder = version_dir(index_dir)
    index = load_slices(folder, ()) if is_sliced(folder) else RegionIndex.load(folder)
    if isinstance(index, SlicedIndex) and index.partitions != settings.kafka.partitions:
        raise ForewarnError(
            f"{index_dir}: index has {index.partitions} partition slices but the topics have "
            f"{settings.kafka.partitions} partitions ([kafka] partitions); rebuild with "
            f"`forewarn index build REGION --out {index_dir} "
            f"--partitions {settings.kafka.partitions}`")
    version = getattr(index, "version", None) or "(unversioned)"
    if isinstance(index, SlicedIndex):
        log.info("index %s version %s: %d partition slices, mapped once partitions are "
                 "assigned", index_dir, version, index.partitions)
    else:
        log.info("index %s version %s: %d customers mapped", index_dir, version, len(index))
    if settings.index.dir and Path(settings.index.dir) != Path(index_dir):
        log.warning("[index] dir %s replaced by --index %s", settings.index.dir, index_dir)
    reload = settings.index.model_copy(update={"dir": str(index_dir)})
    return index, settings.model_copy(update={"index": reload})


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
