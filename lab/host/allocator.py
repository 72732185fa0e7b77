"""The C allocator of a process that trains: keep what it frees for the next step instead of handing it back.

glibc serves a training step's large activations and gradients (megabytes each) with fresh mmap calls and trims
its heap after each free, so every step pays for page faults on memory it had a moment ago. A run's own process
(and the CLI's) raises both thresholds: its memory stays at its peak until it exits, and a CPU step runs 9–12 %
faster (bench/results/throughput.md). The web server keeps glibc's defaults: it lives on and should give back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
KEEP_BYTES = 1 << 30


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to 1 GiB in this process; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    done = bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
    if not done:
        log.info("mallopt refused the allocator settings; training runs with glibc's defaults")
    return done
