"""Who may do what: one random owner id per browser, the instructor's secret, and what is private.

The rule for private data: a run trained on an uploaded file is private to the browser that uploaded it. The
shared leaderboard shows its metrics only; everything else (its curves, config, the file's name, its model's
embeddings, evaluations and neighbours, its training script) is its owner's, or the instructor's. Its model can
be downloaded or pushed by its owner alone. Every read in service/ goes through `may_read`.
"""

from __future__ import annotations

import collections
import hmac
import os
import re
import secrets
import threading
import time

from lab.errors import NotAllowed

_OWNER = re.compile(r"[0-9a-f]{32}")


def new_owner() -> str:
    return secrets.token_hex(16)


def clean_owner(owner: object) -> str:
    """The owner id if well-formed, else "" (which owns nothing and may change nothing).

    The id lives in the browser, so it is a name, not a secret: it keeps people from tripping over each
    other's runs and sets the per-session queue limit; job ids stay the unguessable capability.
    """
    return owner if isinstance(owner, str) and _OWNER.fullmatch(owner) else ""


PRIVATE = "This run was trained on another person's uploaded file: only they (and the instructor) can see it."


def is_private(config: dict | None) -> bool:
    """A run (or its config) trained on an upload."""
    return bool((config or {}).get("upload_id"))


def may_read(config: dict | None, run_owner: str, owner: object, admin: bool = False) -> bool:
    """Whether this browser (or the instructor) may see more of a run than the leaderboard's metrics."""
    if not is_private(config) or admin:
        return True
    reader = clean_owner(owner)
    return bool(reader) and reader == run_owner


def require_owner(owner: object) -> str:
    """The well-formed owner id a new run or evaluation is filed under; NotAllowed without one.

    A run filed under a made-up owner would belong to nobody: no "My runs" would list it, nobody but the
    instructor could cancel it, and it would slip past the per-browser queue limit.
    """
    cleaned = clean_owner(owner)
    if not cleaned:
        raise NotAllowed("This request carries no valid browser id (a page gets one when it loads), so the run would "
                         "belong to nobody. Reload the page and press Start again.")
    return cleaned


def instructor_enabled() -> bool:
    return bool(os.environ.get("LAB_INSTRUCTOR_SECRET", "").strip())


def check_instructor(secret: object) -> bool:
    """True only for the exact secret from LAB_INSTRUCTOR_SECRET (constant-time compare); never logged."""
    expected = os.environ.get("LAB_INSTRUCTOR_SECRET", "").strip()
    if not expected or not isinstance(secret, str) or not secret:
        return False
    return hmac.compare_digest(secret.strip().encode("utf-8"), expected.encode("utf-8"))


class UnlockGuard:
    """Wrong instructor secrets counted per client: a browser session over its limit (or a network address over a
    much larger one) is refused before its secret is even compared. Nothing waits or queues, so wrong guesses from
    other clients never delay the real instructor's correct secret."""

    WINDOW_S = 60.0
    PER_SESSION = 5  # wrong secrets per browser session per minute
    PER_HOST = 300  # per network address: a whole room behind one address stays far below it

    def __init__(self) -> None:
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def unlock(self, secret: object, session: str, host: str) -> bool:
        """True for the instructor's secret; False for a wrong one; NotAllowed while this client is over its limit."""
        now = time.monotonic()
        keys = (f"session:{session}", f"host:{host}")
        with self._lock:
            for key, limit in zip(keys, (self.PER_SESSION, self.PER_HOST), strict=True):
                recent = self._recent(key, now)
                if len(recent) >= limit:
                    wait_s = int(recent[0] + self.WINDOW_S - now) + 1
                    raise NotAllowed(f"Too many wrong secrets from this {key.split(':')[0]}: try again in {wait_s} s.")
        if check_instructor(secret):
            return True
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, collections.deque()).append(now)
            if len(self._failures) > 10_000:  # bounded: forget clients with no recent failure
                self._failures = {k: d for k, d in self._failures.items() if self._recent(k, now)}
        return False

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        failures = self._failures.get(key, collections.deque())
        while failures and failures[0] < now - self.WINDOW_S:
            failures.popleft()
        return failures


UNLOCK_GUARD = UnlockGuard()
