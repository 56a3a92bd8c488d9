"""The browser playground: the bot, the local Bot API emulator and a three-person chat page.

    python -m playground.demo            # or: make demo  -> http://127.0.0.1:8080

Everything runs in one process on a throwaway SQLite database under data/demo/, so trying
the service needs neither Telegram nor a bot token.
"""
