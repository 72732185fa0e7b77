"""The job queue: one worker thread runs jobs FIFO (one trainer at a time); the one global mutable thing.

A job is submitted with a validated RunConfig, gets an unguessable id, and from then on is described
only by its status and its immutable events, which are also appended to the run store as they happen.
An evaluation lets trainings queued after it start first (each evaluation at most `EVAL_YIELDS` times, so none
waits for ever): a room's trainings are not held for minutes by evaluations, which can wait.
Cancel works while queued (the job is skipped) and while running (cooperative stop). An exception in
a job never stops the worker. The runner runs in the worker thread; the app wraps it with
`isolation.isolated` so that each run has its own process.
"""

from __future__ import annotations

import collections
import itertools
import logging
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from lab.config import RunConfig
from lab.errors import NotAllowed, QueueFull
from lab.events import Eval, Event, Failed, Finished, Log, Stage, View
from lab.jobs.dispatch import run_job
from lab.jobs.evaluate import EvalConfig
from lab.jobs.job import Job, JobSnapshot, start_order
from lab.jobs.outcome import describe_failure, lower_priority, metrics_of, release_memory
from lab.store import RunStore
from lab.training.context import Cancelled, JobContext

log = logging.getLogger(__name__)

Runner = Callable[[RunConfig, Any], Finished]


