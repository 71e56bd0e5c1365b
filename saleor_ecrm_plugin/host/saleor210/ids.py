"""Saleor 2.10's integer primary keys, from the string ids of the host port."""

from __future__ import annotations

from typing import Any, Optional


def pk(value: Any) -> Optional[int]:
    """A Saleor 2.10 primary key from an id string; None when it cannot be one."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def id_str(value: Any) -> Optional[str]:
    """A primary key as the port's string id (None stays None)."""
    return None if value is None else str(value)
