"""The loss registry: key -> LossSpec (formats it takes, knobs, batch sampler, how to build it).

Adding a loss is one entry here. Builders import sentence-transformers lazily so this module (and the
UI that lists losses) stays torch-free at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.config import ConfigError
from lab.knobs import Knob, resolve_knobs


@dataclass(frozen=True)
class BuildContext:
    model: Any  # SentenceTransformer
    params: dict[str, Any]
    num_labels: int | None = None  # for class-label formats
    load_guide: Callable[[], Any] | None = None  # GISTEmbed's guide model, loaded on demand


@dataclass(frozen=True)
class LossSpec:
    key: str
    formats: tuple[str, ...]
    description: str
    build: Callable[[BuildContext], Any]
    knobs: tuple[Knob, ...] = ()
    batch_sampler: str = "batch_sampler"  # "no_duplicates" for in-batch-negative losses
    matryoshka_ok: bool = True
    pooling: str | None = None  # the pooling the method needs (TSDAE: cls), unless the run sets one


def _st_losses():
    from sentence_transformers.sentence_transformer import losses

    return losses


def _softmax(ctx: BuildContext):
    return _st_losses().SoftmaxLoss(
        ctx.model, embedding_dimension=ctx.model.get_embedding_dimension(), num_labels=ctx.num_labels or 3
    )


def _mnrl(ctx: BuildContext):
    return _st_losses().MultipleNegativesRankingLoss(ctx.model, scale=float(ctx.params["scale"]))


def _cached_mnrl(ctx: BuildContext):
    return _st_losses().CachedMultipleNegativesRankingLoss(
        ctx.model, scale=float(ctx.params["scale"]), mini_batch_size=int(ctx.params["mini_batch_size"])
    )


def _gist(ctx: BuildContext):
    guide = ctx.load_guide() if ctx.load_guide else None
    if guide is None:
        raise ConfigError("gist needs a guide model, and none could be loaded.")
    return _st_losses().GISTEmbedLoss(ctx.model, guide=guide, temperature=float(ctx.params["temperature"]))


def _tsdae(ctx: BuildContext):
    """DenoisingAutoEncoderLoss with the decoder tied to the encoder.

    The loss builds its decoder from the encoder's folder (`config._name_or_path`); a model built in
    memory (tiny-bert) has none, so its transformer is saved to a temporary folder first.
    """
    import os
    import tempfile

    model = ctx.model
    config = model.transformers_model.config
    if os.path.isdir(config._name_or_path):
        return _st_losses().DenoisingAutoEncoderLoss(model, tie_encoder_decoder=True)
    with tempfile.TemporaryDirectory(prefix="lab-tsdae-") as folder:
        model[0].save(folder)
        config._name_or_path = folder
        return _st_losses().DenoisingAutoEncoderLoss(model, tie_encoder_decoder=True)


def _triplet(ctx: BuildContext):
    return _st_losses().TripletLoss(ctx.model, triplet_margin=float(ctx.params["margin"]))


_SCALE = Knob("scale", 20.0, 1.0, 100.0, "Inverse temperature on cosine similarities (higher = sharper softmax).")

LOSSES: dict[str, LossSpec] = {
    s.key: s
    for s in (
        LossSpec(
            "softmax",
            ("pair-class",),
            "SoftmaxLoss: a classifier on (u, v, |u−v|) predicts the NLI label; embeddings learn as a side effect.",
            _softmax,
            matryoshka_ok=False,
        ),
        LossSpec(
            "cosine",
            ("pair-score",),
            "CosineSimilarityLoss: regresses cos(u, v) onto the gold score with mean squared error.",
            lambda ctx: _st_losses().CosineSimilarityLoss(ctx.model),
        ),
        LossSpec(
            "cosent",
            ("pair-score",),
            "CoSENT: ranks pairs — every pair with a higher gold score must get a higher cosine.",
            lambda ctx: _st_losses().CoSENTLoss(ctx.model, scale=float(ctx.params["scale"])),
            (_SCALE,),
        ),
        LossSpec(
            "angle",
            ("pair-score",),
            "AnglE: CoSENT's ranking objective on angle differences in complex space (no cosine saturation).",
            lambda ctx: _st_losses().AnglELoss(ctx.model, scale=float(ctx.params["scale"])),
            (_SCALE,),
        ),
        LossSpec(
            "mnrl",
            ("triplet", "pair"),
            "MNRL (InfoNCE): pick each anchor's positive among all positives and negatives in the batch.",
            _mnrl,
            (_SCALE,),
            batch_sampler="no_duplicates",
        ),
        LossSpec(
            "cached-mnrl",
            ("triplet", "pair"),
            "Cached MNRL (GradCache): the same objective with big batches in small memory, via mini-batches.",
            _cached_mnrl,
            (_SCALE, Knob("mini_batch_size", 16, 1, 4096, "Rows embedded at once; memory, not the result.", True)),
            batch_sampler="no_duplicates",
        ),
        LossSpec(
            "gist",
            ("triplet", "pair"),
            "GISTEmbed: MNRL where a guide model (bundled MiniLM) masks likely false in-batch negatives.",
            _gist,
            (Knob("temperature", 0.01, 0.001, 1.0, "Softmax temperature on similarities."),),
            batch_sampler="no_duplicates",
        ),
        LossSpec(
            "triplet",
            ("triplet",),
            "TripletLoss: anchor–positive distance must beat anchor–negative distance by a margin (euclidean).",
            _triplet,
            (Knob("margin", 5.0, 0.0, 100.0, "Required gap between negative and positive distance."),),
        ),
        LossSpec(
            "tsdae",
            ("denoise",),
            "TSDAE (DenoisingAutoEncoderLoss): a tied decoder rebuilds the sentence from the damaged one's embedding.",
            _tsdae,
            matryoshka_ok=False,
            pooling="cls",
        ),
    )
}


def fitting_losses(format_key: str) -> list[str]:
    return [k for k, s in LOSSES.items() if format_key in s.formats]


def check_fit(recipe_key: str, loss_key: str) -> None:
    """Raise ConfigError, naming the recipes that would fit, when the loss can't take the recipe's data."""
    from lab.recipes import RECIPES

    fmt = RECIPES[recipe_key].format_key
    spec = LOSSES[loss_key]
    if fmt not in spec.formats:
        fits = [k for k, r in RECIPES.items() if r.format_key in spec.formats]
        raise ConfigError(
            f"The '{loss_key}' loss takes {' or '.join(spec.formats)} data, but recipe '{recipe_key}' gives "
            f"{fmt} data. Recipes that fit '{loss_key}': {', '.join(fits) or 'none yet'}. "
            f"Losses that fit '{recipe_key}': {', '.join(fitting_losses(fmt))}."
        )


def resolve_params(loss_key: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults, coerce types and range-check the knobs of one loss; unknown knobs are an error."""
    return resolve_knobs(f"loss '{loss_key}'", LOSSES[loss_key].knobs, params)
