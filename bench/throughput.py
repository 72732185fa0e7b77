"""Training throughput: the lab's runner vs a plain sentence-transformers script, same model/data/loss/seed.

Each variant runs in its own process, interleaved over repetitions so that a noisy, shared machine
hurts both alike. Writes bench/results/throughput.json and .md. Usage:
    .venv/bin/python bench/throughput.py [--samples 512] [--batch-size 32] [--reps 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VARIANTS = ("plain", "lab-random-batches", "lab")


def plain_worker(args) -> dict:
    """What a user would write from the sentence-transformers docs (the chapter's MNRL recipe)."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
    from sentence_transformers import SentenceTransformerTrainingArguments as Args
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from lab.evaluation.sts import evaluate_sts
    from lab.host.paths import bundled_model_dir
    from lab.recipes import prepare

    rows = prepare("nli-triplets", seed=args.seed, max_rows=args.samples, data_source="offline").rows
    model = SentenceTransformer(str(bundled_model_dir()))
    with tempfile.TemporaryDirectory() as out:
        trainer = SentenceTransformerTrainer(
            model=model,
            args=Args(output_dir=out, num_train_epochs=1, per_device_train_batch_size=args.batch_size,
                      learning_rate=2e-5, warmup_steps=0.1, seed=args.seed, data_seed=args.seed,
                      batch_sampler=BatchSamplers.NO_DUPLICATES, logging_steps=5, save_strategy="no",
                      report_to="none", disable_tqdm=True),
            train_dataset=Dataset.from_pandas(rows, preserve_index=False),
            loss=MultipleNegativesRankingLoss(model),
        )
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
    return {"samples_per_s": len(rows) / seconds, "train_s": seconds,
            "spearman_cosine": evaluate_sts(model)["spearman_cosine"]}


def lab_worker(args, group_by_length: bool) -> dict:
    from lab.config import RunConfig
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    with tempfile.TemporaryDirectory() as runs:
        manager = JobManager(RunStore(runs))
        config = RunConfig(model="all-MiniLM-L6-v2", recipe="nli-triplets", loss="mnrl", max_train_samples=args.samples,
                           batch_size=args.batch_size, seed=args.seed, data_source="offline",
                           group_by_length=group_by_length)
        run_id = manager.submit(config)
        status = manager.wait(run_id)
        finished = manager.snapshot(run_id).events[-1]
        if status != "completed":
            raise SystemExit(f"lab run {status}: {manager.snapshot(run_id).message}")
    return {"samples_per_s": finished.train_samples_per_s, "train_s": finished.train_runtime_s,
            "spearman_cosine": finished.metrics_after["spearman_cosine"]}


def run_variant(variant: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, "--samples", str(args.samples),
           "--batch-size", str(args.batch_size), "--seed", str(args.seed)]
    # LAB_TRAIN_NICE=0: the lab's worker would otherwise run at a lower priority than the plain script.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "LAB_TRAIN_NICE": "0"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(f"{variant} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--worker", choices=VARIANTS)
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--reps", type=int, default=2)
    args = p.parse_args()
    if args.worker:
        result = plain_worker(args) if args.worker == "plain" else lab_worker(args, args.worker == "lab")
        print(json.dumps(result))
        return

    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for rep in range(args.reps):
        for variant in VARIANTS:
            result = run_variant(variant, args)
            runs[variant].append(result)
            print(f"rep {rep + 1} {variant:<20} {result['samples_per_s']:6.2f} samples/s  "
                  f"STS-B spearman {result['spearman_cosine']:.4f}", flush=True)
    median = {v: statistics.median(r["samples_per_s"] for r in rs) for v, rs in runs.items()}
    sts = {v: statistics.median(r["spearman_cosine"] for r in rs) for v, rs in runs.items()}
    summary = {
        "setup": {"model": "all-MiniLM-L6-v2", "recipe": "nli-triplets", "loss": "mnrl", "samples": args.samples,
                  "batch_size": args.batch_size, "seed": args.seed, "reps": args.reps, "cpus": os.cpu_count(),
                  "machine": platform.machine(), "date": time.strftime("%Y-%m-%d")},
        "runs": runs,
        "median_samples_per_s": median,
        "median_spearman_cosine": sts,
        "ratio_lab_vs_plain": median["lab"] / median["plain"],
        "ratio_lab_random_batches_vs_plain": median["lab-random-batches"] / median["plain"],
        "sts_delta_lab_vs_plain": sts["lab"] - sts["plain"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(summary, indent=2))
    lines = [
        "# Training throughput: lab runner vs plain sentence-transformers",
        "",
        f"all-MiniLM-L6-v2, nli-triplets (bundled), MNRL, {args.samples} samples, batch {args.batch_size}, "
        f"seed {args.seed}, 1 epoch, {os.cpu_count()} CPU cores, median of {args.reps} interleaved runs.",
        "",
        "| variant | samples/s | STS-B spearman_cosine after |",
        "|---|---:|---:|",
        *[f"| {v} | {median[v]:.2f} | {sts[v]:.4f} |" for v in VARIANTS],
        "",
        f"Ratio lab / plain: **{summary['ratio_lab_vs_plain']:.2f}** (length-grouped batches); "
        f"lab with random batches / plain: {summary['ratio_lab_random_batches_vs_plain']:.2f}. "
        f"STS-B difference lab − plain: {summary['sts_delta_lab_vs_plain']:+.4f}.",
    ]
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
