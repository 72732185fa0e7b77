"""Assemble the MLM pretraining corpus for `lab-plain-bert` (reproducible, offline apart from apt).

Sources (see CORPUS.md for versions and licenses):
  * bundled parquet files in assets/data: MNLI validation_matched, SNLI validation, STS-B *train*,
    Banking77 *train*, MedQuAD sentences. STS-B validation/test, Banking77 test and the MedQuAD
    QA eval file are evaluation sets and are NOT used.
  * Debian packages fetched with `apt-get download` into a cache dir and unpacked with `dpkg-deb -x`:
      - wordnet-base   WordNet 3.0 glosses and usage examples
      - python3.11-doc the reStructuredText sources of the Python 3.11 documentation (prose only)
      - debian-handbook the English HTML edition of "The Debian Administrator's Handbook"

Output (in the cache dir, never committed):
  corpus/docs.jsonl      one JSON object per document: {"source": ..., "sents": [...]}
  corpus/stats.json      per-source counts (documents, sentences, characters)

A "document" is a run of consecutive, related sentences (a paragraph, a WordNet block of 20
synsets, one NLI pair, ...); the pretraining script packs consecutive sentences of a document
into fixed-length sequences.

Usage:  .venv/bin/python scripts/pretrain/corpus.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "assets" / "data"

# Pinned Debian (bookworm) package versions. apt-get download fetches whatever the
# configured mirror has; the version actually used is checked and recorded in stats.json.
DEB_PACKAGES = {
    "wordnet-base": "1:3.0-37",
    "python3.11-doc": "3.11.2-6+deb12u9",
    "debian-handbook": "11.20220922",
}

# Evaluation splits that must never enter the corpus.
FORBIDDEN = {"stsb_validation.parquet", "stsb_test.parquet", "banking77_test.parquet", "medquad_qa_eval.parquet"}


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("LAB_PRETRAIN_CACHE", Path(base) / "contrastive-lab" / "pretrain"))


# --------------------------------------------------------------------------- text utilities

_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_WS = re.compile(r"\s+")


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def split_sentences(par: str) -> list[str]:
    par = norm(par)
    if not par:
        return []
    return [s.strip() for s in _SENT_SPLIT.split(par) if s.strip()]


def prose_like(s: str, min_words: int = 3) -> bool:
    """Keep sentence-like text: enough words, mostly letters."""
    words = s.split()
    if len(words) < min_words:
        return False
    letters = sum(c.isalpha() for c in s)
    return letters / max(1, len(s)) >= 0.6


# --------------------------------------------------------------------------- bundled parquet


def bundled_docs():
    import pandas as pd

    def read(name):
        assert name not in FORBIDDEN, name
        return pd.read_parquet(DATA / name)

    for name, src in (
        ("mnli_validation_matched.parquet", "mnli_validation"),
        ("snli_validation.parquet", "snli_validation"),
    ):
        df = read(name)
        seen = set()
        for p, h in zip(df["premise"], df["hypothesis"], strict=False):
            sents = []
            for s in (p, h):
                s = norm(str(s))
                if s and (src, s) not in seen:
                    seen.add((src, s))
                    sents.append(s)
            if sents:
                yield {"source": src, "sents": sents}
    df = read("stsb_train.parquet")
    seen = set()
    for a, b in zip(df["sentence1"], df["sentence2"], strict=False):
        sents = [norm(s) for s in (a, b) if norm(s) and norm(s) not in seen]
        seen.update(sents)
        if sents:
            yield {"source": "stsb_train", "sents": sents}
    df = read("banking77_train.parquet")
    texts = [norm(t) for t in df["text"]]
    for i in range(0, len(texts), 8):  # short queries: group 8 consecutive ones
        yield {"source": "banking77_train", "sents": texts[i : i + 8]}
    df = read("medquad_sentences_10k.parquet")
    for _, g in df.groupby("doc_id", sort=False):
        yield {"source": "medquad_sentences", "sents": [norm(t) for t in g["text"] if norm(t)]}


# --------------------------------------------------------------------------- Debian packages


def fetch_debs(cache: Path) -> dict[str, Path]:
    debdir = cache / "deb"
    debdir.mkdir(parents=True, exist_ok=True)
    out = {}
    for pkg, ver in DEB_PACKAGES.items():
        found = sorted(debdir.glob(f"{pkg}_*.deb"))
        if not found:
            subprocess.run(["apt-get", "download", f"{pkg}={ver}"], cwd=debdir, check=True)
            found = sorted(debdir.glob(f"{pkg}_*.deb"))
        deb = found[-1]
        got = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if got != ver:
            print(f"warning: {pkg} is {got}, expected {ver}", file=sys.stderr)
        xdir = cache / "x" / pkg
        if not (xdir / ".done").exists():
            xdir.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(xdir)], check=True)
            (xdir / ".done").write_text(got)
        out[pkg] = xdir
    return out


def wordnet_docs(xdir: Path):
    """Each synset -> "lemma, lemma: definition." + its quoted usage examples; 20 consecutive synsets a document."""
    wn = xdir / "usr/share/wordnet"
    for pos in ("noun", "verb", "adj", "adv"):
        block = []
        for line in (wn / f"data.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue  # license header
            head, gloss = line.split("|", 1)
            f = head.split()
            n = int(f[3], 16)
            lemmas = []
            for i in range(n):
                w = re.sub(r"\(.*?\)$", "", f[4 + 2 * i]).replace("_", " ")
                if w.lower() not in [x.lower() for x in lemmas]:
                    lemmas.append(w)
            parts = [p.strip() for p in gloss.split(";") if p.strip()]
            defs = [p for p in parts if not p.startswith('"')]
            exs = [p.strip('"').strip() for p in parts if p.startswith('"')]
            if not defs:
                continue
            sents = [f"{', '.join(lemmas[:3])}: {'; '.join(defs)}."]
            for e in exs:
                e = e.rstrip('"').strip()
                if e:
                    sents.append(e[0].upper() + e[1:] + ("" if e[-1] in ".!?" else "."))
            block.extend(sents)
            if len(block) >= 40:
                yield {"source": "wordnet", "sents": block}
                block = []
        if block:
            yield {"source": "wordnet", "sents": block}


_ROLE = re.compile(r":[\w:.+-]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_LIT = re.compile(r"``([^`]+)``")
_EMPH = re.compile(r"(\*\*|\*|`)([^*`]+)\1_?")


def rst_clean(text: str) -> str:
    text = _ROLE.sub(lambda m: m.group(1).strip(), text)
    text = _LINK.sub(r"\1", text)
    text = _LIT.sub(r"\1", text)
    text = _EMPH.sub(r"\2", text)
    text = text.replace("\\", "")
    return text


def python_doc_docs(xdir: Path):
    """Paragraphs of prose from the Python docs' reST sources: no directives, code blocks, tables, titles."""
    src = xdir / "usr/share/doc/python3.11/html/_sources"
    skip_dirs = {"whatsnew", "c-api"}  # changelogs, C API reference: mostly identifiers
    for path in sorted(src.rglob("*.rst.txt")):
        rel = path.relative_to(src)
        if rel.parts[0] in skip_dirs:
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        pars, cur = [], []
        in_block, block_indent = False, 0
        for ln in lines + [""]:
            stripped = ln.strip()
            indent = len(ln) - len(ln.lstrip())
            if in_block:
                if stripped and indent <= block_indent:
                    in_block = False
                else:
                    continue
            if not stripped:
                if cur:
                    pars.append(" ".join(cur))
                    cur = []
                continue
            if stripped.startswith(".. ") or stripped.startswith(">>>") or stripped.startswith("..."):
                if cur:
                    pars.append(" ".join(cur))
                    cur = []
                in_block, block_indent = True, indent
                continue
            if re.fullmatch(r"([=\-~^\"'`#*+_.:])\1{2,}", stripped) or stripped.startswith(
                ("|", "+-", "+=", "=", "*", "-", "#")
            ):
                if cur:
                    cur = []  # a title underline or list/table item: drop the line(s) before it too
                continue
            if stripped.startswith(":") and stripped.count(":") >= 2 and not cur:
                continue  # field list
            cur.append(stripped)
            if stripped.endswith("::"):
                pars.append(" ".join(cur)[:-1])
                cur = []
                in_block, block_indent = True, indent
        sents = []
        for p in pars:
            for s in split_sentences(rst_clean(p)):
                if prose_like(s, 4):
                    sents.append(s)
        # one document per file section of up to 30 sentences
        for i in range(0, len(sents), 30):
            yield {"source": "python3.11-doc", "sents": sents[i : i + 30]}


