"""The only place a model is constructed: the bundled MiniLM, Hub ids, a tiny random BERT, saved runs.

`check_model` is cheap (no torch) and gives the user-facing error; `load_model` builds the model.
`trust_remote_code` is never enabled.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.errors import ModelError
from lab.host.hub import hub_available
from lab.host.paths import bundled_model_dir, plain_model_dir
from lab.host.zerogpu import cuda_allowed


@dataclass(frozen=True)
class ModelEntry:
    key: str
    kind: str  # "bundled" | "plain" (bundled, MLM only) | "hub-plain" | "hub" | "tiny" | "local"
    description: str
    hub_id: str = ""
    dim: int | None = None  # embedding size, when known without loading the model


CATALOG: dict[str, ModelEntry] = {
    e.key: e
    for e in (
        ModelEntry(
            "all-MiniLM-L6-v2",
            "bundled",
            "Pretrained embedder (22.7M params, 384-d), bundled: fine-tuning starts from a good model.",
            "sentence-transformers/all-MiniLM-L6-v2",
            384,
        ),
        ModelEntry(
            "bert-base-uncased",
            "hub-plain",
            "Plain BERT (110M) + mean pooling: training an embedder 'from scratch' as in the chapter. Needs the Hub.",
            "google-bert/bert-base-uncased",
            768,
        ),
        ModelEntry(
            "lab-plain-bert",
            "plain",
            "Plain BERT the lab pretrained itself (masked-language modelling only; 4.4M params, the random tiny "
            "BERT's shape) + mean pooling: the chapter's 'from a plain pretrained model', offline and on a CPU.",
            dim=128,
        ),
        *(ModelEntry(f"google/bert_uncased_{size}", "hub-plain",
                     f"Google's small plain BERT ({params}) + mean pooling: the chapter's lesson sized for a CPU. "
                     "Needs the Hub.", f"google/bert_uncased_{size}", dim)
          for size, params, dim in (("L-4_H-256_A-4", "11M", 256), ("L-4_H-512_A-8", "29M", 512),
                                    ("L-8_H-512_A-8", "41M", 512))),
        ModelEntry(
            "tiny-bert",
            "tiny",
            "A 2-layer randomly initialised BERT (4.4M params) with the bundled vocabulary: quick CPU demos and tests.",
            dim=128,
        ),
    )
}
ALIASES = {
    "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2",
    "google-bert/bert-base-uncased": "bert-base-uncased",
}
BUNDLED_HINT = ("Use the bundled 'all-MiniLM-L6-v2' (a trained embedder), 'lab-plain-bert' (a plain pretrained "
                "BERT) or 'tiny-bert' (random weights) instead.")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?$")


def _allow_list() -> set[str] | None:
    raw = os.environ.get("LAB_MODEL_ALLOWLIST", "").strip()
    return {x.strip() for x in raw.split(",") if x.strip()} if raw else None


def check_model(name: str, *, allow_local: bool = False, check_hub: bool = True) -> ModelEntry:
    """Resolve a model name to a catalog entry, a Hub id or (CLI only) a local folder — or raise ModelError."""
    name = (name or "").strip()
    if not name:
        raise ModelError("No model given. " + BUNDLED_HINT)
    key = ALIASES.get(name, name)
    allowed = _allow_list()
    if allowed is not None and key not in allowed and name not in allowed and key not in CATALOG:
        raise ModelError(f"Model '{name}' is not on this server's allow-list ({', '.join(sorted(allowed))}).")
    if key in CATALOG:
        entry = CATALOG[key]
        if entry.kind == "hub-plain" and check_hub and not hub_available():
            raise ModelError(
                f"'{name}' is downloaded from the Hugging Face Hub, which is not reachable here. {BUNDLED_HINT}"
            )
        return entry
    if allow_local and Path(name).is_dir():
        if not (Path(name) / "modules.json").is_file() and not (Path(name) / "config.json").is_file():
            raise ModelError(f"'{name}' is a folder, but not a saved model (no modules.json or config.json in it).")
        return ModelEntry(str(Path(name).resolve()), "local", "A model folder on disk.")
    if len(name) > 193 or ".." in name or not _HUB_ID.fullmatch(name):
        hint = " (local folders are accepted only from the command line)" if "/" in name or "\\" in name else ""
        raise ModelError(
            f"'{name[:80]}' is not a known model or a valid Hub model id{hint}. Known: {', '.join(CATALOG)}; "
            "Hub ids look like 'owner/name'."
        )
    if not check_hub:
        return ModelEntry(name, "hub", "A Hugging Face Hub model.", name)
    if not hub_available():
        raise ModelError(f"'{name}' would come from the Hugging Face Hub, which is not reachable here. {BUNDLED_HINT}")
    try:
        from huggingface_hub import model_info

        model_info(name, timeout=10)
    except Exception as exc:
        raise ModelError(f"Model '{name}' was not found on the Hugging Face Hub ({type(exc).__name__}).") from None
    return ModelEntry(name, "hub", "A Hugging Face Hub model.", name)


def embedding_dim(entry: ModelEntry) -> int | None:
    """The model's embedding size without loading it: from the catalog, or a saved folder's pooling config."""
    if entry.dim is not None or entry.kind != "local":
        return entry.dim
    try:
        pooling = next(Path(entry.key).glob("*_Pooling/config.json"), None)
        return int(json.loads(pooling.read_text(encoding="utf-8"))["word_embedding_dimension"]) if pooling else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_matryoshka(entry: ModelEntry, dims: tuple[int, ...]) -> None:
    """Matryoshka dimensions must fit the model's embedding (checked before a run is queued, when the size is
    known without loading; otherwise the run checks it when the model is loaded)."""
    size = embedding_dim(entry)
    too_big = [d for d in dims if size is not None and d > size]
    if too_big:
        raise ModelError(f"Matryoshka dimensions {', '.join(map(str, too_big))} are larger than the embedding of "
                         f"'{entry.key}' ({size} dimensions). Use dimensions up to {size}, e.g. {size},{size // 2}.")


def load_model(
    name: str,
    *,
    pooling: str | None = None,
    max_seq_length: int | None = None,
    seed: int = 0,
    device: str | None = None,
    allow_local: bool = False,
):
    """Build a SentenceTransformer for `name`, with the pooling and sequence length asked for."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    entry = check_model(name, allow_local=allow_local)
    device = device or (None if cuda_allowed() else "cpu")  # on ZeroGPU, outside a GPU call: never CUDA
    if entry.kind == "bundled":
        model = SentenceTransformer(str(bundled_model_dir()), device=device, trust_remote_code=False)
    elif entry.kind == "local":
        model = SentenceTransformer(entry.key, device=device, trust_remote_code=False, local_files_only=True)
    elif entry.kind == "hub":
        model = SentenceTransformer(entry.hub_id, device=device, trust_remote_code=False)
    elif entry.kind == "plain":  # fp16 on disk (small enough for a Space without LFS); trained in fp32
        import torch

        word = Transformer(str(plain_model_dir()), model_kwargs={"dtype": torch.float32, "trust_remote_code": False})
        model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")], device=device)
    elif entry.kind == "hub-plain":
        word = Transformer(entry.hub_id, model_kwargs={"trust_remote_code": False})
        model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")], device=device)
    else:  # tiny
        word = _tiny_transformer(seed)
        model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")], device=device)
    if pooling:
        _set_pooling(model, pooling)
    if max_seq_length:
        model.max_seq_length = max_seq_length
    return model


def _set_pooling(model, mode: str) -> None:
    from sentence_transformers.sentence_transformer.modules import Pooling

    for idx, module in enumerate(model):
        if isinstance(module, Pooling):
            model._modules[str(idx)] = Pooling(module.embedding_dimension, mode)
            return
    raise ModelError("This model has no pooling layer to change.")


def tiny_bert_config():
    """tiny-bert's shape: 2 layers, 128-d, the bundled MiniLM's vocabulary (lab-plain-bert is pretrained in it)."""
    from transformers import BertConfig

    vocab_size = len((bundled_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines())
    return BertConfig(vocab_size=vocab_size, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=512, max_position_embeddings=512)


def _tiny_transformer(seed: int):
    """A 2-layer, 128-d BERT with random weights (seeded) and the bundled MiniLM's vocabulary."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Transformer
    from transformers import BertModel

    src = bundled_model_dir()
    config = tiny_bert_config()
    tmp = Path(tempfile.mkdtemp(prefix="lab-tiny-bert-"))
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            BertModel(config).save_pretrained(tmp)
        for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(src / f, tmp / f)
        return Transformer(str(tmp), max_seq_length=128)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
