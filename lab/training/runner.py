"""One training run, start to end, as numbered steps: data → model → eval before → loss → train → eval after → save.

The steps are functions that pipelines (lab/pipelines/) reuse stage by stage. The runner knows nothing
of the UI: it reports through `ctx.emit(event)` and stops when `ctx.stop` is set.
"""

from __future__ import annotations

import gc
import math
import tempfile
import time
from dataclasses import dataclass

import pandas as pd

from lab.config import RunConfig
from lab.evaluation import cache
from lab.evaluation.sts import make_evaluator, strip_metrics
from lab.events import Eval, Finished, Stage, Started
from lab.host.distributed import is_main, world_size
from lab.host.zerogpu import cuda_allowed
from lab.losses import LOSSES
from lab.models import load_model
from lab.recipes import prepare
from lab.training.context import JobContext, checkpoint
from lab.training.setup import build_loss, training_args
from lab.views import Watch, pair_scores


@dataclass(frozen=True)
class FitResult:
    steps: int
    samples_per_s: float
    train_s: float
    cancelled: bool


def library_versions() -> dict[str, str]:
    import sentence_transformers
    import torch
    import transformers

    return {
        "sentence-transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }


def device_name() -> str:
    import torch

    return "cuda" if cuda_allowed() and torch.cuda.is_available() else "cpu"


def free_memory() -> None:
    import torch

    gc.collect()
    if cuda_allowed() and torch.cuda.is_available():
        torch.cuda.empty_cache()


def samples_seen(steps: int, rows: int, batch_size: int) -> int:
    """Samples consumed by `steps` optimizer steps over epochs of `rows` rows (last batch may be short)."""
    per_epoch = max(1, math.ceil(rows / batch_size))
    full, rest = divmod(steps, per_epoch)
    return full * rows + min(rest * batch_size, rows)


def load_run_model(config: RunConfig, model: str | None = None):
    """The run's model with the pooling its loss needs (TSDAE: cls) unless the run chose one."""
    pooling = config.pooling or LOSSES[config.loss].pooling
    return load_model(model or config.model, pooling=pooling, max_seq_length=config.max_seq_length,
                      seed=config.seed, allow_local=model is not None)


def evaluate(model, evaluator, ctx: JobContext, *, step: int, phase: str, stage: str = "", label: str = "",
             subset: bool = False) -> dict:
    """Run the STS-B evaluator once and emit the result as an Eval event (with its pair count and bootstrap band)."""
    metrics = strip_metrics(evaluator(model), evaluator.name)
    ctx.emit(Eval(step=step, phase=phase, metrics=metrics, elapsed_s=evaluator.last_elapsed_s, stage=stage,
                  model=label, pairs=evaluator.pairs, subset=subset, band=_finite(evaluator.last_band),
                  geometry=evaluator.last_geometry))
    return metrics


def evaluate_base(model, evaluator, ctx: JobContext, *, label: str = "", subset: bool = False) -> dict:
    """The base model's score (step 0), from the cache when these weights were scored on these pairs before."""
    key = cache.fingerprint(model)
    hit = cache.read(key, evaluator.split, evaluator.pairs)
    if hit is None:
        metrics = evaluate(model, evaluator, ctx, step=0, phase="before", label=label, subset=subset)
        cache.write(key, evaluator.split, evaluator.pairs, metrics, _finite(evaluator.last_band),
                    evaluator.last_elapsed_s, evaluator.last_geometry)
        return metrics
    ctx.emit(Eval(step=0, phase="before", metrics=hit["metrics"], stage="", model=label, pairs=evaluator.pairs,
                  subset=subset, band=_finite(hit["band"]), cached=True, geometry=hit["geometry"]))
    return hit["metrics"]


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def evaluators(config: RunConfig):
    """(whole split, live curve's): the table is scored on the whole split; the curve on the config's first
    `eval_max_pairs` pairs when that is fewer (then both are the same evaluator when it is not)."""
    whole = make_evaluator(config.eval_split)
    live = make_evaluator(config.eval_split, config.eval_max_pairs) if config.eval_max_pairs else whole
    return (whole, live) if live.subset else (whole, whole)


def fit(model, rows: pd.DataFrame, config: RunConfig, ctx: JobContext, *, evaluator=None, stage: str = "",
        source: dict | None = None, row_counts: dict | None = None) -> FitResult:
    """Train `model` on `rows` with the config's loss through SentenceTransformerTrainer; events via a callback."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer
    from transformers import PrinterCallback

    from lab.training.callback import LabCallback  # lazy: imports transformers

    num_labels = int(rows["label"].max()) + 1 if "label" in rows else None
    loss = build_loss(config, model, num_labels)
    global_batch = config.batch_size * world_size()  # data-parallel: every process takes its own batch per step
    total_steps = max(1, math.ceil(config.epochs * math.ceil(len(rows) / global_batch)))
    cuda = device_name() == "cuda"
    eval_steps = config.eval_steps if evaluator is not None else 0
    eval_before_s = evaluator.total_elapsed_s if evaluator is not None else 0.0
    described = {"pairs": evaluator.pairs, "subset": evaluator.subset} if evaluator is not None else None
    watch = Watch(model, rows, config, ctx.emit, total_steps, stage, ctx.run_dir / "views") if is_main() else None

    def eval_elapsed() -> float:  # evaluations and teaching views: not training time
        spent = (evaluator.total_elapsed_s - eval_before_s) if evaluator is not None else 0.0
        return spent + (watch.elapsed_s if watch is not None else 0.0)

    callback = LabCallback(ctx.emit, ctx.stop, total_steps, global_batch,
                           evaluator.name if evaluator is not None else "", eval_elapsed, stage=stage, watch=watch,
                           describe_eval=lambda: {**described, "band": _finite(evaluator.last_band),
                                                  "geometry": evaluator.last_geometry,
                                                  "elapsed_s": evaluator.last_elapsed_s}
                           if described else {})
    with tempfile.TemporaryDirectory(prefix="lab-trainer-") as scratch:
        trainer = SentenceTransformerTrainer(
            model=model,
            args=training_args(config, scratch, cuda, eval_steps),
            train_dataset=Dataset.from_pandas(rows, preserve_index=False),
            loss=loss,
            evaluator=evaluator if eval_steps else None,
            callbacks=[callback],
        )
        trainer.remove_callback(PrinterCallback)  # the lab reports through events, not stdout
        ctx.emit(Started(total_steps=total_steps, train_rows=len(rows), row_counts=row_counts or {"used": len(rows)},
                         source=source or {}, device="cuda" if cuda else "cpu", versions=library_versions(),
                         stage=stage))
        t0 = time.perf_counter()  # the views' first snapshot inside the clock: eval_elapsed() takes it out again
        if watch is not None:
            watch.start()
        try:
            trainer.train()
        finally:
            runtime_s = time.perf_counter() - t0
            steps = trainer.state.global_step
            del trainer, loss
    train_s = max(runtime_s - eval_elapsed(), 1e-9)  # before the last snapshot, which the clock did not see
    if watch is not None and not ctx.stop.is_set():
        watch.finish(steps)
    return FitResult(steps, samples_seen(steps, len(rows), global_batch) / train_s, train_s, ctx.stop.is_set())


def forget_training_rows(model) -> None:
    """Drop what the model card copies from the training data (widget and usage examples, the dataset's sample
    rows and statistics) before the model is saved: the card of a model trained on an upload must not publish it."""
    card = model.model_card_data
    card.widget = []
    card.usage_examples = None
    card.train_datasets, card.eval_datasets = [], []
    card.add_tags("trained-on-a-private-upload")


def run_training(config: RunConfig, ctx: JobContext) -> Finished:
    """A plain run: one training of the config's model on its recipe's data with its loss."""
    model = None
    try:
        # 1. Data: load the recipe's rows (Hub or bundled), transform them, keep max_train_samples.
        ctx.emit(Stage(name="data", message=f"Preparing data ({config.recipe})"))
        data = prepare(config.recipe, seed=config.seed, max_rows=config.max_train_samples,
                       data_source=config.data_source, params=config.recipe_params, upload_id=config.upload_id)
        if data.used_rows == 0:
            raise ValueError(f"Recipe '{config.recipe}' produced no rows to train on.")
        checkpoint(ctx)

        # 2. Model.
        ctx.emit(Stage(name="model", message=f"Loading {config.model}"))
        model = load_run_model(config)
        checkpoint(ctx)

        # 3. STS-B evaluation of the base model: the whole split for the table (cached by the model's fingerprint),
        #    and the live curve's subset when the curve uses one.
        whole, live = evaluators(config)
        subset = live is not whole
        ctx.emit(Stage(name="eval-before", message=f"Evaluating the base model on STS-B {config.eval_split}"))
        before = evaluate_base(model, whole, ctx)
        if subset:
            evaluate_base(model, live, ctx, subset=True)
        checkpoint(ctx)

        # 4. Train (the callback streams log/eval events and turns ctx.stop into a cooperative stop).
        ctx.emit(Stage(name="train", message="Training"))
        result = fit(model, data.rows, config, ctx, evaluator=live, source=data.source.to_dict(),
                     row_counts=data.counts())

        # 5. STS-B after training (skipped for a cancelled run: cancel should be quick): the curve's last point,
        #    then the table's whole split.
        after: dict[str, float] = {}
        if not result.cancelled:
            ctx.emit(Stage(name="eval-after", message=f"Evaluating the trained model on STS-B {config.eval_split}"))
            if subset:
                evaluate(model, live, ctx, step=result.steps, phase="after", subset=True)
            after = evaluate(model, whole, ctx, step=result.steps, phase="after")
            if config.views and (scored := pair_scores(whole, result.steps)) is not None:
                ctx.emit(scored)

        # 6. Save the model as a standard sentence-transformers folder (with its model card).
        ctx.emit(Stage(name="save", message="Saving the model"))
        model_dir = ctx.run_dir / "model"
        if config.upload_id:  # a private upload: its rows must not travel in the model card (zip, push)
            forget_training_rows(model)
        if is_main():  # under torchrun every process holds the same weights; one saves them
            model.save(str(model_dir))
        return Finished(
            status="cancelled" if result.cancelled else "completed",
            metrics_before=before,
            metrics_after=after,
            train_samples_per_s=result.samples_per_s,
            train_runtime_s=result.train_s,
            steps=result.steps,
            model_dir=str(model_dir),
        )
    finally:
        del model
        free_memory()
