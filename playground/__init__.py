"""Local development playground: a Telegram Bot API emulator and tools around it."""
