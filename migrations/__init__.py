"""Alembic migrations; ``identity migrate`` and the app's start-up apply them."""
