"""Plain HTTP routes served next to gradio's: the change key every open tab asks for once a second.

A gradio request costs the server milliseconds of CPU even when the handler skips every output; thirty tabs
polling once a second would take that from a training run sharing the CPU. This route answers from memory in
a fraction of that, and the tab calls the full gradio poll only when the key changes (see `state.follow`).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from lab import service

CHANGE_KEY_PATH = "/lab/api/change-key/"
WARMUP = "warmup"  # the name of the library warm-up's key (no run id looks like it)


def add_routes(app: FastAPI) -> None:
    app.add_api_route(CHANGE_KEY_PATH + "{job_id}", change_key, methods=["GET"], include_in_schema=False)


async def change_key(job_id: str) -> JSONResponse:
    """{"key": …, "progress": …}: see `service.change_keys` ({"key"} of the warm-up's state for `WARMUP`);
    "none" for a malformed id, never an error.

    Async on purpose: it only reads memory under a short lock, so it runs on the event loop without a thread hop.
    """
    if job_id == WARMUP:
        body = {"key": service.WARMUP.key()}
    else:
        key, progress = service.change_keys(job_id)
        body = {"key": key, "progress": progress}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
