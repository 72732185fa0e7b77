"""Push-to-Hub: validated inputs, the token used for the call only, never written or echoed."""

from __future__ import annotations

import pytest

from lab.errors import PublishError
from lab.jobs.queue import JobManager
from lab.service import publish
from lab.service.publish import push_run
from lab.store import RunStore

TOKEN = "hf_SECRETtoken1234567890"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from lab.config import RunConfig

    store = RunStore(tmp_path_factory.mktemp("runs"))
    manager = JobManager(store)
    run_id = manager.submit(RunConfig(model="tiny-bert", recipe="nli-scores", loss="cosine", max_train_samples=16,
                                      batch_size=8, eval_max_pairs=20))
    assert manager.wait(run_id, 300) == "completed"
    manager.close()
    return store, run_id


@pytest.mark.parametrize(("repo", "token", "message"), [
    ("no-slash", TOKEN, "your-name/model-name"),
    ("a/../b", TOKEN, "your-name/model-name"),
    ("https://x/y", TOKEN, "your-name/model-name"),
    ("me/model", "", "token"),
])
def test_bad_inputs(finished_run, repo, token, message):
    store, run_id = finished_run
    with pytest.raises(PublishError, match=message):
        push_run(store, run_id, repo, token)


def test_offline_says_so(finished_run):
    store, run_id = finished_run
    with pytest.raises(PublishError, match="not reachable"):
        push_run(store, run_id, "me/model", TOKEN)


@pytest.mark.slow
def test_token_is_used_for_the_call_and_never_stored_or_echoed(finished_run, monkeypatch):
    from sentence_transformers import SentenceTransformer

    store, run_id = finished_run
    seen = {}

    def fake_push(self, repo_id, token=None, **kwargs):
        seen.update(repo_id=repo_id, token=token)
        raise RuntimeError(f"401 Unauthorized for Authorization: Bearer {token}")

    monkeypatch.setattr(publish, "hub_available", lambda: True)
    monkeypatch.setattr(SentenceTransformer, "push_to_hub", fake_push)
    with pytest.raises(PublishError) as err:
        push_run(store, run_id, "me/model", TOKEN)
    assert seen == {"repo_id": "me/model", "token": TOKEN}
    assert TOKEN not in str(err.value) and "***" in str(err.value)
    for path in store.root.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
