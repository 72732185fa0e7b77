"""What a run's trainer is built from: its loss (seeded, Matryoshka-wrapped or packed; its model's dropout drawn fast
on a CPU), its batch sampler and its training arguments. Pure construction from the config; the runner
(lab/training/runner.py) drives the training."""

from __future__ import annotations

import os

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.host.distributed import ddp_backend
from lab.losses import LOSSES, BuildContext
from lab.models import load_model


def build_loss(config: RunConfig, model, num_labels: int | None):
    """The config's loss; its own weights (softmax's classifier, TSDAE's decoder) start from the run's seed, so a run
    and its "Show code" script build the same loss whatever ran before in the process."""
    import torch

    from lab.training.dropout import fast_dropout  # lazy: it imports torch
    from lab.training.packing import pack  # lazy: it imports torch

    spec = LOSSES[config.loss]
    ctx = BuildContext(model, config.loss_params, num_labels, load_guide=lambda: load_model("all-MiniLM-L6-v2"))
    torch.manual_seed(config.seed)
    loss = spec.build(ctx)
    if config.matryoshka_dims:
        from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

        dim = model.get_embedding_dimension()
        too_big = [d for d in config.matryoshka_dims if d > dim]
        if too_big:
            raise ConfigError(f"Matryoshka dimensions {too_big} exceed the model's embedding size {dim}.")
        loss = MatryoshkaLoss(model, loss, list(config.matryoshka_dims))
    elif config.group_by_length and os.environ.get("LAB_PACK", "1") != "0":  # off: bench/throughput.py's baseline
        pack(loss)  # on a CPU, each batch's texts embedded in length-sorted chunks (lab/training/packing.py)
    if config.group_by_length and os.environ.get("LAB_FAST_DROPOUT", "1") != "0":  # off: a baseline of the bench
        fast_dropout(model)  # on a CPU, dropout masks drawn 16 bits at a time (lab/training/dropout.py)
    return loss


def batch_sampler(config: RunConfig):
    """The loss's sampler (no-duplicates for in-batch negatives), length-grouped unless switched off."""
    # lazy: the samplers subclass sentence-transformers' (torch)
    from lab.training.sampler import LengthGroupedBatchSampler, LengthGroupedNoDuplicatesBatchSampler

    if not config.group_by_length:
        return LOSSES[config.loss].batch_sampler
    no_duplicates = LOSSES[config.loss].batch_sampler == "no_duplicates"
    return LengthGroupedNoDuplicatesBatchSampler if no_duplicates else LengthGroupedBatchSampler


def training_args(config: RunConfig, output_dir: str, cuda: bool, eval_steps: int = 0):
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
        eval_strategy="steps" if eval_steps else "no",
        eval_steps=eval_steps or None,
        logging_steps=config.logging_steps,
        logging_nan_inf_filter=False,  # the filter would hide a diverged loss from the callback
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
        ddp_backend=ddp_backend(cuda),
        use_cpu=not cuda,  # also makes accelerate treat torchrun's CPU processes as multi-CPU data parallel
    )