class JobManager:
    def __init__(self, store: RunStore, runner: Runner = run_job, max_queue: int = 100,
                 max_waiting_per_owner: int = 1) -> None:
        self.store = store
        self.runner = runner
        self.max_queue = max_queue  # waiting jobs, all users together
        self.max_waiting_per_owner = max_waiting_per_owner  # waiting jobs per owner (0: no limit)
        self._jobs: dict[str, Job] = {}
        self._queue: collections.deque[str] = collections.deque()  # waiting jobs in submission order
        self._order: list[str] | None = None  # the order they will start in (start_order), None when stale
        self._stored: collections.OrderedDict[str, tuple] = collections.OrderedDict()  # run id -> (stamp, snapshot)
        self._cv = threading.Condition()
        self._closed = False
        store.mark_interrupted()
        self._worker = threading.Thread(target=self._work, name="lab-worker", daemon=True)
        self._worker.start()

    # --- API used by the CLI and the UI --------------------------------------------------------
    def submit(self, config: RunConfig, owner: str = "") -> str:
        return self.submit_all([config], owner)[0]

    def submit_all(self, configs: list[RunConfig], owner: str = "") -> list[str]:
        """Queue runs together (a loss duel), all or none: for an owner's waiting limit they are one request."""
        with self._cv:
            if len(self._queue) + len(configs) > self.max_queue:
                raise QueueFull(f"The training queue is full ({self.max_queue} waiting). Try again later.")
            waiting = sum(1 for rid in self._queue if self._jobs[rid].owner == owner)
            if owner and self.max_waiting_per_owner and waiting >= self.max_waiting_per_owner:
                raise QueueFull(
                    f"You already have {waiting} run(s) waiting in the queue (limit {self.max_waiting_per_owner}). "
                    "Wait for it to start, or cancel it."
                )
            run_ids = [secrets.token_hex(12) for _ in configs]
            for run_id, config in zip(run_ids, configs, strict=True):
                self.store.create(run_id, config.to_dict(), owner=owner, label=config.label)
                self._jobs[run_id] = Job(run_id, config, owner)
                self._queue.append(run_id)
            self._order = None
            self._cv.notify_all()
        return run_ids

    def cancel(self, run_id: str, owner: str | None = None, admin: bool = False) -> bool:
        """Ask a queued or running job to stop. False if there is no such live job.

        With `owner` given, only that owner's job may be cancelled (NotAllowed otherwise); `admin` may cancel any.
        """
        with self._cv:
            job = self._jobs.get(run_id)
            if job is None or job.status not in ("queued", "running"):
                return False
            if owner is not None and not admin and job.owner != owner:
                raise NotAllowed("Only the person who started this run (or the instructor) can cancel it.")
            job.stop.set()
            if job.on_stop is not None:
                job.on_stop(run_id)
            if job.status == "queued":
                self._queue.remove(run_id)
                self._order = None
                self._finish(job, "cancelled", "Cancelled while waiting in the queue.")
            else:
                job.message = "Stopping after the current step…"
                job.changed()
            return True

    # --- a run trained outside the queue (a ZeroGPU call, made by the request that started it) -----------------
    def attach(self, config: RunConfig, owner: str = "", on_stop: Callable[[str], None] | None = None) -> str:
        """Store and follow a run like any other, running from now on; its caller feeds its events (`feed`) and
        ends it (`settle`). Cancel calls `on_stop` (the call shares no memory with this process)."""
        run_id = secrets.token_hex(12)
        with self._cv:
            self.store.create(run_id, config.to_dict(), owner=owner, label=config.label)
            self._jobs[run_id] = Job(run_id, config, owner, status="running", on_stop=on_stop)
        self.store.update_meta(run_id, status="running", started=time.time())
        return run_id

    def feed(self, run_id: str, event: Event) -> None:
        """One event of a running attached run; ignored once the run has ended (or was deleted)."""
        if (job := self._jobs.get(run_id)) is not None and job.status == "running":
            self._emit(job, event)

    def stop_requested(self, run_id: str) -> bool:
        with self._cv:
            job = self._jobs.get(run_id)
            return job is not None and job.stop.is_set()

    def settle(self, run_id: str, status: str, message: str, metrics: dict | None = None) -> None:
        with self._cv:
            job = self._jobs.get(run_id)
            if job is not None and job.status == "running":
                self._finish(job, status, message, metrics)

    def snapshot(self, run_id: str) -> JobSnapshot | None:
        """A consistent copy of a job's state; for stored runs not in memory, read from the store."""
        with self._cv:
            job = self._jobs.get(run_id)
            if job is not None:
                return JobSnapshot(job.run_id, job.status, job.config.to_dict(), tuple(job.events), job.version,
                                   self._position(run_id), job.message, job.owner)
        # A stored run (finished, or written by another process) is read once per change of its files: a room
        # of tabs opening finished runs must not re-read and re-parse their event logs on every request.
        stamp = self.store.stamp(run_id)
        with self._cv:
            cached = self._stored.get(run_id)
            if cached is not None and cached[0] == stamp and stamp is not None:
                self._stored.move_to_end(run_id)
                return cached[1]
        record = self.store.load(run_id)
        if record is None:
            return None
        snap = JobSnapshot(run_id, record.status, record.config, tuple(record.events), -1, None,
                           record.meta.get("message", ""), record.meta.get("owner", ""))
        with self._cv:
            self._stored[run_id] = (stamp, snap)  # changed while being read (or settled): read again next time
            while len(self._stored) > 256:
                self._stored.popitem(last=False)
        return snap

    def keys(self, run_id: str) -> tuple[int, int, int | None, int] | None:
        """(version, layout, queue position, queue length) of a job in memory, read together; None otherwise."""
        with self._cv:
            job = self._jobs.get(run_id)
            if job is None:
                return None
            return job.version, job.layout, self._position(run_id), len(self._queue)

    def position(self, run_id: str) -> int | None:
        with self._cv:
            return self._position(run_id)

    def queue_length(self) -> int:
        with self._cv:
            return len(self._queue)

    def active(self) -> list[str]:
        with self._cv:
            return [j.run_id for j in self._jobs.values() if j.status in ("queued", "running")]

    def wait(self, run_id: str, timeout_s: float | None = None) -> str:
        """Block until the job is no longer queued/running; returns its status."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cv:
            while True:
                job = self._jobs.get(run_id)
                if job is None or job.status not in ("queued", "running"):
                    return job.status if job else "unknown"
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return job.status
                self._cv.wait(left if left is not None else 1.0)

    def delete(self, run_id: str, owner: str | None = None, admin: bool = False) -> bool:
        """Remove a finished run from memory and disk (the owner's own, or any for the instructor)."""
        with self._cv:
            job = self._jobs.get(run_id)
            record = self.store.load(run_id, with_events=False) if job is None else None
            if job is None and record is None:
                return False
            status = job.status if job else record.status
            run_owner = job.owner if job else record.meta.get("owner", "")
            if status in ("queued", "running"):
                raise NotAllowed("Cancel the run before deleting it.")
            if owner is not None and not admin and run_owner != owner:
                raise NotAllowed("Only the person who started this run (or the instructor) can delete it.")
            self._jobs.pop(run_id, None)
            self._stored.pop(run_id, None)
            self.store.delete(run_id)
            return True

    def close(self) -> None:
        with self._cv:
            self._closed = True
            for run_id in list(self._queue):
                self.cancel(run_id)
            for job in self._jobs.values():
                job.stop.set()
            self._cv.notify_all()

    # --- worker --------------------------------------------------------------------------------
    def _start_order(self) -> list[str]:
        if self._order is None:
            self._order = start_order([(rid, isinstance(self._jobs[rid].config, EvalConfig), self._jobs[rid].overtaken)
                                       for rid in self._queue])
        return self._order

    def _position(self, run_id: str) -> int | None:
        try:
            return self._start_order().index(run_id) + 1
        except ValueError:
            return None

    def _take_next(self) -> Job:
        """The job to start now (self._cv held): the head of the start order; evaluations it passes count it."""
        run_id = self._start_order()[0]
        for passed in itertools.takewhile(lambda rid: rid != run_id, self._queue):
            self._jobs[passed].overtaken += 1
        self._queue.remove(run_id)
        self._order = None
        return self._jobs[run_id]

    def _emit(self, job: Job, event: Event) -> None:
        try:
            self.store.append_event(job.run_id, event)
        except OSError as exc:  # a full disk must not kill the run's in-memory view
            log.error("could not store event for %s: %s", job.run_id, exc)
        with self._cv:
            job.events.append(event)
            if isinstance(event, Stage):
                job.message = event.message
            # A new stage changes only what the change-key route carries (status line, stage list): no full poll
            job.changed(progress_only=isinstance(event, (Log, Eval, Stage, View)))
            self._cv.notify_all()

    def _finish(self, job: Job, status: str, message: str, metrics: dict | None = None) -> None:
        # Called with self._cv held.
        job.status, job.message = status, message
        job.changed()
        try:
            if metrics is not None:
                self.store.write_metrics(job.run_id, metrics)
            self.store.update_meta(job.run_id, status=status, finished=time.time(), message=message)
        except OSError as exc:
            log.error("could not store final status of %s: %s", job.run_id, exc)
        self.store.release(job.run_id)  # the run is over: its writer lock goes (other processes may read it as ended)
        self._cv.notify_all()

    def _work(self) -> None:
        lower_priority()
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                job = self._take_next()
                job.status = "running"
                job.changed()
                self._cv.notify_all()
            self.store.update_meta(job.run_id, status="running", started=time.time())
            ctx = JobContext(job.run_id, self.store.run_dir(job.run_id), lambda e, j=job: self._emit(j, e), job.stop)
            try:
                result = self.runner(job.config, ctx)
                self._emit(job, result)
                with self._cv:
                    message = (
                        "The model as trained so far was saved." if result.status == "cancelled" else "Done."
                    )
                    self._finish(job, result.status, message, metrics_of(result))
            except Cancelled:
                with self._cv:
                    self._finish(job, "cancelled", "Stopped between stages; nothing more was trained.")
            except BaseException as exc:  # one bad job must never take the worker down
                message = describe_failure(exc)
                # a run in its own process (isolation.RunFailed) brings its own traceback and exception type
                where = getattr(exc, "child_traceback", "") or traceback.format_exc()
                log.warning("run %s failed: %s\n%s", job.run_id, message, where)
                error_type = getattr(exc, "error_type", type(exc).__name__)
                self._emit(job, Failed(message=message, error_type=error_type))
                with self._cv:
                    self._finish(job, "failed", message)
            finally:
                release_memory()
