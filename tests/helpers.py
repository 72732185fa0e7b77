"""Plain helpers shared by test modules (imported as `helpers`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from typing import Any


def train_form_values(**changes: Any) -> dict[str, Any]:
    """The Train tab's Start values by API name: the defaults on tiny-bert, with `changes` applied."""
    from lab import service
    from lab.ui import train_form

    form = {**service.DEFAULT_FORM, "hub_id": "", "upload_id": "", "model": "tiny-bert", **changes}
    values = {k: form[k] for k in train_form.FORM_KEYS}
    values |= {k: service.knob_info(k)[0] for k in train_form.knob_keys()}
    values |= {f"recipe_{k}": service.recipe_knob_info(k)[0] for k in train_form.recipe_knob_keys()}
    assert set(values) == set(train_form.input_keys())
    return values


def reset_service() -> None:
    """Close the app's JobManager so that the next service call builds one on the current LAB_RUNS_DIR."""
    from lab.service import live

    with live._lock:
        if live._manager is not None:
            live._manager.close()
        live._manager = None


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (which is dead, only not yet reaped)."""
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def serve_fake_runs(runs_dir, runner, gate, monkeypatch):
    """Generator body for a fixture: service.manager() is a JobManager on `runs_dir` that runs `runner` (a fake
    that waits on `gate`); the gate is opened and the manager closed afterwards."""
    from lab.jobs.queue import JobManager
    from lab.service import live
    from lab.store import RunStore

    reset_service()
    manager = JobManager(RunStore(runs_dir), runner=runner)
    monkeypatch.setattr(live, "_manager", manager)
    gate.clear()
    yield manager
    gate.set()
    manager.close()
    monkeypatch.setattr(live, "_manager", None)


# --- runners for a run's own process (lab/jobs/isolation.py): module-level, so a child can import them --------
def _finished(status: str = "completed"):
    from lab.events import Finished

    return Finished(status=status, metrics_before={}, metrics_after={"spearman_cosine": 0.5}, train_samples_per_s=1.0,
                    train_runtime_s=0.1, steps=3, model_dir="")


def child_reports(config, ctx):
    """Emits its pid, its environment's LAB_TEST_MARK, its collector's frozen objects and whether it collects,
    and three loss points, then finishes."""
    import gc
    import os

    from lab.events import Log, Stage

    ctx.emit(Stage(name="pid", message=str(os.getpid())))
    ctx.emit(Stage(name="mark", message=os.environ.get("LAB_TEST_MARK", "")))
    ctx.emit(Stage(name="gc", message=f"{gc.get_freeze_count()} {gc.isenabled()}"))
    for step in (1, 2, 3):
        ctx.emit(Log(step=step, total_steps=3, loss=1.0 / step, lr=1e-4, epoch=step / 3, samples_per_s=10.0))
    return _finished()


def child_waits_for_stop(config, ctx):
    """Announces its pid, then trains "steps" until asked to stop, and ends cancelled (as the trainer does)."""
    import os

    from lab.events import Stage

    ctx.emit(Stage(name="pid", message=str(os.getpid())))
    while not ctx.stop.wait(0.05):
        pass
    return _finished("cancelled")


def child_raises(config, ctx):
    raise ValueError("Column 'score' has non-numeric values (row 3: 'abc').")


def child_runs_out_of_memory(config, ctx):
    raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")


def child_is_killed(config, ctx):
    """Dies as the kernel's OOM killer would end it: SIGKILL, no outcome sent."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def child_sleeps(config, ctx):
    """Announces its pid in a file named by LAB_TEST_PIDFILE, then sleeps far longer than any test."""
    import os
    import time
    from pathlib import Path

    Path(os.environ["LAB_TEST_PIDFILE"]).write_text(str(os.getpid()))
    time.sleep(600)
    return _finished()


def child_reports_offline(config, ctx):
    """Reports whether huggingface_hub in this process considers itself offline."""
    from huggingface_hub import constants

    from lab.events import Stage

    ctx.emit(Stage(name="offline", message=str(constants.HF_HUB_OFFLINE)))
    return _finished()


def child_ignores_stop(config, ctx):
    """Announces its pid, then never looks at `ctx.stop` (a step that takes forever)."""
    import os
    import time

    from lab.events import Stage

    ctx.emit(Stage(name="pid", message=str(os.getpid())))
    time.sleep(600)
    return _finished()


def named_view(outputs) -> dict[str, Any]:
    """The RunView part of a Train tab handler's outputs (poll: first; start: after job id, timer, seen) by name."""
    from lab.ui import run_view

    return dict(zip(run_view.NAMES, list(outputs)[: run_view.N_VIEW], strict=True))


def client_view(outputs, offset: int = 0) -> dict[str, Any]:
    """The RunView part of a /poll (offset 0) or /start (offset 2: job id, timer) answer from gradio_client, by
    name. Over the API layout blocks (the `*_box` columns), buttons and gr.State carry no value: they are not there."""
    from lab.ui import run_view

    names = [n for n in run_view.NAMES if not n.endswith("_box") and n != "cancel"]
    values = list(outputs)[offset: offset + len(names)]
    assert len(values) == len(names), (len(values), len(names), values)
    return dict(zip(names, values, strict=True))


def runner_holds(config, ctx):
    """A run that logs one point and then holds "running" until it is asked to stop (in-thread, no model)."""
    from lab.events import Log, Stage

    ctx.emit(Stage(name="train", message="Training"))
    ctx.emit(Log(step=1, total_steps=9, loss=1.0, lr=1e-4, epoch=0.1, samples_per_s=1.0))
    while not ctx.stop.wait(0.05):
        pass
    return _finished("cancelled")


def fake_stored_run(store, run_id: str, config: dict, losses: list[float], after: float,
                    status: str = "completed", owner: str = "") -> str:
    """A finished run in `store` with a loss curve and STS-B before/after (no model): what Compare reads."""
    from lab.events import Eval, Finished, Log, Started

    before = {"spearman_cosine": 0.5}
    store.create(run_id, config, owner=owner)
    events = [Started(total_steps=len(losses), train_rows=32, row_counts={"used": 32}, source={}, device="cpu",
                      versions={}), Eval(step=0, phase="before", metrics=before)]
    events += [Log(step=i + 1, total_steps=len(losses), loss=v, lr=1e-4, epoch=1.0, samples_per_s=1.0)
               for i, v in enumerate(losses)]
    events += [Eval(step=len(losses), phase="after", metrics={"spearman_cosine": after}),
               Finished(status=status, metrics_before=before, metrics_after={"spearman_cosine": after},
                        train_samples_per_s=1.0, train_runtime_s=1.0, steps=len(losses), model_dir="")]
    for event in events:
        store.append_event(run_id, event)
    store.write_metrics(run_id, {"metrics_before": before, "metrics_after": {"spearman_cosine": after},
                                 "steps": len(losses)})
    store.update_meta(run_id, status=status)
    store.release(run_id)
    return run_id
