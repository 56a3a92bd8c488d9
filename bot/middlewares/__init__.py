"""Middlewares: one database transaction per update, the user's language, sent-message ids."""
