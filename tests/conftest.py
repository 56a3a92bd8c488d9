"""Root conftest: load the fixture modules (one per concern) for every test."""

from bot.deferred_schemas import install

# As `python -m bot` does: aiogram's types build their schemas on first use (tests run the bot
# the way it runs in production).
install()

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.emulator",
    "tests.fixtures.bot",
    "tests.fixtures.people",
]
