"""Run a job in its own process: `isolated(runner)` is a runner with the same contract, run in a child.

Why: the web server and the trainer no longer share a GIL (thirty tabs polling no longer stall the
training loop's Python work), a crash of any kind (segfault, the kernel's OOM killer) fails one run
instead of the server, and the child's exit hands every byte of CPU and GPU memory back.

How: children are forked from multiprocessing's fork server, which imported the heavy libraries once
(so a run starts in well under a second) and never ran a thread pool or touched CUDA (so forking is
safe and the child can use the GPU; its one other thread, pyarrow's jemalloc background thread, is
fork-safe by design). One pipe each way: events and the outcome up, "stop" down.
A child whose parent disappears (server killed) sees the pipe close and exits at once; a restarted
server then marks the run interrupted, as for an in-thread run.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from lab.config import RunConfig
from lab.events import Event, Finished
from lab.host.allocator import keep_freed_memory
from lab.host.hub import go_offline, offline_forced
from lab.jobs.outcome import lower_priority
from lab.training.context import Cancelled, JobContext

Runner = Callable[[RunConfig, Any], Finished]

# Imported once by the fork server; a child then only imports what its run needs beyond these.
PRELOAD = ["torch", "transformers", "sentence_transformers", "datasets", "pandas", "lab.jobs.isolation",
           "lab.training.runner", "lab.training.callback", "lab.training.sampler", "lab.losses", "lab.models",
           "lab.recipes", "lab.evaluation.sts", "lab.pipelines.augsbert", "lab.pipelines.domain_adapt"]
STOP_GRACE_S = 600.0  # after "stop", how long a run may take to reach its next step before it is killed


class RunFailed(RuntimeError):
    """A run failed in its process; `error_type` names the child's exception (or the signal that killed it).
    `final`: the message is already the one to show (the process's death, with its advice): not rewritten."""

    def __init__(self, message: str, error_type: str, child_traceback: str = "", final: bool = False) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.child_traceback = child_traceback
        self.final = final


def fork_context() -> multiprocessing.context.BaseContext:
    """The fork server's context: a process started from it is forked from a server that imported PRELOAD once."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_server() -> None:
    """Start the fork server now (it imports PRELOAD in its own process), so the first run starts fast."""
    from multiprocessing import forkserver

    fork_context()
    forkserver.ensure_running()


def isolated(runner: Runner) -> Runner:
    """`runner`, run in a child process. `runner` must be importable by name (a module-level function)."""

    def run(config: RunConfig, ctx) -> Finished:
        return run_in_child(runner, config, ctx)

    run.__name__ = f"isolated_{getattr(runner, '__name__', 'runner')}"
    return run


def run_in_child(runner: Runner, config: RunConfig, ctx) -> Finished:
    """Run `runner(config, ctx)` in a child: its events go to `ctx.emit`, `ctx.stop` reaches it as "stop".

    Returns its Finished, or raises Cancelled (lab.training.context) or RunFailed, as the runner would have.
    """
    context = fork_context()
    up_read, up_write = context.Pipe(duplex=False)
    down_read, down_write = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(runner, config, ctx.run_id, str(ctx.run_dir), dict(os.environ), up_write, down_read),
        name=f"lab-run-{ctx.run_id[:8]}",
        daemon=True,  # a server that exits normally terminates its runs
    )
    child.start()
    up_write.close()
    down_read.close()
    outcome: tuple | None = None
    stop_sent_at: float | None = None
    try:
        while outcome is None:
            if ctx.stop.is_set() and stop_sent_at is None:
                stop_sent_at = _send_stop(down_write)
            if up_read.poll(0.2):
                try:
                    message = up_read.recv()
                except (EOFError, OSError):
                    break  # the child is gone without an outcome
                if message[0] == "event":
                    ctx.emit(message[1])
                else:
                    outcome = message
            elif not child.is_alive():
                if not up_read.poll(0):
                    break
            elif stop_sent_at is not None and time.monotonic() - stop_sent_at > STOP_GRACE_S:
                child.kill()  # asked to stop and never reached a step where it could: ends as cancelled
                outcome = ("cancelled",)
    finally:
        down_write.close()
        up_read.close()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join(timeout=10)
        exitcode = child.exitcode
        if exitcode is not None:
            child.close()
    if outcome is None:
        raise RunFailed(_death_message(exitcode), "ProcessDied", final=True)
    if outcome[0] == "done":
        return outcome[1]
    if outcome[0] == "cancelled":
        raise Cancelled
    _, error_type, text, child_traceback = outcome
    raise RunFailed(text, error_type, child_traceback)


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = ""
        if name == "SIGKILL":
            hint = (" — most likely the machine ran out of memory. Use a smaller batch size or max sequence length, "
                    "or the 'cached-mnrl' loss")
        return f"The training process was killed by {name}{hint}."
    return f"The training process ended without a result (exit code {exitcode})."


def _send_stop(down_write) -> float:
    with contextlib.suppress(OSError, ValueError):  # already gone: the loop sees it
        down_write.send("stop")
    return time.monotonic()


# --- in the child --------------------------------------------------------------------------------
def _child_main(runner: Runner, config: RunConfig, run_id: str, run_dir: str, environ: dict[str, str],
                up_write, down_read) -> None:
    from pathlib import Path

    os.environ.clear()
    os.environ.update(environ)  # the server's environment now, not the fork server's at its start
    if offline_forced():
        go_offline()  # huggingface_hub read HF_HUB_OFFLINE when the fork server imported it
    lower_priority()
    keep_freed_memory()  # this process ends with its run: its memory may stay at its peak until then
    # What the fork server imported (~470,000 objects: torch, transformers, …) lives as long as this process: frozen,
    # a collection no longer scans it (the trainer's own gc.collect() at the start of training took 0.25 s), nor
    # copies its pages from the fork server's by touching their headers.
    gc.freeze()
    stop, reported = threading.Event(), threading.Event()
    threading.Thread(target=_watch_parent, args=(down_read, stop, reported), name="lab-run-watch", daemon=True).start()
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        with send_lock:
            up_write.send(message)

    def emit(event: Event) -> None:
        send(("event", event))

    try:
        outcome: tuple = ("done", runner(config, JobContext(run_id, Path(run_dir), emit, stop)))
    except Cancelled:
        outcome = ("cancelled",)
    except BaseException as exc:  # noqa: BLE001 — everything goes up as the run's failure
        outcome = ("error", getattr(exc, "error_type", type(exc).__name__), str(exc).strip() or type(exc).__name__,
                   traceback.format_exc())
    reported.set()  # from here on a closed pipe means the server has read the outcome (or died: nothing to do)
    send(outcome)
    up_write.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # everything is written and sent; tearing down torch & co. would only delay the next run


def _watch_parent(down_read, stop: threading.Event, reported: threading.Event) -> None:
    """Set `stop` on "stop"; end this process at once when the server is gone (the pipe closed early)."""
    while True:
        try:
            message = down_read.recv()
        except (EOFError, OSError):
            if not reported.is_set():
                os._exit(3)  # nobody is left to read the run's events: the server died
            return
        if message == "stop":
            stop.set()
