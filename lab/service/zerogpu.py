"""ZeroGPU mode, the service side: the GPU seconds a run asks for and what the page says before Start; a run begun
as one GPU call and fed from it into the run store, so that charts, Compare, Explore, replay and the teaching views
work on it unchanged; what the page says when ZeroGPU refuses (with the CPU path and the size that would fit).
No gradio: lab/ui/zerogpu.py makes the call with `spaces` from the visitor's own request.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from lab.config import RunConfig
from lab.errors import ConfigError, GpuRefused
from lab.events import Event, Failed, Finished
from lab.host.zerogpu import DAILY_QUOTA_S, MIN_CALL_S, call_seconds, clamp, limits, mode
from lab.jobs.dispatch import local_step, step_plans, steps
from lab.jobs.gpu_call import CANCELLED, request_stop, simulate, stream
from lab.jobs.outcome import describe_failure, metrics_of
from lab.service.live import check_start, manager
from lab.service.previews import estimate, preview

__all__ = ["INTERRUPTED", "GpuPlan", "as_refusal", "begin", "calls", "duration_s", "follow", "go_on", "gpu_plan",
           "local_step", "mode", "plan_note", "refusal_text", "settle_unfinished", "simulate", "stream"]

INTERRUPTED = ("The page was reloaded or closed during this run's ZeroGPU call, which ended the call and stopped the "
               "run: its curve so far is kept.")


@dataclass(frozen=True)
class GpuPlan:
    plan_s: float  # the run's plan on the GPU
    requested_s: int  # what the call asks ZeroGPU for (plan × margin + the call's start-up)
    max_call_s: int  # the tier's maximum for one call
    rows: int  # training rows of the run as set
    rows_that_fit: int  # the most rows whose call fits the maximum (rows when it fits already)
    cpu_s: float  # the same run on this Space's CPU (the queue)

    @property
    def fits(self) -> bool:
        return self.requested_s <= self.max_call_s


def _sized(config: RunConfig) -> RunConfig:
    """The run with its training rows made explicit: "all rows" (no Max train samples) is the recipe's row count,
    so that the GPU seconds asked for cover them (a call that asks for too little is ended by ZeroGPU)."""
    if config.max_train_samples or config.upload_id:
        return config
    try:
        rows = preview(config.recipe, config.seed, None, config.data_source, params=config.recipe_params).available_rows
        return config.replace(max_train_samples=rows) if rows else config
    except Exception:  # noqa: BLE001 — data not loadable here: the call's own error will say so
        return config


def gpu_plan(config: RunConfig, available_rows: int | None = None) -> GpuPlan:
    """The run's call (a pipeline's: its longest stage's, as each stage is a call of its own)."""
    config = _sized(config)
    est = estimate(config, available_rows, device="cuda")
    limit = limits()
    requested = max(_step_seconds(config, i, available_rows) for i in range(calls(config)))
    rows = int(est["rows"])
    fit = rows if requested <= limit.max_call_s else _rows_that_fit(config, available_rows, limit.max_call_s)
    return GpuPlan(est["total_s"], requested, limit.max_call_s, rows, fit,
                   estimate(config, available_rows, device="cpu")["total_s"])


def duration_s(config: RunConfig, step: int | None = None) -> int:
    """The duration a run's GPU call (or a pipeline's stage's) requests: its plan's, clamped to the tier's maximum."""
    return clamp(_step_seconds(_sized(config), step or 0), limits())


def _step_seconds(config: RunConfig, step: int, available_rows: int | None = None) -> int:
    """What one call asks for: the plan of the training it does (a pipeline's stage: `step_plans`), or the least a
    call asks for when it trains nothing."""
    stands_for = step_plans(config)[step]
    if stands_for is None:
        return MIN_CALL_S
    return call_seconds(estimate(stands_for, available_rows, device="cuda")["total_s"])


def _rows_that_fit(config: RunConfig, available_rows: int | None, budget_s: float) -> int:
    """The most training rows (a multiple of the batch) whose call asks for at most `budget_s`; 0 when none."""
    low, high = 0, int(estimate(config, available_rows, device="cuda")["rows"]) // config.batch_size
    while low < high:  # in batches: the plan grows with them
        mid = (low + high + 1) // 2
        try:
            smaller = config.replace(max_train_samples=mid * config.batch_size)
        except ConfigError:
            high = mid - 1
            continue
        if max(_step_seconds(smaller, i, available_rows) for i in range(calls(smaller))) <= budget_s:
            low = mid
        else:
            high = mid - 1
    return low * config.batch_size


