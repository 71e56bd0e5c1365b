"""Everything that touches Saleor lives in this package.

:mod:`.port` is the typed interface the plugin's core asks its questions through;
one adapter folder per Saleor line answers it (``saleor210/`` for Saleor 2.10; a
Saleor 3.x adapter will sit beside it), with the glue that Saleor loads (plugin
class, URLconf, GraphQL schema) and its runtime shims. :func:`current` picks the
adapter of the installed Saleor, once per process.

Importing this package stays cheap (no Django, no celery, no Saleor): the start-up
``.pth`` imports :mod:`.compat` through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .port import Host


def current() -> Host:
    """The host adapter of the installed Saleor (see :func:`.port.current`)."""
    from .port import current as current_host

    return current_host()
