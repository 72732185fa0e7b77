"""Augmented SBERT (the `augsbert` recipe's job): a cross-encoder trained on a small gold set labels a silver
set for the bi-encoder.

1. split the NLI score pairs into gold (labelled) and silver (labels hidden)
2. train a cross-encoder on gold (entailment → 1, else 0)
3. label the silver pairs with it
4. train a bi-encoder on gold + silver (CosineSimilarityLoss)
5. train the same bi-encoder on gold only (the baseline)
6. compare both on STS-B
SCRIPT: the same stages as the `main()` of the generated training script ("Show code").
"""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pandas as pd

from lab.config import RunConfig
from lab.evaluation.sts import make_evaluator
from lab.events import Finished, Plan, Stage, Started, Table
from lab.host.paths import bundled_model_dir
from lab.models import check_model, load_model
from lab.pipelines.steps import run_steps
from lab.recipes import prepare
from lab.training.context import JobContext, checkpoint
from lab.training.runner import (
    device_name,
    evaluate,
    evaluate_base,
    fit,
    free_memory,
    library_versions,
    load_run_model,
)

STAGES = [
    {"name": "cross-encoder", "title": "1. Train a cross-encoder on the gold pairs"},
    {"name": "label-silver", "title": "2. Label the silver pairs with it"},
    {"name": "gold+silver", "title": "3. Train the bi-encoder on gold + silver"},
    {"name": "gold-only", "title": "4. Train the same bi-encoder on gold only"},
    {"name": "compare", "title": "5. Compare both on STS-B"},
]


# "Show code": the generated script's main() (lab/service/script.py adds the helpers it calls). {knob} and
# {config.field} fill in the run's values; literal braces are doubled.
SCRIPT = '''\
def main() -> None:
    args = parse_args()

    # 1. Data: the NLI score pairs, split into gold (labelled) and silver (its labels hidden from here on)
    rows = load_train_rows(args)
    n_gold = max(1, min(len(rows) - 1, round(len(rows) * {gold_fraction})))
    gold, silver = rows.iloc[:n_gold].reset_index(drop=True), rows.iloc[n_gold:].reset_index(drop=True)
    print(f"{{len(gold):,}} gold pairs, {{len(silver):,}} silver pairs")
    evaluator = sts_evaluator(args)

    # 2. A cross-encoder, from the run's base transformer, trained on gold (entailment → 1, else 0)
    with tempfile.TemporaryDirectory() as folder:
        make_model()[0].save(folder)
        torch.manual_seed(SEED)  # the classifier head starts from the seed, as in the lab
        cross = CrossEncoder(folder, num_labels=1, max_length=MAX_SEQ_LENGTH or 256)
    ce_args = CrossEncoderTrainingArguments(
        output_dir=f"{{args.output_dir}}/checkpoints/cross-encoder",
        num_train_epochs={ce_epochs},  # a cross-encoder needs more passes over small gold
        per_device_train_batch_size={config.batch_size},
        learning_rate={ce_lr},  # its classifier head starts from scratch
        warmup_steps={config.warmup_ratio},  # a float < 1 is a ratio of the total steps
        seed=SEED,
        fp16=torch.cuda.is_available(),
        logging_steps={config.logging_steps},
        save_strategy="no",
        report_to="none",
    )
    trainer = CrossEncoderTrainer(
        model=cross, args=ce_args, train_dataset=Dataset.from_pandas(gold, preserve_index=False),
        loss=BinaryCrossEntropyLoss(cross),
    )
    trainer.train()
    cross.save(f"{{args.output_dir}}/cross-encoder")

    # 3. Label the silver pairs: the cross-encoder's probability that the pair is an entailment
    pairs = list(zip(silver["sentence1"], silver["sentence2"], strict=True))
    probs = np.asarray(cross.predict(pairs, batch_size=64, show_progress_bar=False), dtype=float).reshape(-1)
    agreement = np.mean((probs >= 0.5) == (silver["score"].to_numpy() >= 0.5)) if len(silver) else 0.0
    print(f"silver labels: at 0.5 the cross-encoder agrees with the hidden NLI label on {{agreement:.1%}}")
    silver = silver.assign(score=probs)

    # 4. The bi-encoder on gold + silver, with the run's loss: the main result
    model = make_model()
    before = evaluator(model)
    print("before:", before)
    fit(model, pd.concat([gold, silver], ignore_index=True), f"{{args.output_dir}}/checkpoints/gold+silver")
    after = evaluator(model)
    print("after (gold + silver):", after)
    model.save(f"{{args.output_dir}}/final")

    # 5. The same bi-encoder on gold only: the baseline
    model = make_model()
    fit(model, gold, f"{{args.output_dir}}/checkpoints/gold-only")
    gold_only = evaluator(model)
    print("after (gold only):", gold_only)
    model.save(f"{{args.output_dir}}/gold-only")

    # 6. Compare both on STS-B (cosine similarity)
    results = pd.DataFrame({{"base": before, "gold only": gold_only, "gold + silver": after}}).T
    results = results.filter(like="cosine").rename(columns=lambda name: name.removeprefix(f"{{evaluator.name}}_"))
    print(results.round(4).to_string())
'''