def plan_note(config: RunConfig, available_rows: int | None = None) -> str:
    """What the page says under the plan on ZeroGPU, before Start: the GPU seconds, the quotas, and reloads."""
    plan = gpu_plan(config, available_rows)
    quotas = ", ".join(f"{s // 60:g} min ({who})" for who, s in DAILY_QUOTA_S.items())
    text = (f"**ZeroGPU**: this run asks for **{plan.requested_s} s** of GPU time (its plan ≈ {_fmt(plan.plan_s)} "
            f"on the GPU, with a margin and the call's start-up), charged to you. ZeroGPU's daily quota per visitor: "
            f"{quotas}; one call may ask for at most {plan.max_call_s} s.")
    if not plan.fits:
        text += (f" **Too long for one call**: with Max train samples ≤ {plan.rows_that_fit:,} it fits"
                 if plan.rows_that_fit else " **Too long for one call** at any size") + (
                 f", or train on this Space's CPU (no quota; ≈ {_fmt(plan.cpu_s)}).")
    if calls(config) > 1:
        total = sum(_step_seconds(config, i, available_rows) for i in range(calls(config))
                    if not local_step(config, i))
        text += (f" A pipeline makes one call per stage, each stored as it ends: {total} s in all, its longest "
                 "stage's above.")
    return text + (" Keep this tab open while it trains: **a reload or a closed tab ends the GPU call**, and the run "
                   "is kept as interrupted with its curve so far.")


def refusal_text(refused: GpuRefused, config: RunConfig) -> str:
    """ZeroGPU's refusal, with what would work: the size that fits what is left, and the CPU path."""
    plan = gpu_plan(config)
    if refused.left_s is None and not refused.requested_s:  # no GPU free for this Space now: no size would help
        return (f"ZeroGPU has no GPU for this run right now: {str(refused).rstrip('.')}. Try again in a minute, or "
                f"train on this Space's CPU instead (no quota; ≈ {_fmt(plan.cpu_s)}).")
    budget = refused.left_s if refused.left_s is not None else plan.max_call_s
    rows = _rows_that_fit(config, None, budget)
    offer = (f"with Max train samples ≤ {rows:,} it asks for ≤ {budget} s" if rows
             else f"no size of this run fits in {budget} s")
    asked = refused.requested_s or plan.requested_s
    return (f"ZeroGPU refused this run: {str(refused).rstrip('.')}. It asks for {asked} s; {offer}. Or train on this "
            f"Space's CPU instead (no quota; ≈ {_fmt(plan.cpu_s)}).")


def begin(config: RunConfig, owner: str | None) -> str:
    """A new run of this owner, about to train in a GPU call made by their request: stored and followed like any
    run. Raises GpuRefused when its call would ask for more than the tier's maximum (nothing is stored then)."""
    owner = check_start(config, owner)
    plan = gpu_plan(config)
    if not plan.fits:
        raise GpuRefused(f"The requested GPU duration ({plan.requested_s}s) is larger than the maximum allowed "
                         f"({plan.max_call_s}s)", plan.requested_s)
    return manager().attach(config, owner, on_stop=lambda run_id: request_stop(manager().store.run_dir(run_id)))


def jobs_config(run_id: str) -> RunConfig:
    return RunConfig.from_dict(manager().snapshot(run_id).config)


def settle_unfinished(run_id: str) -> None:
    """A run whose Start handler ended while it still reads as running (its page closed before or between calls, or
    an error there): interrupted, with what it stored. A no-op for a run that has ended."""
    manager().settle(run_id, "interrupted", INTERRUPTED)


def calls(config: RunConfig) -> int:
    """How many GPU calls the run takes: one per stage of a pipeline, else one."""
    return steps(config)


