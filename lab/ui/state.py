"""Small things the tabs share: the browser-side job-id and owner keys, following a job from a tab, page CSS,
empty plot frames, user-error mapping, one answer per dropdown pick."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import gradio as gr

from lab import service
from lab.ui.routes import CHANGE_KEY_PATH

JOB_STORAGE_KEY = "contrastive_lab_job"
OWNER_STORAGE_KEY = "contrastive_lab_owner"
POLL_S = 1.0
REPEAT_PICK_S = 2.0  # the same page sending the same pick again within this is gradio's double dispatch
USER_ERRORS = (*service.USER_ERRORS, FileNotFoundError, KeyError)

CSS = """
.gradio-container { max-width: 1400px !important; }
#status { min-height: 2.2em; font-size: 1.05em; }
#status p { margin: 0.2em 0; }
.lab-note { color: var(--body-text-color-subdued); font-size: 0.9em; }
#warmup { font-size: 0.85em; color: var(--body-text-color-subdued); text-align: right; }
#warmup p { margin: 0; }
.lab-svg svg { max-width: 100%; height: auto; }
#actions #estimate p { margin: 0 0 4px 0; font-size: 0.9em; }
.wrap-inner input { padding-right: 28px !important; text-overflow: ellipsis; }
"""


# Runs in the browser on every timer tick: ask the plain-HTTP route of lab/ui/routes.py whether what this tab
# follows changed. Returning the same key fires no change event, so an unchanged second costs the server one tiny
# GET, not a gradio request; a failure keeps the last keys (the tab asks again next second). A changed layout key
# fires the full gradio poll. With progress outputs, the tab also sends the progress key it has; when the run has
# new points the answer carries the new values, set here with no gradio request (`undefined` leaves an output
# as it is) — but never on a layout change, whose full poll renders everything.
_CHANGE_KEY_JS = """
async (%(args)s) => {
  const name = %(name)s;
  const skip = Array(%(n_progress)d).fill(undefined);
  const same = %(same)s;
  if (!name) { return same; }
  try {
    const root = (window.gradio_config && window.gradio_config.root) || "";
    const query = %(query)s;
    const r = await fetch(`${root}%(path)s${encodeURIComponent(name)}${query}`,
                          {cache: "no-store", headers: %(headers)s});
    if (!r.ok) { return same; }
    const j = await r.json();
    return %(result)s;
  } catch (e) { return same; }
}
"""


def follow(timer: gr.Timer, what: gr.components.Component | str, handler: Callable[..., Any], inputs: list,
           outputs: list, *, progress: list | None = None, owner: gr.components.Component | None = None,
           views: bool = False, **event_kwargs: Any) -> None:
    """Wire a following timer: each tick asks the cheap change-key route from the browser; only a changed key
    calls `handler` (queue=False). `what` is the component holding a job id, or a fixed name the route knows
    (`routes.WARMUP`). `progress`: the components of `run_view.PROGRESS` (status, charts, stage list), in that
    order, which the tick sets itself from the route's answer when only the run's progress moved; without them
    any change calls `handler`, which should compare `service.any_change_key`. `owner`: the browser's id, sent
    with each tick (as a header) so that the route hands a private run's points to its owner only. `views`: follow
    the run's teaching-view key instead (service.views_key), which moves only when view data arrives."""
    key = gr.Textbox("", visible="hidden", interactive=False, elem_classes="lab-change-key")
    boxes, args = [key], ["last"]
    if progress:
        boxes.append(gr.Textbox("", visible="hidden", interactive=False, elem_classes="lab-change-key"))
        args.append("lastp")
    js = _CHANGE_KEY_JS % {
        "args": ", ".join([*([] if isinstance(what, str) else ["job"]), *(["owner"] if owner else []), *args]),
        "headers": '{"X-Lab-Owner": owner || ""}' if owner else "{}",
        "name": json.dumps(what) if isinstance(what, str) else "job",
        "n_progress": len(progress or []),
        "same": "[last, lastp, ...skip]" if progress else "last",
        "query": '"?progress=" + encodeURIComponent(lastp || "-")' if progress else ('"?views=1"' if views else '""'),
        # without progress outputs every change (layout or progress) is one to render: see service.any_change_key
        "result": ("[j.key, j.progress, ...(j.key === last && j.view ? j.view : skip)]" if progress
                   else 'j.progress === undefined ? j.key : j.key + "|" + j.progress'),
        "path": CHANGE_KEY_PATH,
    }
    tick_outputs = [*boxes, *(progress or [])]
    tick_inputs = [*([] if isinstance(what, str) else [what]), *([owner] if owner else []), *boxes]
    timer.tick(None, tick_inputs, tick_outputs, js=js, show_progress="hidden", api_visibility="private")
    key.change(handler, inputs, outputs, queue=False, show_progress="hidden", **event_kwargs)


def owner_state() -> gr.BrowserState:
    """This browser's owner id (random, made on the first page load by `ensure_owner`); not the job id."""
    # A fixed secret: the value is client-controlled anyway, and a random one would orphan every browser's runs
    # on each server restart.
    return gr.BrowserState(None, storage_key=OWNER_STORAGE_KEY, secret="contrastive-lab-owner")


def ensure_owner(owner: str | None) -> str:
    """Keep a well-formed owner id; give a browser without one (or with a tampered one) a fresh one."""
    return service.clean_owner(owner) or service.new_owner()


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


_picks: dict[tuple[str, str, str], float] = {}  # (page session, handler, values) → when it was last answered
_picks_lock = threading.Lock()


def once_per_pick(fn: Callable[..., Any], n_outputs: int) -> Callable[..., Any]:
    """`fn` as the handler of a Dropdown's `.input` that sets other fields, answering once per pick.

    Gradio 6 dispatches a Dropdown's `input` event twice for one pick with the mouse (its `select` and `change`
    once each; a typed value or the keyboard gives one `input` and no `select`). Both requests leave together; on
    a busy server the second answer can land after the user's next edits and undo them. The same page sending the
    same values again within REPEAT_PICK_S gets `gr.skip()` for every output; a pick of another value, or of the
    same one later, is answered. A call without a page session (a test, the API without one) is always answered.

    Not for an event with a `.then`: a skipped answer can arrive first and fire it while the page still holds the
    old values (a dropdown then fails gradio's check against the choices the first answer set). The preset uses
    `.change` instead (train_tab)."""

    def handler(request: gr.Request, *values: Any) -> Any:
        session = getattr(request, "session_hash", None)
        now = time.monotonic()
        key = (str(session), fn.__name__, repr(values))
        with _picks_lock:
            for old in [k for k, t in _picks.items() if now - t > REPEAT_PICK_S]:  # a handful: picks expire fast
                del _picks[old]
            repeated = session is not None and key in _picks
            if session is not None and not repeated:
                _picks[key] = now
        if repeated:
            return [gr.skip()] * n_outputs if n_outputs > 1 else gr.skip()
        return fn(*values)

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler
