"""Is the Hugging Face Hub reachable? Answered fast (HF_HUB_OFFLINE, then one short TCP probe) and cached."""

from __future__ import annotations

import os
import socket
import threading
import time
from urllib.parse import urlparse

_TRUTHY = {"1", "true", "yes", "on"}
_CACHE_TTL_S = 300.0
_lock = threading.Lock()
_cached: tuple[float, bool] | None = None


def offline_forced() -> bool:
    """True when the environment asks for offline mode (HF_HUB_OFFLINE or LAB_OFFLINE)."""
    return any(os.environ.get(k, "").strip().lower() in _TRUTHY for k in ("HF_HUB_OFFLINE", "LAB_OFFLINE"))


def _probe(host: str, port: int, timeout_s: float) -> bool:
    # DNS can hang far longer than a connect timeout on a closed network, so the whole probe runs in a
    # daemon thread and we wait for it at most `timeout_s`.
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(timeout_s)
    return bool(result and result[0])


def hub_available(timeout_s: float = 1.5) -> bool:
    """Whether models and datasets can be fetched from the Hub now. Costs at most `timeout_s` once per 5 min."""
    global _cached
    if offline_forced():
        return False
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < _CACHE_TTL_S:
            return _cached[1]
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    ok = _probe(url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80), timeout_s)
    with _lock:
        _cached = (time.monotonic(), ok)
    return ok


def configure_offline() -> bool:
    """If the Hub is unreachable, put this process in offline mode so libraries fail fast instead of retrying.

    Returns True when offline. huggingface_hub reads HF_HUB_OFFLINE at import, so patch its constant too.
    """
    if hub_available():
        return False
    go_offline()
    return True


def go_offline() -> None:
    """Offline mode for this process: the environment, and huggingface_hub's constant (it reads HF_HUB_OFFLINE
    at import, which for a run's own process happened in the fork server)."""
    import sys

    os.environ["HF_HUB_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
