"""Persistence: models, repositories, migrations, encryption at rest and the FSM storage."""
