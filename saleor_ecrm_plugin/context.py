"""What every send, hook and task needs: the plugin's state and the shop's identity.

:func:`load_context` reads the stored configuration (one query) and parses it
through :func:`.config.parse_configuration`, which parses each stored
configuration once. The dispatcher, the Celery tasks, the template tags and the
services that run outside a Saleor hook call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import EcrmSettings, default_configuration, parse_configuration
from .constants import DEFAULT_ACTIVE, PLUGIN_ID
from .host import port as host


@dataclass(frozen=True)
class SendContext:
    """What every send of a run needs: the plugin's state and the shop's identity."""

    active: bool
    settings: EcrmSettings
    shop: host.ShopInfo


def load_context() -> SendContext:
    active, items = host.stored_plugin_configuration(PLUGIN_ID)
    if items is None:
        active, items = DEFAULT_ACTIVE, default_configuration()
    # a stored value that no longer parses falls back to its default
    settings, _errors = parse_configuration(items)
    return SendContext(active=active, settings=settings, shop=host.shop_info())