def go_on(run_id: str) -> bool:
    """Between two calls of a pipeline: False (and the run ends as cancelled) when its owner cancelled it."""
    jobs = manager()
    if jobs.stop_requested(run_id):
        jobs.settle(run_id, "cancelled", "Stopped between stages; nothing more was trained.")
        return False
    return jobs.snapshot(run_id).status == "running"


def follow(run_id: str, events: Iterator[Event], first: bool = True, last: bool = True) -> Iterator[None]:
    """Feed a GPU call's events into the run as they come, yielding after each (so the request notices at once when
    its page goes away: closing this generator closes the call). `first`/`last`: the call is the run's first/last
    (a pipeline makes one per stage; what each stored stays). Raises GpuRefused when ZeroGPU refused the call before
    it began: after removing the run when it was the first call, else after ending the run with the refusal."""
    jobs = manager()
    began = False
    try:
        for event in events:
            began = True
            if isinstance(event, Failed) and event.error_type == CANCELLED:
                jobs.settle(run_id, "cancelled", event.message)
            elif isinstance(event, Failed):
                jobs.feed(run_id, event)
                jobs.settle(run_id, "failed", event.message)
            else:
                jobs.feed(run_id, event)
                if isinstance(event, Finished):
                    message = "The model as trained so far was saved." if event.status == "cancelled" else "Done."
                    jobs.settle(run_id, event.status, message, metrics_of(event))
            yield
    except GeneratorExit:
        jobs.settle(run_id, "interrupted", INTERRUPTED)
        request_stop(jobs.store.run_dir(run_id))  # the run stops at its next step, whatever the call does
        closing = getattr(events, "close", None)
        events = iter(())  # closed below, off this thread: spaces' close waits for the call's end (gradio
        if closing is not None:  # closes this handler on its event loop)
            threading.Thread(target=closing, name=f"lab-close-{run_id[:8]}", daemon=True).start()
        raise
    except Exception as exc:  # noqa: BLE001 — ZeroGPU's errors arrive as gradio errors: the run ends with the message
        refused = as_refusal(exc)
        if refused is not None and not began:
            jobs.settle(run_id, "failed", f"ZeroGPU refused the next stage's call: {refused}")
            if first:
                jobs.delete(run_id)  # nothing ran: no run to keep
            raise refused from None
        message = describe_failure(RuntimeError(_text(exc)))
        if "GPU task aborted" in message:  # ZeroGPU ends a call that runs past its duration (or loses its GPU)
            message = (f"ZeroGPU ended the GPU call ({message}): it ran past the {duration_s(jobs_config(run_id))} s "
                       "it asked for, or its GPU was reclaimed. The run stopped there; a smaller Max train samples "
                       "asks for less, and the CPU path has no limit.")
        jobs.feed(run_id, Failed(message=message, error_type=type(exc).__name__))
        jobs.settle(run_id, "failed", message)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # a closed request closes its GPU call (spaces then stops the call's child)
        if last:
            jobs.settle(run_id, "failed", "The GPU call ended without a result.")  # a no-op when it has one


_REQUESTED_LEFT = re.compile(r"\((\d+)s requested vs\. (\d+)s left\)")
_TOO_LONG = re.compile(r"duration \((\d+)s\) is larger than the maximum")


def as_refusal(exc: BaseException) -> GpuRefused | None:
    """ZeroGPU's refusals (a duration over the maximum, a spent quota) as GpuRefused with their numbers; None for
    any other error. `spaces` raises them as gradio errors whose message says "(120s requested vs. 45s left)"."""
    if isinstance(exc, GpuRefused):
        return exc
    message = _text(exc)
    text = f"{getattr(exc, 'title', '') or ''} {message}"
    if (found := _REQUESTED_LEFT.search(text)) is not None:
        return GpuRefused(message, int(found[1]), int(found[2]))
    if (found := _TOO_LONG.search(text)) is not None:
        return GpuRefused(message, int(found[1]))
    if "zerogpu" in text.lower() and any(word in text.lower() for word in ("quota", "no gpu", "gpu limit")):
        return GpuRefused(message)
    return None


def _text(exc: BaseException) -> str:
    """An error's message: a gradio error's own (its str() is the message's repr)."""
    message = getattr(exc, "message", None)
    return message.strip() if isinstance(message, str) and message.strip() else str(exc)


def _fmt(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{max(1, round(seconds))} s"
