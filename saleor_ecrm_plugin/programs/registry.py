"""The programs known to the plugin, by id."""

from __future__ import annotations

from typing import Dict, List

from ..errors import UnknownProgram
from ..preferences.categories import CATEGORIES
from .base import Program

_PROGRAMS: Dict[str, Program] = {}


def register(program_class: type) -> type:
    """Class decorator: make a program known to the plugin and the dispatcher."""
    program = program_class()
    if not program.id:
        raise ValueError(f"{program_class.__name__} has no id")
    if program.category not in CATEGORIES:
        raise ValueError(
            f"{program_class.__name__}: unknown category {program.category!r}"
        )
    _PROGRAMS[program.id] = program
    return program_class


def get_program(program_id: str) -> Program:
    try:
        return _PROGRAMS[program_id]
    except KeyError as exc:
        raise UnknownProgram(f"No e-CRM program is called {program_id!r}.") from exc


def all_programs() -> List[Program]:
    return list(_PROGRAMS.values())
