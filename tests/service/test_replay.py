"""lab/service/replay.py: the instructor publishes finished public runs; everyone reads them back; nothing else can
be published, and a broken or oversized replay file reads as no replay."""

from __future__ import annotations

import pytest
from helpers import fake_stored_run

from lab.config import RunConfig
from lab.errors import ConfigError


@pytest.fixture()
def service(tmp_path, monkeypatch):
    import helpers

    from lab import service

    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path))
    helpers.reset_service()
    yield service
    helpers.reset_service()


def test_publish_and_read_back(service):
    a = fake_stored_run(service.store(), "a1" * 12, RunConfig(model="tiny-bert").to_dict(), [1.0], 0.6)
    b = fake_stored_run(service.store(), "b1" * 12, RunConfig(loss="cosine", recipe="nli-scores").to_dict(), [1.0], 0.7)
    assert service.replay.published() == []
    assert service.replay.publish([b, a, b]) == [b, a]
    assert [run_id for _, run_id in service.replay.published()] == [b, a]
    assert "cosine" in service.replay.published()[0][0]
    service.delete_run(a, admin=True)
    assert [run_id for _, run_id in service.replay.published()] == [b]  # a deleted run drops out
    assert service.replay.publish([]) == [] and service.replay.published() == []


def test_only_finished_public_training_runs_are_published(service):
    cancelled = fake_stored_run(service.store(), "c1" * 12, RunConfig().to_dict(), [1.0], 0.5, status="cancelled")
    private = fake_stored_run(service.store(), "d1" * 12,
                              RunConfig(recipe="upload-triplet", upload_id="ab" * 12).to_dict(), [1.0], 0.5,
                              owner="someone")
    for run_ids, message in (([cancelled], "has not completed"), ([private], "private upload"),
                             (["../../etc"], "not a training run"), (["e1" * 12], "not a training run"),
                             ([f"{i:024x}" for i in range(13)], "at most 12")):
        with pytest.raises(ConfigError, match=message):
            service.replay.publish(run_ids)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"runs": "a1a1"}', "x" * 20_000,
                                     '{"runs": ["../../x", 5]}'])
def test_a_broken_replay_file_reads_as_none(service, content):
    from lab.host.paths import cache_dir

    fake_stored_run(service.store(), "a1" * 12, RunConfig().to_dict(), [1.0], 0.6)
    (cache_dir() / "replay.json").parent.mkdir(parents=True, exist_ok=True)
    (cache_dir() / "replay.json").write_text(content)
    assert service.replay.published() == []
