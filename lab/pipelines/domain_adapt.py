"""Domain adaptation (the `domain-adapt` recipe's job): TSDAE on the target domain (MedQuAD) first, then
supervised fine-tuning on NLI.

1. evaluate the base model on MedQuAD retrieval (question → answer) and STS-B
2. TSDAE on unlabelled MedQuAD sentences (CLS pooling, tied decoder)
3. fine-tune the TSDAE model with the run's loss on NLI triplets
4. fine-tune the base model the same way, without TSDAE (the baseline)
5. compare base / fine-tune only / TSDAE + fine-tune on the retrieval metrics
SCRIPT: the same stages as code for the generated training script ("Show code").
"""

from __future__ import annotations

import pandas as pd

from lab.config import RunConfig
from lab.evaluation.retrieval import medquad_evaluator, strip_retrieval
from lab.evaluation.sts import make_evaluator
from lab.events import Eval, Finished, Plan, Stage, Table
from lab.losses import LOSSES
from lab.models import load_model
from lab.pipelines.steps import run_steps
from lab.recipes import RECIPES, prepare
from lab.training.context import JobContext, checkpoint
from lab.training.runner import evaluate, fit, free_memory, load_run_model

STAGES = [
    {"name": "eval-base", "title": "1. Evaluate the base model on MedQuAD retrieval"},
    {"name": "tsdae", "title": "2. TSDAE on unlabelled MedQuAD sentences"},
    {"name": "tsdae+fine-tune", "title": "3. Fine-tune the TSDAE model on NLI"},
    {"name": "fine-tune", "title": "4. Fine-tune the base model on NLI (no TSDAE)"},
    {"name": "compare", "title": "5. Compare on MedQuAD retrieval"},
]


# "Show code": the generated script's stages (lab/service/script.py adds the helpers they call). {knob} and
# {config.field} fill in the run's values; literal braces are doubled. The TSDAE stage's data and loss come from
# their own entries (the `tsdae-medquad` recipe, the `tsdae` loss).
_STAGES = '''\
def load_tsdae_rows(args: argparse.Namespace) -> pd.DataFrame:
    """Unlabelled MedQuAD sentences with deletion noise, as (damaged, original) pairs: TSDAE's data."""
{tsdae_rows}
    rows = limit_rows(rows, {tsdae_samples})
    return rows[["damaged", "original"]]


def medquad_evaluator(args: argparse.Namespace) -> InformationRetrievalEvaluator:
    """Each held-out MedQuAD question must retrieve its own answer among all the answers ({eval_queries} each)."""
    qa = load_medquad_qa(args).head({eval_queries})
    ids = [str(i) for i in range(len(qa))]
    queries = dict(zip(["q" + i for i in ids], qa["question"].astype(str), strict=True))
    corpus = dict(zip(["d" + i for i in ids], qa["answer"].astype(str), strict=True))
    relevant = {{"q" + i: {{"d" + i}} for i in ids}}
    return InformationRetrievalEvaluator(
        queries, corpus, relevant, name="medquad", mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1, 5, 10],
        precision_recall_at_k=[1, 5, 10], map_at_k=[10], show_progress_bar=False, batch_size=64,
    )


def assess(model: SentenceTransformer, retrieval: InformationRetrievalEvaluator,
           sts: EmbeddingSimilarityEvaluator) -> dict[str, float]:
    """MedQuAD retrieval (MRR@10, NDCG@10, recall@k; cosine) and STS-B spearman (cosine) of one model."""
    scores = {{key.removeprefix("medquad_cosine_"): value for key, value in retrieval(model).items()}}
    out = {{key: scores[key] for key in ("mrr@10", "ndcg@10", "recall@1", "recall@5", "recall@10")}}
    out["sts_spearman_cosine"] = sts(model)[f"{{sts.name}}_spearman_cosine"]
    return out


def main() -> None:
    args = parse_args()

    # 1. Data: NLI triplets (fine-tuning), MedQuAD sentences (TSDAE); MedQuAD QA and STS-B (evaluation)
    train_df, tsdae_df = load_train_rows(args), load_tsdae_rows(args)
    retrieval, sts = medquad_evaluator(args), sts_evaluator(args)
    results = {{}}

    # 2. The base model on MedQuAD retrieval (question → its own answer) and STS-B
    results["base"] = assess(make_model(), retrieval, sts)
    print("before:", results["base"])

    # 3. TSDAE on the MedQuAD sentences ({tsdae_pooling} pooling, a decoder tied to the encoder)
    model = make_model("{tsdae_pooling}")
    torch.manual_seed(SEED)  # the decoder's own weights start from the seed, as in the lab
    loss = {tsdae_loss}
    fit(model, tsdae_df, f"{{args.output_dir}}/checkpoints/tsdae", loss=loss, batch_sampler={tsdae_sampler})
    model.save(f"{{args.output_dir}}/tsdae")

    # 4. Fine-tune the TSDAE model on NLI with the run's loss: the main result
    fit(model, train_df, f"{{args.output_dir}}/checkpoints/tsdae+fine-tune")
    results["TSDAE + fine-tune"] = assess(model, retrieval, sts)
    print("after (TSDAE + fine-tune):", results["TSDAE + fine-tune"])
    model.save(f"{{args.output_dir}}/final")

    # 5. The same fine-tuning from the base model, without TSDAE: the baseline
    model = make_model()
    fit(model, train_df, f"{{args.output_dir}}/checkpoints/fine-tune")
    results["fine-tune only"] = assess(model, retrieval, sts)
    print("after (fine-tune only):", results["fine-tune only"])
    model.save(f"{{args.output_dir}}/fine-tune")

    # 6. Compare on MedQuAD retrieval ({eval_queries} questions, each against {eval_queries} answers) and STS-B
    print(pd.DataFrame(results).T.round(4).to_string())
'''
SCRIPT = (
    _STAGES.replace("{tsdae_rows}", RECIPES["tsdae-medquad"].script)
    .replace("{tsdae_loss}", LOSSES["tsdae"].script)
    .replace("{tsdae_pooling}", LOSSES["tsdae"].pooling or "")
    .replace("{tsdae_sampler}", "TSDAE_SAMPLER")
)


