"""A shareable experiment: a small YAML and a link (`?experiment=…`) that reproduce a run exactly — model, recipe,
loss and knobs, seed, sizes — with the library versions it ran on; opening either fills the Train form and warns
about the known traps between those versions and this server's (tutorials break on them).

Both read paths take text from anyone: bounded in size, parsed with yaml.safe_load / JSON, validated by RunConfig.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import yaml

from lab.config import RunConfig
from lab.errors import ConfigError
from lab.events import Finished, Started
from lab.service.form import probe_pairs_text
from lab.service.live import snapshot

FORMAT = 1
MAX_YAML_CHARS = 16_384
MAX_LINK_CHARS = 4_096
_NOT_SHARED = ("upload_id", "label")


def _versions_now() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("sentence-transformers", "transformers", "torch", "mteb"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def of_run(run_id: str | None, owner: str | None = None) -> dict[str, Any]:
    """The experiment of a run this browser may read: its config (an upload is not shared), versions, results."""
    snap = snapshot(run_id, owner)
    if snap is None or snap.config.get("kind", "training") != "training":
        raise ConfigError("Pick a training run to share.")
    config = {k: v for k, v in snap.config.items() if k not in _NOT_SHARED and k != "kind"}
    started = next((e for e in snap.events if isinstance(e, Started)), None)
    finished = next((e for e in reversed(snap.events) if isinstance(e, Finished)), None)
    out: dict[str, Any] = {"lab_experiment": FORMAT, "config": config,
                           "versions": dict(started.versions) if started else {}}
    if snap.config.get("upload_id"):
        out["note"] = "trained on a private upload, which is not shared: the recipe needs your own file"
    if finished and finished.metrics_after:
        out["results"] = {"spearman_cosine_before": round(finished.metrics_before.get("spearman_cosine", 0.0), 4),
                          "spearman_cosine_after": round(finished.metrics_after.get("spearman_cosine", 0.0), 4),
                          "steps": finished.steps}
    return out


def to_yaml(experiment: dict[str, Any]) -> str:
    head = "# Contrastive Lab experiment: paste it into the Train tab's 'Load an experiment', or open its link.\n"
    return head + yaml.safe_dump(experiment, sort_keys=False, allow_unicode=True)


def to_link(experiment: dict[str, Any], base_url: str = "") -> str:
    """`<base_url>?experiment=<base64url of the config as compact JSON>` (versions travel in the YAML only)."""
    raw = json.dumps({"lab_experiment": FORMAT, "config": experiment["config"]}, separators=(",", ":"))
    token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{base_url}?experiment={token}"


def from_yaml(text: str) -> tuple[RunConfig, list[str]]:
    """(the config, warnings) from pasted YAML; ConfigError with the reason for anything else."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("Paste an experiment's YAML first.")
    if len(text) > MAX_YAML_CHARS:
        raise ConfigError(f"An experiment is at most {MAX_YAML_CHARS:,} characters; this is {len(text):,}.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"Not valid YAML: {str(exc).splitlines()[0]}") from None
    return _from_data(data)


def from_link(token: str) -> tuple[RunConfig, list[str]]:
    if not isinstance(token, str) or not token or len(token) > MAX_LINK_CHARS:
        raise ConfigError("This experiment link is empty or too long.")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ConfigError("This experiment link is damaged (it does not decode).") from None
    return _from_data(data)


def _from_data(data: Any) -> tuple[RunConfig, list[str]]:
    if not isinstance(data, dict) or data.get("lab_experiment") != FORMAT or not isinstance(data.get("config"), dict):
        raise ConfigError("Not a Contrastive Lab experiment (it needs 'lab_experiment: 1' and a 'config' table).")
    config = {k: v for k, v in data["config"].items() if k not in _NOT_SHARED}
    config = RunConfig.from_dict(config)  # unknown keys and bad values: ConfigError with the reason
    versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    return config, traps(config, {str(k): str(v) for k, v in versions.items()}, _versions_now())


def _major_minor(v: str) -> tuple[int, int]:
    parts = (v.split("+")[0].split(".") + ["0", "0"])[:2]
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return 0, 0


def traps(config: RunConfig, recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """The known version traps this experiment can fall into, and every library that differs from this server's."""
    out = []
    st = recorded.get("sentence-transformers", "")
    tf = recorded.get("transformers", "")
    if config.loss == "softmax" and st and _major_minor(st) == (3, 0):
        out.append(f"It ran on sentence-transformers {st}: 3.0 never trained the SoftmaxLoss classifier head "
                   "(sentence-transformers #2872, fixed by #2881); its published Softmax numbers are not this loss's.")
    if "tsdae" in (config.loss, config.recipe) or config.recipe == "domain-adapt":
        if tf and _major_minor(tf)[0] >= 5 and st and _major_minor(st)[0] < 6:
            out.append(f"TSDAE ties the decoder to the encoder: with transformers {tf} and sentence-transformers {st} "
                       "the tied weights break (sentence-transformers #3737); this lab's versions train it.")
        elif not recorded:
            out.append("TSDAE's tied decoder needs sentence-transformers ≥ 6 when transformers ≥ 5 (#3737).")
    if st and _major_minor(st)[0] < 3:
        out.append("EmbeddingSimilarityEvaluator's defaults changed: it now reports only the model's main similarity "
                   "unless similarity_fn_names is given (the lab gives all four), so older tables compare differently.")
    mteb_then, mteb_now = recorded.get("mteb", ""), now.get("mteb", "")
    if mteb_then and mteb_now and _major_minor(mteb_then)[0] != _major_minor(mteb_now)[0]:
        out.append(f"mteb {mteb_then} → {mteb_now}: mteb 2 replaced MTEB(tasks=…) with mteb.get_tasks / "
                   "mteb.evaluate; Banking77 scores follow the same protocol, but the code does not.")
    for name, then in sorted(recorded.items()):
        if name in now and now[name] != then:
            out.append(f"{name}: the run used {then}, this server has {now[name]} (numbers may move slightly).")
    return out


def form_values(config: RunConfig) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(Train form fields, loss knob values, recipe knob values) that rebuild `config` through build_config."""
    form = {
        "model": config.model, "hub_id": "", "recipe": config.recipe, "loss": config.loss,
        "max_train_samples": config.max_train_samples or 0, "epochs": config.epochs, "batch_size": config.batch_size,
        "lr": config.lr, "warmup_ratio": config.warmup_ratio, "seed": config.seed, "eval_steps": config.eval_steps,
        "logging_steps": config.logging_steps, "eval_max_pairs": config.eval_max_pairs or 0, "label": config.label,
        "pooling": config.pooling or "model default", "max_seq_length": config.max_seq_length or 0,
        "eval_split": config.eval_split, "data_source": config.data_source,
        "matryoshka_dims": ",".join(str(d) for d in config.matryoshka_dims), "group_by_length": config.group_by_length,
        "upload_id": config.upload_id, "views": config.views, "probe_pairs": probe_pairs_text(config.probe_pairs),
    }
    return form, dict(config.loss_params), dict(config.recipe_params)
