"""The one seam between the trainer thread and the lab: a TrainerCallback that emits events and obeys stop."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from transformers import TrainerCallback

from lab.evaluation.sts import strip_metrics
from lab.events import Eval, Event, Log


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class LabCallback(TrainerCallback):
    def __init__(
        self,
        emit: Callable[[Event], None],
        stop: threading.Event,
        total_steps: int,
        batch_size: int,
        evaluator_name: str,
        eval_elapsed_s: Callable[[], float] = lambda: 0.0,
        stage: str = "",
        describe_eval: Callable[[], dict] = dict,
        watch=None,
    ) -> None:
        self.stage = stage
        self.watch = watch  # the teaching views' probes (lab/views.Watch), or None
        self.describe_eval = describe_eval  # the evaluator's pair count, subset flag and last bootstrap band
        self.emit = emit
        self.stop = stop
        self.total_steps = total_steps
        self.batch_size = batch_size
        self.evaluator_name = evaluator_name
        self.eval_elapsed_s = eval_elapsed_s
        self._last = (0, time.perf_counter(), 0.0)  # (step, time, eval seconds so far)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return  # the final summary log (train_runtime…) has no loss
        loss = float(logs["loss"])
        if not math.isfinite(loss):
            raise TrainingDiverged(
                f"The loss became {loss} at step {state.global_step}: training diverged. "
                "Try a lower learning rate (e.g. 2e-5) or a smaller scale."
            )
        step, now, eval_s = state.global_step, time.perf_counter(), self.eval_elapsed_s()
        last_step, last_t, last_eval_s = self._last
        busy_s = max(now - last_t - (eval_s - last_eval_s), 1e-9)
        self._last = (step, now, eval_s)
        self.emit(
            Log(
                step=step,
                total_steps=self.total_steps,
                loss=loss,
                lr=float(logs.get("learning_rate", 0.0)),
                epoch=float(logs.get("epoch", 0.0)),
                samples_per_s=(step - last_step) * self.batch_size / busy_s,
                stage=self.stage,
            )
        )

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        table = strip_metrics(metrics or {}, self.evaluator_name)
        if table:
            self.emit(Eval(step=state.global_step, phase="during", metrics=table, stage=self.stage,
                           **self.describe_eval()))
        if self.watch is not None:
            self.watch.evaluate(state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        if self.watch is not None:
            self.watch.step(state.global_step)
        if self.stop.is_set():
            control.should_training_stop = True
        return control
