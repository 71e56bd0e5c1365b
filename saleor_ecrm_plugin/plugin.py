"""The plugin class merchants name in ``PLUGINS``
(``saleor_ecrm_plugin.plugin.EcrmPlugin``): the current host's, from
``host/<adapter>/plugin.py``.
"""

from __future__ import annotations

from typing import Any

from .host.port import host_module

EcrmPlugin: Any = host_module("plugin").EcrmPlugin
