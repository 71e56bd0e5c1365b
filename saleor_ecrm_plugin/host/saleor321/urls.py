"""Saleor 3.21's own routes plus the plugin's pages (``saleor_ecrm_plugin.urls``,
which the settings helper sets as ``ROOT_URLCONF``, serves these).

``/ecrm/...`` holds the customer's pages (:mod:`saleor_ecrm_plugin.routes`); the
plugin's GraphQL fields beside Saleor 3.21's schema are served by a view of their
own (work of the ``s3api`` branch); until then ``/graphql/`` is Saleor's.
"""

from __future__ import annotations

from django.urls import include, re_path
from saleor.urls import urlpatterns as saleor_urlpatterns

from ...routes import ecrm_patterns

urlpatterns = [
    re_path(r"^ecrm/", include((ecrm_patterns, "ecrm"), namespace="ecrm")),
    re_path(r"^anymail/", include("anymail.urls")),
    *saleor_urlpatterns,
]
