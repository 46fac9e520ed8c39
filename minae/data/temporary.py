"""Temporary files beside a target, named after their writer so a dead writer's can be removed.

``write_idx`` and the download both write a temporary file next to the target and rename it
into place only when it is complete. Ctrl-C and errors remove the temporary, but a process
killed outright (``kill -9``, the out-of-memory killer) cannot, so its name says who wrote it:
``.<name>.<pid>.<random>.tmp``, the naming ``minae.serialization`` uses for saves. The next
writer of the same target removes the temporaries whose process is gone and leaves those of a
process still running (it may be writing right now).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from minae.serialization import remove_dead_temporaries, temporary_name


def open_temporary(target: Path) -> tuple[int, Path, list[str]]:
    """Create a fresh temporary beside ``target`` after removing dead writers' ones.

    Returns
    -------
    fd : int
        An open, write-only file descriptor of the new, empty file (mode 0644 less the umask).
    tmp : Path
        Its path, ``target.parent / ".<target name>.<pid>.<random>.tmp"``.
    removed : list of str
        The names of the dead writers' temporaries that were removed (for the caller to say).

    Raises
    ------
    OSError
        The folder does not exist or cannot be written.
    """
    removed = remove_dead_temporaries(str(target))
    tmp = target.parent / temporary_name(str(target), os.getpid(), secrets.token_hex(4))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    return fd, tmp, removed
