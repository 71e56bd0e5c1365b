"""Saleor 2.10's own routes plus the plugin's (``saleor_ecrm_plugin.urls``, which
the settings helper sets as ``ROOT_URLCONF``, serves these).

``/graphql/`` is served with Saleor's schema extended by the plugin's queries and
mutations; ``/ecrm/...`` holds the customer's pages (:mod:`saleor_ecrm_plugin.routes`).
"""

from __future__ import annotations

from django.conf.urls import include, url
from django.views.decorators.csrf import csrf_exempt
from saleor.urls import urlpatterns as saleor_urlpatterns

from ...routes import ecrm_patterns
from .schema import schema
from .views import EcrmGraphQLView

urlpatterns = [
    url(r"^graphql/", csrf_exempt(EcrmGraphQLView.as_view(schema=schema)), name="api"),
    url(r"^ecrm/", include((ecrm_patterns, "ecrm"), namespace="ecrm")),
    url(r"^anymail/", include("anymail.urls")),
    *saleor_urlpatterns,
]
