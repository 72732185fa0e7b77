"""Training throughput: the lab's runner vs a plain sentence-transformers script, same model, data, loss and seed.

Variants, each in its own process, interleaved over repetitions so that a noisy, shared machine hurts them alike:
- plain: what a user writes from the sentence-transformers docs (random batches, ST's own forwards);
- lab-grouped: the lab with length-grouped batches only (packed forwards and fast dropout off: LAB_PACK=0,
  LAB_FAST_DROPOUT=0);
- lab-packed: length-grouped batches and packed forwards (lab/training/packing.py), torch's own dropout;
- lab: the lab as it trains (the above and fast CPU dropout: lab/training/dropout.py), in a run's own process as the
  app starts it (which keeps freed memory for the next step: lab/host/allocator.py).
Throughput is training only (the lab's runs here evaluate only before and after, views off). Real tokens per second
are counted with the model's tokenizer, and set against this CPU's fp32 matmul peak measured in the same process.
Writes bench/results/throughput.json and .md. Goal (#15): lab ≥ 2.0 × plain for MiniLM (MNRL, Softmax, Cosine)
with STS-B within ±0.005, ≥ 1.5 × for the chapter's small plain base.

Usage: .venv/bin/python bench/throughput.py [--cases mnrl-512,softmax-512,...] [--reps 3]
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

from common import RESULTS, ROOT, save

VARIANTS = ("plain", "lab-grouped", "lab-packed", "lab")
SWITCHES = {"lab-grouped": {"LAB_PACK": "0", "LAB_FAST_DROPOUT": "0"}, "lab-packed": {"LAB_FAST_DROPOUT": "0"}}
# name: (model, recipe, loss, samples (None: every row), lr, epochs)
CASES = {
    "mnrl-512": ("all-MiniLM-L6-v2", "nli-triplets", "mnrl", 512, 2e-5, 1),
    "softmax-512": ("all-MiniLM-L6-v2", "nli-3class", "softmax", 512, 2e-5, 1),
    "cosine-512": ("all-MiniLM-L6-v2", "nli-scores", "cosine", 512, 2e-5, 1),
    # the chapter preset's MNRL run at its CPU size (lab/service/chapter.py): every bundled triplet, 2 epochs
    "plain-base-mnrl": ("lab-plain-bert", "nli-triplets", "mnrl", None, 1e-3, 2),
    "mnrl-5000": ("all-MiniLM-L6-v2", "nli-triplets", "mnrl", 5000, 2e-5, 1),
}
DEFAULT_CASES = "mnrl-512,softmax-512,cosine-512,plain-base-mnrl"


def _rows(case: str, seed: int):
    from lab.recipes import prepare

    _, recipe, _, samples, _, _ = CASES[case]
    return prepare(recipe, seed=seed, max_rows=samples, data_source="offline").rows


def plain_worker(case: str, batch_size: int, seed: int) -> dict:
    """The chapter's recipe as the sentence-transformers docs write it."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
    from sentence_transformers import SentenceTransformerTrainingArguments as Args
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer import losses

    from lab.evaluation.sts import evaluate_sts
    from lab.host.paths import bundled_model_dir, plain_model_dir

    model_name, _, loss_name, _, lr, epochs = CASES[case]
    rows = _rows(case, seed)
    model = SentenceTransformer(str(bundled_model_dir() if model_name == "all-MiniLM-L6-v2" else plain_model_dir()))
    import torch

    torch.manual_seed(seed)
    loss = {"mnrl": lambda: losses.MultipleNegativesRankingLoss(model),
            "softmax": lambda: losses.SoftmaxLoss(model, model.get_embedding_dimension(), num_labels=3),
            "cosine": lambda: losses.CosineSimilarityLoss(model)}[loss_name]()
    sampler = BatchSamplers.NO_DUPLICATES if loss_name == "mnrl" else BatchSamplers.BATCH_SAMPLER
    with tempfile.TemporaryDirectory() as out:
        trainer = SentenceTransformerTrainer(
            model=model,
            args=Args(output_dir=out, num_train_epochs=epochs, per_device_train_batch_size=batch_size,
                      learning_rate=lr, warmup_steps=0.1, seed=seed, data_seed=seed, batch_sampler=sampler,
                      logging_steps=5, save_strategy="no", report_to="none", disable_tqdm=True),
            train_dataset=Dataset.from_pandas(rows, preserve_index=False),
            loss=loss,
        )
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
    return {"samples_per_s": len(rows) * epochs / seconds, "train_s": seconds,
            "spearman_cosine": evaluate_sts(model)["spearman_cosine"]}


