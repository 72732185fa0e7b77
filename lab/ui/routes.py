"""Plain HTTP served next to gradio's: the change key every open tab asks for once a second.

A gradio request costs the server milliseconds of CPU even when the handler skips every output; thirty tabs
polling once a second would take that from a training run sharing the CPU. This route answers from memory in
a fraction of that: the tab calls the full gradio poll only when the layout key changes, and takes a new loss
or evaluation point straight from this route's answer (see `state.follow`).

It is an ASGI middleware (`ChangeKeyRoute`, handed to the FastAPI app by `app.launch_kwargs`), not a FastAPI
route: it answers before FastAPI's router, dependency solving and exception layers, which cost three times what
the answer itself does (measured: 0.8 → 0.3 ms of server CPU per request, bench/results/load.md). It sits
inside gradio's CORS middleware, so cross-origin rules apply to it as to every gradio route.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson

from lab import service
from lab.ui.run_view import progress_view

CHANGE_KEY_PATH = "/lab/api/change-key/"
WARMUP = "warmup"  # the name of the library warm-up's key (no run id looks like it)
_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
OWNER_HEADER = b"x-lab-owner"  # the tab's browser id: a header, so it never lands in a URL or an access log


def answer(job_id: str, progress: str | None = None, owner: str | None = None, views: bool = False) -> bytes:
    """{"key": …, "progress": …}: see `service.change_keys` ({"key"} of the warm-up's state for `WARMUP`);
    "none" for a malformed id, never an error. With `progress` (the progress key the tab has) behind the run's,
    a live run's answer carries "view": the run view's progress fields (`run_view.PROGRESS`: status, charts,
    stages), and "progress" is that view's key — if `owner` (the tab's browser id, sent as the X-Lab-Owner header)
    may read the run: a private run's curves are its owner's. Reads memory under short locks (the view is built
    once per run version), so it runs on the event loop without a thread hop.
    """
    if job_id == WARMUP:
        return orjson.dumps({"key": service.WARMUP.key()})
    if views:  # the teaching views' key only: it moves with view data, not with every loss point
        return orjson.dumps({"key": service.views_key(job_id, owner)})
    key, current = service.change_keys(job_id)
    view = progress_view(job_id, owner) if progress is not None and progress != current else None
    if view is None:
        return orjson.dumps({"key": key, "progress": current})
    return orjson.dumps({"key": key, "progress": view[0]})[:-1] + b',"view":' + view[1] + b"}"


class ChangeKeyRoute:
    """ASGI middleware: answers `GET /lab/api/change-key/<one path segment>[?progress=…|?views=1]` (with the X-Lab-Owner
    header) with `answer`; hands
    every other request (another method, an empty or multi-segment id: the router's 404/405) to the app."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path, root = scope["path"], scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            job_id = path[len(CHANGE_KEY_PATH):] if path.startswith(CHANGE_KEY_PATH) else ""
            if job_id and "/" not in job_id:
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
                owner = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == OWNER_HEADER), None)
                body = answer(job_id, query.get("progress"), owner, query.get("views") == "1")
                await send({"type": "http.response.start", "status": 200,
                            "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
