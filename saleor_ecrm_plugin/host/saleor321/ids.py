"""Saleor 3.21's primary keys from the string ids of the host port: orders, order
lines and checkouts are UUIDs; users, products, variants and categories integers."""

from __future__ import annotations

import uuid
from typing import Any, Iterable, List, Optional


def pk(value: Any) -> Optional[int]:
    """An integer primary key from an id string; None when it cannot be one."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def uuid_pk(value: Any) -> Optional[uuid.UUID]:
    """A UUID primary key from an id string; None when it cannot be one."""
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def uuid_pks(values: Iterable[Any]) -> List[uuid.UUID]:
    return [key for key in (uuid_pk(value) for value in values) if key is not None]


def id_str(value: Any) -> Optional[str]:
    """A primary key as the port's string id (None stays None)."""
    return None if value is None else str(value)
