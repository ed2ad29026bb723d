"""SQLModel tables, one module per aggregate; importing this package registers them all."""

from sqlmodel import SQLModel

metadata = SQLModel.metadata

__all__ = ["metadata"]
