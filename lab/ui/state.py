"""Small things the tabs share: the browser-side job-id and owner keys, page CSS, empty plot frames,
user-error mapping."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import gradio as gr
import pandas as pd

from lab import service
from lab.config import ConfigError
from lab.explore import ExploreError
from lab.models import ModelError
from lab.publish import PublishError
from lab.training.jobs import NotAllowed, QueueFull

JOB_STORAGE_KEY = "contrastive_lab_job"
OWNER_STORAGE_KEY = "contrastive_lab_owner"
POLL_S = 1.0
USER_ERRORS = (ConfigError, ModelError, ExploreError, QueueFull, NotAllowed, PublishError, FileNotFoundError,
               KeyError)

CSS = """
.gradio-container { max-width: 1400px !important; }
#status { min-height: 2.2em; font-size: 1.05em; }
#status p { margin: 0.2em 0; }
.lab-note { color: var(--body-text-color-subdued); font-size: 0.9em; }
#warmup { font-size: 0.85em; color: var(--body-text-color-subdued); text-align: right; }
#warmup p { margin: 0; }
.lab-svg svg { max-width: 100%; height: auto; }
"""


def owner_state() -> gr.BrowserState:
    """This browser's owner id (random, made on the first page load by `ensure_owner`); not the job id."""
    # A fixed secret: the value is client-controlled anyway, and a random one would orphan every browser's runs
    # on each server restart.
    return gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY, secret="contrastive-lab-owner")


def ensure_owner(owner: str | None) -> str:
    """Keep a well-formed owner id; give a browser without one (or with a tampered one) a fresh one."""
    return service.clean_owner(owner) or service.new_owner()


def empty_frame(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c not in ("phase", "run") else "object") for c in columns})


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the lab's user-facing errors into gr.Error (a red toast with the message), not a crash."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as exc:  # a KeyError's str() is its quoted repr: show the bare message
            message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            raise gr.Error(message) from None
        except Exception as exc:  # anything else: still a message, never a dead page
            raise gr.Error(f"Something went wrong: {type(exc).__name__}: {exc}"[:500]) from None

    return wrapper
