"""The merchant's configuration: the dashboard's fields and their parse, once.

The dashboard shows the plugin-wide fields (:data:`GENERAL_FIELDS`) then each
registered program's own (its ``Options.FIELDS``). :func:`parse_configuration` turns
the stored items into :class:`EcrmSettings` and keeps the result for that stored
content: the hooks, the tasks and the dispatcher call it every time and the items
are parsed once per stored configuration (and per set of registered programs).

The names merchants' code or tests import from here (``ConfigField``, the parsers,
``EcrmSettings``, ``GENERAL_FIELDS``) are defined in :mod:`.fields` and
:mod:`.ecrm_settings`; this module adds what needs the registry.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from django.utils.translation import get_language

from .ecrm_settings import GENERAL_FIELDS, EcrmSettings, parse_settings
from .fields import (  # noqa: F401  (the names this module always offered)
    ConfigField,
    ConfigValue,
    FieldType,
    hours_list_parser,
    hours_parser,
    int_parser,
    parse_bool,
    parse_https_url,
    parse_optional_email,
    parse_optional_url,
    parse_text,
    parse_timezone,
)
from .programs import registry

__all__ = [
    "GENERAL_FIELDS",
    "ConfigField",
    "ConfigValue",
    "EcrmSettings",
    "FieldType",
    "hours_parser",
    "all_fields",
    "config_structure",
    "default_configuration",
    "parse_configuration",
]

#: parses kept, keyed by (registry generation, language, stored items): the error
#: messages are in the active language. A shop has one stored configuration at a
#: time, so a handful of entries covers every change in a run
_CACHE_SIZE = 8
_cache: Dict[
    Tuple[int, Optional[str], Tuple[Tuple[str, Any], ...]],
    Tuple[EcrmSettings, Dict[str, str]],
]
_cache = {}
_cache_lock = threading.Lock()


def all_fields() -> List[Tuple[Optional[str], ConfigField]]:
    """Every field with the id of the program that owns it (``None``: plugin-wide)."""
    fields: List[Tuple[Optional[str], ConfigField]] = [
        (None, f) for f in GENERAL_FIELDS
    ]
    for program in registry.all_programs():
        fields.extend((program.id, f) for f in program.Options.FIELDS)
    return fields


def _key(items: Iterable[Mapping[str, Any]]) -> Tuple[Tuple[str, Any], ...]:
    return tuple(
        (str(item.get("name")), _hashable(item.get("value"))) for item in items
    )


def _hashable(value: Any) -> Any:
    # the dashboard stores strings, booleans and None; anything else by its repr
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return ("repr", repr(value))


def parse_configuration(
    items: Optional[Iterable[Mapping[str, Any]]],
) -> Tuple[EcrmSettings, Dict[str, str]]:
    """Turn Saleor's stored configuration into settings, plus errors keyed by field.

    Missing items take their default; a bad item keeps its default in the returned
    settings and is reported in the errors mapping (field name -> message, in the
    active language).
    """
    items = list(items or ())
    key = (registry.generation(), get_language(), _key(items))
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached[0], dict(cached[1])
    parsed = parse_settings(items, registry.all_programs())
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = parsed
    return parsed[0], dict(parsed[1])


def config_structure() -> Dict[str, Dict[str, str]]:
    return {f.name: f.structure() for _, f in all_fields()}


def default_configuration() -> List[Dict[str, ConfigValue]]:
    return [{"name": f.name, "value": f.default} for _, f in all_fields()]
