"""A run as one GPU call (ZeroGPU): `stream` is what runs inside the call, `request_stop` is how the server reaches
a call it shares no memory with, and `simulate` is `spaces.GPU`'s semantics off ZeroGPU.

Inside the call (`stream`, in the process ZeroGPU forked for it): the job runs in a thread of that process and its
events are yielded as they happen (the server appends them to the run store); the run saves its model to disk
itself before its last event. The only way down is the disk: Cancel writes `STOP` in the run's folder, which the
call looks for twice a second. A call closed early (the visitor's page reloaded or closed, and `spaces` closed the
generator) stops its run at the next step and yields nothing more.

`simulate(task, duration)` wraps a generator function the way ZeroGPU does (spaces/zero/wrappers.py,
`generator_function_wrapper`): the duration is computed from the call's own arguments and checked against the
tier's maximum and the visitor's quota (GpuRefused); the call runs in a child forked for it, so nothing it changes
in memory reaches the server; its arguments go down pickled and its values come back through a queue; closing the
wrapper sets the child's stop event, and the child then closes the task's generator after its next value. The child
is forked from the lab's fork server (lab/jobs/isolation.py), not from the web server itself as ZeroGPU's are: a
process with a browser's or a test runner's threads can hold a lock at the fork that the child then waits on for
ever, and the fork server has the training libraries imported already.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lab.config import RunConfig
from lab.errors import GpuRefused
from lab.events import Event, Failed
from lab.host.hub import go_offline, offline_forced
from lab.host.zerogpu import enter_gpu_call, limits
from lab.jobs.dispatch import run_job
from lab.jobs.isolation import fork_context
from lab.jobs.outcome import describe_failure, release_memory
from lab.training.context import Cancelled, JobContext

STOP_FILE = "STOP"
POLL_S = 0.5
STOP_GRACE_S = 600.0  # after a close, how long the run may take to reach a step where it stops (and saves)
CANCELLED = "Cancelled"  # the error_type of the last event when the run was cancelled between stages


def request_stop(run_dir: str | Path) -> None:
    """Ask the GPU call training in `run_dir` to stop after its current step (it keeps the model so far)."""
    with contextlib.suppress(OSError):
        (Path(run_dir) / STOP_FILE).touch()


def stream(config: RunConfig, run_id: str, run_dir: str, step: int | None = None,
           in_call: bool = True) -> Iterator[Event]:
    """Run one job in this process (a GPU call's), or one step of a pipeline's, and yield its events as they happen;
    the last one is its Finished (none after a step that is not the last), or a Failed (error_type CANCELLED:
    stopped between stages). `in_call=False`: a step that needs no GPU, run by the server itself."""
    if in_call:
        enter_gpu_call()
    folder = Path(run_dir)
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    end = object()

    def work() -> None:
        try:
            result = run_job(config, JobContext(run_id, folder, events.put, stop), step)
            if result is not None:
                events.put(result)
        except Cancelled:
            events.put(Failed(message="Stopped between stages; nothing more was trained.", error_type=CANCELLED))
        except BaseException as exc:  # noqa: BLE001 — the run's failure is its last event, as in the queue
            events.put(Failed(message=describe_failure(exc), error_type=getattr(exc, "error_type", type(exc).__name__)))
        events.put(end)

    if (folder / STOP_FILE).exists():  # cancelled while the call waited for a GPU: spend nothing
        yield Failed(message="Cancelled before the GPU call began; nothing was trained.", error_type=CANCELLED)
        return
    thread = threading.Thread(target=work, name=f"lab-gpu-{run_id[:8]}", daemon=True)
    thread.start()
    try:
        while True:
            if (folder / STOP_FILE).exists():
                stop.set()
            try:
                event = events.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if event is end:
                return
            yield event
    finally:  # the call ended early (closed) or normally: either way the run must be over before the call is
        stop.set()
        thread.join(STOP_GRACE_S)
        release_memory()  # ZeroGPU reuses this process for the next call, anyone's


# --- spaces.GPU's semantics, off ZeroGPU ---------------------------------------------------------------------
_spent_s = 0.0  # the simulated visitor's GPU seconds used in this server (LAB_ZEROGPU_QUOTA_S is their quota)
_spent_lock = threading.Lock()


def simulate(task: Callable[..., Iterator[Any]], duration: Callable[..., int]) -> Callable[..., Iterator[Any]]:
    """`task` (a generator function) as a simulated ZeroGPU call; `duration(*args)` gives the seconds it asks for."""

    def call(*args: Any) -> Iterator[Any]:  # a generator, as spaces' wrapper: nothing happens before the first next()
        requested = int(duration(*args))
        limit = limits()
        if requested > limit.max_call_s:
            raise GpuRefused(f"The requested GPU duration ({requested}s) is larger than the maximum allowed "
                             f"({limit.max_call_s}s).", requested)
        if limit.quota_s is not None:
            with _spent_lock:
                left = max(0, int(limit.quota_s - _spent_s))
            if requested > left:
                raise GpuRefused(f"You have exceeded your ZeroGPU quota ({requested}s requested vs. {left}s left).",
                                 requested, left)
        yield from _run(task, args)

    call.__name__ = getattr(task, "__name__", "gpu_call")
    return call


def _run(task: Callable[..., Iterator[Any]], args: tuple) -> Iterator[Any]:
    global _spent_s
    context = fork_context()
    results = context.Queue()
    stop = context.Event()
    child = context.Process(target=_child, args=(task, args, results, stop, dict(os.environ)), name="lab-gpu-call",
                            daemon=True)
    started = time.monotonic()
    child.start()
    try:
        while True:
            try:
                kind, value = results.get(timeout=1.0)
            except queue.Empty:
                if not child.is_alive() and results.empty():
                    raise RuntimeError("GPU task aborted") from None
                continue
            if kind == "end":
                child.join(timeout=30)
                return
            if kind == "error":
                raise RuntimeError(f"ZeroGPU worker error: {value}")
            try:
                yield value
            except GeneratorExit:
                stop.set()  # the child closes the task after its next value; as spaces, the close waits for it
                while child.is_alive() and _drain(results):
                    pass
                child.join(timeout=STOP_GRACE_S)
                raise
    finally:
        with _spent_lock:
            _spent_s += time.monotonic() - started


def _drain(results) -> bool:
    """Read (and drop) what the closed call still sends until its end; False once it has ended."""
    try:
        kind, _ = results.get(timeout=1.0)
    except queue.Empty:
        return True
    return kind not in ("end", "error")


def _child(task: Callable[..., Iterator[Any]], args: tuple, results, stop, environ: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(environ)  # the server's environment now, not the fork server's at its start
    if offline_forced():
        go_offline()
    try:
        generator = task(*args)
        for value in generator:
            if stop.is_set():
                generator.close()
                break
            results.put(("ok", value))
    except BaseException as exc:  # noqa: BLE001 — as spaces: the server gets the error's class
        results.put(("error", type(exc).__name__))
    results.put(("end", None))
    results.close()
    results.join_thread()
    os._exit(0)
