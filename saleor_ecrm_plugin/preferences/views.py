"""The customer's pages: one-click unsubscribe, the preference page, newsletter confirm.

No page changes anything on GET (link scanners follow GET links). A POST is
authenticated by the signed token in its URL alone: mailbox providers POST the RFC
8058 one-click request without cookies or CSRF token, so these views are exempt.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Dict

from django.contrib.sites.models import Site
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from . import service
from .categories import CATEGORIES, choosable
from .tokens import (
    InvalidToken,
    PreferenceClaims,
    read_newsletter_token,
    read_preferences_token,
)

ALLOWED = ["GET", "HEAD", "POST"]


def _page(
    request: HttpRequest, template: str, status: int = 200, **context: object
) -> HttpResponse:
    context.setdefault("shop_name", Site.objects.get_current().name)
    return render(request, f"ecrm/pages/{template}", context, status=status)


def _invalid(request: HttpRequest, error: Exception) -> HttpResponse:
    return _page(
        request, "message.html", status=400, title="Link not valid", message=str(error)
    )


def signed_link(
    read_token: Callable[[str], Any],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page behind a signed link: GET/HEAD/POST only, never cached, no CSRF
    token (the link's token authenticates), and a clear 400 page for a bad link.
    The view receives what ``read_token`` returns."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @never_cache
        @csrf_exempt
        @wraps(view)
        def page(request: HttpRequest, token: str) -> HttpResponse:
            if request.method not in ALLOWED:
                return HttpResponseNotAllowed(ALLOWED)
            try:
                claims = read_token(token)
            except InvalidToken as exc:
                return _invalid(request, exc)
            return view(request, token, claims)

        return page

    return decorate


@signed_link(read_preferences_token)
def unsubscribe(
    request: HttpRequest, token: str, claims: PreferenceClaims
) -> HttpResponse:
    category = CATEGORIES.get(claims.category or "")
    if request.method in ("GET", "HEAD"):
        return _page(request, "unsubscribe.html", token=token, category=category)

    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    scope = "category" if one_click else request.POST.get("scope", "")
    if scope == "category" and category is not None and not category.transactional:
        service.unsubscribe(
            claims.email,
            category.slug,
            "one_click" if one_click else "unsubscribe_page",
        )
        message = f"You will no longer receive “{category.label}” emails."
    elif scope == "all" or (scope == "category" and category is None):
        service.unsubscribe(
            claims.email, None, "one_click" if one_click else "unsubscribe_page"
        )
        message = (
            "You will no longer receive any marketing email. Order emails still come."
        )
    else:
        return _page(
            request,
            "unsubscribe.html",
            status=400,
            token=token,
            category=category,
            error="Choose what to unsubscribe from.",
        )
    return _page(
        request, "message.html", title="Unsubscribed", message=message, token=token
    )


@signed_link(read_preferences_token)
def preferences(
    request: HttpRequest, token: str, claims: PreferenceClaims
) -> HttpResponse:
    saved = False
    if request.method == "POST":
        wanted: Dict[str, bool] = {
            category.slug: request.POST.get(f"category_{category.slug}") == "on"
            for category in choosable()
        }
        current = service.update_preferences(
            claims.email,
            categories=wanted,
            marketing_opt_out=request.POST.get("marketing_opt_out") == "on",
            source="preference_page",
        )
        saved = True
    else:
        current = service.get_preferences(claims.email)
    rows = [
        {"category": category, "subscribed": current.categories[category.slug]}
        for category in choosable()
    ]
    return _page(
        request,
        "preferences.html",
        token=token,
        email=current.email,
        rows=rows,
        marketing_opt_out=current.marketing_opt_out,
        saved=saved,
    )


@signed_link(read_newsletter_token)
def newsletter_confirm(request: HttpRequest, token: str, email: str) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _page(request, "newsletter_confirm.html", token=token)
    service.confirm_newsletter(email, "double_opt_in")
    return _page(
        request,
        "message.html",
        title="Subscribed",
        message="Thank you: your subscription is confirmed.",
    )
