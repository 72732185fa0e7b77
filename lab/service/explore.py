"""The embedding service behind the Explore tab: load a base or trained model (LRU cache of two), embed sample
sentences, project them, find nearest neighbours and pair similarities. Torch is imported lazily, here only.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lab.charts import scatter_figure
from lab.errors import ExploreError
from lab.host.paths import DATA_DIR
from lab.knobs import whole_number
from lab.models import load_model
from lab.projection import project_2d, umap_2d
from lab.service.access import PRIVATE, may_read
from lab.service.live import store as run_store

DATASETS = ("banking77", "stsb", "nli")
DATASET_LABELS = {"banking77": "Banking77 intents", "stsb": "STS-B pairs (score)", "nli": "NLI pairs (label)"}
NLI_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}
_MODEL_CACHE_SIZE = 2
_SAMPLES = 8  # sentence sets' embeddings kept (maps: 2,000 × 384 floats at most, 3 MB; the neighbour corpus 1.5 MB)



@dataclass(frozen=True)
class Sample:
    texts: list[str]
    color: list[Any]  # a class name per text, or a score
    hover: list[str]
    continuous: bool
    color_title: str


@dataclass(frozen=True)
class ModelRef:
    """What to load: a catalog/Hub model (`base`) or a stored run's trained model."""

    key: str  # cache key
    name: str  # for titles
    model: str  # catalog key or model folder
    pooling: str | None = None
    max_seq_length: int | None = None
    seed: int = 42
    local: bool = False


def refs_for(choice: str, owner: object = None, store=None) -> tuple[ModelRef, ModelRef | None]:
    """(before, after) for a picked item: `run:<id>` gives its base model and its trained model (a private run
    only to its owner), `base:<model>` gives that model alone."""
    if choice.startswith("base:"):
        name = choice.removeprefix("base:")
        return base_ref(name, f"{name}"), None
    run_id = choice.removeprefix("run:")
    if store is None:
        store = run_store()
    record = store.load(run_id, with_events=False)
    if record is None:
        raise ExploreError(f"No stored run '{run_id[:12]}'.")
    if not may_read(record.config, record.meta.get("owner", ""), owner):
        raise ExploreError(PRIVATE)
    model_dir = store.model_dir(run_id)
    if not (model_dir / "modules.json").is_file():
        raise ExploreError(f"Run {run_id[:8]} has no saved model (status: {record.status}).")
    c = record.config
    base = base_ref(c["model"], f"{c['model']} (before)", c.get("pooling"), c.get("max_seq_length"), c.get("seed", 42))
    trained = ModelRef(f"run:{run_id}", f"run {run_id[:6]} (after)", str(model_dir), local=True)
    return base, trained


def base_ref(model: str, name: str, pooling: str | None = None, max_seq_length: int | None = None,
             seed: int = 42) -> ModelRef:
    """A catalog model as it was before training; one key for the same weights, however it was picked."""
    return ModelRef(f"base:{model}:{pooling}:{max_seq_length}:{seed}", name, model, pooling, max_seq_length, seed)


class EmbeddingService:
    def __init__(self, cache_size: int = _MODEL_CACHE_SIZE) -> None:
        self.cache_size = cache_size
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._embedded: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # (model key, texts' digest)
        self._lock = threading.RLock()  # one model load / encode at a time keeps the CPU for training

    def model(self, ref: ModelRef):
        with self._lock:
            if ref.key in self._models:
                self._models.move_to_end(ref.key)
                return self._models[ref.key]
            model = load_model(
                ref.model, pooling=ref.pooling, max_seq_length=ref.max_seq_length, seed=ref.seed, allow_local=ref.local
            )
            model.eval()
            self._models[ref.key] = model
            while len(self._models) > self.cache_size:
                self._models.popitem(last=False)
            return model

    def encode(self, ref: ModelRef, texts: list[str]) -> np.ndarray:
        """(n, dim) unit-length embeddings."""
        with self._lock:
            model = self.model(ref)
            return np.asarray(
                model.encode(
                    texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
                )
            )

    def sample_embeddings(self, ref: ModelRef, texts: list[str]) -> np.ndarray:
        """`encode`, kept for the next use of the same sentences by the same model (a map's sample, the neighbour
        corpus; the newest _SAMPLES of them): a model's weights do not change under its key (a base model, a
        finished run)."""
        key = (ref.key, hashlib.sha1("\x00".join(texts).encode()).hexdigest())
        with self._lock:
            if key in self._embedded:
                self._embedded.move_to_end(key)
                return self._embedded[key]
            embedded = self.encode(ref, texts)
            self._embedded[key] = embedded
            while len(self._embedded) > _SAMPLES:
                self._embedded.popitem(last=False)
            return embedded

    def neighbours(self, ref: ModelRef, query: str, corpus: list[str], k: int = 5) -> pd.DataFrame:
        """Top-k corpus sentences by cosine similarity to `query`."""
        with self._lock:
            emb = self.sample_embeddings(ref, corpus)  # (n, dim)
            q = self.encode(ref, [query])[0]  # (dim,)
        scores = emb @ q
        top = np.argsort(-scores)[:k]
        return pd.DataFrame({"cosine": [round(float(v), 3) for v in scores[top]], "sentence": [corpus[i] for i in top]})

    def similarity(self, ref: ModelRef, a: str, b: str) -> float:
        ea, eb = self.encode(ref, [a, b])
        return float(ea @ eb)


