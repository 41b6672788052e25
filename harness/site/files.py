"""When a cached copy of a file can be trusted: its stat signature, and recent changes.

Both the handler cache and the static-file cache key on (mtime, size, inode). A file changed
in the last two seconds may change again within the filesystem's timestamp resolution without
its signature moving, so for such a file the caches look at the bytes instead.
"""

from __future__ import annotations

import os
import time

__all__ = ["recently_modified", "signature"]

RECENT_SECONDS = 2.0


def signature(st: os.stat_result) -> tuple[int, int, int]:
    """What identifies one version of a file."""
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def recently_modified(st: os.stat_result) -> bool:
    """Whether the file may still change without its signature changing."""
    return time.time() - st.st_mtime < RECENT_SECONDS
