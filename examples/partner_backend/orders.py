"""The orders this back-end keeps, in a SQLite file (the standard library's sqlite3)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

ITEM_MAX, QUANTITY_MAX = 200, 10_000


class OrderError(ValueError):
    """An order that cannot be placed as sent; the message says why."""


class OrderBook:
    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, "
                         "quantity INTEGER NOT NULL, placed_by TEXT NOT NULL, org TEXT, placed_at TEXT NOT NULL)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed (sqlite3's own context
        manager commits but leaves the connection open)."""
        conn = sqlite3.connect(self._path)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def all(self) -> list[dict]:
        with self._connect() as conn:
            return [dict(row) for row in conn.execute("SELECT * FROM orders ORDER BY id")]

    def place(self, body, *, placed_by: str, org: str | None) -> dict:
        """Store an order from a JSON body {"item": str, "quantity": int}."""
        if not isinstance(body, dict):
            raise OrderError('Send a JSON object such as {"item": "Espresso beans", "quantity": 3}.')
        item, quantity = body.get("item"), body.get("quantity")
        if not isinstance(item, str) or not item.strip() or len(item) > ITEM_MAX:
            raise OrderError(f"'item' must be a non-empty string of at most {ITEM_MAX} characters.")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= QUANTITY_MAX:
            raise OrderError(f"'quantity' must be a whole number from 1 to {QUANTITY_MAX}.")
        placed_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO orders (item, quantity, placed_by, org, placed_at) VALUES (?, ?, ?, ?, ?)",
                (item.strip(), quantity, placed_by, org, placed_at))
            return {"id": cursor.lastrowid, "item": item.strip(), "quantity": quantity, "placed_by": placed_by,
                    "org": org, "placed_at": placed_at}
