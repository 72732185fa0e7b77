"""Push a trained run to the Hugging Face Hub with the user's token, used for the call only.

The token is never stored, logged or put in an error message; the model card is the one
sentence-transformers generates when the run was saved, plus the lab's run summary.
"""

from __future__ import annotations

import re

from lab.errors import PublishError
from lab.host.hub import hub_available
from lab.store import RunStore

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")



def _scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def push_run(store: RunStore, run_id: str, repo_id: str, token: str, *, private: bool = True) -> str:
    """Upload the run's model folder to `repo_id`; returns the model's URL."""
    repo_id = (repo_id or "").strip()
    token = (token or "").strip()
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise PublishError("Repository id must look like 'your-name/model-name'.")
    if not token:
        raise PublishError("A Hugging Face token with write access is needed (it is used for this upload only).")
    record = store.load(run_id, with_events=False)
    if record is None or not store.model_dir(run_id).is_dir():
        raise PublishError("This run has no saved model to push.")
    if not hub_available():
        raise PublishError("The Hugging Face Hub is not reachable from this machine, so nothing can be pushed.")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(store.model_dir(run_id)), trust_remote_code=False, local_files_only=True)
    try:
        url = model.push_to_hub(repo_id, token=token, private=private, exist_ok=True,
                                commit_message=f"Contrastive Lab run {run_id}")
    except Exception as exc:  # the Hub's errors can echo request headers: never pass them on raw
        raise PublishError(f"Push failed: {_scrub(str(exc), token)[:300]}") from None
    return str(url)
