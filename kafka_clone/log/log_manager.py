"""All logs of a broker, mirroring Kafka's ``kafka.log.LogManager`` (2.8).

Per ``log.dirs`` entry the manager owns::

    <dir>/.lock                              flock'ed while a broker uses the directory
    <dir>/.kafka_cleanshutdown               present only between a clean shutdown and the next start
    <dir>/recovery-point-offset-checkpoint   offsets below which every log was fsynced
    <dir>/log-start-offset-checkpoint        each log's log start offset
    <dir>/replication-offset-checkpoint      high watermarks (written for the ReplicaManager)
    <dir>/cleaner-offset-checkpoint          first dirty offset of each compacted log
    <dir>/<topic>-<partition>/               one ``Log``
    <dir>/<topic>-<partition>.<uuid>-delete/ a deleted log waiting for ``file.delete.delay.ms``

All checkpoints use Kafka's text format (``checkpoints``). ``meta.properties`` belongs to the
broker (``server/broker_metadata.py``), as in Kafka where ``KafkaServer`` writes it.

Start-up (``open``): each directory's marker decides whether logs are trusted (clean shutdown:
the recovery point is the log end) or re-validated from their recovery point (unclean: torn
tails are truncated, lost or corrupt indexes rebuilt). The marker is removed once loading is done,
so a crash from then on is detected at the next start.

Background work (``run``, one trio task): every ``log.retention.check.interval.ms`` apply
retention and delayed file deletion; every ``log.flush.scheduler.interval.ms`` flush logs per
``flush.ms`` and the segments left by a roll; checkpoint recovery points and log start offsets
every 60 s; compact ``compact`` logs. Each pass is synchronous code (``cleanup_logs``,
``clean_logs``, ``flush_dirty_logs``, ``checkpoint_*``) that tests call directly; ``run`` only
schedules it. The synchronous passes mutate logs, so the broker must not run an append on the
same log in another thread at the same moment (pass ``run_sync`` to serialise them).

Compaction is the exception: ``run`` uses ``clean_logs_in_thread``, which does the reading,
filtering and writing of each log's pass in a worker thread (Kafka's ``LogCleaner`` threads), so a
long compaction does not stall the broker's event loop. Only the planning and the segment swap
run in the trio task, which owns the logs (``cleaner.py`` says why that is safe). Cancelling
``run`` during a pass asks the worker to stop and waits for it, so no thread outlives the task
or reads a log after shutdown closes it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping

import attrs
import trio

from kafka_clone.log import checkpoints
from kafka_clone.log.cleaner import (
    CleanedSegment, LogToClean, clean_segments, discard_cleaned, plan_cleaning, swap_cleaned,
)
from kafka_clone.log.clock import Clock, wall_clock_ms
from kafka_clone.log.log import Log, parse_topic_partition_name
from kafka_clone.log.log_config import LONG_MAX, LogConfig
from kafka_clone.protocol.errors import KafkaError, KafkaStorageError

__all__ = ["LogManager", "CLEAN_SHUTDOWN_FILE", "LOCK_FILE", "TopicPartition", "run_in_worker_thread",
           "run_in_this_thread"]

logger = logging.getLogger(__name__)

CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"
LOCK_FILE = ".lock"
TopicPartition = tuple[str, int]


async def _inline(fn: Callable[..., object], *args: object) -> object:
    return fn(*args)


#: Work for a worker thread: called with ``aborted``, which turns true when it should stop.
AbortableWork = Callable[[Callable[[], bool]], None]


async def run_in_worker_thread(work: AbortableWork) -> None:
    """Run ``work`` in a worker thread and wait for it.

    If this task is cancelled meanwhile, ``aborted()`` turns true and the wait continues until
    ``work`` returns: the thread never outlives the call, so the caller may close what it reads.
    ``work`` hands its results over through state of the caller's, not a return value, which a
    cancellation arriving as the thread finishes would lose.
    """
    abort = threading.Event()

    async def abort_when_cancelled() -> None:
        try:
            await trio.sleep_forever()
        finally:
            abort.set()

    failure: Exception | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(abort_when_cancelled)
        try:
            await trio.to_thread.run_sync(work, abort.is_set)
        except Exception as exc:
            failure = exc  # raised below as itself, not wrapped in the nursery's ExceptionGroup
        finally:
            nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure


async def run_in_this_thread(work: AbortableWork) -> None:
    """``run_in_worker_thread`` without the thread, for tests driven by a virtual clock."""
    work(lambda: False)


@attrs.define(eq=False)
class LogManager:
    log_dirs: tuple[str, ...]
    default_config: LogConfig
    clock: Clock = wall_clock_ms
    topic_configs: dict[str, LogConfig] = attrs.Factory(dict)
    logs: dict[TopicPartition, Log] = attrs.Factory(dict)
    cleaner_offsets: dict[TopicPartition, int] = attrs.Factory(dict)
    #: Renamed ``-delete`` directories, their still-open logs (in-flight sendfile ranges stay
    #: valid) and the time after which both go.
    pending_dir_deletes: list[tuple[int, str, Log]] = attrs.Factory(list)
    had_clean_shutdown: dict[str, bool] = attrs.Factory(dict)
    _lock_fds: list[int] = attrs.Factory(list)

    # -- start-up ------------------------------------------------------------------------------

    @classmethod
    def open(cls, log_dirs: list[str] | tuple[str, ...], default_config: LogConfig, *,
             clock: Clock = wall_clock_ms, topic_configs: Mapping[str, LogConfig] | None = None) -> "LogManager":
        """Load every log under ``log_dirs``, recovering those of uncleanly shut-down dirs."""
        manager = cls(tuple(os.path.abspath(d) for d in log_dirs), default_config, clock,
                      dict(topic_configs or {}))
        loaded = False
        try:
            for log_dir in manager.log_dirs:
                manager._load_dir(log_dir)
            loaded = True
        finally:
            if not loaded:
                manager.close()  # release the locks and files of what was loaded
        return manager

    def _load_dir(self, log_dir: str) -> None:
        os.makedirs(log_dir, exist_ok=True)
        self._lock_dir(log_dir)
        marker = os.path.join(log_dir, CLEAN_SHUTDOWN_FILE)
        clean = os.path.exists(marker)
        self.had_clean_shutdown[log_dir] = clean
        recovery_points = checkpoints.read_offsets(os.path.join(log_dir, checkpoints.RECOVERY_POINT_CHECKPOINT))
        start_offsets = checkpoints.read_offsets(os.path.join(log_dir, checkpoints.LOG_START_OFFSET_CHECKPOINT))
        self.cleaner_offsets.update(checkpoints.read_offsets(os.path.join(log_dir, checkpoints.CLEANER_OFFSET_CHECKPOINT)))
        for name in sorted(os.listdir(log_dir)):
            path = os.path.join(log_dir, name)
            if not os.path.isdir(path):
                continue
            if name.endswith("-delete"):
                # Deleted before the restart: finish the job (Kafka re-schedules it).
                shutil.rmtree(path, ignore_errors=True)
                continue
            if name.endswith("-future"):
                continue  # intra-broker moves (KIP-113) are not implemented
            tp = parse_topic_partition_name(name)
            if tp in self.logs:
                raise KafkaStorageError(f"duplicate log directories for {tp[0]}-{tp[1]}: "
                                        f"{self.logs[tp].dir} and {path}")
            self.logs[tp] = Log.open(path, self.config_for(tp[0]), log_start_offset=start_offsets.get(tp, 0),
                                     recovery_point=recovery_points.get(tp, 0), clock=self.clock,
                                     clean_shutdown=clean)
        if clean:
            os.unlink(marker)

    def _lock_dir(self, log_dir: str) -> None:
        """Kafka's ``FileLock`` on ``<dir>/.lock``: two brokers must never share a log dir."""
        fd = os.open(os.path.join(log_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise KafkaStorageError(f"failed to acquire lock on file .lock in {log_dir}: "
                                    "a Kafka instance in another process or thread is using this directory") from None
        self._lock_fds.append(fd)

    def config_for(self, topic: str) -> LogConfig:
        return self.topic_configs.get(topic, self.default_config)

    # -- creating, finding and deleting logs ---------------------------------------------------

    def get_log(self, topic: str, partition: int) -> Log | None:
        return self.logs.get((topic, partition))

    def get_or_create_log(self, topic: str, partition: int, config: LogConfig | None = None) -> Log:
        """The partition's log, created in the log dir holding the fewest logs (Kafka's
        ``nextLogDirs``) if it does not exist yet."""
        tp = (topic, partition)
        log = self.logs.get(tp)
        if log is not None:
            return log
        if config is not None:
            self.topic_configs[topic] = config
        counts = {d: 0 for d in self.log_dirs}
        for existing in self.logs.values():
            counts[os.path.dirname(existing.dir)] = counts.get(os.path.dirname(existing.dir), 0) + 1
        log_dir = min(self.log_dirs, key=lambda d: (counts[d], self.log_dirs.index(d)))
        log = Log.open(os.path.join(log_dir, f"{topic}-{partition}"), self.config_for(topic), clock=self.clock,
                       clean_shutdown=True)
        self.logs[tp] = log
        return log

    def update_topic_config(self, topic: str, config: LogConfig) -> None:
        """A topic config change (``/config/changes``): applies to its logs from now on."""
        self.topic_configs[topic] = config
        for (t, _p), log in self.logs.items():
            if t == topic:
                log.config = config

    def reconfigure_default_log_config(self, default_config: LogConfig, topic_configs: Mapping[str, LogConfig]) -> None:
        """New broker log defaults (KIP-226 dynamic broker configs): Kafka's
        ``reconfigureDefaultLogConfig`` followed by ``DynamicLogConfig.updateLogsConfig``.

        The caller rebuilds each topic's config from the new defaults and the topic's overrides
        (this layer does not keep overrides); a topic left out of ``topic_configs`` takes the
        defaults. Every log sees its new config from its next append, roll or retention pass on.
        """
        self.default_config = default_config
        self.topic_configs = dict(topic_configs)
        for (topic, _p), log in self.logs.items():
            log.config = self.config_for(topic)

    def delete_log(self, topic: str, partition: int) -> None:
        """StopReplica(delete=true): rename to ``<t>-<p>.<uuid>-delete``, remove after the delay."""
        log = self.logs.pop((topic, partition), None)
        if log is None:
            return
        renamed = f"{log.dir}.{uuid.uuid4().hex}-delete"
        os.rename(log.dir, renamed)  # open fds follow the rename
        self.cleaner_offsets.pop((topic, partition), None)
        self.pending_dir_deletes.append((self.clock() + log.config.file_delete_delay_ms, renamed, log))

    def remove_deleted_dirs(self, *, force: bool = False) -> None:
        now = self.clock()
        due = [(p, log) for d, p, log in self.pending_dir_deletes if force or d <= now]
        self.pending_dir_deletes = [e for e in self.pending_dir_deletes if not (force or e[0] <= now)]
        for path, log in due:
            log.close()
            shutil.rmtree(path, ignore_errors=True)

    # -- checkpoints ---------------------------------------------------------------------------

    def _per_dir(self, value: Callable[[Log], int]) -> dict[str, dict[TopicPartition, int]]:
        out: dict[str, dict[TopicPartition, int]] = {d: {} for d in self.log_dirs}
        for tp, log in self.logs.items():
            out.setdefault(os.path.dirname(log.dir), {})[tp] = value(log)
        return out

    def checkpoint_recovery_points(self) -> None:
        for log_dir, offsets in self._per_dir(lambda log: log.recovery_point).items():
            checkpoints.write_offsets(os.path.join(log_dir, checkpoints.RECOVERY_POINT_CHECKPOINT), offsets)

    def checkpoint_log_start_offsets(self) -> None:
        for log_dir, offsets in self._per_dir(lambda log: log.log_start_offset).items():
            checkpoints.write_offsets(os.path.join(log_dir, checkpoints.LOG_START_OFFSET_CHECKPOINT), offsets)

    def checkpoint_cleaner_offsets(self) -> None:
        per_dir: dict[str, dict[TopicPartition, int]] = {d: {} for d in self.log_dirs}
        for tp, offset in self.cleaner_offsets.items():
            log = self.logs.get(tp)
            if log is not None:
                per_dir[os.path.dirname(log.dir)][tp] = offset
        for log_dir, offsets in per_dir.items():
            checkpoints.write_offsets(os.path.join(log_dir, checkpoints.CLEANER_OFFSET_CHECKPOINT), offsets)

    def write_high_watermarks(self, high_watermarks: Mapping[TopicPartition, int]) -> None:
        """``replication-offset-checkpoint`` for the ReplicaManager (Kafka: every 5 s)."""
        per_dir: dict[str, dict[TopicPartition, int]] = {d: {} for d in self.log_dirs}
        for tp, hw in high_watermarks.items():
            log = self.logs.get(tp)
            if log is not None:
                per_dir[os.path.dirname(log.dir)][tp] = hw
        for log_dir, offsets in per_dir.items():
            checkpoints.write_offsets(os.path.join(log_dir, checkpoints.REPLICATION_OFFSET_CHECKPOINT), offsets)

    def read_high_watermarks(self) -> dict[TopicPartition, int]:
        out: dict[TopicPartition, int] = {}
        for log_dir in self.log_dirs:
            out.update(checkpoints.read_offsets(os.path.join(log_dir, checkpoints.REPLICATION_OFFSET_CHECKPOINT)))
        return out

    # -- periodic passes -----------------------------------------------------------------------

    def flush_dirty_logs(self) -> None:
        """Flush logs whose ``flush.ms`` elapsed, and segments closed by a roll."""
        now = self.clock()
        for log in list(self.logs.values()):
            if log.config.flush_ms < LONG_MAX and now - log.last_flush_ms >= log.config.flush_ms:
                log.flush()
            else:
                log.flush_rolled_segments()

    def cleanup_logs(self, high_watermarks: Mapping[TopicPartition, int] | None = None) -> int:
        """Retention for every log (Kafka's ``cleanupLogs``); returns the segments deleted.
        ``high_watermarks`` bounds deletion per partition (None: the log end)."""
        deleted = 0
        for tp, log in list(self.logs.items()):
            hw = high_watermarks.get(tp) if high_watermarks is not None else None
            deleted += log.delete_old_segments(high_watermark=hw)
            log.delete_pending_segments()
        self.remove_deleted_dirs()
        return deleted

    def clean_logs(self, *, force: bool = False) -> int:
        """One compaction pass over the ``compact`` logs, all in this thread; returns the logs cleaned."""
        cleaned = 0
        for tp in list(self.logs):
            plan = self._plan_cleaning(tp, force)
            if plan is None:
                continue
            try:
                output = clean_segments(plan)
            except (OSError, KafkaError) as exc:
                self._cleaning_failed(tp, plan, exc)
                output = None
            finally:
                plan.close()
            cleaned += self._finish_cleaning(tp, plan, output)
        if cleaned:
            self.checkpoint_cleaner_offsets()
        return cleaned

    async def clean_logs_in_thread(self, *, force: bool = False,
                                   run_in_thread: Callable[[AbortableWork], Awaitable[None]] = run_in_worker_thread,
                                   ) -> int:
        """``clean_logs`` with each log's heavy part in a worker thread (module doc)."""
        cleaned = 0
        for tp in list(self.logs):
            plan = self._plan_cleaning(tp, force)
            if plan is None:
                continue
            produced: list[list[CleanedSegment]] = []

            def work(aborted: Callable[[], bool], plan: LogToClean = plan,
                     produced: list[list[CleanedSegment]] = produced) -> None:
                output = clean_segments(plan, aborted)
                if output is not None:
                    produced.append(output)

            try:
                await run_in_thread(work)
            except (OSError, KafkaError) as exc:
                self._cleaning_failed(tp, plan, exc)
            except BaseException:
                # Cancelled: a worker that finished all the same leaves copies nobody swaps in.
                for output in produced:
                    discard_cleaned(output)
                raise
            finally:
                plan.close()
            cleaned += self._finish_cleaning(tp, plan, produced.pop() if produced else None)
        if cleaned:
            self.checkpoint_cleaner_offsets()
        return cleaned

    def _plan_cleaning(self, tp: TopicPartition, force: bool) -> LogToClean | None:
        log = self.logs.get(tp)
        if log is None or not log.config.compact:
            return None
        first_dirty = max(self.cleaner_offsets.get(tp, 0), log.log_start_offset)
        try:
            return plan_cleaning(log, first_dirty_offset=first_dirty, now_ms=self.clock(), force=force)
        except OSError as exc:
            logger.error("Cannot plan cleaning %s: %s", log.name, exc)
            return None

    def _cleaning_failed(self, tp: TopicPartition, plan: LogToClean, exc: Exception) -> None:
        """Kafka's cleaner logs an unexpected error and goes on with the next log."""
        if self.logs.get(tp) is plan.log:
            logger.error("Error cleaning %s, it stays as it is: %s", plan.log.name, exc)
        else:
            logger.info("%s was deleted while it was being cleaned: %s", plan.log.name, exc)

    def _finish_cleaning(self, tp: TopicPartition, plan: LogToClean, output: list[CleanedSegment] | None) -> int:
        """Swap the output in (trio thread); 1 if the log was cleaned. A log deleted, truncated or
        shrunk by retention meanwhile keeps what it has and is planned afresh next time."""
        if output is None:
            return 0
        if self.logs.get(tp) is not plan.log:
            discard_cleaned(output)  # the log was deleted meanwhile
            return 0
        if not swap_cleaned(plan, output):
            logger.info("%s changed while it was being cleaned; the pass is discarded", plan.log.name)
            return 0
        self.cleaner_offsets[tp] = plan.end_offset
        return 1

    async def run(self, *, retention_check_interval_ms: int = 300_000, flush_check_interval_ms: int = 1000,
                  checkpoint_interval_ms: int = 60_000, cleaner_backoff_ms: int = 15_000,
                  high_watermarks: Callable[[], Mapping[TopicPartition, int]] | None = None,
                  run_sync: Callable[..., Awaitable[object]] = _inline,
                  cleaner_thread: Callable[[AbortableWork], Awaitable[None]] = run_in_worker_thread,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The background task: retention, flushing, checkpoints and compaction on their periods
        (Kafka's ``log.retention.check.interval.ms``, ``log.flush.scheduler.interval.ms``,
        ``log.flush.offset.checkpoint.interval.ms``, ``log.cleaner.backoff.ms``).

        Sleeps with ``trio.sleep`` so an ``autojump_clock`` drives it (pass ``cleaner_thread=
        run_in_this_thread`` then: the virtual clock would jump while a worker thread runs). If
        cancelled, the pass in progress has either completed or not started a file operation; a
        compaction in its worker thread is aborted, its output deleted, and the log left as it was.
        """
        periods = {"retention": retention_check_interval_ms, "flush": flush_check_interval_ms,
                   "checkpoint": checkpoint_interval_ms, "cleaner": cleaner_backoff_ms}
        due = {name: trio.current_time() + ms / 1000 for name, ms in periods.items()}
        task_status.started()
        while True:
            name = min(due, key=due.__getitem__)
            await trio.sleep_until(due[name])
            if name == "retention":
                await run_sync(self.cleanup_logs, high_watermarks() if high_watermarks else None)
            elif name == "flush":
                await run_sync(self.flush_dirty_logs)
            elif name == "checkpoint":
                await run_sync(self.checkpoint_recovery_points)
                await run_sync(self.checkpoint_log_start_offsets)
            else:
                await self.clean_logs_in_thread(run_in_thread=cleaner_thread)
            # Fixed rate, but a pass that overran its period is not replayed in a burst.
            due[name] = max(due[name] + periods[name] / 1000, trio.current_time())

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Flush and close every log, write the checkpoints and the clean-shutdown marker."""
        for log in self.logs.values():
            log.flush()
        self.checkpoint_recovery_points()
        self.checkpoint_log_start_offsets()
        self.checkpoint_cleaner_offsets()
        self._close_logs()
        # Last, once every file is closed: the marker promises that nothing needs recovery.
        for log_dir in self.log_dirs:
            checkpoints.atomic_write(os.path.join(log_dir, CLEAN_SHUTDOWN_FILE), "")
        self.close()

    def _close_logs(self) -> None:
        for log in self.logs.values():
            log.close()
        self.logs.clear()
        self.remove_deleted_dirs(force=True)

    def close(self) -> None:
        """Close every log and release the directory locks, writing nothing (what a crash
        leaves behind, minus the process: tests use it to simulate one)."""
        self._close_logs()
        for fd in self._lock_fds:
            os.close(fd)
        self._lock_fds.clear()

