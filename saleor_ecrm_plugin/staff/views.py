"""The staff page: sign-in, report with charts, timeline search.

GET ``/ecrm/staff/`` shows the sign-in form to anyone not signed in (and nothing
else: no figure, no address); a staff member sees the report over a period
(``?since=YYYY-MM-DD&until=YYYY-MM-DD``, default the last 30 days) and, with
``?email=``, that address's timeline. POST signs in (CSRF-protected); POST to
``sign-out/`` ends the session. The page's data comes from
:mod:`saleor_ecrm_plugin.reporting`, the same services as the GraphQL queries.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from ..host import port as host
from ..localisation import supported_language
from ..reporting.inputs import ReportInputError
from ..reporting.report import Report, email_report
from ..reporting.timeline import address_timeline
from . import signin

STATIC = Path(__file__).resolve().parent.parent / "static" / "ecrm"
#: the files the page loads, served by the plugin (no CDN)
ASSETS = {
    "chart.umd.min.js": STATIC / "vendor" / "chartjs" / "chart.umd.min.js",
    "staff.js": STATIC / "staff.js",
}
DEFAULT_DAYS = 30
#: a timeline event's kind, as the page names it
KIND_LABELS = {
    "planned": gettext_lazy("Planned"),
    "sent": gettext_lazy("Sent"),
    "skipped": gettext_lazy("Skipped"),
    "cancelled": gettext_lazy("Cancelled"),
    "failed": gettext_lazy("Failed"),
    "opened": gettext_lazy("Opened"),
    "clicked": gettext_lazy("Clicked"),
    "order": gettext_lazy("Order"),
    "consent": gettext_lazy("Consent"),
}


class SignInForm(forms.Form):
    email = forms.CharField(label=gettext_lazy("Email"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password"), max_length=4096, widget=forms.PasswordInput
    )


class PeriodForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False)
    until = forms.DateField(label=gettext_lazy("To (included)"), required=False)
    email = forms.CharField(
        label=gettext_lazy("Customer's email"), max_length=254, required=False
    )


def _language(request: HttpRequest) -> str:
    return (
        supported_language(request.GET.get("lang"))
        or supported_language(translation.get_language_from_request(request))
        or supported_language(settings.LANGUAGE_CODE)
        or "en"
    )


def _page(request: HttpRequest, template: str, context: Dict[str, Any]) -> Any:
    language = _language(request)
    with translation.override(language):
        response = render(
            request,
            template,
            {
                "shop_name": host.shop_info().name,
                "language": language,
                "other_language": "en" if language.startswith("fr") else "fr",
                **context,
            },
        )
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response


def _set_cookie(request: HttpRequest, response: HttpResponse, value: str) -> None:
    response.set_cookie(
        signin.COOKIE_NAME,
        value,
        max_age=signin.SESSION_SECONDS,
        path=reverse("ecrm:staff"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def staff_page(request: HttpRequest) -> HttpResponse:
    staff = signin.signed_in(request.COOKIES.get(signin.COOKIE_NAME))
    if request.method == "POST":
        return _sign_in(request)
    if staff is None:
        return _page(request, "ecrm/staff/signin.html", {"form": SignInForm()})
    return _report_page(request, staff)


def _sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    client = host.client_address(request)
    error = ""
    if form.is_valid():
        email = form.cleaned_data["email"]
        if signin.too_many_failures(email, client):
            error = gettext("Too many attempts: try again in a few minutes.")
        else:
            staff = signin.authenticate(email, form.cleaned_data["password"], client)
            if staff is not None:
                response = redirect(reverse("ecrm:staff"))
                _set_cookie(
                    request, response, signin.start_session(staff).session_key or ""
                )
                return response
    if not error:
        error = gettext(
            "Sign in with the email and password of a Saleor staff account"
            " allowed to manage orders or customers."
        )
    page = _page(
        request, "ecrm/staff/signin.html", {"form": SignInForm(), "error": error}
    )
    page.status_code = 403 if form.is_valid() else 400
    return page


@require_POST
@csrf_protect
def sign_out(request: HttpRequest) -> HttpResponse:
    response = redirect(reverse("ecrm:staff"))
    response.delete_cookie(signin.COOKIE_NAME, path=reverse("ecrm:staff"))
    return response


def _period(form: PeriodForm) -> Tuple[date, date]:
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until") or today
    since = data.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
    return since, until


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _report_page(request: HttpRequest, staff: signin.Staff) -> HttpResponse:
    form = PeriodForm(request.GET)
    since, until = _period(form)
    errors: List[str] = [
        str(message) for messages in form.errors.values() for message in messages
    ]
    report: Optional[Report] = None
    if staff.sees_report:
        try:
            report = email_report(_aware(since), _aware(until + timedelta(days=1)))
        except ReportInputError as exc:
            errors.append(str(exc))
    email = (form.cleaned_data.get("email") or "") if form.is_valid() else ""
    timeline = None
    if staff.sees_timeline and email:
        try:
            timeline = [
                {"event": event, "label": KIND_LABELS[event.kind]}
                for event in address_timeline(email, 200)
            ]
        except ReportInputError as exc:
            errors.append(str(exc))
    return _page(
        request,
        "ecrm/staff/page.html",
        {
            "staff": staff,
            "form": PeriodForm(
                initial={"since": since, "until": until, "email": email}
            ),
            "since": since,
            "until": until,
            "errors": errors,
            "report": report,
            "rows": report.rows if report else [],
            "programs": list(report.by_program().values()) if report else [],
            "total": report.total() if report else None,
            "chart_data": _chart_data(report) if report else None,
            "email": email,
            "timeline": timeline,
        },
    )


def _chart_data(report: Report) -> Dict[str, Any]:
    """What ``staff.js`` draws: per program, the funnel and the revenue."""
    programs = list(report.by_program().values())
    return {
        "programs": [row.program for row in programs],
        "funnel": {
            key: [getattr(row, key) for row in programs]
            for key in ("sent", "opened", "clicked", "unsubscribed", "bounced")
        },
        "labels": {
            "sent": gettext("Sent"),
            "opened": gettext("Opened"),
            "clicked": gettext("Clicked"),
            "unsubscribed": gettext("Unsubscribes"),
            "bounced": gettext("Bounced"),
            "click_revenue": gettext("Revenue by click"),
            "influenced_revenue": gettext("Revenue influenced"),
        },
        "revenue": {
            key: [float(getattr(row, key)) for row in programs]
            for key in ("click_revenue", "influenced_revenue")
        },
    }


def asset(request: HttpRequest, name: str) -> FileResponse:
    """The page's scripts (Chart.js and the page's own), from the package."""
    path = ASSETS.get(name)
    if path is None:
        raise Http404()
    response = FileResponse(path.open("rb"), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
