"""The click redirect and the open pixel (``/ecrm/c/<token>``, ``/ecrm/o/<token>.gif``).

The redirect answers at once: one signature check, the event's row, then 302 to
the target its signed token carries. A token that does not verify gets a 400 page
and no ``Location``. Neither view changes preferences or consent; neither stores
the client's address (a keyed hash of it, :mod:`saleor_ecrm_plugin.clients`).
"""

from __future__ import annotations

import logging

from django.contrib.sites.models import Site
from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ..clients import client_address
from ..context import load_context
from . import events
from .tracking import InvalidTrackingToken, read_click_token, read_open_token

logger = logging.getLogger(__name__)

ALLOWED = ["GET", "HEAD"]
#: a transparent 1x1 GIF
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
    b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _not_valid(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ecrm/pages/message.html",
        {
            "shop_name": Site.objects.get_current().name,
            "title": _("Link not valid"),
            "message": _("This link is not valid."),
        },
        status=400,
    )


@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record the click, send the visitor to the link's target (302)."""
    if request.method not in ALLOWED:
        return HttpResponseNotAllowed(ALLOWED)
    try:
        claims = read_click_token(token)
    except InvalidTrackingToken:
        return _not_valid(request)
    try:
        events.record_click(
            claims.send_id,
            claims.link_index,
            claims.url,
            link_count=claims.link_count,
            honeypot=claims.honeypot,
            method=request.method or "GET",
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            client_address=client_address(request.META),
        )
    except DatabaseError:
        # the customer is sent on even when the click cannot be written
        logger.exception("Click on send %s not recorded", claims.send_id)
    return HttpResponseRedirect(claims.url)


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Record an open (when opens are tracked), answer the transparent pixel."""
    if request.method not in ALLOWED:
        return HttpResponseNotAllowed(ALLOWED)
    try:
        send_id = read_open_token(token)
    except InvalidTrackingToken:
        return HttpResponse(status=400)
    context = load_context()
    if context.active and context.settings.track_opens and request.method == "GET":
        try:
            events.record_open(
                send_id,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                client_address=client_address(request.META),
            )
        except DatabaseError:
            logger.exception("Open of send %s not recorded", send_id)
    return HttpResponse(PIXEL, content_type="image/gif")
