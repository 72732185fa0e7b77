"""A loss duel: one click queues runs that differ only in the loss — the same base model, source data, seed (so the
same batch order), sizes and evaluation schedule — and reads them back as one comparison. A loss that cannot take
the run's data format trains on the NLI recipe that gives its format (the chapter's way: Softmax on 3 classes,
Cosine on entailment scores, MNRL on triplets — the same NLI pairs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab import charts
from lab.config import RunConfig
from lab.errors import ConfigError
from lab.jobs.dispatch import is_pipeline
from lab.losses import LOSSES
from lab.recipes import RECIPES
from lab.service.live import manager, require_owner, snapshot

TITLE = "Loss duel (Compare tab)"
LEARN = ("Runs that differ only in the loss — same base, data, seed, batch order and evaluation schedule — side by "
         "side: STS-B spearman, alignment and uniformity against step, examples seen or wall-clock, never the loss "
         "values, which share no scale. Below, the STS-B pairs one loss ranks where the humans do and the other "
         "does not: where the losses really differ.")
NLI_RECIPE = {"pair-class": "nli-3class", "pair-score": "nli-scores", "triplet": "nli-triplets"}
MAX_LOSSES = 3
DUEL_EVAL_STEPS = 10  # a run without a live curve gets one: a duel is read from its curves


def duel_losses() -> list[str]:
    """The losses a duel can use: those that an NLI recipe can feed."""
    return [k for k, spec in LOSSES.items() if any(f in NLI_RECIPE for f in spec.formats)]


def duel_configs(config: RunConfig, losses: list[str]) -> list[RunConfig]:
    """One config per loss, changing only the loss (and, where its format needs it, the NLI recipe)."""
    losses = list(dict.fromkeys(losses or []))
    if not 2 <= len(losses) <= MAX_LOSSES:
        raise ConfigError(f"Pick 2 to {MAX_LOSSES} losses for a duel.")
    if is_pipeline(config.recipe):
        raise ConfigError(f"'{config.recipe}' is a pipeline of several trainings: duel a plain run.")
    out = []
    for loss in losses:
        if loss not in LOSSES:
            raise ConfigError(f"Unknown loss '{loss}'.")
        recipe = config.recipe
        if RECIPES[recipe].format_key not in LOSSES[loss].formats:
            recipe = next((NLI_RECIPE[f] for f in LOSSES[loss].formats if f in NLI_RECIPE), "")
            if not recipe or RECIPES[config.recipe].uses_upload or not config.recipe.startswith("nli-"):
                raise ConfigError(f"The '{loss}' loss cannot take the data of recipe '{config.recipe}'; duel losses "
                                  "that fit it, or start from an NLI run.")
        out.append(config.replace(loss=loss, recipe=recipe, loss_params={}, matryoshka_dims=(),
                                  upload_id=config.upload_id if recipe == config.recipe else "",
                                  eval_steps=config.eval_steps or DUEL_EVAL_STEPS, label=f"duel · {loss}"))
    return out


def start_duel(run_id: str | None, losses: list[str], owner: str | None) -> list[str]:
    """Queue the duel of a run this browser may read, as one request of its owner's."""
    snap = snapshot(run_id, owner)
    if snap is None:
        raise ConfigError("Pick a run to take the settings from.")
    if snap.config.get("kind", "training") != "training":
        raise ConfigError("Pick a training run, not an evaluation.")
    configs = duel_configs(RunConfig.from_dict({k: v for k, v in snap.config.items() if k != "kind"}), losses)
    return manager().submit_all(configs, owner=require_owner(owner))


@dataclass(frozen=True)
class DuelView:
    figure: Any
    text: str
    a_not_b: list[dict[str, Any]]
    b_not_a: list[dict[str, Any]]
    live: bool


def duel_view(run_ids: list[str], x: str = "step", owner: str | None = None) -> DuelView:
    snaps = [s for s in (snapshot(r, owner) for r in run_ids or []) if s is not None]
    runs = [(charts.run_label(s.run_id, s.config), list(s.events), int(s.config.get("batch_size") or 1))
            for s in snaps]
    live = any(s.status in ("queued", "running") for s in snaps)
    if len(snaps) < 2:
        return DuelView(None, "", [], [], live)
    a, b = runs[0], runs[1]
    text = [f"A = {a[0]}, B = {b[0]}. " + ("Training…" if live else "")]
    counted = charts.duel.counts(a[1], b[1])
    if counted:
        both, only_a, only_b = counted
        text.append(f"Of the STS-B pairs, {both:,} are placed right by both (rank within 10 % of gold), {only_a:,} "
                    f"by A only and {only_b:,} by B only.")
    a_not_b, b_not_a = charts.duel.differences(a[1], b[1])
    return DuelView(charts.duel.figure(runs, x), " ".join(text), a_not_b, b_not_a, live)
