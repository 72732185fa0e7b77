"""The one place that decides what a job runs: an evaluation, a recipe's multi-stage pipeline, or a plain run.

Recipes only make data; a recipe whose job is a pipeline is named here, beside the pipeline that runs it.
"""

from __future__ import annotations

from types import ModuleType

from lab.config import RunConfig
from lab.events import Finished
from lab.jobs.evaluate import EvalConfig, run_evaluation
from lab.pipelines import augsbert, domain_adapt
from lab.store import RunStore
from lab.training.context import JobContext
from lab.training.runner import run_training

# recipe key -> the pipeline its runs execute instead of one training: a module with `run(config, ctx)` and the
# template of its generated script (`SCRIPT`)
PIPELINES: dict[str, ModuleType] = {
    "augsbert": augsbert,
    "domain-adapt": domain_adapt,
}


def is_pipeline(recipe: str) -> bool:
    return recipe in PIPELINES


def run_job(config: RunConfig | EvalConfig, ctx: JobContext) -> Finished:
    """Run one queued job to its end (raises Cancelled, or the job's own error)."""
    if isinstance(config, EvalConfig):
        return run_evaluation(config, ctx, RunStore(ctx.run_dir.parent))
    pipeline = PIPELINES.get(config.recipe)
    if pipeline is not None:
        return pipeline.run(config, ctx)
    return run_training(config, ctx)
