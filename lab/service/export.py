"""Take a run out of the lab: a zip of its model (a per-export temp copy), with the equivalent plain
sentence-transformers training script that lab/service/script.py generates from its RunConfig.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lab.config import RunConfig
from lab.service.script import can_script, training_script

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