SERVICE = EmbeddingService()


# --- sample sentences ------------------------------------------------------------------------------
def sample_sentences(dataset: str, n: int = 300, seed: int = 0) -> Sample:
    """About `n` sentences from a bundled dataset with a colour per sentence (same sample for the same args)."""
    rng = np.random.default_rng(seed)
    if dataset == "banking77":
        df = pd.read_parquet(DATA_DIR / "banking77_test.parquet")
        top = df["label_text"].value_counts().index[:10]  # 10 intents: enough structure, still readable colours
        per = max(1, n // len(top))
        df = pd.concat(
            [
                g.sample(min(per, len(g)), random_state=seed)
                for _, g in df[df.label_text.isin(top)].groupby("label_text")
            ]
        )
        texts = df["text"].astype(str).tolist()
        labels = df["label_text"].astype(str).tolist()
        return Sample(
            texts, labels, [f"<b>{lab}</b><br>{t}" for t, lab in zip(texts, labels, strict=True)], False, "intent"
        )
    if dataset == "stsb":
        df = pd.read_parquet(DATA_DIR / "stsb_validation.parquet")
        df = df.iloc[rng.permutation(len(df))[: max(1, n // 2)]]
        texts, colors, hover = [], [], []
        for s1, s2, score in df[["sentence1", "sentence2", "score"]].itertuples(index=False):
            for a, b in ((s1, s2), (s2, s1)):
                texts.append(str(a))
                colors.append(float(score))
                hover.append(f"{a}<br><i>pair score {score:.2f}/5 with:</i> {b}")
        return Sample(texts, colors, hover, True, "pair score")
    if dataset == "nli":
        df = pd.read_parquet(DATA_DIR / "snli_validation.parquet")
        df = df[df.label.isin([0, 1, 2])]
        df = df.iloc[rng.permutation(len(df))[:n]]
        texts = df["hypothesis"].astype(str).tolist()
        labels = [NLI_LABELS[int(v)] for v in df["label"]]
        hover = [f"{h}<br><i>{lab} of:</i> {p}" for h, lab, p in zip(texts, labels, df["premise"], strict=True)]
        return Sample(texts, labels, hover, False, "NLI label")
    raise ExploreError(f"Unknown dataset '{dataset}'. Use one of {', '.join(DATASETS)}.")


def neighbour_corpus(size: int = 1000) -> list[str]:
    """Unique STS-B validation sentences: the pool the nearest-neighbour box searches."""
    df = pd.read_parquet(DATA_DIR / "stsb_validation.parquet")
    seen = dict.fromkeys(df["sentence1"].astype(str).tolist() + df["sentence2"].astype(str).tolist())
    return list(seen)[:size]


# --- what the Explore handlers call ---------------------------------------------------------------
def projection_figures(choice: str, dataset: str, n: int = 300, method: str = "umap", seed: int = 0,
                       owner: object = None):
    """Plotly figures of the same sample embedded by the base model and (if a run) the trained model."""
    n = whole_number(n, "Sentences", 10, 2000)
    before, after = refs_for(choice, owner)
    sample = sample_sentences(dataset, n, seed)
    figures = []
    for ref in (before, after):
        if ref is None:
            figures.append(None)
            continue
        xy = project_2d(SERVICE.sample_embeddings(ref, sample.texts), method=method, seed=seed)
        title = f"{ref.name} — {DATASET_LABELS[dataset]}, {method.upper()} of {len(sample.texts)} sentences"
        figures.append(scatter_figure(xy, sample.color, sample.hover, title, sample.color_title, sample.continuous))
    return figures[0], figures[1]


def neighbour_tables(choice: str, query: str, k: int = 5,
                     owner: object = None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    query = (query or "").strip()
    if not query:
        raise ExploreError("Type a sentence to search for.")
    k = whole_number(k, "k", 1, 50)
    before, after = refs_for(choice, owner)
    corpus = neighbour_corpus()
    first = SERVICE.neighbours(before, query[:500], corpus, k)
    second = SERVICE.neighbours(after, query[:500], corpus, k) if after else None
    return first, second


def pair_similarity(choice: str, a: str, b: str, owner: object = None) -> tuple[float, float | None]:
    a, b = (a or "").strip()[:500], (b or "").strip()[:500]
    if not a or not b:
        raise ExploreError("Type two sentences to compare.")
    before, after = refs_for(choice, owner)
    return SERVICE.similarity(before, a, b), (SERVICE.similarity(after, a, b) if after else None)


def prepare(model: str) -> None:
    """What a server does once, in the background, so that the first map after a click is quick: UMAP's numba
    code compiled (on a small random sample: the same functions), and `model`'s embeddings of the Explore tab's
    default sample (Banking77, 300 sentences, seed 0) made."""
    umap_2d(np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32))
    SERVICE.sample_embeddings(base_ref(model, f"{model} (before)"), sample_sentences("banking77", 300, 0).texts)
