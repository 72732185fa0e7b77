"""The Instructor tab (only when LAB_INSTRUCTOR_SECRET is set): unlock with the secret, then cancel or delete
any run and set the room's default form values. The unlocked flag lives server-side in this tab's gr.State.
"""

from __future__ import annotations

import json

import gradio as gr

from lab import charts, service
from lab.ui.state import user_errors

LOCKED = "Unlock instructor mode first (this tab, this page)."


def build(demo: gr.Blocks) -> None:
    unlocked = gr.State(False)  # server-side, per page session; the secret itself is never kept
    gr.Markdown("Instructor tools for this server: cancel or delete anyone's run, and set the defaults every new "
                "page starts with.", elem_classes="lab-note")
    with gr.Row():
        secret = gr.Textbox(label="Instructor secret", type="password", max_lines=1, elem_id="instructor-secret")
        unlock_btn = gr.Button("Unlock", scale=0, min_width=110, elem_id="instructor-unlock")
    lock_md = gr.Markdown("Locked.", elem_id="instructor-status")
    with gr.Column(visible=False) as panel:
        gr.Markdown("### All runs")
        with gr.Row():
            pick = gr.Dropdown([], label="Run", elem_id="admin-run", scale=3)
            refresh_btn = gr.Button("↻ Refresh", size="sm", scale=0, min_width=110)
            cancel_btn = gr.Button("■ Cancel run", variant="stop", size="sm", scale=0, min_width=130)
            delete_btn = gr.Button("🗑 Delete run", variant="stop", size="sm", scale=0, min_width=130)
        table = gr.Dataframe(interactive=False, elem_id="admin-runs", max_height=300, wrap=False)
        action_md = gr.Markdown(elem_id="admin-result")
        gr.Markdown("### The room's replay\nFinished runs every participant can play back (Compare → Room replay) "
                    "with their curves and teaching views, while the queue trains their own.")
        with gr.Row():
            replay_pick = gr.Dropdown([], multiselect=True, label="Runs to publish", elem_id="admin-replay", scale=3)
            publish_btn = gr.Button("Publish as the room's replay", size="sm", scale=0, min_width=200,
                                    elem_id="admin-publish")
        gr.Markdown("### Room defaults\nA JSON object of form settings (e.g. `{\"model\": \"tiny-bert\", "
                    "\"batch_size\": 32}`), checked like a real run and applied to every page opened after saving. "
                    "`{}` clears them.")
        defaults = gr.Code(language="json", label="Room defaults", elem_id="room-defaults", interactive=True)
        save_btn = gr.Button("Save room defaults", size="sm", elem_id="save-defaults")

    list_out = [table, pick, defaults, replay_pick]
    publish_btn.click(publish, [replay_pick, unlocked], action_md, concurrency_limit=None, api_name="admin_publish")
    unlock_btn.click(unlock, [secret, unlocked], [unlocked, secret, lock_md, panel], concurrency_limit=None,
                     api_name="instructor_unlock")
    refresh_btn.click(admin_runs, unlocked, list_out, concurrency_limit=None, api_name="admin_runs")
    cancel_btn.click(admin_cancel, [pick, unlocked], action_md, concurrency_limit=None, api_name="admin_cancel")
    delete_btn.click(admin_delete, [pick, unlocked], action_md, concurrency_limit=None,
                     api_name="admin_delete").then(admin_runs, unlocked, list_out, api_visibility="private")
    save_btn.click(save_defaults, [defaults, unlocked], action_md, concurrency_limit=None,
                   api_name="save_room_defaults")


def unlock(secret: str | None, unlocked: bool, request: gr.Request):
    """Check the secret (constant-time); on success this page session is unlocked and the box is emptied. Wrong
    secrets are counted per client (service.UNLOCK_GUARD): an over-eager client is refused, nobody else waits."""
    host = getattr(request.client, "host", "") if request is not None else ""
    try:
        ok = service.UNLOCK_GUARD.unlock(secret, getattr(request, "session_hash", "") or "", host or "")
    except service.NotAllowed as exc:
        raise gr.Error(str(exc)) from None
    if ok:
        return True, "", "**Unlocked** for this page.", gr.Column(visible=True)
    raise gr.Error("That is not the instructor secret.")


def _require(unlocked: bool) -> None:
    if unlocked is not True:
        raise gr.Error(LOCKED)


@user_errors
def admin_runs(unlocked: bool):
    _require(unlocked)
    records = service.all_runs_live_first()
    frame = charts.runs_frame(records)
    frame.insert(1, "id", [r.run_id for r in records])
    frame.insert(2, "kind", [r.config.get("kind", "training") for r in records])
    choices = [(charts.run_label(r.run_id, r.config) + f" · {r.status}", r.run_id) for r in records]
    finished = [c for c, r in zip(choices, records, strict=True) if r.status == "completed"
                and r.config.get("kind", "training") == "training"]
    current = [run_id for _, run_id in service.replay.published()]
    return (frame, gr.Dropdown(choices=choices, value=None), json.dumps(service.room_defaults(), indent=2),
            gr.Dropdown(choices=finished, value=current))


@user_errors
def publish(run_ids: list[str] | None, unlocked: bool) -> str:
    _require(unlocked)
    published = service.replay.publish(list(run_ids or []))
    return (f"**Published** {len(published)} run(s) as the room's replay." if published
            else "**Replay cleared**: nothing is published.")


@user_errors
def admin_cancel(run_id: str | None, unlocked: bool) -> str:
    _require(unlocked)
    if not service.cancel(run_id, admin=True):
        raise gr.Error("That run is not queued or running, so there is nothing to cancel.")
    return f"**Cancel requested** for run {str(run_id)[:8]}."


@user_errors
def admin_delete(run_id: str | None, unlocked: bool) -> str:
    _require(unlocked)
    if not service.delete_run(run_id, admin=True):
        raise gr.Error("No such run.")
    return f"**Deleted** run {str(run_id)[:8]}."


@user_errors
def save_defaults(text: str | None, unlocked: bool) -> str:
    _require(unlocked)
    try:
        values = json.loads(text or "{}")
    except ValueError as exc:
        raise gr.Error(f"Room defaults: not valid JSON ({exc}).") from None
    saved = service.save_room_defaults(values)
    shown = ", ".join(f"{k}={v!r}" for k, v in saved.items()) or "none (cleared)"
    return f"**Saved room defaults**: {shown}. New pages start with them."
