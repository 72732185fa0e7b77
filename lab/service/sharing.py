"""Taking a run's model away: a zip of the model, its training script, or a push to the Hub.

A model trained on someone's uploaded file was fitted on their data, so only they can take it away (the
instructor neither: an owner id is a browser's capability, and uploads stay with their browser).
"""

from __future__ import annotations

from typing import Any

from lab.config import RunConfig
from lab.errors import ConfigError, NotAllowed, PublishError
from lab.service.access import clean_owner, is_private
from lab.service.export import zip_model
from lab.service.live import store
from lab.service.publish import push_run
from lab.service.runs import load_run
from lab.service.script import training_script
from lab.store import RunRecord, valid_run_id


def check_may_take(record: RunRecord, owner: str | None) -> None:
    """NotAllowed unless this browser may take the run's model away (see the module docstring)."""
    if is_private(record.config) and clean_owner(owner) != record.meta.get("owner"):
        raise NotAllowed("This model was trained on another person's uploaded file: only they can download or "
                         "publish it.")


def push_to_hub(run_id: str | None, repo_id: str, token: str, private: bool = True, owner: str | None = "") -> str:
    """Push a stored run's model with the user's token (used for this call only); raises PublishError."""
    if not isinstance(run_id, str) or not valid_run_id(run_id):
        raise PublishError("Pick a run with a saved model first.")
    record = load_run(run_id, admin=True)  # taking a model away has the stricter rule: check_may_take
    if record is not None:
        try:
            check_may_take(record, owner)
        except NotAllowed as exc:
            raise PublishError(str(exc)) from None
    return push_run(store(), run_id, str(repo_id or ""), str(token or ""), private=bool(private))


def export_zip(run_id: str, owner: str | None = ""):
    """A fresh zip of the run's model (and its training script) in a temp dir; raises FileNotFoundError or
    NotAllowed."""
    record = load_run(run_id, admin=True)  # taking a model away has the stricter rule: check_may_take
    if record is None:
        raise FileNotFoundError("No such run.")
    check_may_take(record, owner)
    return zip_model(store().model_dir(run_id), run_id, _config_or_none(record.config))


def export_script(run_id: str, owner: str | None = None, admin: bool = False) -> str:
    """The run's training script, if this browser may read the run (its config is in the script)."""
    record = load_run(run_id, owner, admin)
    if record is None:
        raise FileNotFoundError("No such run (or one you may not see).")
    config = _config_or_none(record.config)
    if config is None:
        raise ConfigError("This run's stored config can no longer be read by this version of the lab.")
    return training_script(config, run_id)


def _config_or_none(data: dict[str, Any]) -> RunConfig | None:
    try:
        return RunConfig.from_dict(data)
    except (ConfigError, TypeError):
        return None
