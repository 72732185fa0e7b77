"""Background warm-up, in a daemon thread after launch (WARMUP, one per process): the heavy libraries imported, then
the Explore tab's first map prepared (UMAP compiled, the default sample embedded)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time

from lab.host.zerogpu import cuda_allowed
from lab.jobs.isolation import start_server
from lab.service.defaults import hardware_profile
from lab.service.explore import prepare as prepare_explore
from lab.service.live import run_in_process
from lab.service.presets import DEFAULT_FORM

log = logging.getLogger(__name__)


class Warmup:
    """Imports the heavy libraries in a daemon thread after launch, so the first page is never blocked."""

    MODULES = (("sentence_transformers", "sentence-transformers"), ("umap", "UMAP"), ("explore", "Explore maps"))
    NICE = 10  # this thread's niceness: a run's process (LAB_TRAIN_NICE, 10) is not pushed aside by it

    def __init__(self) -> None:
        self.state: dict[str, str] = {m: "waiting" for m, _ in self.MODULES}
        self.seconds: dict[str, float] = {}
        self.cuda = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lab-warmup", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        if run_in_process():  # runs are forked from a server process that imports the training libraries once
            try:
                start_server()
            except Exception as exc:  # noqa: BLE001 — the first run then starts it (and reports any failure)
                log.warning("could not start the runs' fork server: %s", exc)
        with contextlib.suppress(AttributeError, OSError):  # Linux: this thread alone
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.NICE)
        for module, _ in self.MODULES:
            self.state[module] = "loading"
            t0 = time.perf_counter()
            try:
                if module == "explore":  # UMAP compiled, the default map's base embeddings made: a quick first map
                    prepare_explore(DEFAULT_FORM["model"])
                else:
                    importlib.import_module(module)
                self.state[module] = "ready"
                if module == "sentence_transformers":
                    torch = importlib.import_module("torch")
                    self.cuda = cuda_allowed() and bool(torch.cuda.is_available())
                    hardware_profile()  # detect() may import torch: do it here, not in a page load
            except Exception as exc:  # a missing optional library must not stop the app
                self.state[module] = f"failed ({type(exc).__name__})"
            self.seconds[module] = time.perf_counter() - t0

    def ready(self, module: str) -> bool:
        return self.state.get(module) == "ready"

    def all_done(self) -> bool:
        return all(s not in ("waiting", "loading") for s in self.state.values())

    def key(self) -> str:
        """Changes exactly when `describe` would show something new."""
        return "|".join(self.state.values())

    def describe(self) -> str:
        parts = []
        for module, name in self.MODULES:
            s = self.state[module]
            took = f" ({self.seconds[module]:.0f} s)" if module in self.seconds and s == "ready" else ""
            parts.append(f"{name} **{s}**{took}")
        return "Libraries: " + " · ".join(parts)


WARMUP = Warmup()
