"""One training run, start to end, as numbered steps: data → model → eval before → loss → train → eval after → save.

The runner knows nothing of the UI: it reports through `ctx.emit(event)` and stops when `ctx.stop` is set.
"""

from __future__ import annotations

import gc
import math
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.config import RunConfig
from lab.training.events import Eval, Event, Finished, Stage, Started


@dataclass
class JobContext:
    run_id: str
    run_dir: Path
    emit: Callable[[Event], None]
    stop: threading.Event


class Cancelled(Exception):
    """The user cancelled between stages."""


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

    return "cuda" if torch.cuda.is_available() else "cpu"


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def samples_seen(steps: int, rows: int, batch_size: int) -> int:
    """Samples consumed by `steps` optimizer steps over epochs of `rows` rows (last batch may be short)."""
    per_epoch = max(1, math.ceil(rows / batch_size))
    full, rest = divmod(steps, per_epoch)
    return full * rows + min(rest * batch_size, rows)


def build_loss(config: RunConfig, model, num_labels: int | None):
    from lab.losses import LOSSES, BuildContext
    from lab.models import load_model

    spec = LOSSES[config.loss]
    ctx = BuildContext(model, config.loss_params, num_labels, load_guide=lambda: load_model("all-MiniLM-L6-v2"))
    loss = spec.build(ctx)
    if config.matryoshka_dims:
        from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

        dim = model.get_embedding_dimension()
        too_big = [d for d in config.matryoshka_dims if d > dim]
        if too_big:
            from lab.config import ConfigError

            raise ConfigError(f"Matryoshka dimensions {too_big} exceed the model's embedding size {dim}.")
        loss = MatryoshkaLoss(model, loss, list(config.matryoshka_dims))
    return loss


def batch_sampler(config: RunConfig):
    """The loss's sampler (no-duplicates for in-batch negatives), length-grouped unless switched off."""
    from lab.losses import LOSSES
    from lab.training.sampler import LengthGroupedBatchSampler, LengthGroupedNoDuplicatesBatchSampler

    if not config.group_by_length:
        return LOSSES[config.loss].batch_sampler
    no_duplicates = LOSSES[config.loss].batch_sampler == "no_duplicates"
    return LengthGroupedNoDuplicatesBatchSampler if no_duplicates else LengthGroupedBatchSampler


def training_args(config: RunConfig, output_dir: str, cuda: bool):
    from sentence_transformers import SentenceTransformerTrainingArguments

    return SentenceTransformerTrainingArguments(
        output_dir=output_dir,
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.lr,
        warmup_steps=config.warmup_ratio,  # a float < 1 is a ratio in transformers 5
        seed=config.seed,
        data_seed=config.seed,
        fp16=cuda,
        batch_sampler=batch_sampler(config),
        eval_strategy="steps" if config.eval_steps else "no",
        eval_steps=config.eval_steps or None,
        logging_steps=config.logging_steps,
        logging_nan_inf_filter=False,  # the filter would hide a diverged loss from the callback
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
    )


def run_training(config: RunConfig, ctx: JobContext) -> Finished:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer
    from transformers import PrinterCallback

    from lab.evaluation.sts import make_evaluator, strip_metrics
    from lab.models import load_model
    from lab.recipes import prepare
    from lab.training.callback import LabCallback

    def checkpoint() -> None:
        if ctx.stop.is_set():
            raise Cancelled

    model = trainer = loss = None
    try:
        # 1. Data: load the recipe's rows (Hub or bundled), transform them, keep max_train_samples.
        ctx.emit(Stage(name="data", message=f"Preparing data ({config.recipe})"))
        data = prepare(
            config.recipe, seed=config.seed, max_rows=config.max_train_samples, data_source=config.data_source
        )
        if data.used_rows == 0:
            raise ValueError(f"Recipe '{config.recipe}' produced no rows to train on.")
        checkpoint()

        # 2. Model.
        ctx.emit(Stage(name="model", message=f"Loading {config.model}"))
        model = load_model(config.model, pooling=config.pooling, max_seq_length=config.max_seq_length, seed=config.seed)
        checkpoint()

        # 3. STS-B evaluation of the base model.
        evaluator = make_evaluator(config.eval_split, config.eval_max_pairs)
        ctx.emit(Stage(name="eval-before", message=f"Evaluating the base model on STS-B {config.eval_split}"))
        before = strip_metrics(evaluator(model), evaluator.name)
        ctx.emit(Eval(step=0, phase="before", metrics=before, elapsed_s=evaluator.last_elapsed_s))
        evaluator.total_elapsed_s = 0.0
        checkpoint()

        # 4. Loss (and its data contract) + trainer.
        num_labels = int(data.rows["label"].max()) + 1 if "label" in data.rows else None
        loss = build_loss(config, model, num_labels)
        train_dataset = Dataset.from_pandas(data.rows, preserve_index=False)
        steps_per_epoch = math.ceil(data.used_rows / config.batch_size)
        total_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
        cuda = device_name() == "cuda"
        callback = LabCallback(
            ctx.emit, ctx.stop, total_steps, config.batch_size, evaluator.name, lambda: evaluator.total_elapsed_s
        )
        with tempfile.TemporaryDirectory(prefix="lab-trainer-") as scratch:
            trainer = SentenceTransformerTrainer(
                model=model,
                args=training_args(config, scratch, cuda),
                train_dataset=train_dataset,
                loss=loss,
                evaluator=evaluator if config.eval_steps else None,
                callbacks=[callback],
            )
            trainer.remove_callback(PrinterCallback)  # the lab reports through events, not stdout
            ctx.emit(
                Started(
                    total_steps=total_steps,
                    train_rows=data.used_rows,
                    row_counts=data.counts(),
                    source=data.source.to_dict(),
                    device="cuda" if cuda else "cpu",
                    versions=library_versions(),
                )
            )

            # 5. Train (the callback streams log/eval events and turns ctx.stop into a cooperative stop).
            ctx.emit(Stage(name="train", message="Training"))
            t0 = time.perf_counter()
            trainer.train()
            runtime_s = time.perf_counter() - t0
        steps = trainer.state.global_step
        train_s = max(runtime_s - evaluator.total_elapsed_s, 1e-9)
        samples_per_s = samples_seen(steps, data.used_rows, config.batch_size) / train_s
        cancelled = ctx.stop.is_set()

        # 6. STS-B after training (skipped for a cancelled run: cancel should be quick).
        after: dict[str, float] = {}
        if not cancelled:
            ctx.emit(Stage(name="eval-after", message=f"Evaluating the trained model on STS-B {config.eval_split}"))
            after = strip_metrics(evaluator(model), evaluator.name)
            ctx.emit(Eval(step=steps, phase="after", metrics=after, elapsed_s=evaluator.last_elapsed_s))

        # 7. Save the model as a standard sentence-transformers folder (with its model card).
        ctx.emit(Stage(name="save", message="Saving the model"))
        model_dir = ctx.run_dir / "model"
        model.save(str(model_dir))
        return Finished(
            status="cancelled" if cancelled else "completed",
            metrics_before=before,
            metrics_after=after,
            train_samples_per_s=samples_per_s,
            train_runtime_s=train_s,
            steps=steps,
            model_dir=str(model_dir),
        )
    finally:
        del model, trainer, loss
        free_memory()
