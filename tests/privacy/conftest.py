from tests.fixtures.pace import conversational_pace  # noqa: F401 (autouse)
