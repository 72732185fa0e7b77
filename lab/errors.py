"""User-facing errors: each message is shown to the user as is (a red toast in the app, one line from the CLI).

A leaf: it imports nothing of the lab, so any module may raise these without reaching up.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A user-facing configuration problem; its message is shown as is."""


class ModelError(ConfigError):
    """A model that can't be used here; the message says why and what to use instead."""


class UploadError(ConfigError):
    """A user-facing problem with an uploaded file or its column mapping; the message is shown as is."""


class QueueFull(RuntimeError):
    """The queue (or this user's share of it) is at its limit; the message says so."""


class NotAllowed(PermissionError):
    """Someone other than the job's owner (and not the instructor) tried to change or read it."""


class ExploreError(ValueError):
    """A user-facing problem in the Explore tab (unknown run, run without a model…)."""


class PublishError(ValueError):
    """A push that cannot be done; the message never contains the token."""


class GpuRefused(RuntimeError):
    """ZeroGPU (or its simulation) refused a GPU call: the duration is over the tier's maximum, or the visitor's
    quota is spent. `requested_s` and `left_s` (when known) let the page offer the CPU path or a smaller run."""

    def __init__(self, message: str, requested_s: int = 0, left_s: int | None = None) -> None:
        super().__init__(message)
        self.requested_s = requested_s
        self.left_s = left_s


# What the app turns into a message (and the CLI into one line on stderr) instead of a crash.
USER_ERRORS: tuple[type[Exception], ...] = (ConfigError, QueueFull, NotAllowed, ExploreError, PublishError)
