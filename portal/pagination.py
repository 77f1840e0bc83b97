"""Offset pagination for list pages (directory, tags, admin lists)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def parse_page(value: Any) -> int:
    """A page number from a query string: anything odd means page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), 100_000)


def paginate(session: Session, stmt: Select, number: int, per_page: int = 24, scalars: bool = True) -> Page:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(number, 1), pages)
    result = session.execute(stmt.limit(per_page).offset((number - 1) * per_page))
    items = list(result.scalars() if scalars else result)
    return Page(items=items, number=number, per_page=per_page, total=total)