def lab_worker(case: str, batch_size: int, seed: int) -> dict:
    from lab.config import RunConfig
    from lab.jobs.dispatch import run_job
    from lab.jobs.isolation import isolated
    from lab.jobs.queue import JobManager
    from lab.store import RunStore

    model_name, recipe, loss_name, samples, lr, epochs = CASES[case]
    with tempfile.TemporaryDirectory() as runs:
        manager = JobManager(RunStore(runs), runner=isolated(run_job))  # as the app runs it: in its own process
        config = RunConfig(model=model_name, recipe=recipe, loss=loss_name, max_train_samples=samples, lr=lr,
                           epochs=epochs, batch_size=batch_size, seed=seed, data_source="offline", eval_steps=0,
                           views=False)
        run_id = manager.submit(config)
        status = manager.wait(run_id)
        finished = manager.snapshot(run_id).events[-1]
        if status != "completed":
            raise SystemExit(f"lab run {status}: {manager.snapshot(run_id).message}")
    return {"samples_per_s": finished.train_samples_per_s, "train_s": finished.train_runtime_s,
            "spearman_cosine": finished.metrics_after["spearman_cosine"]}


def machine_facts(case: str, seed: int) -> dict:
    """Real tokens of the case's rows (every text column), the model's non-embedding parameters, and this CPU's
    fp32 matmul peak (2048², best of 5, torch's threads)."""
    import torch

    from lab.models import load_model

    model = load_model(CASES[case][0], seed=0)
    rows = _rows(case, seed)
    texts = [str(t) for c in rows.columns if c not in ("label", "score") for t in rows[c]]
    tokens = sum(len(ids) for ids in model.tokenizer(texts, truncation=True,
                                                      max_length=model.max_seq_length)["input_ids"])
    transformer = model[0].auto_model
    embedding = sum(p.numel() for n, p in transformer.named_parameters() if "embeddings" in n)
    params = sum(p.numel() for p in transformer.parameters()) - embedding
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(5))
    return {"real_tokens": tokens, "texts": len(texts), "params_no_embeddings": params,
            "matmul_gflops": 2 * 2048**3 / best / 1e9, "threads": torch.get_num_threads()}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_variant(variant: str, case: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant, "--cases", case, "--batch-size", str(args.batch_size),
           "--seed", str(args.seed)]
    # LAB_TRAIN_NICE=0: the lab's worker would otherwise run at a lower priority than the plain script.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "LAB_TRAIN_NICE": "0",
           "LAB_PACK": "1", "LAB_FAST_DROPOUT": "1", **SWITCHES.get(variant, {})}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(f"{variant} {case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--worker", choices=(*VARIANTS, "facts"))
    p.add_argument("--cases", default=DEFAULT_CASES)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    cases = args.cases.split(",")
    if args.worker:
        worker = {"plain": plain_worker, "facts": lambda c, b, s: machine_facts(c, s)}.get(args.worker, lab_worker)
        print(json.dumps(worker(cases[0], args.batch_size, args.seed)))
        return

    previous = json.loads((RESULTS / "throughput.json").read_text()) if (RESULTS / "throughput.json").exists() else {}
    results = {k: v for k, v in previous.get("cases", {}).items() if k in CASES} if previous.get("version") == 3 else {}
    for case in cases:
        runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
        for rep in range(args.reps):
            for variant in VARIANTS if rep % 2 == 0 else VARIANTS[::-1]:
                result = run_variant(variant, case, args)
                runs[variant].append(result)
                print(f"{case} rep {rep + 1} {variant:<13} {result['samples_per_s']:7.2f} samples/s  "
                      f"STS-B {result['spearman_cosine']:.4f}", flush=True)
        facts = run_variant("facts", case, args)
        median = {v: statistics.median(r["samples_per_s"] for r in rs) for v, rs in runs.items()}
        sts = {v: statistics.median(r["spearman_cosine"] for r in rs) for v, rs in runs.items()}
        seconds = {v: statistics.median(r["train_s"] for r in rs) for v, rs in runs.items()}
        per_rep = [lab["samples_per_s"] / plain["samples_per_s"]
                   for lab, plain in zip(runs["lab"], runs["plain"], strict=True)]
        *_, epochs = CASES[case]
        tokens_per_s = {v: facts["real_tokens"] * epochs / seconds[v] for v in VARIANTS}
        results[case] = {
            "setup": dict(zip(("model", "recipe", "loss", "samples", "lr", "epochs"), CASES[case], strict=True)),
            "reps": args.reps, "runs": runs, "facts": facts, "median_samples_per_s": median,
            "median_spearman_cosine": sts, "ratio_lab_vs_plain": median["lab"] / median["plain"],
            "ratio_lab_vs_plain_per_rep": per_rep,
            "ratio_packing": median["lab-packed"] / median["lab-grouped"],
            "ratio_fast_dropout": median["lab"] / median["lab-packed"],
            "ratio_fast_dropout_per_rep": [lab["samples_per_s"] / packed["samples_per_s"]
                                           for lab, packed in zip(runs["lab"], runs["lab-packed"], strict=True)],
            "sts_delta_lab_vs_plain": sts["lab"] - sts["plain"],
            "real_tokens_per_s": tokens_per_s,
            # forward + backward ≈ 6 flops per parameter per token (embedding lookups excluded)
            "share_of_matmul_peak": {v: 6 * facts["params_no_embeddings"] * t / (facts["matmul_gflops"] * 1e9)
                                     for v, t in tokens_per_s.items()},
        }
    summary = {"version": 3, "batch_size": args.batch_size, "seed": args.seed, "cpus": os.cpu_count(),
               "machine": platform.machine(), "date": time.strftime("%Y-%m-%d"), "cases": results}
    lines = [
        "# Training throughput: the lab's runner vs a plain sentence-transformers script",
        "",
        f"1 epoch (the plain base: 2, as the chapter preset), batch {args.batch_size}, seed {args.seed}, "
        f"{os.cpu_count()} CPU cores, bundled data; medians of "
        "interleaved runs (each variant in its own process; order reversed every other repetition). Training time "
        "only. `lab-grouped`: length-grouped batches only; `lab-packed`: and packed forwards; `lab`: and fast CPU "
        "dropout (as the lab trains).",
        "",
        "| case | reps | plain samples/s | lab-grouped | lab-packed | lab | **lab / plain** (per rep) | packing | "
        "fast dropout (per rep) | STS-B plain → lab | real tokens/s (lab) | share of matmul peak (plain → lab) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|---|---:|---|",
    ]
    for case, r in results.items():
        m, s, share = r["median_samples_per_s"], r["median_spearman_cosine"], r["share_of_matmul_peak"]
        reps = ", ".join(f"{x:.2f}" for x in r["ratio_lab_vs_plain_per_rep"])
        dropout_reps = ", ".join(f"{x:.2f}" for x in r["ratio_fast_dropout_per_rep"])
        lines.append(
            f"| {case} ({r['setup']['model']}, {r['setup']['loss']}) | {r['reps']} | {m['plain']:.1f} | "
            f"{m['lab-grouped']:.1f} | {m['lab-packed']:.1f} | {m['lab']:.1f} | **{r['ratio_lab_vs_plain']:.2f}** "
            f"({reps}) | {r['ratio_packing']:.2f} | {r['ratio_fast_dropout']:.2f} ({dropout_reps}) | "
            f"{s['plain']:.4f} → {s['lab']:.4f} ({r['sts_delta_lab_vs_plain']:+.4f}) | "
            f"{r['real_tokens_per_s']['lab']:,.0f} | {100 * share['plain']:.0f} % → {100 * share['lab']:.0f} % of "
            f"{r['facts']['matmul_gflops']:.0f} GFLOP/s |")
    save("throughput", summary, lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
