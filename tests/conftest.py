"""Root conftest: load the fixture modules (one per concern) for every test."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.emulator",
    "tests.fixtures.bot",
    "tests.fixtures.people",
]
