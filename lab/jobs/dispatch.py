"""The one place that decides what a job runs: an evaluation, a recipe's multi-stage pipeline, or a plain run.

Recipes only make data; a recipe whose job is a pipeline is named here, beside the pipeline that runs it.
"""

from __future__ import annotations

from types import ModuleType

from lab.config import RunConfig
from lab.events import Finished
from lab.jobs.evaluate import EvalConfig, run_evaluation
from lab.pipelines import augsbert, domain_adapt
from lab.pipelines.steps import run_steps
from lab.store import RunStore
from lab.training.context import JobContext
from lab.training.runner import run_training

# recipe key -> the pipeline its runs execute instead of one training: a module with `run(config, ctx)`, its steps
# (`STEPS`: one ZeroGPU call each) and the template of its generated script (`SCRIPT`)
PIPELINES: dict[str, ModuleType] = {
    "augsbert": augsbert,
    "domain-adapt": domain_adapt,
}


def is_pipeline(recipe: str) -> bool:
    return recipe in PIPELINES


def steps(config: RunConfig) -> int:
    """How many calls a run takes when each of its stages is a call of its own (ZeroGPU): a pipeline's steps, else 1."""
    pipeline = PIPELINES.get(config.recipe)
    return len(pipeline.STEPS) if pipeline is not None else 1


def step_plans(config: RunConfig) -> list[RunConfig | None]:
    """Per call (ZeroGPU): the training whose plan stands for it (None: no training)."""
    pipeline = PIPELINES.get(config.recipe)
    return pipeline.step_plans(config) if pipeline is not None else [config]


def local_step(config: RunConfig, step: int | None) -> bool:
    """Whether a pipeline's step needs no GPU (the server runs it: no call, no quota)."""
    pipeline = PIPELINES.get(config.recipe)
    return pipeline is not None and step in pipeline.LOCAL_STEPS


def run_job(config: RunConfig | EvalConfig, ctx: JobContext, step: int | None = None) -> Finished | None:
    """Run one queued job to its end (raises Cancelled, or the job's own error); with `step`, only that step of a
    pipeline (the state the steps before it stored is read from its run folder): None unless it is the last."""
    if isinstance(config, EvalConfig):
        return run_evaluation(config, ctx, RunStore(ctx.run_dir.parent))
    pipeline = PIPELINES.get(config.recipe)
    if pipeline is not None:
        return pipeline.run(config, ctx) if step is None else run_steps(pipeline.STEPS, config, ctx, step, step + 1)
    return run_training(config, ctx)