def run(config: RunConfig, ctx: JobContext) -> Finished:
    return run_steps(STEPS, config, ctx)


def _prepare(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """The NLI triplets and the damaged MedQuAD sentences, made once and kept under stages/ for the later steps."""
    knobs = config.recipe_params
    made = {"nli": prepare("nli-triplets", seed=config.seed, max_rows=config.max_train_samples,
                           data_source=config.data_source),
            "medquad": prepare("tsdae-medquad", seed=config.seed, max_rows=int(knobs["tsdae_samples"]),
                               params={"del_ratio": knobs["del_ratio"]})}
    for name, data in made.items():
        data.rows.to_parquet(ctx.run_dir / "stages" / f"{name}.parquet")
        state[name] = {"source": data.source.to_dict(), "counts": data.counts(), "used_rows": data.used_rows}


def _rows(ctx: JobContext, name: str):
    return pd.read_parquet(ctx.run_dir / "stages" / f"{name}.parquet")


def _assess(model, config: RunConfig, ctx: JobContext, state: dict, label: str, phase: str, step: int,
            stage: str) -> dict[str, float]:
    retrieval = medquad_evaluator(int(config.recipe_params["eval_queries"]))
    scores = strip_retrieval(retrieval(model), retrieval.name)
    ctx.emit(Eval(step=step, phase=phase, metrics=scores, stage=stage, model=label))
    sts_scores = evaluate(model, make_evaluator(config.eval_split), ctx, step=step, phase=phase, stage=stage,
                          label=label)  # every reported number is on the whole split
    state.setdefault("results", {})[label] = {
        **scores, "sts_spearman_cosine": sts_scores.get("spearman_cosine", float("nan"))}
    return sts_scores


def _base(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """1. The base model on MedQuAD retrieval and STS-B."""
    ctx.emit(Plan(stages=STAGES, curves=["tsdae", "tsdae+fine-tune", "fine-tune"],
                  series=["TSDAE + fine-tune", "fine-tune only"]))
    ctx.emit(Stage(name="data", message="Preparing MedQuAD sentences and NLI triplets"))
    _prepare(config, ctx, state)  # once, here: a bad source fails before any training
    ctx.emit(Stage(name="eval-base", message="1/5 Evaluating the base model on MedQuAD retrieval"))
    model = load_run_model(config)
    state["before"] = _assess(model, config, ctx, state, "base", "before", 0, "eval-base")
    del model


def _tsdae(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """2. TSDAE on the target domain."""
    unlabelled = state["medquad"]
    ctx.emit(Stage(name="tsdae", message=f"2/5 TSDAE on {unlabelled['used_rows']:,} MedQuAD sentences"))
    tsdae_config = config.replace(loss="tsdae", recipe="tsdae-medquad", recipe_params={}, loss_params={},
                                  matryoshka_dims=[], pooling=None)
    model = load_run_model(tsdae_config)
    stage = fit(model, _rows(ctx, "medquad"), tsdae_config, ctx, stage="tsdae", source=unlabelled["source"],
                row_counts=unlabelled["counts"])
    if stage.cancelled:
        checkpoint(ctx)
    model.save(str(ctx.run_dir / "stages" / "tsdae"))
    del model
    free_memory()


def _tsdae_then_fine_tune(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """3. Supervised fine-tuning of the TSDAE model: the run's main output."""
    supervised = state["nli"]
    ctx.emit(Stage(name="tsdae+fine-tune", message=f"3/5 Fine-tuning the TSDAE model on {supervised['used_rows']:,} "
                                                    "NLI triplets"))
    model = load_model(str(ctx.run_dir / "stages" / "tsdae"), allow_local=True)
    adapted = fit(model, _rows(ctx, "nli"), config, ctx, stage="tsdae+fine-tune", source=supervised["source"],
                  row_counts=supervised["counts"])
    if adapted.cancelled:
        checkpoint(ctx)
    state["after"] = _assess(model, config, ctx, state, "TSDAE + fine-tune", "after", adapted.steps,
                             "tsdae+fine-tune")
    state["adapted"] = {"samples_per_s": adapted.samples_per_s, "train_s": adapted.train_s, "steps": adapted.steps}
    model.save(str(ctx.run_dir / "model"))
    del model
    free_memory()


def _fine_tune_only(config: RunConfig, ctx: JobContext, state: dict) -> None:
    """4. The same fine-tuning without TSDAE."""
    ctx.emit(Stage(name="fine-tune", message="4/5 Fine-tuning the base model on NLI (no TSDAE)"))
    model = load_run_model(config)
    baseline = fit(model, _rows(ctx, "nli"), config, ctx, stage="fine-tune")
    if baseline.cancelled:
        checkpoint(ctx)
    _assess(model, config, ctx, state, "fine-tune only", "after", baseline.steps, "fine-tune")
    model.save(str(ctx.run_dir / "stages" / "fine-tune"))
    del model
    free_memory()


def _compare(config: RunConfig, ctx: JobContext, state: dict) -> Finished:
    """5. Compare."""
    queries = int(config.recipe_params["eval_queries"])
    ctx.emit(Stage(name="compare", message="5/5 Comparing on MedQuAD retrieval"))
    rows = [{"model": label, **{k: round(v, 4) for k, v in scores.items()}}
            for label, scores in state["results"].items()]
    ctx.emit(Table(name="comparison", title="Domain adaptation: MedQuAD question → answer retrieval", rows=rows,
                   note=f"{queries} held-out questions, each must find its own answer among {queries} answers; "
                        f"sts_spearman_cosine is STS-B {config.eval_split}."))
    adapted = state["adapted"]
    return Finished(status="completed", metrics_before=state["before"], metrics_after=state["after"],
                    train_samples_per_s=adapted["samples_per_s"], train_runtime_s=adapted["train_s"],
                    steps=adapted["steps"], model_dir=str(ctx.run_dir / "model"))


# One step per ZeroGPU call: the stages of STAGES. The last needs no GPU (the server runs it); `step_plans` says what
# each step trains, for the GPU seconds its call asks for.
STEPS = [_base, _tsdae, _tsdae_then_fine_tune, _fine_tune_only, _compare]
LOCAL_STEPS = (4,)


def step_plans(config: RunConfig) -> list[RunConfig | None]:
    """The training each step does, as a run whose plan stands for it (None: no training, a short call)."""
    tsdae = config.replace(loss="tsdae", recipe="tsdae-medquad", recipe_params={}, loss_params={}, matryoshka_dims=[],
                           pooling=None, max_train_samples=int(config.recipe_params["tsdae_samples"]))
    return [None, tsdae, config, config, None]
