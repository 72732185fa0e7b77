"""Uploads train like built-in recipes: saved under a random id, private to their session, usable by the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import helpers
import pandas as pd
import pytest

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.recipes import RECIPES, prepare
from lab.upload.saved import check_upload_access, save_upload, uploads_dir

ROOT = Path(__file__).resolve().parents[2]
PAIRS = pd.DataFrame({"anchor": ["q1", "q2", "q3"], "positive": ["a1", "a2", "a3"]})


def test_every_upload_format_has_a_recipe_and_a_loss():
    from lab.losses import fitting_losses

    for key in ("upload-pair-class", "upload-pair-score", "upload-triplet", "upload-pair", "upload-single"):
        assert RECIPES[key].uses_upload and fitting_losses(RECIPES[key].format_key)


def test_saved_upload_round_trips_and_is_named_by_a_random_id():
    upload_id = save_upload(PAIRS, "pair", "../../etc/passwd", owner="alice")
    files = sorted(p.name for p in uploads_dir().iterdir())
    assert files == [f"{upload_id}.json", f"{upload_id}.parquet"]
    data = prepare("upload-pair", seed=0, max_rows=None, upload_id=upload_id)
    assert sorted(data.rows["anchor"]) == ["q1", "q2", "q3"]
    assert data.source.origin == "upload" and "your upload" in data.source.describe()


def test_uploads_are_private_to_their_session():
    upload_id = save_upload(PAIRS, "pair", "mine.csv", owner="alice")
    assert check_upload_access(upload_id, "alice")["rows"] == 3
    with pytest.raises(ConfigError, match="another session"):
        check_upload_access(upload_id, "bob")
    with pytest.raises(ConfigError, match="not valid"):
        check_upload_access("../" + upload_id, "alice")


def test_a_model_trained_on_an_upload_goes_only_to_its_owner():
    """The model was fitted on someone's own data: another browser can neither download nor publish it."""
    from lab import service
    from lab.errors import NotAllowed, PublishError
    from lab.ui import compare_tab

    helpers.reset_service()
    alice, bob = service.new_owner(), service.new_owner()
    try:
        for run_id, upload_id in (("a" * 24, "u" * 32), ("b" * 24, "")):
            service.store().create(run_id, {"model": "tiny-bert", "recipe": "upload-pair" if upload_id else
                                            "nli-triplets", "loss": "mnrl", "upload_id": upload_id}, owner=alice)
            (service.store().model_dir(run_id)).mkdir(parents=True)
            (service.store().model_dir(run_id) / "modules.json").write_text("[]")
        with pytest.raises(NotAllowed, match="another person's uploaded file"):
            service.export_zip("a" * 24, bob)
        with pytest.raises(PublishError, match="another person's uploaded file"):
            service.push_to_hub("a" * 24, "bob/model", "hf_" + "x" * 30, owner=bob)
        assert "another person's uploaded file" in compare_tab.push("a" * 24, "bob/model", "hf_" + "x" * 30, True,
                                                                     bob)
        assert service.export_zip("a" * 24, alice).is_file()  # the owner may
        assert service.export_zip("b" * 24, bob).is_file()  # a built-in recipe's model: anyone may
    finally:
        helpers.reset_service()


def test_config_requires_an_upload_id_exactly_for_upload_recipes():
    with pytest.raises(ConfigError, match="upload a file first"):
        RunConfig(recipe="upload-pair", loss="mnrl")
    with pytest.raises(ConfigError, match="does not take an upload"):
        RunConfig(upload_id="0" * 24)
    assert RunConfig(recipe="upload-pair", loss="mnrl", upload_id="a" * 24).upload_id == "a" * 24


def test_single_sentences_become_tsdae_pairs():
    upload_id = save_upload(pd.DataFrame({"text": ["one two three four", "five six seven eight"]}), "single", "s.txt")
    data = prepare("upload-single", seed=0, max_rows=None, upload_id=upload_id, params={"del_ratio": 0.5})
    assert list(data.rows.columns) == ["damaged", "original"] and len(data.rows) == 2


@pytest.mark.slow
def test_cli_trains_on_a_csv(tmp_path):
    csv = tmp_path / "my data.csv"
    csv.write_text("question,answer\n" + "".join(f"question {i}?,answer number {i}.\n" for i in range(12)))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "LAB_RUNS_DIR": str(tmp_path / "runs")}
    result = subprocess.run([sys.executable, "-m", "lab", "train", "--model", "tiny-bert", "--data", str(csv),
                             "--format", "pair", "--columns", "anchor=question,positive=answer", "--loss", "mnrl",
                             "--batch-size", "4", "--eval-max-pairs", "20", "--json"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed" and summary["config"]["recipe"] == "upload-pair"
    assert "my data.csv" in summary["source"] and summary["row_counts"]["used"] == 12


def test_held_uploads_are_bounded_per_page_and_in_all():
    """A page holds one uploaded table (a new upload replaces it), each within a per-page budget, and all pages
    together within a global one: the oldest goes, and its page is asked to upload again."""
    import pandas as pd

    from lab.errors import UploadError
    from lab.service.uploads import HeldUploads, ReadFile

    def read(rows: int) -> ReadFile:
        return ReadFile(pd.DataFrame({"anchor": [f"question {i}" for i in range(rows)]}), "x.csv", ())

    one = int(read(1000).table.memory_usage(deep=True).sum())
    held = HeldUploads(total_bytes=int(2.5 * one), per_session_bytes=2 * one)
    with pytest.raises(UploadError, match="a page may hold"):
        held.hold("alice", read(3000))
    first = held.hold("alice", read(1000))
    second = held.hold("alice", read(1000))  # replaces alice's first table
    with pytest.raises(UploadError, match="upload it again"):
        held.get(first)
    assert len(held.get(second).table) == 1000 and held.bytes_held() == one
    bob, carol = held.hold("bob", read(1000)), held.hold("carol", read(1000))  # 3 tables > 2.5: the oldest goes
    with pytest.raises(UploadError, match="upload it again"):
        held.get(second)
    assert held.get(bob) and held.get(carol) and held.bytes_held() <= 2.5 * one