def split_gold_silver(rows: pd.DataFrame, gold_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_gold = max(1, min(len(rows) - 1, round(len(rows) * gold_fraction)))
    return rows.iloc[:n_gold].reset_index(drop=True), rows.iloc[n_gold:].reset_index(drop=True)


def silver_histogram(scores: np.ndarray, bins: int = 10) -> list[dict]:
    counts, edges = np.histogram(scores, bins=bins, range=(0.0, 1.0))
    return [{"from": round(float(a), 2), "to": round(float(b), 2), "pairs": int(c)}
            for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]


def cross_encoder_base(config: RunConfig, folder: str) -> str:
    """A folder or Hub id the CrossEncoder can start from: the run's base transformer."""
    entry = check_model(config.model, allow_local=True)
    if entry.kind == "bundled":
        return str(bundled_model_dir())
    if entry.kind in ("hub", "hub-plain"):
        return entry.hub_id
    load_model(config.model, seed=config.seed, allow_local=True)[0].save(folder)  # tiny-bert / local folder
    return folder


def train_cross_encoder(config: RunConfig, gold: pd.DataFrame, ctx, epochs: int, lr: float):
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import PrinterCallback

    from lab.training.callback import LabCallback  # lazy: imports transformers

    with tempfile.TemporaryDirectory(prefix="lab-ce-") as folder, tempfile.TemporaryDirectory() as scratch:
        base = cross_encoder_base(config, folder)
        torch.manual_seed(config.seed)  # the classifier head starts from the run's seed, whatever ran before
        cuda = device_name() == "cuda"
        model = CrossEncoder(base, num_labels=1, max_length=config.max_seq_length or 256,
                             device="cuda" if cuda else "cpu")
        total = max(1, epochs * math.ceil(len(gold) / config.batch_size))
        args = CrossEncoderTrainingArguments(
            output_dir=scratch, num_train_epochs=epochs, per_device_train_batch_size=config.batch_size,
            learning_rate=lr, warmup_steps=config.warmup_ratio, seed=config.seed, fp16=cuda,
            logging_steps=config.logging_steps, logging_nan_inf_filter=False, save_strategy="no", report_to="none",
            disable_tqdm=True, dataloader_pin_memory=cuda,
        )
        trainer = CrossEncoderTrainer(
            model=model, args=args, train_dataset=Dataset.from_pandas(gold, preserve_index=False),
            loss=BinaryCrossEntropyLoss(model),
            callbacks=[LabCallback(ctx.emit, ctx.stop, total, config.batch_size, "", stage="cross-encoder")],
        )
        trainer.remove_callback(PrinterCallback)
        ctx.emit(Started(total_steps=total, train_rows=len(gold), row_counts={"gold": len(gold)}, source={},
                         device="cuda" if cuda else "cpu", versions=library_versions(), stage="cross-encoder"))
        trainer.train()
    return model


def run(config: RunConfig, ctx: JobContext) -> Finished:
    return run_steps(STEPS, config, ctx)


def _data_and_cross_encoder(config: RunConfig, ctx: JobContext, state: dict) -> None:
    knobs = config.recipe_params
    ctx.emit(Plan(stages=STAGES, curves=["cross-encoder", "gold+silver", "gold-only"],
                  series=["gold+silver", "gold-only"]))
    ctx.emit(Stage(name="data", message="Preparing gold and silver pairs"))
    data = prepare("nli-scores", seed=config.seed, max_rows=config.max_train_samples, data_source=config.data_source)
    gold, silver = split_gold_silver(data.rows, knobs["gold_fraction"])
    stages_dir = ctx.run_dir / "stages"
    stages_dir.mkdir(parents=True, exist_ok=True)
    gold.to_parquet(stages_dir / "gold.parquet")
    silver.to_parquet(stages_dir / "silver-hidden.parquet")  # its labels are hidden from the steps that follow
    state["source"] = data.source.to_dict()
    checkpoint(ctx)

    # 1. Cross-encoder on gold.
    ctx.emit(Stage(name="cross-encoder", message=f"1/5 Training a cross-encoder on {len(gold):,} gold pairs"))
    cross = train_cross_encoder(config, gold, ctx, int(knobs["ce_epochs"]), float(knobs["ce_lr"]))
    cross.save(str(stages_dir / "cross-encoder"))


def _label_silver(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """2. Silver labels: the cross-encoder's probability that the pair is an entailment."""
    from sentence_transformers.cross_encoder import CrossEncoder

    stages_dir = ctx.run_dir / "stages"
    silver = pd.read_parquet(stages_dir / "silver-hidden.parquet")
    ctx.emit(Stage(name="label-silver", message=f"2/5 Labelling {len(silver):,} silver pairs"))
    cross = CrossEncoder(str(stages_dir / "cross-encoder"), device=device_name())
    pairs = list(zip(silver["sentence1"], silver["sentence2"], strict=True))
    probs = np.asarray(cross.predict(pairs, batch_size=64, show_progress_bar=False), dtype=float).reshape(-1)
    agreement = float(np.mean((probs >= 0.5) == (silver["score"].to_numpy() >= 0.5))) if len(silver) else 0.0
    hidden_truth = silver["score"].to_numpy()
    silver = silver.assign(score=probs)
    silver.to_parquet(stages_dir / "silver.parquet")
    ctx.emit(Table(name="silver-labels", title="Silver label distribution (cross-encoder scores)",
                   rows=silver_histogram(probs),
                   chart={"x": "from", "y": "pairs", "x_title": "cross-encoder score (bin start)", "y_title": "pairs"},
                   note=f"{len(silver):,} silver pairs; at a 0.5 threshold the cross-encoder agrees with the hidden "
                        f"NLI label on {agreement:.1%} (entailment share in silver: {hidden_truth.mean():.1%})."))
    del cross
    free_memory()


def _gold_and_silver(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """3. Bi-encoder on gold + silver: the augmented model, the run's main output."""
    stages_dir = ctx.run_dir / "stages"
    gold, silver = pd.read_parquet(stages_dir / "gold.parquet"), pd.read_parquet(stages_dir / "silver.parquet")
    ctx.emit(Stage(name="gold+silver", message=f"3/5 Training the bi-encoder on {len(gold) + len(silver):,} pairs"))
    evaluator = make_evaluator(config.eval_split)  # every reported number is on the whole split
    model = load_run_model(config)
    state["before"] = evaluate_base(model, evaluator, ctx, label="base")
    augmented = fit(model, pd.concat([gold, silver], ignore_index=True), config, ctx, stage="gold+silver",
                    source=state["source"], row_counts={"gold": len(gold), "silver": len(silver)})
    if augmented.cancelled:
        checkpoint(ctx)
    state["after"] = evaluate(model, evaluator, ctx, step=augmented.steps, phase="after", stage="gold+silver",
                              label="gold+silver")
    state["augmented"] = {"samples_per_s": augmented.samples_per_s, "train_s": augmented.train_s,
                          "steps": augmented.steps}
    model.save(str(ctx.run_dir / "model"))
    del model
    free_memory()


def _gold_only(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """4. The same bi-encoder on gold only: the baseline."""
    gold = pd.read_parquet(ctx.run_dir / "stages" / "gold.parquet")
    ctx.emit(Stage(name="gold-only", message=f"4/5 Training the bi-encoder on {len(gold):,} gold pairs only"))
    model = load_run_model(config)
    baseline = fit(model, gold, config, ctx, stage="gold-only")
    if baseline.cancelled:
        checkpoint(ctx)
    state["gold_only"] = evaluate(model, make_evaluator(config.eval_split), ctx, step=baseline.steps, phase="after",
                                  stage="gold-only", label="gold-only")
    model.save(str(ctx.run_dir / "stages" / "gold-only"))
    del model
    free_memory()


def _compare(config: RunConfig, ctx: JobContext, state: dict) -> Finished:
    """5. Compare."""
    stages_dir = ctx.run_dir / "stages"
    n_gold, n_silver = (len(pd.read_parquet(stages_dir / f"{name}.parquet", columns=["score"]))
                        for name in ("gold", "silver"))
    ctx.emit(Stage(name="compare", message="5/5 Comparing on STS-B"))
    before, after, augmented = state["before"], state["after"], state["augmented"]
    rows = [{"model": name, "training pairs": n, **{k: round(v, 4) for k, v in m.items() if "cosine" in k}}
            for name, n, m in (("base", 0, before), ("gold only", n_gold, state["gold_only"]),
                               ("gold + silver", n_gold + n_silver, after))]
    ctx.emit(Table(name="comparison", title=f"Augmented SBERT on STS-B {config.eval_split}", rows=rows))
    return Finished(status="completed", metrics_before=before, metrics_after=after,
                    train_samples_per_s=augmented["samples_per_s"], train_runtime_s=augmented["train_s"],
                    steps=augmented["steps"], model_dir=str(ctx.run_dir / "model"))


# One step per ZeroGPU call: the stages of STAGES, the data made with the first. The last needs no GPU (the server
# runs it); `step_plans` says what each step trains, for the GPU seconds its call asks for.
STEPS = [_data_and_cross_encoder, _label_silver, _gold_and_silver, _gold_only, _compare]
LOCAL_STEPS = (4,)


def step_plans(config: RunConfig) -> list[RunConfig | None]:
    """The training each step does, as a run whose plan stands for it (None: no training, a short call)."""
    rows = config.max_train_samples or 0
    gold = max(1, round(rows * config.recipe_params["gold_fraction"])) if rows else None
    cross = config.replace(max_train_samples=gold, epochs=float(config.recipe_params["ce_epochs"]))
    return [cross, None, config, config.replace(max_train_samples=gold), None]
