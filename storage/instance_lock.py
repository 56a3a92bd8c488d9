"""One bot process per SQLite database file.

Two processes on one SQLite file would both poll Telegram (409 Conflict for one of them) and
both run the sender, doubling the rate budget Telegram allows. An exclusive `flock` on
`<database>.lock`, held for the life of the process, makes the second one stop at once with
a clear message. The kernel drops the lock when the process dies, even by SIGKILL, so a
crash never leaves a stale lock behind. PostgreSQL needs no such lock: instances share the
outbox and the jobs through leased claims.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import is_sqlite


class InstanceLocked(Exception):
    """Another process holds the database."""


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InstanceLocked(
                f"another Lapor Aman process (pid {holder}) is already running on this "
                f"SQLite database ({self.path.with_suffix('')}); stop it first, or use "
                "PostgreSQL to run several instances"
            ) from None
        # The holder's pid, for the message above; truncated first so no old pid lingers.
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def instance_lock_for(database_url: str) -> InstanceLock | None:
    """The lock for a SQLite file database; None for PostgreSQL or an in-memory database."""
    if not is_sqlite(database_url):
        return None
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    path = Path(database)
    return InstanceLock(path.with_name(path.name + ".lock"))


__all__ = ["InstanceLock", "InstanceLocked", "instance_lock_for"]
