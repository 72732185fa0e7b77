"""lab/service/identical.py: a room pressing Start on the same settings trains once; a different setting, a private
run of someone else, or "train again anyway" trains anew."""

from __future__ import annotations

import pytest

from lab.config import RunConfig
from lab.service.identical import identity


def test_the_identity_is_the_training_not_its_name():
    a = RunConfig(model="tiny-bert", seed=1)
    assert identity(a.to_dict()) == identity(a.replace(label="mine").to_dict())
    for change in ({"seed": 2}, {"lr": 3e-5}, {"loss_params": {"scale": 30.0}}, {"max_train_samples": 999},
                   {"probe_pairs": [["a", "b"]]}, {"views": False}):
        assert identity(a.to_dict()) != identity(a.replace(**change).to_dict()), change


@pytest.mark.slow
def test_start_serves_an_identical_run_and_train_again_trains(tmp_path, monkeypatch):
    import helpers
    from helpers import fake_stored_run

    from lab import service

    monkeypatch.setenv("LAB_RUNS_DIR", str(tmp_path))
    helpers.reset_service()
    try:
        config = RunConfig(model="tiny-bert", max_train_samples=32, batch_size=16, eval_max_pairs=20, lr=1e-3)
        alice, bob = service.new_owner(), service.new_owner()
        first, shared = service.start_or_reuse(config, alice)
        assert shared is None
        second, shared = service.start_or_reuse(config.replace(label="bob's"), bob)  # while it is queued/running
        assert second == first and shared in ("queued", "running")
        assert not service.is_live(second, bob)  # following Alice's run is not Bob's own live run
        assert service.manager().wait(first, 600) == "completed"
        third, shared = service.start_or_reuse(config, bob)
        assert (third, shared) == (first, "completed")
        own, shared = service.start_or_reuse(config, bob, reuse=False)
        assert own != first and shared is None and service.is_live(own, bob)
        assert service.manager().wait(own, 600) == "completed"
        other, shared = service.start_or_reuse(config.replace(seed=43), bob)
        assert shared is None and other not in (first, own)
        service.manager().wait(other, 600)
        # a private run (trained on someone's upload) is never served to another browser
        private = config.replace(recipe="upload-triplet", upload_id="ab" * 12).to_dict()
        fake_stored_run(service.store(), "f1" * 12, private, [1.0], 0.5, owner=alice)
        assert service.find_identical(RunConfig.from_dict(private), bob) is None
        assert service.find_identical(RunConfig.from_dict(private), alice) == ("f1" * 12, "completed")
    finally:
        helpers.reset_service()
