"""Lapor Aman: assembly of the Telegram bot (configuration, dispatcher, workers, CLI)."""
