"""Smoke test of an INSTALLED plugin (a wheel, not the checkout), over real HTTP.

Run with the interpreter of a venv where the wheel was installed non-editable, from a
folder outside the checkout (so the checkout's package cannot be imported)::

    cd /tmp && /path/to/venv/bin/python /path/to/checkout/.ci/install_smoke.py

Environment: ``DATABASE_URL`` (its database is dropped and created again: give it a
name of its own). It runs Saleor's settings plus the plugin (``enable_ecrm``, through
the demo settings module the wheel ships) with ``DEBUG`` off, as a shop in production:

1. the package and its templates come from the install, not the checkout;
2. ``migrate`` runs on a fresh database;
3. every template under the installed ``templates/`` resolves to the installed file
   through Django's template loader and compiles, and all but those that show
   prices render (pages, emails, the GraphQL playground);
4. a real HTTP server (wsgiref, in a thread, on a free port) answers:
   the unsubscribe and preference pages (GET, 200), the newsletter confirmation page
   (GET, 200), the RFC 8058 one-click unsubscribe POST of a real token (200, and the
   opt-out is saved), ``emailPreferences(token)`` over ``/graphql/`` (the opt-out
   shows), and ``GET /graphql/`` from a browser (``Accept: text/html``: 200, the
   playground page).

Any failure raises (exit status 1) with what failed; success prints one line per check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

CHECKOUT = Path(__file__).resolve().parent.parent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecrm_install_smoke"
)
# a shop in production: DEBUG off, which Saleor 2.10 accepts only with these set
os.environ["DEBUG"] = "False"
os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost,127.0.0.1")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1")


class SmokeFailure(AssertionError):
    """What the installed plugin got wrong."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def ok(message: str) -> None:
    print(f"  ok  {message}", flush=True)


def fresh_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    check(bool(name), f"DATABASE_URL names no database: {url}")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        database = sql.Identifier(name)
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(database))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(database))
    admin.close()


def check_installed_package() -> Path:
    import saleor_ecrm_plugin
    from saleor_ecrm_plugin.settings_helper import templates_dir

    package = Path(saleor_ecrm_plugin.__file__).resolve().parent
    check(
        CHECKOUT not in package.parents,
        f"saleor_ecrm_plugin is imported from the checkout ({package}), not the wheel",
    )
    templates = templates_dir()
    check(
        templates == package / "templates",
        f"templates_dir() is {templates}, not the installed {package / 'templates'}",
    )
    ok(f"package and templates installed at {package}")
    return templates


#: templates that show prices: they render only with Saleor's Money objects (a cart,
#: an order) in their context, so the smoke test resolves and compiles them only; the
#: test suite renders them with real carts and orders
NEED_PRICES = {
    "templated_email/ecrm/abandoned_checkout.email",
    "templated_email/ecrm/abandoned_checkout_last.email",
    "templated_email/ecrm/back_in_stock.email",
    "templated_email/ecrm/includes/cart.html",
    "templated_email/ecrm/includes/cart.txt",
    "templated_email/order/confirm_order.email",
    "templated_email/order/includes/totals.html",
    "templated_email/order/includes/totals.txt",
    "templated_email/order/payment/confirm_payment.email",
    "templated_email/order/staff_confirm_order.email",
}


