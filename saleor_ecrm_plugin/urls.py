"""``ROOT_URLCONF`` (set by the settings helper): the installed Saleor's routes plus
the plugin's, as the current host's adapter composes them (``host/<adapter>/urls``).
"""

from __future__ import annotations

from typing import Any, List

from .host.port import host_module

urlpatterns: List[Any] = host_module("urls").urlpatterns