class _Paras(HTMLParser):
    """Text of DocBook paragraphs (<div class="para"> or <p>), without <pre>/<script>/<style> content."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pars, self.cur, self.stack, self.depth_skip = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "script", "style"):
            self.depth_skip += 1
        if tag in ("div", "p"):
            cls = dict(attrs).get("class") or ""
            is_para = (tag == "div" and "para" in cls.split()) or (tag == "p" and not cls and not dict(attrs).get("id"))
            if is_para and self.cur and any(self.stack):
                self.pars.append("".join(self.cur))  # nested paragraph: close the outer one's text so far
                self.cur = []
            self.stack.append(is_para)

    def handle_endtag(self, tag):
        if tag in ("pre", "script", "style"):
            self.depth_skip = max(0, self.depth_skip - 1)
        if tag in ("div", "p") and self.stack:
            was_para = self.stack.pop()
            if was_para and self.cur:
                self.pars.append("".join(self.cur))
                self.cur = []

    def handle_data(self, data):
        if any(self.stack) and not self.depth_skip:
            self.cur.append(data)


def handbook_docs(xdir: Path):
    hdir = xdir / "usr/share/doc/debian-handbook/html/en-US"
    for path in sorted(hdir.glob("*.html")):
        p = _Paras()
        p.feed(path.read_text(encoding="utf-8", errors="replace"))
        sents = []
        for par in p.pars:
            for s in split_sentences(html.unescape(par)):
                if prose_like(s, 4):
                    sents.append(s)
        for i in range(0, len(sents), 30):
            yield {"source": "debian-handbook", "sents": sents[i : i + 30]}


# --------------------------------------------------------------------------- main


def eval_sentences() -> set[str]:
    """Every sentence of the evaluation splits (lower-cased, whitespace-normalised). Some STS-B train
    sentences and some SNLI validation sentences also occur in STS-B validation/test; they are dropped."""
    import pandas as pd

    out = set()
    for name, cols in (
        ("stsb_validation", ("sentence1", "sentence2")),
        ("stsb_test", ("sentence1", "sentence2")),
        ("banking77_test", ("text",)),
        ("medquad_qa_eval", ("question", "answer")),
    ):
        df = pd.read_parquet(DATA / f"{name}.parquet")
        for c in cols:
            out.update(norm(str(t)).lower() for t in df[c])
    return out


def build(cache: Path) -> Path:
    xdirs = fetch_debs(cache)
    outdir = cache / "corpus"
    outdir.mkdir(parents=True, exist_ok=True)
    stats: dict[str, dict] = {}
    seen = set()
    banned = eval_sentences()
    dropped: dict[str, int] = {}
    h = hashlib.sha256()
    gens = [
        bundled_docs(),
        wordnet_docs(xdirs["wordnet-base"]),
        python_doc_docs(xdirs["python3.11-doc"]),
        handbook_docs(xdirs["debian-handbook"]),
    ]
    with open(outdir / "docs.jsonl", "w", encoding="utf-8") as f:
        for gen in gens:
            for doc in gen:
                sents = []
                for s in doc["sents"]:
                    key = s.lower()
                    if key in banned:  # the same sentence occurs in an evaluation split: leave it out
                        dropped[doc["source"]] = dropped.get(doc["source"], 0) + 1
                        continue
                    if doc["source"] not in ("stsb_train",) and key in seen and len(s) > 30:
                        continue  # exact duplicate sentence (boilerplate)
                    seen.add(key)
                    sents.append(s)
                if not sents:
                    continue
                line = json.dumps({"source": doc["source"], "sents": sents}, ensure_ascii=False)
                f.write(line + "\n")
                h.update(line.encode() + b"\n")
                st = stats.setdefault(doc["source"], {"docs": 0, "sentences": 0, "chars": 0})
                st["docs"] += 1
                st["sentences"] += len(sents)
                st["chars"] += sum(len(s) for s in sents)
    versions = {pkg: (xdirs[pkg] / ".done").read_text() for pkg in xdirs}
    total = {k: sum(v[k] for v in stats.values()) for k in ("docs", "sentences", "chars")}
    (outdir / "stats.json").write_text(
        json.dumps(
            {
                "sources": stats,
                "total": total,
                "dropped_eval_overlap": dropped,
                "deb_versions": versions,
                "sha256": h.hexdigest(),
            },
            indent=2,
        )
    )
    return outdir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=default_cache())
    args = ap.parse_args()
    out = build(args.cache)
    print((out / "stats.json").read_text())


if __name__ == "__main__":
    main()
