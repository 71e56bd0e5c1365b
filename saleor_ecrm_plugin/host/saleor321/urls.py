"""Saleor 3.21's own routes plus the plugin's (``saleor_ecrm_plugin.urls``, set as
``ROOT_URLCONF``, serves these).

``/graphql/`` keeps Saleor's path and route name (``api``: Saleor's ``API_PATH``
reverses it) and serves Saleor's schema with the plugin's queries and mutations
merged, so a storefront talks to one endpoint; ``/ecrm/...`` holds the customer's
pages (:mod:`saleor_ecrm_plugin.routes`).
"""

from __future__ import annotations

from django.urls import include, re_path
from django.views.decorators.csrf import csrf_exempt
from saleor.urls import urlpatterns as saleor_urlpatterns

from ...routes import ecrm_patterns
from .schema import backend, schema
from .views import EcrmGraphQLView

urlpatterns = [
    re_path(
        r"^graphql/$",
        csrf_exempt(EcrmGraphQLView.as_view(backend=backend, schema=schema)),
        name="api",
    ),
    re_path(r"^ecrm/", include((ecrm_patterns, "ecrm"), namespace="ecrm")),
    re_path(r"^anymail/", include("anymail.urls")),
    *[pattern for pattern in saleor_urlpatterns if pattern.name != "api"],
]
