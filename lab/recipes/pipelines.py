"""`augsbert` and `domain-adapt`: recipes whose job is a multi-stage pipeline (see lab/pipelines/).

Their rows and transform are those of the supervised stage, so previews and loss checks work as for
any recipe; the pipeline function does the rest.
"""

from __future__ import annotations

from lab.pipelines import augsbert, domain_adapt
from lab.recipes import nli_scores, nli_triplets
from lab.recipes.base import Recipe
from lab.sources import load_nli

AUGSBERT = Recipe(
    "augsbert",
    "pair-score",
    "Augmented SBERT: a cross-encoder trained on gold pairs labels silver pairs; bi-encoder on gold+silver vs gold.",
    load_nli,
    lambda rows, seed, **knobs: nli_scores.transform(rows, seed),
    knobs=augsbert.KNOBS,
    pipeline=augsbert.run,
)

DOMAIN_ADAPT = Recipe(
    "domain-adapt",
    "triplet",
    "Domain adaptation: TSDAE on MedQuAD, then fine-tuning on NLI; vs fine-tuning alone, on MedQuAD retrieval.",
    load_nli,
    lambda rows, seed, **knobs: nli_triplets.transform(rows, seed),
    knobs=domain_adapt.KNOBS,
    pipeline=domain_adapt.run,
)
