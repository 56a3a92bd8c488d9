"""Work the bot hands to a short-lived `python -m <module>` process: bytes in, bytes out.

The bot is one process with one event loop: every alert, every resident's answer and the
sender share it. Drawing charts or writing a year's cases into a spreadsheet is seconds of
pure-Python CPU that would stop all of them (and, in a thread, still take the interpreter's
lock from them). A child process runs on another core; the bot only waits for its answer.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


class ChildFailed(RuntimeError):
    """The child exited with an error or did not finish in time."""


def module_command(module: str) -> list[str]:
    """`module` run by the bot's own interpreter."""
    return [sys.executable, "-m", module]


async def run_child(command: list[str], request: bytes, patience: float) -> bytes:
    """Run `command` with `request` on its stdin; its stdout. The child is killed on timeout
    or when the caller is cancelled."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), path]))}
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        async with asyncio.timeout(patience):
            output, _stderr = await process.communicate(request)
    except TimeoutError:
        raise ChildFailed(f"the child process took more than {patience:.0f} s") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        # Not the child's stderr: the error is logged, and a traceback's last line may quote
        # what it was working on (an officer's name, a description).
        raise ChildFailed(f"the child process exited with {process.returncode}")
    return output


__all__ = ["ChildFailed", "module_command", "run_child"]
