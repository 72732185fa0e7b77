"""Where data comes from: the Hub when it is reachable (NLI train), bundled parquet otherwise.

Every loader returns `(DataFrame, SourceInfo)` so a run can record and show which data it used.
STS-B, Banking77 and MedQuAD are always read from the bundled copies: they are the same data as on
the Hub, and reading them locally is faster and deterministic. SCRIPT_LOADERS: the same loading, as code
for the generated training script.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import pandas as pd

from lab.host.hub import hub_available
from lab.host.paths import DATA_DIR

log = logging.getLogger(__name__)

NLI_HUB_ROWS = 50_000  # the chapter trains on the first 50k MNLI train pairs


@dataclass(frozen=True)
class SourceInfo:
    name: str  # e.g. "MNLI train (first 50,000 rows)"
    origin: str  # "hub", "bundled" or "upload"
    detail: str  # dataset id or file names
    rows: int
    note: str = ""  # why this route was taken, when it was a fallback

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        where = {"hub": "the Hugging Face Hub", "upload": "your upload"}.get(self.origin, "the bundled offline copy")
        text = f"{self.name} — {self.rows:,} source rows from {where} ({self.detail})"
        return f"{text}. {self.note}" if self.note else text


def _bundled(name: str) -> pd.DataFrame:
    return pd.read_parquet(DATA_DIR / f"{name}.parquet")


def load_nli(mode: str = "auto") -> tuple[pd.DataFrame, SourceInfo]:
    """Labelled NLI pairs (premise, hypothesis, label: 0 entailment / 1 neutral / 2 contradiction)."""
    note = ""
    if mode == "hub" or (mode == "auto" and hub_available()):
        try:
            from datasets import load_dataset

            ds = load_dataset("nyu-mll/glue", "mnli", split=f"train[:{NLI_HUB_ROWS}]")
            df = ds.to_pandas()[["premise", "hypothesis", "label"]]
            return df, SourceInfo(f"MNLI train (first {NLI_HUB_ROWS:,} rows)", "hub", "nyu-mll/glue mnli", len(df))
        except Exception as exc:  # a flaky Hub must not take a run down: fall back, and say so
            if mode == "hub":
                raise
            note = f"The Hub load failed ({type(exc).__name__}), so the bundled copy was used."
            log.warning("NLI from the Hub failed, using the bundled copy: %s", exc)
    elif mode == "auto":
        note = "The Hub is not reachable, so the offline substitute for MNLI train is used."
    parts = [_bundled("mnli_validation_matched"), _bundled("snli_validation")]
    df = pd.concat(parts, ignore_index=True)[["premise", "hypothesis", "label"]]
    info = SourceInfo(
        "MNLI validation_matched + SNLI validation",
        "bundled",
        "assets/data/mnli_validation_matched.parquet, snli_validation.parquet",
        len(df),
        note,
    )
    return df, info


def load_stsb(split: str = "validation") -> tuple[pd.DataFrame, SourceInfo]:
    """STS-B pairs with gold scores on the original 0–5 scale."""
    if split not in ("train", "validation", "test"):
        raise ValueError(f"STS-B has no split '{split}'.")
    df = _bundled(f"stsb_{split}")
    return df, SourceInfo(f"STS-B {split}", "bundled", f"assets/data/stsb_{split}.parquet", len(df))


def load_banking77(split: str = "train") -> tuple[pd.DataFrame, SourceInfo]:
    """Banking77 intents: text, label (0–76), label_text."""
    df = _bundled(f"banking77_{split}")
    return df, SourceInfo(f"Banking77 {split}", "bundled", f"assets/data/banking77_{split}.parquet", len(df))


def load_medquad_sentences() -> tuple[pd.DataFrame, SourceInfo]:
    """10,000 unlabelled medical sentences (MedQuAD answers), for TSDAE / domain adaptation."""
    df = _bundled("medquad_sentences_10k")
    return df, SourceInfo("MedQuAD sentences", "bundled", "assets/data/medquad_sentences_10k.parquet", len(df))


def load_medquad_qa() -> tuple[pd.DataFrame, SourceInfo]:
    """1,500 held-out MedQuAD question/answer pairs, for in-domain retrieval evaluation."""
    df = _bundled("medquad_qa_eval")
    return df, SourceInfo("MedQuAD QA eval", "bundled", "assets/data/medquad_qa_eval.parquet", len(df))


# --- "Show code": the same data in the generated script (plain pandas/datasets, no lab imports) ---------------
# Function definitions the script generator (lab/service/script.py) copies in, as they are, when the script calls
# them. The lab's parquet folder is `args.data_dir` (set by find_data_dir); without it the data comes from the Hub.
SCRIPT_LOADERS: dict[str, str] = {
    "find_data_dir": '''\
def find_data_dir(given: str | None) -> Path | None:
    """The folder of the lab's parquet copies (its assets/data): --data-dir, else the lab's own folder when this
    script runs where it exists; None: read the data from the Hugging Face Hub instead."""
    for folder in (given, LAB_DATA_DIR):
        if folder and (Path(folder) / "stsb_validation.parquet").is_file():
            return Path(folder)
    if given:
        raise SystemExit(f"--data-dir {given}: the lab's parquet files (e.g. stsb_validation.parquet) are not there.")
    return None''',
    "load_nli": f'''\
def load_nli(args: argparse.Namespace) -> pd.DataFrame:
    """Labelled NLI pairs: premise, hypothesis, label (0 entailment, 1 neutral, 2 contradiction)."""
    if USE_HUB or args.data_dir is None:
        print("NLI: MNLI train, the first {NLI_HUB_ROWS:,} pairs, from the Hub (nyu-mll/glue mnli)")
        raw = load_dataset("nyu-mll/glue", "mnli", split="train[:{NLI_HUB_ROWS}]").to_pandas()
        return raw[["premise", "hypothesis", "label"]]
    # The lab's offline substitute for MNLI train: MNLI validation_matched + SNLI validation.
    print("NLI: MNLI validation_matched + SNLI validation from", args.data_dir)
    parts = [pd.read_parquet(args.data_dir / f"{{name}}.parquet")
             for name in ("mnli_validation_matched", "snli_validation")]
    return pd.concat(parts, ignore_index=True)[["premise", "hypothesis", "label"]]''',
    "load_stsb": '''\
def load_stsb(args: argparse.Namespace, split: str) -> pd.DataFrame:
    """STS-B pairs: sentence1, sentence2 and the gold score on the original 0–5 scale."""
    if args.data_dir is not None:
        return pd.read_parquet(args.data_dir / f"stsb_{split}.parquet")
    stsb = load_dataset("sentence-transformers/stsb", split=split).to_pandas()
    return stsb.assign(score=stsb["score"] * 5.0)  # the Hub copy is already scaled to 0–1''',
    "lab_file": '''\
def lab_file(args: argparse.Namespace, name: str) -> Path:
    """One of the lab's own files (MedQuAD as the lab prepared it is not on the Hub in this form)."""
    if args.data_dir is None:
        raise SystemExit(f"{name}.parquet is one of the lab's files: pass --data-dir with a copy of the lab's "
                         "assets/data folder (its repository has it).")
    return args.data_dir / f"{name}.parquet"''',
    "load_medquad_sentences": '''\
def load_medquad_sentences(args: argparse.Namespace) -> pd.DataFrame:
    """10,000 unlabelled medical sentences from MedQuAD answers (column text)."""
    return pd.read_parquet(lab_file(args, "medquad_sentences_10k"))''',
    "load_medquad_qa": '''\
def load_medquad_qa(args: argparse.Namespace) -> pd.DataFrame:
    """1,500 held-out MedQuAD question/answer pairs (columns question, answer), for retrieval evaluation."""
    return pd.read_parquet(lab_file(args, "medquad_qa_eval"))''',
    "read_table": '''\
def read_table(path: str, columns: list[str]) -> pd.DataFrame:
    """Your own file, read by its extension (.csv, .tsv, .jsonl, .json or .parquet); it must have `columns`."""
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv"):
        table = pd.read_csv(path, sep="\\t" if suffix == ".tsv" else ",", dtype=str)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        table = pd.read_json(path, lines=suffix != ".json")
    elif suffix in (".parquet", ".pq"):
        table = pd.read_parquet(path)
    else:
        raise SystemExit(f"{path}: give a .csv, .tsv, .jsonl or .parquet file.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SystemExit(f"{path} has no column {', '.join(missing)}: it needs the columns {', '.join(columns)}.")
    return table''',
}
