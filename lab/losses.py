"""The loss registry: key -> LossSpec (formats it takes, knobs, batch sampler, how to build it, what the Learn
tab says of it, and its line in the generated training script).

Adding a loss is one entry here: the form, the CLI, the Learn tab and "Show code" all read it. Builders import
sentence-transformers lazily so this module (and the UI that lists losses) stays torch-free at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.errors import ConfigError
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
    details: str = ""  # what it computes, for the Learn tab (the description is the fallback)
    script: str = ""  # "Show code": the loss as a sentence-transformers expression; {knob} fills in a knob value


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
            details="Concatenates (u, v, |u−v|), a linear layer predicts entailment/neutral/contradiction, "
                    "cross-entropy. The original SBERT objective; the classifier is thrown away afterwards.",
            script="losses.SoftmaxLoss(\n        model, embedding_dimension=model.get_embedding_dimension(), "
                   "num_labels=int(train_df['label'].max()) + 1\n    )",
        ),
        LossSpec(
            "cosine",
            ("pair-score",),
            "CosineSimilarityLoss: regresses cos(u, v) onto the gold score with mean squared error.",
            lambda ctx: _st_losses().CosineSimilarityLoss(ctx.model),
            details="Mean squared error between cos(u, v) and the gold score (0–1).",
            script="losses.CosineSimilarityLoss(model)",
        ),
        LossSpec(
            "cosent",
            ("pair-score",),
            "CoSENT: ranks pairs — every pair with a higher gold score must get a higher cosine.",
            lambda ctx: _st_losses().CoSENTLoss(ctx.model, scale=float(ctx.params["scale"])),
            (_SCALE,),
            details="For every two pairs in the batch where pair i has a higher gold score than pair j, penalises "
                    "cos_j > cos_i: log(1 + Σ exp(scale·(cos_j − cos_i))). Only the *order* of similarities matters.",
            script="losses.CoSENTLoss(model, scale={scale})",
        ),
        LossSpec(
            "angle",
            ("pair-score",),
            "AnglE: CoSENT's ranking objective on angle differences in complex space (no cosine saturation).",
            lambda ctx: _st_losses().AnglELoss(ctx.model, scale=float(ctx.params["scale"])),
            (_SCALE,),
            details="CoSENT's ranking objective computed on angle differences in complex space, which keeps "
                    "gradients alive where the cosine saturates near ±1.",
            script="losses.AnglELoss(model, scale={scale})",
        ),
        LossSpec(
            "mnrl",
            ("triplet", "pair"),
            "MNRL (InfoNCE): pick each anchor's positive among all positives and negatives in the batch.",
            _mnrl,
            (_SCALE,),
            batch_sampler="no_duplicates",
            details="For anchor i, a softmax over scale·cos(anchor_i, candidate_j) across all positives (and hard "
                    "negatives) in the batch; cross-entropy with the right answer j = i (InfoNCE).",
            script="losses.MultipleNegativesRankingLoss(model, scale={scale})",
        ),
        LossSpec(
            "cached-mnrl",
            ("triplet", "pair"),
            "Cached MNRL (GradCache): the same objective with big batches in small memory, via mini-batches.",
            _cached_mnrl,
            (_SCALE, Knob("mini_batch_size", 16, 1, 4096, "Rows embedded at once; memory, not the result.", True)),
            batch_sampler="no_duplicates",
            details="The same loss as MNRL, computed with GradCache: embeddings are first computed in mini-batches "
                    "without gradients, then gradients are back-propagated chunk by chunk. Big batches, small memory.",
            script="losses.CachedMultipleNegativesRankingLoss(model, scale={scale}, mini_batch_size={mini_batch_size})",
        ),
        LossSpec(
            "gist",
            ("triplet", "pair"),
            "GISTEmbed: MNRL where a guide model (bundled MiniLM) masks likely false in-batch negatives.",
            _gist,
            (Knob("temperature", 0.01, 0.001, 1.0, "Softmax temperature on similarities."),),
            batch_sampler="no_duplicates",
            details="MNRL, but a guide model (here the bundled MiniLM) scores the in-batch candidates; negatives the "
                    "guide finds more similar to the anchor than the positive are masked out as likely false "
                    "negatives.",
            script="losses.GISTEmbedLoss(model, guide=SentenceTransformer(MINILM), temperature={temperature})",
        ),
        LossSpec(
            "triplet",
            ("triplet",),
            "TripletLoss: anchor–positive distance must beat anchor–negative distance by a margin (euclidean).",
            _triplet,
            (Knob("margin", 0.5, 0.0, 10.0, "Required gap between the negative's and the positive's euclidean "
                  "distance to the anchor. Unit-length embeddings (MiniLM's) are at most 2 apart, so a margin near "
                  "2 or more can never be met and the loss stays near its margin."),),
            details="max(0, ‖a − p‖ − ‖a − n‖ + margin) with euclidean distance: the negative must be further than "
                    "the positive by at least the margin.",
            script="losses.TripletLoss(model, triplet_margin={margin})",
        ),
        LossSpec(
            "tsdae",
            ("denoise",),
            "TSDAE (DenoisingAutoEncoderLoss): a tied decoder rebuilds the sentence from the damaged one's embedding.",
            _tsdae,
            matryoshka_ok=False,
            pooling="cls",
            details="The encoder embeds the damaged sentence (CLS pooling); a decoder whose weights are tied to the "
                    "encoder must rebuild the original sentence from that one vector (cross-entropy per token).",
            script="losses.DenoisingAutoEncoderLoss(model, tie_encoder_decoder=True)",
        ),
    )
}


def fitting_losses(format_key: str) -> list[str]:
    return [k for k, s in LOSSES.items() if format_key in s.formats]


def resolve_params(loss_key: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Fill defaults, coerce types and range-check the knobs of one loss; unknown knobs are an error."""
    return resolve_knobs(f"loss '{loss_key}'", LOSSES[loss_key].knobs, params)
