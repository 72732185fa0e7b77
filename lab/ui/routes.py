"""Plain HTTP routes served next to gradio's: the change key every open tab asks for once a second.

A gradio request costs the server milliseconds of CPU even when the handler skips every output; thirty tabs
polling once a second would take that from a training run sharing the CPU. This route answers from memory in
a fraction of that: the tab calls the full gradio poll only when the layout key changes, and takes a new loss
or evaluation point straight from this route's answer (see `state.follow`).
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

from lab import service
from lab.ui.run_view import progress_view

CHANGE_KEY_PATH = "/lab/api/change-key/"
WARMUP = "warmup"  # the name of the library warm-up's key (no run id looks like it)


def add_routes(app: FastAPI) -> None:
    app.add_api_route(CHANGE_KEY_PATH + "{job_id}", change_key, methods=["GET"], include_in_schema=False)


async def change_key(job_id: str, progress: str | None = None) -> Response:
    """{"key": …, "progress": …}: see `service.change_keys` ({"key"} of the warm-up's state for `WARMUP`);
    "none" for a malformed id, never an error. With `progress` (the progress key the tab has) behind the run's,
    a live run's answer carries "view": [status, loss chart, eval chart, stage list] (`run_view.progress_view`),
    and "progress" is that view's key.

    Async on purpose: it reads memory under short locks (the view is built once per run version), so it runs on
    the event loop without a thread hop.
    """
    if job_id == WARMUP:
        body = orjson.dumps({"key": service.WARMUP.key()})
    else:
        key, current = service.change_keys(job_id)
        view = progress_view(job_id) if progress is not None and progress != current else None
        if view is None:
            body = orjson.dumps({"key": key, "progress": current})
        else:
            body = orjson.dumps({"key": key, "progress": view[0]})[:-1] + b',"view":' + view[1] + b"}"
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
