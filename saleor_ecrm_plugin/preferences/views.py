"""The customer's pages: one-click unsubscribe, the preference page, newsletter confirm.

No page changes anything on GET (link scanners follow GET links). A POST is
authenticated by the signed token in its URL alone: mailbox providers POST the RFC
8058 one-click request without cookies or CSRF token, so these views are exempt.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Dict, List

import pytz
from django.conf import settings
from django.contrib.sites.models import Site
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from ..localisation import shipped_languages, supported_language
from . import service
from .categories import CATEGORIES, choosable
from .links import LANGUAGE_PARAMETER, with_language
from .tokens import (
    InvalidToken,
    PreferenceClaims,
    read_newsletter_token,
    read_preferences_token,
)

ALLOWED = ["GET", "HEAD", "POST"]


def page_language(request: HttpRequest) -> str:
    """The language of a page: the link's (``?lang=``, the email's language),
    else the shop's."""
    return (
        supported_language(request.GET.get(LANGUAGE_PARAMETER))
        or supported_language(settings.LANGUAGE_CODE)
        or "en"
    )


def language_switch(request: HttpRequest) -> List[Dict[str, Any]]:
    """The same page in each language the plugin speaks (:func:`shipped_languages`)."""
    links = []
    for code in shipped_languages():
        query = request.GET.copy()
        query.pop(LANGUAGE_PARAMETER, None)
        if code != settings.LANGUAGE_CODE:
            query[LANGUAGE_PARAMETER] = code
        rest = query.urlencode()
        links.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "url": request.path + ("?" + rest if rest else ""),
                "current": code == translation.get_language(),
            }
        )
    return links


def _page(
    request: HttpRequest, template: str, status: int = 200, **context: object
) -> HttpResponse:
    context.setdefault("shop_name", Site.objects.get_current().name)
    language = translation.get_language()
    # forms post back in the page's language
    context.setdefault("lang_query", with_language("", language))
    context.setdefault("languages", language_switch(request))
    return render(request, f"ecrm/pages/{template}", context, status=status)


def _invalid(request: HttpRequest, error: Exception) -> HttpResponse:
    return _page(
        request,
        "message.html",
        status=400,
        title=_("Link not valid"),
        message=str(error),
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
            with translation.override(page_language(request)):
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
        message = _("You will no longer receive “%(category)s” emails.") % {
            "category": category.label
        }
    elif scope == "all" or (scope == "category" and category is None):
        service.unsubscribe(
            claims.email, None, "one_click" if one_click else "unsubscribe_page"
        )
        message = _(
            "You will no longer receive any marketing email. Order emails still come."
        )
    else:
        return _page(
            request,
            "unsubscribe.html",
            status=400,
            token=token,
            category=category,
            error=_("Choose what to unsubscribe from."),
        )
    return _page(
        request,
        "message.html",
        title=_("Unsubscribed"),
        message=message,
        token=token,
    )


@signed_link(read_preferences_token)
def preferences(
    request: HttpRequest, token: str, claims: PreferenceClaims
) -> HttpResponse:
    saved, error, status = False, "", 200
    current = service.get_preferences(claims.email)
    if request.method == "POST":
        wanted: Dict[str, bool] = {
            category.slug: request.POST.get(f"category_{category.slug}") == "on"
            for category in choosable()
        }
        try:
            current = service.update_preferences(
                claims.email,
                categories=wanted,
                marketing_opt_out=request.POST.get("marketing_opt_out") == "on",
                source="preference_page",
                # absent from the form: unchanged; "": inferred from the address
                time_zone=request.POST.get("time_zone"),
            )
            saved = True
        except service.PreferenceError as exc:
            if exc.field != "timeZone":
                raise
            # the one field the page's form can get wrong; nothing was changed
            error, status = _("Choose a time zone from the list."), 400
    rows = [
        {"category": category, "subscribed": current.categories[category.slug]}
        for category in choosable()
    ]
    return _page(
        request,
        "preferences.html",
        status=status,
        error=error,
        token=token,
        email=current.email,
        rows=rows,
        marketing_opt_out=current.marketing_opt_out,
        saved=saved,
        time_zone=current.time_zone,
        time_zones=pytz.common_timezones,
    )


@signed_link(read_newsletter_token)
def newsletter_confirm(request: HttpRequest, token: str, email: str) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _page(request, "newsletter_confirm.html", token=token)
    service.confirm_newsletter(email, "double_opt_in")
    return _page(
        request,
        "message.html",
        title=_("Subscribed"),
        message=_("Thank you: your subscription is confirmed."),
    )
