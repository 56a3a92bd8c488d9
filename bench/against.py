"""`python -m bench.against REV [--seconds N]`: this tree's bot beside the bot of git revision
REV, both at once, each through its own tree's figure 1 harness (bench/against_side.py).

The CPU per update of one run moves by half within minutes on a shared machine (README,
"Benchmarks"), so a figure measured on another day says little about a change since. Run at
the same time, both sides see the same machine: the ratio of their medians is what the code
changed. REV is checked out in a temporary git worktree, its catalogs compiled (a tree of
before 2026-12-05 did not compile them itself), and removed afterwards. Each side runs its
rounds until N seconds have passed (the faster bot runs more of them); its echo bot's CPU per
update, measured after each round, shows that both saw the same machine.

    make bench-against REV=b49dc83

Against b49dc83 it also says whether the CPU target holds: the lean issue's "8 ms to 4 ms",
restated as a share of that bot's CPU per update (README, "The CPU target, restated").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIDE = Path(__file__).resolve().with_name("against_side.py")

# The bot the CPU target was set on, and the most of its CPU per update this tree's may take:
# half of its work, plus the durable inbox added since (10-17 % of an update), plus the spread
# of one bot measured beside itself (README, "The CPU target, restated").
TARGET_COMMIT = "b49dc83dd1c441cec37a24ac756a9783fe8d68c6"
TARGET_RATIO = 0.64


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.against", description=__doc__)
    parser.add_argument("rev", help="a git revision of this repository (a commit, a tag)")
    parser.add_argument(
        "--seconds", type=float, default=300.0, help="how long both sides run (default 300)"
    )
    return parser.parse_args(argv)


def _checkout(rev: str, where: Path) -> None:
    git = ["git", "-C", str(REPO)]
    subprocess.run([*git, "worktree", "add", "--detach", str(where), rev], check=True)
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", "locales"],
        cwd=where,
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def _side(tree: Path, seconds: float) -> list[dict[str, float]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(SIDE), str(seconds), cwd=tree, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the side in {tree} failed (exit {process.returncode})")
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


def _median(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(round_[key] for round_ in rounds)


def _commit(rev: str) -> str:
    found = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip()


def report(
    rev: str, ours: list[dict[str, float]], theirs: list[dict[str, float]], *, target: bool
) -> str:
    lines = ["| bot | rounds | CPU per update (median, range) | updates/s | echo bot |"]
    lines.append("|---|---|---|---|---|")
    for name, rounds in (("this tree", ours), (rev, theirs)):
        cpu = sorted(round_["cpu_ms"] for round_ in rounds)
        lines.append(
            f"| {name} | {len(rounds)} | {_median(rounds, 'cpu_ms'):.2f} ms "
            f"({cpu[0]:.2f}–{cpu[-1]:.2f}) | {_median(rounds, 'updates_per_second'):.0f} | "
            f"{_median(rounds, 'echo_cpu_ms'):.3f} ms |"
        )
    ratio = _median(ours, "cpu_ms") / _median(theirs, "cpu_ms")
    lines.append("")
    lines.append(f"CPU per update, this tree ÷ {rev}: {ratio:.3f}")
    if target:
        verdict = "met ✅" if ratio <= TARGET_RATIO else "not met ❌"
        lines.append(
            f'CPU target (README, "The CPU target, restated"): ≤ {TARGET_RATIO}, {verdict}'
        )
    return "\n".join(lines)


async def _both(rev: str, seconds: float, where: Path, *, target: bool) -> str:
    ours, theirs = await asyncio.gather(_side(REPO, seconds), _side(where, seconds))
    if not ours or not theirs:
        raise RuntimeError("a side finished no round: give it more --seconds")
    return report(rev, ours, theirs, target=target)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lapor-aman-against-") as scratch:
        where = Path(scratch) / "tree"
        try:
            _checkout(args.rev, where)
            target = _commit(args.rev) == TARGET_COMMIT
            print(asyncio.run(_both(args.rev, args.seconds, where, target=target)))
        except subprocess.CalledProcessError:
            print(f"bench.against: could not check out and prepare {args.rev}", file=sys.stderr)
            return 2
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(where)],
                check=False,
                stderr=subprocess.DEVNULL,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
