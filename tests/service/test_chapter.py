"""lab/service/chapter.py and `python -m lab chapter`: the chapter's comparisons are planned at the size asked for
and come back as one table beside the chapter's published numbers (run here on tiny sizes)."""

from __future__ import annotations

import json

import pytest

from lab.service import chapter


def test_the_cpu_plan_is_the_chapters_comparison_on_the_labs_plain_base():
    plan = chapter.configs("cpu", seed=7)
    assert [(c.model, c.recipe, c.loss) for _, c in plan] == [
        ("lab-plain-bert", "nli-3class", "softmax"), ("lab-plain-bert", "nli-scores", "cosine"),
        ("lab-plain-bert", "nli-triplets", "mnrl"), ("tiny-bert", "nli-triplets", "mnrl"),
        ("all-MiniLM-L6-v2", "nli-triplets", "mnrl")]
    assert [row.chapter_value for row, _ in plan] == [0.451, 0.725, 0.811, None, 0.848]
    assert all(c.seed == 7 and c.eval_max_pairs is None and c.data_source == "offline" for _, c in plan)
    scratch = [c for _, c in plan[:4]]  # the from-scratch runs differ only in model, recipe and loss
    assert len({(c.epochs, c.batch_size, c.lr, c.max_train_samples) for c in scratch}) == 1
    assert plan[4][1].lr < scratch[0].lr  # a trained embedder is fine-tuned gently
    assert [row.banking77 for row, _ in plan] == [True, False, False, False, False]
    gpu = chapter.configs("gpu")
    assert {c.model for _, c in gpu[:3]} == {"bert-base-uncased"} and gpu[0][1].max_train_samples == 50_000
    with pytest.raises(ValueError, match="size"):
        chapter.configs("tpu")


@pytest.mark.slow
def test_the_chapter_command_prints_the_table_and_one_json_object(tmp_path, monkeypatch, capsys):
    from lab.cli import main

    tiny = chapter.Size("lab-plain-bert", "tiny test sizes",
                        {"epochs": 1.0, "batch_size": 16, "lr": 1e-3, "max_train_samples": 32,
                         "data_source": "offline"}, {"lr": 2e-5, "max_train_samples": 16}, 77)
    monkeypatch.setitem(chapter.SIZE, "cpu", tiny)
    assert main(["chapter", "--json", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "chapter: T4 GPU" in out and "Banking77 accuracy" in out
    result = json.loads(out.strip().splitlines()[-1])
    rows = result["rows"]
    assert [r["model"] for r in rows] == ["lab-plain-bert"] * 3 + ["tiny-bert", "all-MiniLM-L6-v2"]
    for r in rows:
        assert {"name", "loss", "model", "spearman_cosine_before", "spearman_cosine_after", "chapter_value",
                "seconds"} <= set(r)
        assert r["status"] == "completed" and -1 < r["spearman_cosine_after"] < 1 and r["seconds"] > 0
    assert rows[0]["spearman_cosine_before"] == rows[1]["spearman_cosine_before"]  # one base, scored once
    assert 0 < rows[0]["banking77_accuracy"] < 1
