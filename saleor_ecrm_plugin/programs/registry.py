"""The programs known to the plugin, by id, from an explicit list of packages.

The list is the ``ECRM_PROGRAMS`` setting (``enable_ecrm`` sets it; default
:data:`SHIPPED_PROGRAMS`): dotted paths of program packages, each declaring its
classes in its ``MANIFEST`` (:mod:`.manifest`). The registry imports them on first
use, as Django imports ``INSTALLED_APPS``, so that no module below the adapters
imports a program: the programs import the engine, never the other way round.
Adding a program is one package plus its templates, and one line in the setting.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Any, Dict, List, Optional, Sequence, Type, TypeVar

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ..errors import UnknownProgram
from ..preferences.categories import CATEGORIES
from .base import Program
from .manifest import SHIPPED_PROGRAMS, ProgramPackage

P = TypeVar("P", bound=Program)


_lock = threading.RLock()
_programs: Optional[Dict[str, Program]] = None
#: programs registered at run time (:func:`register`), kept across reloads
_registered: Dict[str, Program] = {}
_generation = 0


def program_packages() -> List[str]:
    """The configured program packages (``ECRM_PROGRAMS``)."""
    return list(getattr(django_settings, "ECRM_PROGRAMS", SHIPPED_PROGRAMS))


def manifest_of(package: str) -> ProgramPackage:
    """The ``MANIFEST`` of a program package (imports only its ``__init__``)."""
    module = import_module(package)
    manifest = getattr(module, "MANIFEST", None)
    if not isinstance(manifest, ProgramPackage):
        raise ImproperlyConfigured(
            f"ECRM_PROGRAMS: {package} has no MANIFEST (a ProgramPackage)"
        )
    return manifest


def _load_class(package: str, path: str) -> Any:
    module_name, _, class_name = path.partition(":")
    if module_name.startswith("."):
        module_name = package + module_name
    return getattr(import_module(module_name), class_name)


def _check(program_class: Any, package: str) -> Program:
    if not (isinstance(program_class, type) and issubclass(program_class, Program)):
        raise ImproperlyConfigured(f"{package}: {program_class!r} is not a Program")
    program = program_class()
    if not program.id:
        raise ImproperlyConfigured(f"{program_class.__name__} has no id")
    if program.category not in CATEGORIES:
        raise ImproperlyConfigured(
            f"{program_class.__name__}: unknown category {program.category!r}"
        )
    return program


def _load(packages: Sequence[str]) -> Dict[str, Program]:
    programs: Dict[str, Program] = {}
    for package in packages:
        manifest = manifest_of(package)
        for path in manifest.programs:
            program = _check(_load_class(package, path), package)
            if program.id in programs:
                raise ImproperlyConfigured(
                    f"two programs are called {program.id!r} ({package})"
                )
            programs[program.id] = program
        for scan in manifest.scans:
            owner = programs.get(scan.program)
            if owner is None or scan.method not in owner.scan_methods:
                raise ImproperlyConfigured(
                    f"{package}: the scan {scan.program}.{scan.method} is not one"
                    " of its program's scan_methods"
                )
    for program_id, program in _registered.items():
        programs.setdefault(program_id, program)
    return programs


def _registry() -> Dict[str, Program]:
    global _programs
    programs = _programs
    if programs is None:
        with _lock:
            if _programs is None:
                _programs = _load(program_packages())
            programs = _programs
    return programs


def reset() -> None:
    """Forget the loaded programs (the setting changed); the next use reloads."""
    global _programs, _generation
    with _lock:
        _programs = None
        _generation += 1


def generation() -> int:
    """A number that changes whenever the set of programs may have changed."""
    return _generation


def _on_setting_changed(setting: str, **kwargs: Any) -> None:
    if setting == "ECRM_PROGRAMS":
        reset()


setting_changed.connect(_on_setting_changed)


def register(program_class: Type[P]) -> Type[P]:
    """Class decorator: make a program known at run time, without a package (a
    script's or a benchmark's own program). Shipped and project programs are
    packages listed in ``ECRM_PROGRAMS`` instead."""
    global _generation
    program = _check(program_class, program_class.__module__)
    with _lock:
        _registered[program.id] = program
        if _programs is not None:
            _programs[program.id] = program
        _generation += 1
    return program_class


def get_program(program_id: str) -> Program:
    try:
        return _registry()[program_id]
    except KeyError as exc:
        raise UnknownProgram(f"No e-CRM program is called {program_id!r}.") from exc


def all_programs() -> List[Program]:
    return list(_registry().values())


def program_of(program_class: Type[P]) -> P:
    """The registered instance of ``program_class`` (looked up by its id)."""
    program = get_program(program_class.id)
    if not isinstance(program, program_class):
        raise UnknownProgram(
            f"{program_class.id!r} is a {type(program).__name__},"
            f" not a {program_class.__name__}"
        )
    return program
