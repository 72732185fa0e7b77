"""Compare lab-plain-bert (MLM-pretrained) with the lab's random tiny-bert (same architecture, seed 0).

1. Mean-pooled STS-B *validation* Spearman (cosine), no contrastive training
   (sentence_transformers EmbeddingSimilarityEvaluator, scores / 5). The bundled all-MiniLM-L6-v2
   is scored too, as a reference ceiling.
2. With --mnrl-steps N > 0: a short MultipleNegativesRanking fine-tune of each on NLI triplets
   (anchor, entailment, contradiction) built from the bundled MNLI/SNLI validation files, then the
   same STS-B validation score. Same seed, data order, steps and hyper-parameters for both models.

Writes the numbers into bench/results/pretrain.json ("downstream") and re-renders pretrain.md.
Usage: .venv/bin/python scripts/pretrain/evaluate.py [--mnrl-steps 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = ROOT / "assets" / "data"


def load_models(which: str, asset: Path):
    from sentence_transformers import SentenceTransformer

    if which == "lab-plain-bert":
        return SentenceTransformer(str(asset), device="cpu")
    if which == "tiny-bert":
        from lab.models import load_model

        return load_model("tiny-bert", seed=0, device="cpu")
    if which == "all-MiniLM-L6-v2":
        from lab.host.paths import bundled_model_dir

        return SentenceTransformer(str(bundled_model_dir()), device="cpu")
    raise ValueError(which)


def stsb_spearman(model) -> float:
    import pandas as pd
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    df = pd.read_parquet(DATA / "stsb_validation.parquet")
    ev = EmbeddingSimilarityEvaluator(
        list(df["sentence1"]),
        list(df["sentence2"]),
        [float(s) / 5.0 for s in df["score"]],
        main_similarity="cosine",
        name="stsb-validation",
        batch_size=64,
        show_progress_bar=False,
    )
    res = ev(model)
    key = next(k for k in res if k.endswith("spearman_cosine"))
    return float(res[key])


def nli_triplets(seed: int):
    import pandas as pd

    trip = []
    for name in ("snli_validation.parquet", "mnli_validation_matched.parquet"):
        df = pd.read_parquet(DATA / name)
        ent, con = {}, {}
        for p, h, y in zip(df["premise"], df["hypothesis"], df["label"], strict=False):
            (ent if y == 0 else con if y == 2 else {}).setdefault(p, []).append(h)
        for p in ent:
            if p in con:
                trip.append((p, ent[p][0], con[p][0]))
    random.Random(seed).shuffle(trip)
    return trip


def mnrl_finetune(model, trip, steps: int, batch: int, lr: float, seed: int, scale: float = 20.0) -> float:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    t0 = time.time()

    def emb(texts):
        feats = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
        return model(dict(feats))["sentence_embedding"]

    for step in range(steps):
        lr_now = lr * min((step + 1) / warm, max(0.0, (steps - step) / (steps - warm)))
        for g in opt.param_groups:
            g["lr"] = lr_now
        i = (step * batch) % (len(trip) - batch)
        b = trip[i : i + batch]
        a = F.normalize(emb([x[0] for x in b]), dim=-1)
        pn = F.normalize(emb([x[1] for x in b] + [x[2] for x in b]), dim=-1)
        loss = F.cross_entropy(scale * a @ pn.T, torch.arange(len(b)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return time.time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asset", type=Path, default=ROOT / "assets" / "models" / "lab-plain-bert")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--mnrl-steps", type=int, nargs="*", default=[], help="one short MNRL fine-tune per step count given"
    )
    ap.add_argument("--mnrl-batch", type=int, default=32)
    ap.add_argument("--mnrl-lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    out = {"stsb_validation_spearman_cosine_untrained": {}, "threads": args.threads}
    for name in ("lab-plain-bert", "tiny-bert", "all-MiniLM-L6-v2"):
        m = load_models(name, args.asset)
        m.eval()
        s = stsb_spearman(m)
        out["stsb_validation_spearman_cosine_untrained"][name] = round(s, 4)
        print(f"{name}: STS-B validation spearman (mean pooling, no contrastive training) = {s:.4f}", flush=True)
    trip = nli_triplets(args.seed) if args.mnrl_steps else []
    for n_steps in args.mnrl_steps:
        ft = {
            "steps": n_steps,
            "batch": args.mnrl_batch,
            "lr": args.mnrl_lr,
            "scale": 20.0,
            "triplets_available": len(trip),
            "data": "SNLI+MNLI validation (entailment, contradiction) triplets",
            "stsb_validation_spearman_cosine": {},
            "wall_s": {},
        }
        for name in ("lab-plain-bert", "tiny-bert"):
            m = load_models(name, args.asset)
            wall = mnrl_finetune(m, trip, n_steps, args.mnrl_batch, args.mnrl_lr, args.seed)
            s = stsb_spearman(m)
            ft["stsb_validation_spearman_cosine"][name] = round(s, 4)
            ft["wall_s"][name] = round(wall, 1)
            print(f"{name}: after {n_steps} MNRL steps ({wall:.0f}s): STS-B validation spearman = {s:.4f}", flush=True)
        out.setdefault("mnrl_finetune", []).append(ft)
    if args.no_write:
        print(json.dumps(out, indent=2))
        return
    from pretrain import write_md

    pj = args.results / "pretrain.json"
    meta = json.loads(pj.read_text())
    meta["downstream"] = out
    pj.write_text(json.dumps(meta, indent=2) + "\n")
    u = out["stsb_validation_spearman_cosine_untrained"]
    fts = out.get("mnrl_finetune", [])
    lines = [
        "## Downstream check (scripts/pretrain/evaluate.py)",
        "",
        f"STS-B **validation** Spearman (cosine, mean pooling, scores / 5), {args.threads} thread.",
        "",
        "| model | no contrastive training |" + "".join(f" after {ft['steps']} MNRL steps |" for ft in fts),
        "|---|---:|" + "---:|" * len(fts),
    ]
    for name in u:
        row = f"| {name} | {u[name]:.4f} |"
        for ft in fts:
            v = ft["stsb_validation_spearman_cosine"].get(name)
            row += f" {v:.4f} |" if v is not None else " – |"
        lines.append(row)
    if fts:
        ft = fts[0]
        lines += [
            "",
            f"MNRL: batch {ft['batch']} (anchor, positive, hard negative; in-batch negatives), lr {ft['lr']}, "
            f"scale 20, warm-up 10 % then linear decay, seed {args.seed}, on {ft['triplets_available']:,} "
            f"{ft['data']} ({ft['triplets_available'] // ft['batch']} steps = 1 epoch); the same for both models. "
            "The bundled all-MiniLM-L6-v2 is the reference. A quick check only, not the lab's full comparison.",
        ]
    write_md(args.results, meta, extra="\n".join(lines))
    print(f"wrote {pj} and pretrain.md")


if __name__ == "__main__":
    main()
