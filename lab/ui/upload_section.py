"""The Train tab's "Your own data" section: upload a file, pick its data format, map columns to roles with a
live preview, then "Use this data" saves the checked rows and points the form's recipe at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from lab import service
from lab.ui.state import once_per_pick, user_errors

FILE_TYPES = [".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet"]
DEFAULT_FORMAT = "pair" if "pair" in service.uploads.UPLOAD_FORMATS else service.uploads.UPLOAD_FORMATS[0]


@dataclass
class UploadSection:
    table: gr.State  # a token for the uploaded table, which the server holds (service.uploads.HELD)
    name: gr.State  # its display name
    fmt: gr.Dropdown
    roles: list[gr.Dropdown]
    use_btn: gr.Button
    delete_btn: gr.Button
    status: gr.Markdown
    owner: gr.BrowserState

    def wire(self, recipe: gr.Dropdown, upload_id: gr.Textbox):
        """'Use this data' sets the form's recipe (upload-<format>) and its hidden upload id; returns that event, so
        the form can follow it up (the losses that fit, the plan)."""
        used = self.use_btn.click(use, [self.table, self.name, self.fmt, *self.roles, self.owner],
                                  [recipe, upload_id, self.status, self.delete_btn], concurrency_limit=4,
                                  api_name="use_upload")
        self.delete_btn.click(delete, [upload_id, self.owner], [recipe, upload_id, self.status, self.delete_btn],
                              concurrency_limit=4, api_name="delete_upload")
        return used


def build(owner: gr.BrowserState) -> UploadSection:
    table, name = gr.State(None), gr.State("")
    with gr.Accordion("Your own data (CSV, TSV, JSONL or parquet)", open=False, elem_id="upload-section"):
        limit_mb = service.uploads.max_upload_bytes() / 1e6
        gr.Markdown(f"Upload a file (at most {limit_mb:.0f} MB) whose first line names the columns, "
                    "choose its data format, and map columns to roles. The preview shows what the loss will get. "
                    "Your upload is only visible to this browser.", elem_classes="lab-note")
        file = gr.File(label="File", file_types=FILE_TYPES, type="filepath", elem_id="upload-file", height=110)
        fmt = gr.Dropdown(service.uploads.format_choices(), value=DEFAULT_FORMAT, label="Data format",
                          elem_id="upload-format")
        with gr.Row():
            roles = [gr.Dropdown([], label=f"Role {i + 1}", elem_id=f"upload-role-{i}", visible=False,
                                 allow_custom_value=False) for i in range(service.uploads.MAX_ROLES)]
        preview = gr.Dataframe(interactive=False, wrap=True, elem_id="upload-preview", max_height=260,
                               label="Preview (first rows, as the loss gets them)", visible=False)
        status = gr.Markdown(elem_id="upload-status")
        with gr.Row():
            use_btn = gr.Button("Use this data", variant="secondary", elem_id="upload-use", interactive=False)
            delete_btn = gr.Button("🗑 Delete this upload from the server", variant="stop", size="sm",
                                   elem_id="upload-delete", visible=False)

    file.upload(on_file, [file, fmt], [table, name, *roles, preview, status, use_btn], concurrency_limit=4,
                api_name="read_upload")
    file.clear(on_clear, None, [table, name, *roles, preview, status, use_btn], queue=False,
               api_visibility="private")
    # one answer per pick (state.once_per_pick): a late second one would undo a role chosen just after
    fmt.input(once_per_pick(on_format, len(roles) + 3), [table, fmt], [*roles, preview, status, use_btn],
              concurrency_limit=None, api_visibility="private")
    for role in roles:
        role.input(once_per_pick(on_mapping, 2), [table, fmt, *roles], [preview, use_btn], concurrency_limit=None,
                   api_visibility="private")
    return UploadSection(table, name, fmt, roles, use_btn, delete_btn, status, owner)


def _pickers(df: pd.DataFrame | None, format_key: str, mapping: dict[str, str]) -> list[Any]:
    columns = [str(c) for c in df.columns] if df is not None else []
    roles = service.uploads.roles(format_key)
    out = []
    for i in range(service.uploads.MAX_ROLES):
        if i < len(roles) and df is not None:
            col, role = roles[i]
            out.append(gr.Dropdown(choices=[("— choose a column —", service.uploads.NONE), *[(c, c) for c in columns]],
                                   value=mapping.get(col, service.uploads.NONE), label=f"{col}: {role}", visible=True,
                                   interactive=True))
        else:
            out.append(gr.Dropdown(choices=[], value=None, visible=False))
    return out


def _preview(df: pd.DataFrame, format_key: str, mapping: dict[str, str]) -> tuple[Any, Any]:
    """The preview table and whether 'Use this data' can be pressed (every role has a column)."""
    frame = service.uploads.preview_frame(df, format_key, mapping)
    complete = all(mapping.get(col) for col, _ in service.uploads.roles(format_key))
    return gr.Dataframe(frame, visible=True), gr.Button(interactive=complete, variant="primary" if complete
                                                        else "secondary")


def _problem(exc: Exception) -> str:
    return f"⚠ **{exc}**"


def _held(token: str | None) -> pd.DataFrame | None:
    """The table this page uploaded (None before an upload); an UploadError if the server let it go."""
    return None if not token else service.uploads.HELD.get(token).table


def on_file(path: str | None, format_key: str, request: gr.Request = None):
    """Read the uploaded file (size checked first), guess the roles, show the preview; problems inline. The table
    stays on the server, counted against this page's and everyone's memory budget; the page keeps a token."""
    none = (None, "", *_pickers(None, format_key, {}), gr.Dataframe(visible=False))
    if not path:
        return (*none, "", gr.Button(interactive=False))
    try:
        read = service.uploads.read_file(path)
        token = service.uploads.HELD.hold(getattr(request, "session_hash", None) or "", read)
    except service.ConfigError as exc:
        gr.Warning(str(exc))
        return (*none, _problem(exc), gr.Button(interactive=False))
    except OSError:
        return (*none, _problem("The uploaded file could not be read; upload it again."), gr.Button(interactive=False))
    mapping = service.uploads.suggested(read.table, format_key)
    frame, use_btn = _preview(read.table, format_key, mapping)
    notes = "".join(f"\n- {n}" for n in read.notes)
    text = (f"**{read.name}**: {len(read.table):,} rows, {len(read.table.columns)} columns "
            f"({', '.join(map(str, read.table.columns[:12]))}{' …' if len(read.table.columns) > 12 else ''}). "
            "Check the roles below, then press **Use this data**." + notes)
    return (token, read.name, *_pickers(read.table, format_key, mapping), frame, text, use_btn)


def on_clear():
    return (None, "", *_pickers(None, DEFAULT_FORMAT, {}), gr.Dataframe(visible=False), "",
            gr.Button(interactive=False))


@user_errors
def on_format(token: str | None, format_key: str):
    df = _held(token)
    if df is None:
        return (*_pickers(None, format_key, {}), gr.Dataframe(visible=False), gr.skip(), gr.Button(interactive=False))
    mapping = service.uploads.suggested(df, format_key)
    frame, use_btn = _preview(df, format_key, mapping)
    return (*_pickers(df, format_key, mapping), frame, "", use_btn)


@user_errors
def on_mapping(token: str | None, format_key: str, *chosen: str | None):
    df = _held(token)
    if df is None:
        return gr.skip(), gr.Button(interactive=False)
    return _preview(df, format_key, service.uploads.mapping_from(format_key, list(chosen)))


@user_errors
def use(token: str | None, name: str, format_key: str, *values: Any):
    """Check the mapped rows, save them for this browser, and point the form's recipe at them."""
    *chosen, owner = values
    df = _held(token)
    if df is None:
        raise gr.Error("Upload a file first.")
    owner = service.clean_owner(owner)
    if not owner:
        raise gr.Error("This page has no session id yet; reload the page and try again.")
    try:
        saved = service.uploads.use(df, format_key, service.uploads.mapping_from(format_key, list(chosen)), name, owner)
    except service.ConfigError as exc:
        gr.Warning(str(exc))
        return gr.skip(), gr.skip(), _problem(exc), gr.skip()
    notes = "".join(f"\n- {n}" for n in saved.notes)
    text = (f"✓ **Using {name}**: {saved.rows:,} rows as `{format_key}`; the recipe is now `{saved.recipe}`. "
            "Pick a loss and press **Start training**." + notes)
    gr.Info(f"Using {name}: {saved.rows:,} rows.")
    return (gr.Dropdown(choices=service.recipe_choices(saved.recipe, name), value=saved.recipe), saved.upload_id, text,
            gr.Button(visible=True))


@user_errors
def delete(upload_id: str | None, owner: str | None):
    """Delete this browser's upload from the server; the form goes back to a built-in recipe. Runs already trained
    on it keep their results (they can no longer be repeated)."""
    service.delete_my_upload(upload_id, owner)
    gr.Info("Your upload was deleted from the server.")
    recipe = service.DEFAULT_FORM["recipe"]
    return (gr.Dropdown(choices=service.recipe_choices(), value=recipe), "", "Your upload was deleted.",
            gr.Button(visible=False))
