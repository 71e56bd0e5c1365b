"""Global ids as the API hands them out, and only those.

``graphene.Node.from_global_id`` followed by ``int()`` accepts ``ProductVariant: 171``,
``+171``, ``0171``, non-ASCII digits and base64 with other padding, all meaning 171:
an id is accepted only when it is exactly the id the API would write for that
object.
"""

from __future__ import annotations

import re
from typing import Optional

import graphene

_PK = re.compile(r"[1-9][0-9]{0,9}")


def pk_from_global_id(global_id: object, type_name: str) -> Optional[int]:
    """The primary key in a canonical global id of ``type_name``; None when
    ``global_id`` is anything else."""
    if not isinstance(global_id, str):
        return None
    try:
        found_type, pk = graphene.Node.from_global_id(global_id)
    except (TypeError, ValueError):  # not base64, not UTF-8, no "Type:" prefix
        return None
    if found_type != type_name or not _PK.fullmatch(pk) or not pk.isascii():
        return None
    number = int(pk)
    if not number < 2**31:
        return None
    if graphene.Node.to_global_id(type_name, number) != global_id:
        return None
    return number
