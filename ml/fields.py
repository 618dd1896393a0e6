"""An embedding column that is pgvector's `vector(n)` on PostgreSQL and a float32 blob on SQLite,
so one model (and one migration) serves both the production database and the embedded default."""

from __future__ import annotations

from typing import Any

import numpy as np
from pgvector.django import VectorField


class EmbeddingField(VectorField):
    def db_type(self, connection: Any) -> str:
        if connection.vendor == "postgresql":
            return super().db_type(connection)
        return "blob"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if connection.vendor == "postgresql":
            return super().get_prep_value(np.asarray(value, dtype=np.float32))
        return np.asarray(value, dtype=np.float32).tobytes()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes | memoryview):
            return np.frombuffer(bytes(value), dtype=np.float32)
        return np.asarray(super().from_db_value(value, expression, connection), dtype=np.float32)
