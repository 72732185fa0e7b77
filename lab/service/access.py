"""Who may do what: one random owner id per browser (a name, not a secret) and the instructor's secret."""

from __future__ import annotations

import hmac
import os
import re
import secrets

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
