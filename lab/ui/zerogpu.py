"""ZeroGPU mode in the page: Start makes one GPU call from the visitor's own request (so ZeroGPU charges them and
lends the GPU), feeds the run's events into the run store while the tab's usual timer draws them, and ends the run
as interrupted when the page goes away (gradio closes this handler, which closes the call). The only module that
imports `spaces` (which imports gradio), and only in this mode: on other hardware the Train tab's Start queues runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from lab import service
from lab.ui import run_view
from lab.ui.train_form import split_form

_N_OUT = 4 + run_view.N_VIEW  # job id, timer, seen, "train again", the run view: the Train tab's Start outputs
_call = None


def _duration(config, run_id: str, run_dir: str, step: int | None = None) -> int:
    """The seconds the call asks ZeroGPU for, from the run's plan (spaces calls it with the call's arguments)."""
    return service.zerogpu.duration_s(config, step)


def _train(config, run_id: str, run_dir: str, step: int | None = None) -> Iterator[Any]:
    """The GPU call's body, run in the process ZeroGPU forked for it: the run's events as they happen (one step of a
    pipeline when `step` is given)."""
    yield from service.zerogpu.stream(config, run_id, run_dir, step)


def gpu_call():
    """The decorated call, made once: on ZeroGPU at build time, so that `spaces` finds it when the app launches."""
    global _call
    if _call is None:
        import spaces  # not a lab import: only in this mode (it imports gradio, patches torch on ZeroGPU)

        call = spaces.GPU(duration=_duration)(_train)  # off ZeroGPU `spaces` hands the function back unchanged
        if service.zerogpu.mode() == "simulate":
            call = service.zerogpu.simulate(call, _duration)  # …so the simulation forks the call as ZeroGPU would
        _call = call
    return _call


def start_on_gpu(job_id: str | None, owner: str | None, **values: Any) -> Iterator[tuple]:
    """Start: an identical run is followed as usual; otherwise a new run trains in this request's GPU call, and
    this handler stays open until the run ends (its charts come from the timer, as for every run)."""
    skip = (gr.skip(),) * _N_OUT
    if service.is_live(job_id, owner):
        gr.Warning("Your previous run is still queued or running: cancel it first, or wait for it to finish.")
        yield skip
        return
    try:
        form, knobs, rknobs = split_form(values)
        config = service.uploads.build_run_config(form, knobs, rknobs, owner or "")
        found = service.find_identical(config, owner)
        run_id = None if found else service.zerogpu.begin(config, owner)
    except service.GpuRefused as exc:
        gr.Warning(service.zerogpu.refusal_text(exc, config))
        yield skip
        return
    except service.USER_ERRORS as exc:
        raise gr.Error(str(exc)) from None
    if found:
        gr.Info(f"These exact settings were already trained on this server (run {found[0][:8]}): no GPU time spent. "
                "'Train again anyway' queues your own run on the CPU.")
        view = run_view.render(found[0], owner).values()
        yield (found[0], gr.Timer(active=True), None, gr.Button(visible=True), *view)
        return
    try:
        yield (run_id, gr.Timer(active=True), None, gr.Button(visible=False), *run_view.render(run_id, owner).values())
        yield from _train_in_calls(config, run_id, owner, skip)
    finally:  # however this handler ends (its page closed at any point, an error), the run does not stay running
        service.zerogpu.settle_unfinished(run_id)


def _train_in_calls(config, run_id: str, owner: str | None, skip: tuple) -> Iterator[tuple]:
    run_dir = str(service.store().run_dir(run_id))
    n = service.zerogpu.calls(config)  # a pipeline: one call per stage, each stored as it ends
    shown = time.monotonic()
    for step in range(n) if n > 1 else [None]:
        first, last = step in (None, 0), step in (None, n - 1)
        if service.zerogpu.local_step(config, step):  # no GPU needed (a pipeline's comparison): no call, no quota
            events = service.zerogpu.stream(config, run_id, run_dir, step, in_call=False)
        else:
            events = gpu_call()(config, run_id, run_dir, step)
        try:
            with contextlib.closing(service.zerogpu.follow(run_id, events, first, last)) as following:
                for _ in following:
                    if time.monotonic() - shown >= 1.0:  # a chance for gradio to close this handler (page gone)
                        shown = time.monotonic()
                        yield skip
        except service.GpuRefused as exc:  # before the call began; the first call's run was removed
            gr.Warning(service.zerogpu.refusal_text(exc, config))
            if first:
                yield (None, gr.Timer(active=False), None, gr.skip(), *run_view.render(None, owner).values())
            return
        if not last and not service.zerogpu.go_on(run_id):
            return
