"""Benchmarks: `python -m bench [--quick] [--only NAME] [--postgres URL]` (or `make bench`).

The emulator runs inside the bench process; the bot runs as a real separate process
(`python -m bot run`) pointed at it, so what is measured is the bot as it is deployed: its own
interpreter, its own event loop, HTTP between the two. Modules:

- harness: the emulator, bot processes, throwaway databases
- data: rows written straight into the bot's database (officers, users, broadcasts, cases)
- resident: simulated residents walking the report, and the echo bot's users
- echo_bot: a bare aiogram bot, the framework's own ceiling for figure 1
- stats: medians, spreads, percentiles, the table and the JSON file
- fig_*: one module per figure
"""