def check_templates(templates: Path) -> None:
    """Every file under the installed templates/ resolves through Django's loader to
    that file and compiles; all but those in NEED_PRICES also render (with their
    extends and includes) from a context holding a token."""
    from django.template.loader import get_template

    names = sorted(
        path.relative_to(templates).as_posix()
        for path in templates.rglob("*")
        if path.is_file()
    )
    expected = {
        "ecrm/pages/message.html",
        "ecrm/pages/preferences.html",
        "ecrm/pages/unsubscribe.html",
        "graphql/playground.html",
        "templated_email/ecrm/welcome.email",
        "templated_email/order/confirm_order.email",
    }
    check(expected <= set(names), f"missing templates: {expected - set(names)}")
    check(NEED_PRICES <= set(names), f"gone: {NEED_PRICES - set(names)}")
    rendered = 0
    for name in names:
        template = get_template(name)
        origin = Path(template.origin.name).resolve()
        check(
            origin == (templates / name).resolve(),
            f"{name} resolves to {origin}, not the plugin's installed copy",
        )
        if name not in NEED_PRICES:
            template.render(
                {"token": "smoke-token", "shop_name": "Smoke Shop", "months": 3}
            )
            rendered += 1
    ok(
        f"{len(names)} templates resolve from the install and compile,"
        f" {rendered} of them render"
    )


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def start_server() -> Tuple[WSGIServer, str]:
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def request(
    url: str,
    *,
    data: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
) -> Tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def expect(status: int, body: str, wanted: int, what: str, text: str = "") -> None:
    check(status == wanted, f"{what}: HTTP {status}, expected {wanted}\n{body[:2000]}")
    check(text in body, f"{what}: the page lacks {text!r}\n{body[:2000]}")
    ok(f"{what}: HTTP {status}")


def check_http(base: str) -> None:
    from saleor_ecrm_plugin.preferences.models import EmailContact
    from saleor_ecrm_plugin.preferences.tokens import (
        make_newsletter_token,
        make_preferences_token,
    )

    email = "smoke@example.org"
    token = make_preferences_token(email, "abandoned_checkout")
    unsubscribe = f"{base}/ecrm/unsubscribe/{token}/"

    status, body = request(unsubscribe)
    expect(status, body, 200, "GET the unsubscribe page", "Reminders about your cart")
    status, body = request(f"{base}/ecrm/preferences/{make_preferences_token(email)}/")
    expect(status, body, 200, "GET the preference page", "News and recommendations")
    status, body = request(
        f"{base}/ecrm/newsletter/confirm/{make_newsletter_token(email)}/"
    )
    expect(status, body, 200, "GET the newsletter confirmation page", "<form")
    status, body = request(f"{base}/ecrm/review/not-a-token/")
    expect(status, body, 400, "GET a review page with a bad token", "not valid")

    check(
        not EmailContact.objects.filter(email=email).exists(),
        "a GET changed the address's preferences",
    )
    # RFC 8058: what a mailbox provider sends, with no cookie and no CSRF token
    status, body = request(
        unsubscribe,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    expect(status, body, 200, "POST the one-click unsubscribe", "Unsubscribed")
    contact = EmailContact.objects.get(email=email)
    check(
        contact.opted_out_categories == ["abandoned_checkout"],
        f"the one-click opt-out was not saved: {contact.opted_out_categories}",
    )
    ok("the one-click opt-out is saved")

    query = (
        "query($token: String) { emailPreferences(token: $token) {"
        " email categories { category subscribed } } }"
    )
    status, body = request(
        f"{base}/graphql/",
        data=json.dumps({"query": query, "variables": {"token": token}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    expect(status, body, 200, "POST emailPreferences(token) to /graphql/")
    answer = json.loads(body)
    check("errors" not in answer, f"emailPreferences answered errors: {body}")
    categories = {
        row["category"]: row["subscribed"]
        for row in answer["data"]["emailPreferences"]["categories"]
    }
    check(
        categories.get("abandoned_checkout") is False,
        f"emailPreferences does not show the opt-out: {categories}",
    )
    ok("emailPreferences shows the opt-out")

    status, body = request(f"{base}/graphql/", headers={"Accept": "text/html"})
    expect(status, body, 200, "GET /graphql/ from a browser", "<html")


def main() -> None:
    started = time.monotonic()
    print(f"== install smoke test on Python {sys.version.split()[0]}", flush=True)
    fresh_database(os.environ["DATABASE_URL"])

    # as a merchant runs it, in its own process: migrating in this one would leave
    # migration-time models in Django's Site cache
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], check=True)
    ok("python -m django migrate on a fresh database")

    import django

    django.setup()
    templates = check_installed_package()
    check_templates(templates)  # some templates read the Site: after migrate
    server, base = start_server()
    try:
        check_http(base)
    finally:
        server.shutdown()
        server.server_close()
    print(f"== install smoke test passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
