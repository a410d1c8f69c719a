"""Give freed memory back to the operating system after work done in several threads.

glibc's allocator gives each thread that allocates its own arena; the frame-sized arrays freed in a worker
thread stay mapped in that arena after the work ends, so a job's resident memory keeps what two threads
once held at the same time. :func:`release_free_memory` asks glibc to return every arena's free pages
(``malloc_trim``); elsewhere it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.lru_cache(maxsize=1)
def _trim():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc.malloc_trim if libc is not None else None
    except (OSError, AttributeError):        # not glibc (musl, macOS, Windows)
        return None


def release_free_memory() -> bool:
    """Return free heap memory of every thread's arena to the system; True where that was possible."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
