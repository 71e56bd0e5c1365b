"""Saleor's own routes plus the plugin's (enabled by the settings helper).

``/graphql/`` is served with Saleor's schema extended by the plugin's queries and
mutations; ``/ecrm/...`` holds the customer's preference pages.
"""

from __future__ import annotations

from django.conf.urls import include, url
from django.views.decorators.csrf import csrf_exempt
from saleor.graphql.views import GraphQLView
from saleor.urls import urlpatterns as saleor_urlpatterns

from .graphql.schema import schema
from .preferences import views
from .programs.review_request import views as review_views

ecrm_patterns = [
    url(
        r"^unsubscribe/(?P<token>[^/]{1,600})/$", views.unsubscribe, name="unsubscribe"
    ),
    url(
        r"^preferences/(?P<token>[^/]{1,600})/$", views.preferences, name="preferences"
    ),
    url(
        r"^newsletter/confirm/(?P<token>[^/]{1,600})/$",
        views.newsletter_confirm,
        name="newsletter-confirm",
    ),
    url(
        r"^review/(?P<token>[^/]{1,600})/$",
        review_views.review_page,
        name="review",
    ),
    url(
        r"^review/(?P<token>[^/]{1,600})/comment/$",
        review_views.review_comment,
        name="review-comment",
    ),
]

urlpatterns = [
    url(r"^graphql/", csrf_exempt(GraphQLView.as_view(schema=schema)), name="api"),
    url(r"^ecrm/", include((ecrm_patterns, "ecrm"), namespace="ecrm")),
    url(r"^anymail/", include("anymail.urls")),
    *saleor_urlpatterns,
]
