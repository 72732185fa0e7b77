"""Training speed on a GPU: the chapter's two runs at its size, as the lab trains them, against the seed's T4 figures.

The chapter (T4, 1 epoch, batch 32) trained bert-base-uncased with SoftmaxLoss at 134 samples/s and MiniLM with MNRL
at 426 samples/s. Here each case trains through the lab's own `fit` (lab/training/runner.py: the trainer, sampler,
packing and precision a run uses) on the bundled NLI data, in fp16 (what the lab uses on CUDA) and in bf16.

Weights: samples per second depend on the model's shapes and the data's token lengths, not on the weights' values,
and the device machine has no Hub: so bert-base-uncased (768-d, 12 layers, 110M parameters) and all-MiniLM-L6-v2
(384-d, 6 layers) are built from their published configurations with random weights, with their shared uncased
WordPiece vocabulary (the lab's plain BERT folder carries it), and mean pooling. The STS-B scores of these runs mean
nothing and are not reported.

On the device machine (no network; it lacks `datasets`, which the trainer needs: carry its wheels), from the repo:
    echo /.whl/ >> .git/info/exclude   # once, here
    pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \\
        datasets==<its version in .venv> dill multiprocess xxhash   # the versions .venv has
    device run, carry [".whl"]:
        python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site;
        PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 python3 bench/gpu.py --out $OUT
Here (no GPU), `--dry-run` runs the same code on the CPU at toy sizes, to check it before device time is spent.
Writes bench/results/gpu.{json,md} (on the device: into --out, to bring back).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, save  # noqa: E402

T4 = {"softmax-bert-base": 134.0, "mnrl-minilm": 426.0}  # the chapter's samples/s on a T4 (issue #15)
SHAPES = {  # the published configurations of the two models (hidden size, layers, heads, feed-forward size)
    "bert-base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    "minilm": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
}
CASES = {  # name: (shape, recipe, loss, max_seq_length)
    "softmax-bert-base": ("bert-base", "nli-3class", "softmax", 512),
    "mnrl-minilm": ("minilm", "nli-triplets", "mnrl", 256),
}


def build_model(shape: str, max_seq_length: int, seed: int, folder: Path):
    """A model of `shape` with random weights, the uncased WordPiece vocabulary and mean pooling."""
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    from lab.host.paths import plain_model_dir

    vocab = plain_model_dir()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        BertModel(BertConfig(vocab_size=30522, max_position_embeddings=512, **SHAPES[shape])).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(vocab / name, folder / name)
    word = Transformer(str(folder), max_seq_length=max_seq_length)
    return SentenceTransformer(modules=[word, Pooling(word.get_embedding_dimension(), "mean")])


def run_case(case: str, precision: str, rows: int | None, seed: int) -> dict:
    """One training of `case` through the lab's fit(), in `precision` (fp16 or bf16 on CUDA; fp32 on a CPU)."""
    import torch

    from lab.config import RunConfig
    from lab.recipes import prepare
    from lab.training import runner, setup
    from lab.training.context import JobContext

    shape, recipe, loss, max_len = CASES[case]
    data = prepare(recipe, seed=seed, max_rows=rows, data_source="offline").rows
    config = RunConfig(model="tiny-bert", recipe=recipe, loss=loss, batch_size=32, lr=2e-5, epochs=1.0, seed=seed,
                       max_train_samples=rows, data_source="offline", eval_steps=0, views=False)
    cuda = torch.cuda.is_available()
    made = setup.training_args

    def args(*a, **k):  # the lab's arguments, with bf16 in place of its fp16 when asked
        built = made(*a, **k)
        if cuda and precision == "bf16":
            built.fp16, built.bf16 = False, True
        return built

    setup.training_args = runner.training_args = args
    try:
        with tempfile.TemporaryDirectory() as scratch:
            model = build_model(shape, max_len, seed, Path(scratch) / "model")
            ctx = JobContext("0" * 24, Path(scratch), lambda event: None, threading.Event())
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            result = runner.fit(model, data, config, ctx)
            peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    finally:
        setup.training_args = runner.training_args = made
    return {"case": case, "precision": precision if cuda else "fp32", "rows": len(data), "steps": result.steps,
            "train_s": result.train_s, "samples_per_s": result.samples_per_s,
            "t4_samples_per_s": T4[case], "ratio_vs_t4": result.samples_per_s / T4[case], "peak_gib": peak}


def _gib(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--precisions", default="fp16,bf16")
    parser.add_argument("--rows", type=int, default=None, help="training rows per case (default: every bundled row)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dry-run", action="store_true", help="CPU, 64 rows: checks the script, measures nothing")
    parser.add_argument("--out", type=Path, help="also write gpu.json and gpu.md here (the device's $OUT)")
    args = parser.parse_args()
    import torch

    if args.dry_run:
        args.rows, args.precisions = 64, "fp32"
    elif not torch.cuda.is_available():
        raise SystemExit("No GPU here: bench/gpu.py measures a GPU (use --dry-run to check it on a CPU).")
    results = []
    for case in args.cases.split(","):
        for precision in args.precisions.split(","):
            results.append(run_case(case, precision, args.rows, args.seed))
            print(json.dumps(results[-1]), flush=True)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU (dry run)"
    import sentence_transformers
    import transformers

    summary = {"device": device, "date": time.strftime("%Y-%m-%d %H:%M"), "dry_run": args.dry_run,
               "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                            "sentence-transformers": sentence_transformers.__version__}, "results": results}
    lines = [
        "# Training speed on a GPU: the chapter's runs against its T4 figures",
        "",
        f"`python bench/gpu.py`, {summary['date']}, {device}; torch {torch.__version__}, transformers "
        f"{transformers.__version__}, sentence-transformers {sentence_transformers.__version__}. The lab's own "
        "training (lab/training/runner.py `fit`), batch 32, 1 epoch over the bundled NLI data, models of the chapter's "
        "shapes with random weights (see the script's docstring for why that measures the same speed).",
        "",
        "| case | precision | rows | samples/s | T4 (chapter) | × T4 | peak GPU memory |",
        "|---|---|---:|---:|---:|---:|---:|",
        *[f"| {r['case']} | {r['precision']} | {r['rows']:,} | {r['samples_per_s']:.0f} | {r['t4_samples_per_s']:.0f} "
          f"| {r['ratio_vs_t4']:.1f} | {_gib(r['peak_gib'])} |" for r in results],
    ]
    if args.dry_run:
        lines += ["", "A dry run on a CPU at 64 rows: it checks the script; its numbers measure nothing."]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu.json").write_text(json.dumps(summary, indent=1))
        (args.out / "gpu.md").write_text("\n".join(lines) + "\n")
    if not args.dry_run:
        save("gpu", summary, lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
