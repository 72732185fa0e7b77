"""Builds the whole app (`build_app`) from one module per tab, its launch settings (`launch_kwargs`) and `launch`."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from lab import service
from lab.ui import admin_tab, compare_tab, evaluate_tab, explore_tab, learn_tab, negatives_tab, train_tab
from lab.ui.routes import WARMUP, ChangeKeyRoute
from lab.ui.state import CSS, ensure_owner, follow, owner_state

TITLE = "Contrastive Lab"


def build_app() -> gr.Blocks:
    """The Blocks app. Cheap: no model, no heavy import, no store access until a page or a handler asks."""
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600)) as demo:
        with gr.Row():
            gr.Markdown(f"# {TITLE}\nTrain text-embedding models with contrastive losses, and see what each "
                        "choice does.", elem_id="title")
            warm = gr.Markdown(service.WARMUP.describe(), elem_id="warmup")
        warm_timer = gr.Timer(2.0)
        owner = owner_state()  # this browser's random owner id: its runs, its queue limit
        with gr.Tabs():
            with gr.Tab("Train", id="train"):
                starts = train_tab.build(demo, owner)
            with gr.Tab("Compare", id="compare") as compare:
                compare_tab.build(demo, compare, owner)
            with gr.Tab("Explore", id="explore") as explore:
                explore_tab.build(demo, explore, owner)
            with gr.Tab("Hard negatives", id="negatives"):
                negatives_tab.build(demo)
            with gr.Tab("Evaluate", id="evaluate") as evaluate:
                starts.append(evaluate_tab.build(demo, evaluate, owner))
            with gr.Tab("Learn", id="learn"):
                learn_tab.build()
            if service.instructor_enabled():
                with gr.Tab("Instructor", id="instructor"):
                    admin_tab.build(demo)
        # Start stays disabled until this page has its owner id: a run is always filed under its browser.
        demo.load(ensure_owner, owner, owner, queue=False, show_progress="hidden", api_visibility="private").then(
            _enable_starts(len(starts)), owner, starts, queue=False, show_progress="hidden", api_visibility="private")
        follow(warm_timer, WARMUP, _warm_status, [], [warm, warm_timer], api_visibility="private")
        demo.load(_warm_status, None, [warm, warm_timer], show_progress="hidden", api_visibility="private")
    if service.zerogpu.mode() == "zerogpu":  # gradio caps the queue at 1 waiting event on ZeroGPU: a room needs more
        demo.queue(max_size=10_000)
    # Elsewhere the queue is gradio's default one (gr.Blocks makes it: no size limit, one call at a time per event
    # unless GRADIO_DEFAULT_CONCURRENCY_LIMIT says otherwise): calling demo.queue() again would build the whole web
    # app a second time before launch builds it once more (~0.1 s of the first page, bench/first_page.py).
    return demo


def _enable_starts(n: int):
    def enable(owner: str | None):
        return [gr.Button(interactive=bool(service.clean_owner(owner)))] * n

    return enable


def _warm_status():
    done = service.WARMUP.all_done()
    return service.WARMUP.describe(), gr.Timer(active=not done)


def launch_kwargs(**overrides: Any) -> dict[str, Any]:
    """The launch settings from the house notes: local by default, no SSR, no file access beyond the cache."""
    kwargs: dict[str, Any] = {
        "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        "server_port": int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        "ssr_mode": False,
        "max_file_size": "20mb",
        "allowed_paths": [],
        "run_history": False,
        "enable_monitoring": False,
        "footer_links": ["api", "gradio"],
        "theme": gr.themes.Soft(primary_hue="indigo"),
        "css": CSS,
        "app_kwargs": {"middleware": [Middleware(ChangeKeyRoute)]},  # the tabs' change-key GET, before the router
    }
    if service.zerogpu.mode():  # each running ZeroGPU Start holds one of gradio's threads for its whole run
        kwargs["max_threads"] = 200
    kwargs.update(overrides)
    return kwargs


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if 0 < value <= 100 else default


def launch(demo: gr.Blocks, **overrides: Any) -> str:
    """Serve the app without blocking (`launch_kwargs` + `overrides`: with the lab's change-key route), start the
    job manager (it marks runs a dead server left behind) and warm the heavy imports; returns the local URL."""
    # With LAB_RUN_PROCESS=0 the trainer shares this process's GIL: a short switch interval hands it back sooner
    # after each web request's Python work (LAB_SWITCH_INTERVAL_MS; Python's default is 5 ms).
    sys.setswitchinterval(_env_float("LAB_SWITCH_INTERVAL_MS", 0.5) / 1000)
    _, local_url, _ = demo.launch(prevent_thread_lock=True, **launch_kwargs(**overrides))
    end_of_startup()
    service.manager()
    service.WARMUP.start()
    return local_url


def end_of_startup() -> None:
    """When app.py held the garbage collector off during start-up: start-up is over, so what it made (modules,
    classes, the page's ~300 components, gradio's routes), which lives as long as the server, goes to the collector's
    permanent generation, and collections run again. Collecting while gradio and the page were built freed nothing
    and scanned all of it each time: ~0.3–0.4 s of a 2.4 s start on this CPU (bench/results/first_page.md); frozen,
    it is not scanned again. A caller that left the collector on (tests) is left as it was."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
