"""The plugin's own pages under ``/ecrm/`` (namespace ``ecrm``), whatever the host.

The host's URLconf (``host/<adapter>/urls.py``) mounts them beside its own routes.
"""

from __future__ import annotations

from django.urls import re_path as url

from .engagement import views as engagement_views
from .preferences import views
from .programs.replenishment import views as reorder_views
from .programs.review_request import views as review_views
from .staff import views as staff_views

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
    url(r"^c/(?P<token>[^/]{1,4000})$", engagement_views.click, name="click"),
    url(
        r"^o/(?P<token>[^/]{1,600})\.gif$",
        engagement_views.open_pixel,
        name="open",
    ),
    url(
        r"^order-again/(?P<token>[^/]{1,600})/$",
        reorder_views.order_again,
        name="order-again",
    ),
    url(r"^staff/$", staff_views.staff_page, name="staff"),
    url(r"^staff/sign-out/$", staff_views.sign_out, name="staff-sign-out"),
    url(
        r"^staff/assets/(?P<name>[a-z.]{1,40}\.js)$",
        staff_views.asset,
        name="staff-asset",
    ),
]
