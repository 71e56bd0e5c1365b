"""Saleor's own routes plus the plugin's (enabled by the settings helper)."""

from __future__ import annotations

from saleor.urls import urlpatterns as saleor_urlpatterns

urlpatterns = list(saleor_urlpatterns)
