"""lab/service/experiment.py: a run as YAML and as a link, read back into the same config, bounded and validated on
every read path, with the version traps a tutorial falls into."""

from __future__ import annotations

import base64
import json

import pytest

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.service import experiment
from lab.service.form import build_config

CONFIG = RunConfig(model="tiny-bert", recipe="nli-triplets", loss="mnrl", max_train_samples=None, seed=7,
                   eval_max_pairs=None, probe_pairs=[["A cat.", "A kitten."]], matryoshka_dims=(64, 32), lr=3e-4,
                   loss_params={"scale": 30.0})


def _experiment(config=CONFIG, versions=None):
    shared = {k: v for k, v in config.to_dict().items() if k not in ("upload_id", "label")}
    return {"lab_experiment": 1, "config": shared, "versions": versions or {}}


def test_yaml_and_link_give_back_the_same_config_and_the_form_rebuilds_it():
    found = _experiment()
    config, _ = experiment.from_yaml(experiment.to_yaml(found))
    assert config == CONFIG
    link = experiment.to_link(found, "https://lab.example/")
    assert link.startswith("https://lab.example/?experiment=") and len(link) < experiment.MAX_LINK_CHARS
    assert experiment.from_link(link.split("=", 1)[1])[0] == CONFIG
    form, knobs, recipe_knobs = experiment.form_values(CONFIG)
    assert build_config(form, knobs, recipe_knobs) == CONFIG


@pytest.mark.parametrize("text, message", [
    ("", "Paste an experiment"),
    ("x" * (experiment.MAX_YAML_CHARS + 1), "at most 16,384 characters"),
    ("a: [unclosed", "Not valid YAML"),
    ("!!python/object/apply:os.system ['echo hacked']", "Not valid YAML"),  # safe_load refuses to build objects
    ("just a string", "Not a Contrastive Lab experiment"),
    ("lab_experiment: 2\nconfig: {}", "Not a Contrastive Lab experiment"),
    ("lab_experiment: 1\nconfig: {loss: nope}", "Unknown loss"),
    ("lab_experiment: 1\nconfig: {model: tiny-bert, rm_rf: true}", "Unknown config keys: rm_rf"),
    ("lab_experiment: 1\nconfig: {batch_size: 100000}", "batch_size must be between"),
])
def test_bad_yaml_gets_one_clear_reason(text, message):
    with pytest.raises(ConfigError, match=message):
        experiment.from_yaml(text)


@pytest.mark.parametrize("token, message", [
    ("", "empty or too long"), ("A" * 5000, "empty or too long"), ("%%%", "damaged"),
    (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "damaged"),
    (base64.urlsafe_b64encode(json.dumps({"config": {}}).encode()).decode(), "Not a Contrastive Lab experiment"),
])
def test_a_bad_link_says_it_is_bad(token, message):
    with pytest.raises(ConfigError, match=message):
        experiment.from_link(token)


def test_an_uploads_id_never_travels():
    config, _ = experiment.from_yaml(experiment.to_yaml(_experiment(RunConfig(recipe="nli-triplets")) | {
        "config": {**_experiment()["config"], "upload_id": "ab" * 12}}))
    assert config.upload_id == ""


def test_the_known_traps():
    now = {"sentence-transformers": "6.2.0", "transformers": "5.24.0", "mteb": "2.26.0"}
    softmax = experiment.traps(RunConfig(recipe="nli-3class", loss="softmax"),
                               {"sentence-transformers": "3.0.1", "transformers": "4.41.2"}, now)
    assert any("#2872" in w for w in softmax) and any("3.0.1, this server has 6.2.0" in w for w in softmax)
    tsdae = RunConfig(recipe="tsdae", loss="tsdae")
    assert any("#3737" in w for w in experiment.traps(tsdae, {"sentence-transformers": "5.1.0",
                                                               "transformers": "5.0.0"}, now))
    old = experiment.traps(RunConfig(), {"sentence-transformers": "2.7.0", "mteb": "1.12.0"}, now)
    assert any("similarity_fn_names" in w for w in old) and any("mteb.get_tasks" in w for w in old)
    assert experiment.traps(RunConfig(), dict(now), now) == []  # same versions, no trap
