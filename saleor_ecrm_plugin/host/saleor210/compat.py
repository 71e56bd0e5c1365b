"""Runtime shims that let Saleor 2.10.1 (built for Python 3.8) run on Python 3.11.

Saleor 2.10.1 pins libraries from 2020 that break on 3.11 in three places. None of
the shims edits Saleor's or a library's files; each one is a no-op where the running
Python or library does not need it, so importing this module on 3.8 changes nothing.

1. ``vine`` 1.3.0 (celery 4's promise library) imports ``inspect.formatargspec``
   and ``inspect.getargspec``, both removed in 3.11. They are restored here, on
   import of this module. This must happen before anything imports celery, and the
   ``celery`` command imports vine before it loads an app: the installer writes a
   ``.pth`` file (see :func:`install_pth`) so every interpreter of the venv runs
   :func:`apply_early` at start-up.
2. Django 3.0's ``utc_tzinfo_factory`` rejects the ``timedelta`` offset psycopg2
   2.9 passes (it expects an int of minutes) with "database connection isn't set to
   UTC". Patched to accept a zero offset of either type.
3. billiard's ``_Code`` stand-in for a traceback's code object lacks
   ``co_positions``, which 3.11's traceback module calls: logging any failed task
   crashed the worker. A ``co_positions`` that knows no positions is added.

Shims 2 and 3 are applied when their module is first imported, through a meta path
hook, so that importing this module stays cheap and imports nothing heavy.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import itertools
import sys
import sysconfig
from collections import namedtuple
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Optional

PTH_NAME = "saleor_ecrm_plugin_compat.pth"
PTH_LINE = "import saleor_ecrm_plugin.host.compat as _c; _c.apply_early()\n"

_applied = False


ArgSpec = namedtuple("ArgSpec", "args varargs keywords defaults")


def _restore_inspect_argspec() -> None:
    if not hasattr(inspect, "getargspec"):

        def getargspec(func: Callable[..., Any]) -> Any:
            spec = inspect.getfullargspec(func)
            return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)

        inspect.getargspec = getargspec  # type: ignore[attr-defined,assignment]

    if not hasattr(inspect, "formatargspec"):

        def formatargspec(
            args: Any,
            varargs: Any = None,
            varkw: Any = None,
            defaults: Any = None,
            kwonlyargs: Any = (),
            kwonlydefaults: Any = None,
            annotations: Any = None,
            formatarg: Callable[[Any], str] = str,
            formatvarargs: Callable[[Any], str] = lambda name: "*" + name,
            formatvarkw: Callable[[Any], str] = lambda name: "**" + name,
            formatvalue: Callable[[Any], str] = lambda value: "=" + repr(value),
            formatreturns: Callable[[Any], str] = lambda text: " -> " + text,
            formatannotation: Any = None,
        ) -> str:
            specs = []
            first_default = len(args) - len(defaults) if defaults else -1
            for index, arg in enumerate(args):
                spec = formatarg(arg)
                if defaults and index >= first_default:
                    spec += formatvalue(defaults[index - first_default])
                specs.append(spec)
            if varargs is not None:
                specs.append(formatvarargs(formatarg(varargs)))
            elif kwonlyargs:
                specs.append("*")
            for kwonlyarg in kwonlyargs or ():
                spec = formatarg(kwonlyarg)
                if kwonlydefaults and kwonlyarg in kwonlydefaults:
                    spec += formatvalue(kwonlydefaults[kwonlyarg])
                specs.append(spec)
            if varkw is not None:
                specs.append(formatvarkw(formatarg(varkw)))
            return "(" + ", ".join(specs) + ")"

        inspect.formatargspec = formatargspec  # type: ignore[attr-defined]


def _patch_django_utc_factory(module: Any) -> None:
    original = module.utc_tzinfo_factory
    if getattr(original, "_ecrm_patched", False):
        return

    def utc_tzinfo_factory(offset: Any) -> Any:
        if isinstance(offset, timedelta) and offset == timedelta(0):
            offset = 0
        return original(offset)

    utc_tzinfo_factory._ecrm_patched = True  # type: ignore[attr-defined]
    module.utc_tzinfo_factory = utc_tzinfo_factory


def _patch_billiard_code(module: Any) -> None:
    code_class = getattr(module, "_Code", None)
    if code_class is not None and not hasattr(code_class, "co_positions"):

        def co_positions(self: Any) -> Any:
            # "position unknown" for every instruction: traceback falls back to
            # the frame's line number, as it did before 3.11
            return itertools.repeat((None, None, None, None))

        code_class.co_positions = co_positions


# module name -> patch applied right after that module is executed
_POST_IMPORT_PATCHES: Dict[str, Callable[[Any], None]] = {
    "django.db.backends.postgresql.utils": _patch_django_utc_factory,
    "billiard.einfo": _patch_billiard_code,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, wrapped: importlib.abc.Loader, patch: Callable[[Any], None]):
        self._wrapped = wrapped
        self._patch = patch

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._wrapped.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._wrapped.exec_module(module)
        self._patch(module)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Wraps the loader of the few modules in ``_POST_IMPORT_PATCHES``."""

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        patch = _POST_IMPORT_PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, patch)  # type: ignore
                return spec
        return None


def apply_early() -> None:
    """Apply every shim; safe to call many times and on any Python >= 3.8."""
    global _applied
    if _applied:
        return
    _applied = True
    if sys.version_info < (3, 11):
        # 3.8 (Saleor's own runtime) needs shim 2 only with psycopg2 >= 2.9.
        pass
    _restore_inspect_argspec()
    for name, patch in _POST_IMPORT_PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _PostImportFinder())


def install_pth(site_packages: Optional[str] = None) -> Path:
    """Write the ``.pth`` file that runs :func:`apply_early` at interpreter start."""
    target = Path(site_packages or sysconfig.get_paths()["purelib"]) / PTH_NAME
    target.write_text(PTH_LINE)
    return target


if __name__ == "__main__":
    print(install_pth())
