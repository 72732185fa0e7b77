"""lab/service/views.py and the form's probe pairs: what the Train tab's views panel is handed."""

from __future__ import annotations

import pytest

from lab.errors import ConfigError
from lab.service.form import parse_probe_pairs, probe_pairs_text


def test_the_forms_probe_pairs_parse_one_per_line():
    text = "A man plays guitar. | Someone makes music.\n\n  A dog runs |A cat sleeps  \n"
    pairs = parse_probe_pairs(text)
    assert pairs == (("A man plays guitar.", "Someone makes music."), ("A dog runs", "A cat sleeps"))
    assert parse_probe_pairs(probe_pairs_text(pairs)) == pairs
    assert parse_probe_pairs("") == () and parse_probe_pairs(None) == ()
    for bad in ("no separator", "a | b | c", " | b"):
        with pytest.raises(ConfigError, match="line 1: two sentences separated by"):
            parse_probe_pairs(bad)
    with pytest.raises(ConfigError, match="at most 8 lines"):
        parse_probe_pairs("\n".join(["a | b"] * 9))


def test_a_run_without_views_says_why(tmp_path, monkeypatch):
    from helpers import fake_stored_run

    from lab import service

    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path))
    import helpers

    helpers.reset_service()
    try:
        run_id = "d1" * 12
        fake_stored_run(service.store(), run_id, {"model": "tiny-bert", "recipe": "nli-3class", "loss": "softmax"},
                        [1.1, 1.0], 0.5, "completed")
        views = service.run_views(run_id)
        assert all(f is None for f in views.figures.values())
        assert "no teaching views" in views.empty and "no in-batch negatives" in views.batch_note
        assert service.views_key(run_id) == service.run_views(run_id).key
        assert service.run_views("nope").empty.startswith("Start a run")
        assert service.views_key("zz" * 12) == "none"
    finally:
        helpers.reset_service()
