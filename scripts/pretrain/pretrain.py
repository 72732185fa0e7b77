"""MLM-pretrain `lab-plain-bert`: the lab's tiny-bert architecture, trained on the corpus of corpus.py.

Architecture and tokenizer are exactly those of `lab/models.py::_tiny_transformer` (BertConfig with
the bundled all-MiniLM-L6-v2 vocab, hidden 128, 2 layers, 2 heads, intermediate 512, max_position
512), so "random tiny-bert vs lab-plain-bert" isolates the pretraining.

Training: masked-language modelling (15 % of tokens; 80 % [MASK], 10 % random token, 10 % kept),
consecutive sentences packed into sequences of --seq-len tokens ([SEP] between documents), the
last --long-frac of the steps at --long-len so every position used downstream (<= 128) is trained.
AdamW, linear warmup then linear decay to 0, gradient clipping 1.0. One CPU thread by default,
seeded; the schedule is a fixed step count (--steps), or derived from a time budget (--minutes)
with the throughput measured at the start (then the step count used is recorded in the results).
The loss is computed on the masked positions only (the 30522-way decoder is the costly part).

Writes:
  assets/models/lab-plain-bert/   BertModel (no MLM head) in fp16 safetensors + tokenizer +
                                  sentence-transformers files (mean pooling)
  bench/results/pretrain.json, bench/results/pretrain.md

Usage:
  .venv/bin/python scripts/pretrain/corpus.py
  nohup nice -n 10 .venv/bin/python scripts/pretrain/pretrain.py --steps N > scripts/pretrain/run.log 2>&1 &
  .venv/bin/python scripts/pretrain/pretrain.py --trial      # compare seq-len 64 vs 128 for a few minutes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from corpus import default_cache  # noqa: E402

ASSET = ROOT / "assets" / "models" / "lab-plain-bert"
RESULTS = ROOT / "bench" / "results"
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def minilm_dir() -> Path:
    from lab.host.paths import bundled_model_dir

    return bundled_model_dir()


def make_config():
    from lab.models import tiny_bert_config  # the random tiny-bert's shape: only pretraining differs

    return tiny_bert_config()


# --------------------------------------------------------------------------- data


def load_tokenized(cache: Path, tok, heldout_frac: float, seed: int):
    """Token ids per sentence per document; a seeded split of documents into train / held-out."""
    path = cache / "corpus" / "docs.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run scripts/pretrain/corpus.py first")
    docs = [json.loads(line) for line in path.open(encoding="utf-8")]
    flat = [s for d in docs for s in d["sents"]]
    ids = tok(flat, add_special_tokens=False)["input_ids"]
    out, k = [], 0
    for d in docs:
        n = len(d["sents"])
        out.append((d["source"], ids[k : k + n]))
        k += n
    rng = random.Random(seed)
    order = list(range(len(out)))
    rng.shuffle(order)
    n_held = int(len(out) * heldout_frac)
    held = [out[i] for i in sorted(order[:n_held])]
    train = [out[i] for i in sorted(order[n_held:])]
    return train, held


def pack(docs, seq_len: int, cls_id: int, sep_id: int, seed: int):
    """Shuffle documents (seeded), then fill sequences [CLS] s1 s2 ... [SEP] of <= seq_len tokens with
    consecutive sentences; a [SEP] closes each document. Over-long sentences are cut into pieces."""
    rng = random.Random(seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    room = seq_len - 2
    seqs, cur = [], []
    for i in order:
        for _j, sent in enumerate(docs[i][1]):
            pieces = [sent[a : a + room] for a in range(0, len(sent), room)] or []
            for p in pieces:
                if len(cur) + len(p) > room:
                    if cur:
                        seqs.append([cls_id] + cur[:room] + [sep_id])
                    cur = []
                cur.extend(p)
        if cur and len(cur) < room:
            cur.append(sep_id)  # document boundary
    if cur:
        seqs.append([cls_id] + cur[:room] + [sep_id])
    return seqs


def count_tokens(docs) -> int:
    return sum(len(s) for _, d in docs for s in d)


def collate(seqs, pad_id: int):
    import torch

    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        att[i, : len(s)] = 1
    return ids, att


def mask_tokens(ids, att, special_ids, mask_id: int, vocab_size: int, gen, prob: float = 0.15):
    """BERT masking: choose `prob` of the real tokens; 80 % -> [MASK], 10 % -> random token, 10 % unchanged."""
    import torch

    labels = ids.clone()
    cand = att.bool()
    for s in special_ids:
        cand &= ids != s
    chosen = (torch.rand(ids.shape, generator=gen) < prob) & cand
    if not chosen.any():  # never an empty loss
        idx = cand.nonzero()[0]
        chosen[idx[0], idx[1]] = True
    labels[~chosen] = -100
    inputs = ids.clone()
    r = torch.rand(ids.shape, generator=gen)
    inputs[chosen & (r < 0.8)] = mask_id
    rand_pos = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand_pos] = torch.randint(vocab_size, ids.shape, generator=gen)[rand_pos]
    return inputs, labels


def mlm_loss(model, inputs, att, labels):
    import torch.nn.functional as F

    hidden = model.bert(input_ids=inputs, attention_mask=att).last_hidden_state
    sel = labels != -100
    logits = model.cls(hidden[sel])  # decoder only on the masked positions
    return F.cross_entropy(logits.float(), labels[sel])


# --------------------------------------------------------------------------- training


class Run:
    def __init__(self, args, tok, train_docs, held_docs):
        import torch

        self.args, self.tok = args, tok
        self.cls_id, self.sep_id = tok.cls_token_id, tok.sep_token_id
        self.pad_id, self.mask_id = tok.pad_token_id, tok.mask_token_id
        self.special = sorted(set(tok.all_special_ids))
        self.train_docs = train_docs
        self.config = make_config()
        from transformers import BertForMaskedLM

        torch.manual_seed(args.seed)
        self.model = BertForMaskedLM(self.config)
        self.model.train()
        # fixed held-out batches, masked once with a fixed generator, at the long length
        held = pack(held_docs, args.long_len, self.cls_id, self.sep_id, seed=args.seed + 1)
        held = held[: args.heldout_seqs]
        g = torch.Generator().manual_seed(args.seed + 2)
        self.held_batches = []
        for i in range(0, len(held), 64):
            ids, att = collate(held[i : i + 64], self.pad_id)
            inputs, labels = mask_tokens(ids, att, self.special, self.mask_id, self.config.vocab_size, g)
            self.held_batches.append((inputs, att, labels))
        self.held_tokens = sum(len(s) for s in held)
        self.gen = torch.Generator().manual_seed(args.seed + 3)
        self.epoch = {}
        self.streams = {}

    def batches(self, seq_len: int):
        """Endless stream of batches at seq_len; a new document shuffle and packing per epoch."""
        ep = 0
        while True:
            seqs = pack(
                self.train_docs, seq_len, self.cls_id, self.sep_id, seed=self.args.seed * 1000 + ep * 7 + seq_len
            )
            rng = random.Random(self.args.seed * 1000 + ep)
            rng.shuffle(seqs)
            self.epoch[seq_len] = (ep, len(seqs))
            bs = self.args.batch_size if seq_len == self.args.seq_len else self.args.long_batch_size
            for i in range(0, len(seqs) - bs + 1, bs):
                yield collate(seqs[i : i + bs], self.pad_id)
            ep += 1

    def heldout_loss(self) -> float:
        import torch

        self.model.eval()
        tot, n = 0.0, 0
        with torch.no_grad():
            for inputs, att, labels in self.held_batches:
                k = int((labels != -100).sum())
                tot += float(mlm_loss(self.model, inputs, att, labels)) * k
                n += k
        self.model.train()
        return tot / max(1, n)

    def train(self, steps: int, time_limit: float | None = None, log_every: int = 50, eval_every: int = 500, log=print):
        import torch

        args = self.args
        decay, no_decay = [], []
        for n, p in self.model.named_parameters():
            (no_decay if p.ndim == 1 or "LayerNorm" in n else decay).append(p)
        opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=args.lr,
            betas=(0.9, 0.98),
            eps=1e-6,
        )
        warm = max(1, int(steps * args.warmup_frac))
        n_long = int(round(steps * args.long_frac)) if args.long_len != args.seq_len else 0
        short_stream, long_stream = self.batches(args.seq_len), (self.batches(args.long_len) if n_long else None)

        def lr_at(step):  # step is 1-based
            if step <= warm:
                return args.lr * step / warm
            return args.lr * max(0.0, (steps - step) / max(1, steps - warm))

        curve, evals = [], []
        tokens = masked = 0
        acc_loss = acc_n = 0
        t0 = time.time()
        step = 0
        for step in range(1, steps + 1):
            use_long = step > steps - n_long
            ids, att = next(long_stream if use_long else short_stream)
            inputs, labels = mask_tokens(ids, att, self.special, self.mask_id, self.config.vocab_size, self.gen)
            for grp in opt.param_groups:
                grp["lr"] = lr_at(step)
            loss = mlm_loss(self.model, inputs, att, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            opt.step()
            tokens += int(att.sum())
            masked += int((labels != -100).sum())
            acc_loss += float(loss.detach())
            acc_n += 1
            if step % log_every == 0 or step == steps:
                el = time.time() - t0
                rec = {
                    "step": step,
                    "loss": round(acc_loss / acc_n, 4),
                    "lr": round(lr_at(step), 7),
                    "seq_len": args.long_len if use_long else args.seq_len,
                    "tokens": tokens,
                    "elapsed_s": round(el, 1),
                    "tokens_per_s": round(tokens / el, 1),
                }
                curve.append(rec)
                log(json.dumps(rec))
                acc_loss = acc_n = 0
            if (eval_every and step % eval_every == 0) or step == steps:
                h = self.heldout_loss()
                evals.append({"step": step, "heldout_loss": round(h, 4), "elapsed_s": round(time.time() - t0, 1)})
                log(json.dumps(evals[-1]))
            if time_limit is not None and time.time() - t0 > time_limit:
                break
        return {
            "steps_done": step,
            "curve": curve,
            "evals": evals,
            "tokens": tokens,
            "masked_tokens": masked,
            "wall_s": round(time.time() - t0, 1),
            "warmup_steps": warm,
            "long_steps": n_long,
        }


# --------------------------------------------------------------------------- saving


def save_asset(mlm_model, config, out: Path, seed: int) -> dict:
    """Save the encoder only (BertModel, pooler kept at its seeded random init as in tiny-bert) in fp16."""
    import torch
    from transformers import BertModel

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        enc = BertModel(config)  # has a pooler like tiny-bert; the pooler is not used by mean pooling
    missing, unexpected = enc.load_state_dict(mlm_model.bert.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("pooler.") for k in missing), (missing, unexpected)
    enc = enc.half()
    enc.save_pretrained(out, safe_serialization=True)
    # the weights are stored in fp16 (size), but config.json says float32 so that
    # from_pretrained(dtype="auto", the transformers 5 default) upcasts them: CPU training needs fp32
    cfg = json.loads((out / "config.json").read_text())
    cfg["dtype"] = "float32"
    (out / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    os.chmod(out / "model.safetensors", 0o644)
    src = minilm_dir()
    for f in TOKENIZER_FILES:
        shutil.copy(src / f, out / f)
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": config.hidden_size,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
                "pooling_mode_weightedmean_tokens": False,
                "pooling_mode_lasttoken": False,
                "include_prompt": True,
            },
            indent=2,
        )
        + "\n"
    )
    (out / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            ],
            indent=2,
        )
        + "\n"
    )
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 128, "do_lower_case": False}, indent=2) + "\n"
    )
    sizes = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    too_big = {k: v for k, v in sizes.items() if v >= 10 * 1024 * 1024}
    assert not too_big, f"files over 10 MB: {too_big}"
    return sizes


def write_readme(out: Path, meta: dict) -> None:
    txt = f"""# lab-plain-bert

A small BERT encoder that Contrastive Lab pretrained itself with masked-language modelling (MLM) on
about {meta["corpus_train_tokens"] / 1e6:.1f}M tokens of openly licensed English text (see
`scripts/pretrain/CORPUS.md`). It has *not* been trained for sentence embeddings: it is the
"plain pretrained model" to start contrastive training from.

* Architecture: exactly the lab's random `tiny-bert` (BertModel, vocab 30522 uncased WordPiece
  from all-MiniLM-L6-v2, hidden 128, 2 layers, 2 heads, intermediate 512, max positions 512),
  {meta["params"] / 1e6:.2f}M parameters. Only the encoder is shipped (no MLM head); the pooler is
  untrained (seeded random), mean pooling is configured for sentence-transformers.
* Weights: fp16 safetensors (every file < 10 MB).
* Pretraining: {meta["steps"]} steps, seed {meta["seed"]}, {meta["tokens_seen"] / 1e6:.1f}M tokens seen,
  final held-out MLM loss {meta["heldout_loss"]:.3f}. Reproduce with `scripts/pretrain/corpus.py`
  then `scripts/pretrain/pretrain.py --steps {meta["steps"]} --seed {meta["seed"]}`.
* Tokenizer files are copied from the bundled all-MiniLM-L6-v2 (Apache-2.0).
* Corpus licenses: WordNet 3.0 license, PSF (Python docs), GPL-2+/CC-BY-SA-3.0 (Debian
  Administrator's Handbook), and the licenses of the bundled datasets (assets/data/README.md).
"""
    (out / "README.md").write_text(txt)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=default_cache())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="fixed step count (preferred: deterministic)")
    ap.add_argument("--minutes", type=float, default=0.0, help="time budget: step count = measured throughput x budget")
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--long-len", type=int, default=128)
    ap.add_argument("--long-frac", type=float, default=0.1, help="last fraction of steps at --long-len (if it differs)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--long-batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup-frac", type=float, default=0.05)
    ap.add_argument("--heldout-frac", type=float, default=0.01)
    ap.add_argument("--heldout-seqs", type=int, default=512)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--out", type=Path, default=ASSET)
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument(
        "--trial", action="store_true", help="compare --seq-len 64 and 128 for --trial-minutes each; saves nothing"
    )
    ap.add_argument("--trial-minutes", type=float, default=3.0)
    ap.add_argument("--smoke", action="store_true", help="a few steps into a temp folder, to check the pipeline")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    t_start = time.time()
    tok = AutoTokenizer.from_pretrained(str(minilm_dir()))
    train_docs, held_docs = load_tokenized(args.cache, tok, args.heldout_frac, args.seed)
    stats = json.loads((args.cache / "corpus" / "stats.json").read_text())
    train_tokens, held_tokens = count_tokens(train_docs), count_tokens(held_docs)
    print(
        f"corpus: {len(train_docs)} train docs ({train_tokens} tokens), {len(held_docs)} held-out docs ({held_tokens} tokens); "
        f"tokenized in {time.time() - t_start:.0f}s",
        flush=True,
    )

    if args.trial:
        res = {}
        for L, bs in ((64, 2 * args.batch_size), (128, args.batch_size)):
            a = parse_args(argv or sys.argv[1:])
            a.seq_len = a.long_len = L
            a.batch_size = a.long_batch_size = bs
            a.heldout_seqs = 256
            run = Run(a, tok, train_docs, held_docs)
            # held-out batches are always at 128 tokens so the two settings are compared on the same task
            if L == 64:
                a2 = parse_args(argv or sys.argv[1:])
                a2.heldout_seqs = 256
                run.held_batches = Run(a2, tok, train_docs[:1], held_docs).held_batches
            # a schedule long enough that it is ~constant lr after warm-up for the trial
            a.warmup_frac = 50 / 10**6  # 50 warm-up steps, then ~constant lr
            r = run.train(
                steps=10**6,
                time_limit=args.trial_minutes * 60,
                log_every=25,
                eval_every=0,
                log=lambda s, L=L: print(f"[L={L}] {s}", flush=True),
            )
            r["heldout_loss_at_128"] = round(run.heldout_loss(), 4)
            r["steps_per_s"] = round(r["steps_done"] / r["wall_s"], 3)
            r["tokens_per_s"] = round(r["tokens"] / r["wall_s"], 1)
            res[L] = {
                k: r[k]
                for k in ("steps_done", "wall_s", "tokens", "tokens_per_s", "steps_per_s", "heldout_loss_at_128")
            }
            res[L]["batch_size"] = bs
            res[L]["last_train_loss"] = r["curve"][-1]["loss"] if r["curve"] else None
            print(f"[L={L}] {json.dumps(res[L])}", flush=True)
        print("TRIAL", json.dumps(res), flush=True)
        return

    steps = args.steps
    if args.smoke:
        steps = steps or 20
        args.out = Path("/tmp/lab-plain-bert-smoke")
        args.results = Path("/tmp/lab-plain-bert-smoke-results")
        args.eval_every = 10
        args.log_every = 5
    if not steps:
        if not args.minutes:
            raise SystemExit("give --steps N or --minutes M")
        probe = Run(args, tok, train_docs, held_docs)
        r = probe.train(steps=10**6, time_limit=60, log_every=10**9, eval_every=0, log=lambda s: None)
        sps = r["steps_done"] / r["wall_s"]
        steps = int(sps * args.minutes * 60)
        print(f"probe: {sps:.3f} steps/s -> {steps} steps for {args.minutes} min", flush=True)

    run = Run(args, tok, train_docs, held_docs)
    params = sum(p.numel() for p in run.model.bert.parameters())
    init_held = run.heldout_loss()
    print(f"params (encoder, no pooler): {params}; initial held-out loss {init_held:.4f}; steps {steps}", flush=True)
    r = run.train(steps=steps, log_every=args.log_every, eval_every=args.eval_every, log=lambda s: print(s, flush=True))
    final_held = r["evals"][-1]["heldout_loss"]
    sizes = save_asset(run.model, run.config, args.out, args.seed)

    # reload checks
    from transformers import AutoModel

    m = AutoModel.from_pretrained(str(args.out))
    n_params = sum(p.numel() for p in m.parameters())
    meta = {
        "model": "lab-plain-bert",
        "seed": args.seed,
        "steps": steps,
        "threads": args.threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "hyperparameters": {
            k: getattr(args, k)
            for k in (
                "seq_len",
                "long_len",
                "long_frac",
                "batch_size",
                "long_batch_size",
                "lr",
                "weight_decay",
                "warmup_frac",
            )
        }
        | {
            "mask_prob": 0.15,
            "mask_split": "80/10/10",
            "optimizer": "AdamW(0.9,0.98,eps=1e-6)",
            "schedule": "linear warmup, linear decay to 0",
            "grad_clip": 1.0,
        },
        "params": n_params,
        "params_encoder_no_pooler": params,
        "corpus": stats,
        "corpus_train_docs": len(train_docs),
        "corpus_train_tokens": train_tokens,
        "corpus_heldout_docs": len(held_docs),
        "corpus_heldout_tokens": held_tokens,
        "heldout_eval_tokens": run.held_tokens,
        "initial_heldout_loss": round(init_held, 4),
        "heldout_loss": final_held,
        "tokens_seen": r["tokens"],
        "masked_tokens": r["masked_tokens"],
        "epochs_seen": round(r["tokens"] / max(1, train_tokens), 2),
        "train_wall_s": r["wall_s"],
        "total_wall_s": round(time.time() - t_start, 1),
        "tokens_per_s": round(r["tokens"] / r["wall_s"], 1),
        "warmup_steps": r["warmup_steps"],
        "long_steps": r["long_steps"],
        "files": sizes,
        "loaded_dtype": str(next(m.parameters()).dtype),
        "curve": r["curve"],
        "evals": r["evals"],
    }
    write_readme(args.out, meta)
    meta["files"] = {str(p.relative_to(args.out)): p.stat().st_size for p in sorted(args.out.rglob("*")) if p.is_file()}
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "pretrain.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_md(args.results, meta)
    print(
        f"done: {args.out}; held-out MLM loss {init_held:.3f} -> {final_held:.3f}; {r['wall_s'] / 60:.1f} min",
        flush=True,
    )


def write_md(results: Path, meta: dict, extra: str = "") -> None:
    hp = meta["hyperparameters"]
    lines = [
        "# Pretraining lab-plain-bert (MLM)",
        "",
        "Produced by `scripts/pretrain/pretrain.py` (corpus: `scripts/pretrain/corpus.py`, see `scripts/pretrain/CORPUS.md`).",
        "",
        "| item | value |",
        "|---|---|",
        f"| architecture | BERT, vocab 30522, hidden 128, 2 layers, 2 heads, FFN 512 ({meta['params']:,} params incl. untrained pooler) |",
        f"| seed / steps | {meta['seed']} / {meta['steps']} (warm-up {meta['warmup_steps']}"
        + (f", last {meta['long_steps']} at {hp['long_len']} tokens" if meta["long_steps"] else "")
        + ") |",
        f"| batch | {hp['batch_size']} x {hp['seq_len']} tokens (packed) |",
        f"| optimiser | AdamW lr {hp['lr']}, wd {hp['weight_decay']}, linear warm-up {hp['warmup_frac']:.0%} then linear decay; clip 1.0 |",
        "| masking | 15 %, 80/10/10 |",
        f"| corpus (train) | {meta['corpus_train_docs']:,} documents, {meta['corpus_train_tokens']:,} tokens ({meta['corpus']['total']['sentences']:,} sentences, {meta['corpus']['total']['chars'] / 1e6:.1f} MB text in all) |",
        f"| held-out | {meta['corpus_heldout_docs']:,} documents, {meta['corpus_heldout_tokens']:,} tokens; eval on {meta['heldout_eval_tokens']:,} tokens (fixed masks) |",
        f"| tokens seen | {meta['tokens_seen']:,} ({meta['epochs_seen']} epochs) |",
        f"| wall time | {meta['train_wall_s'] / 60:.1f} min training, {meta['total_wall_s'] / 60:.1f} min total, {meta['threads']} CPU thread(s) |",
        f"| throughput | {meta['tokens_per_s']:,.0f} tokens/s |",
        f"| held-out MLM loss | {meta['initial_heldout_loss']:.3f} (init) -> **{meta['heldout_loss']:.3f}** |",
        "",
        "## Files (assets/models/lab-plain-bert)",
        "",
        "| file | bytes |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:,} |" for k, v in meta["files"].items()]
    lines += ["", "## Held-out MLM loss", "", "| step | held-out loss | elapsed s |", "|---:|---:|---:|"]
    lines += [f"| {e['step']} | {e['heldout_loss']:.4f} | {e['elapsed_s']} |" for e in meta["evals"]]
    lines += [
        "",
        "## Training MLM loss (mean over each logging window)",
        "",
        "| step | loss | lr | seq len | tokens | elapsed s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    curve = meta["curve"]
    stride = max(1, len(curve) // 40)
    for c in curve[::stride] + ([curve[-1]] if (len(curve) - 1) % stride else []):
        lines.append(
            f"| {c['step']} | {c['loss']:.4f} | {c['lr']:.2e} | {c['seq_len']} | {c['tokens']:,} | {c['elapsed_s']} |"
        )
    trial = results / "pretrain.trial.json"
    if trial.exists():
        t = json.loads(trial.read_text())
        lines += [
            "",
            "## Sequence length trial (`--trial`, 3 min each, 1 thread)",
            "",
            "| seq len x batch | steps | tokens/s | train loss | held-out loss (128-token seqs) |",
            "|---|---:|---:|---:|---:|",
        ]
        for L, r in t["results"].items():
            lines.append(
                f"| {L} x {r['batch_size']} | {r['steps_done']} | {r['tokens_per_s']:,.0f} | {r['last_train_loss']:.3f} | {r['heldout_loss_at_128']:.3f} |"
            )
        lines += ["", f"Decision: {t['decision']}."]
    if extra:
        lines += ["", extra]
    (results / "pretrain.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
