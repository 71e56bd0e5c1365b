"""The staff page ``/ecrm/staff/`` through Django's test client, CSRF checks on:
a staff member signs in with their Saleor password and sees the report and a
timeline; a customer, a wrong password, staff without the permissions and an
anonymous visitor get the sign-in page and nothing else. Runs on both hosts."""

from __future__ import annotations

import pytest
from django.test import Client

from saleor_ecrm_plugin.staff import signin
from tests.factories import make_customer
from tests.staff_support import PASSWORD, make_staff, plant_history

pytestmark = pytest.mark.django_db

PAGE = "/ecrm/staff/"
#: what only a signed-in staff member's page holds
DATA_MARKERS = ("abandoned_checkout", "ecrm-chart-data", "<canvas", "ada@example.org")


def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def sign_in(client: Client, email: str, password: str):
    form = client.get(PAGE)
    assert form.status_code == 200
    token = client.cookies["csrftoken"].value
    return client.post(
        PAGE, {"email": email, "password": password, "csrfmiddlewaretoken": token}
    )


def assert_sign_in_page_only(response) -> None:
    html = response.content.decode()
    assert 'id="signin"' in html
    for marker in DATA_MARKERS:
        assert marker not in html, marker


def test_anonymous_visitor_gets_the_sign_in_page_only(shop):
    plant_history()
    client = browser()
    response = client.get(PAGE + "?email=ada@example.org")
    assert response.status_code == 200
    assert_sign_in_page_only(response)
    assert response["Cache-Control"].startswith("max-age=0")
    assert signin.COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    "who", ["customer", "wrong password", "staff without permission"]
)
def test_others_cannot_sign_in(shop, who):
    plant_history()
    if who == "customer":
        make_customer("ada@example.org", PASSWORD)
        email, password = "ada@example.org", PASSWORD
    elif who == "wrong password":
        make_staff("boss@shop.example.com", "manage_orders", "manage_users")
        email, password = "boss@shop.example.com", "not-the-password"
    else:
        make_staff("clerk@shop.example.com")
        email, password = "clerk@shop.example.com", PASSWORD
    client = browser()
    response = sign_in(client, email, password)
    assert response.status_code == 403
    assert_sign_in_page_only(response)
    assert "Sign in with the email and password of a Saleor staff account" in (
        response.content.decode()
    )
    assert signin.COOKIE_NAME not in response.cookies
    assert_sign_in_page_only(client.get(PAGE))


def test_staff_signs_in_and_sees_report_and_timeline(shop):
    plant_history()
    make_staff("boss@shop.example.com", "manage_orders", "manage_users")
    client = browser()
    response = sign_in(client, "Boss@shop.example.com", PASSWORD)
    assert response.status_code == 302 and response["Location"] == PAGE
    cookie = response.cookies[signin.COOKIE_NAME]
    assert cookie["httponly"] and cookie["path"] == PAGE
    assert cookie["samesite"] == "Lax"
    html = client.get(PAGE + "?email=ada@example.org").content.decode()
    for marker in DATA_MARKERS:
        assert marker in html, marker
    assert 'id="timeline-table"' in html and "order-y" in html
    # French labels
    french = client.get(PAGE + "?lang=fr").content.decode()
    assert "Envoyés" in french and 'lang="fr"' in french
    assert 'hreflang="en"' in french
    assert 'hreflang="fr"' in client.get(PAGE).content.decode()


def test_report_only_staff_sees_no_timeline(shop):
    plant_history()
    make_staff("orders@shop.example.com", "manage_orders")
    client = browser()
    assert sign_in(client, "orders@shop.example.com", PASSWORD).status_code == 302
    html = client.get(PAGE + "?email=ada@example.org").content.decode()
    assert "ecrm-chart-data" in html
    assert 'id="timeline-table"' not in html and 'name="email"' not in html


def test_sign_in_without_csrf_token_is_refused(shop):
    make_staff("boss@shop.example.com", "manage_orders")
    response = browser().post(
        PAGE, {"email": "boss@shop.example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert signin.COOKIE_NAME not in response.cookies


def test_a_password_change_or_a_forged_cookie_ends_the_session(shop):
    plant_history()
    boss = make_staff("boss@shop.example.com", "manage_orders")
    client = browser()
    sign_in(client, "boss@shop.example.com", PASSWORD)
    assert "ecrm-chart-data" in client.get(PAGE).content.decode()
    boss.set_password("a-new-password-2")
    boss.save()
    assert_sign_in_page_only(client.get(PAGE))
    client.cookies[signin.COOKIE_NAME] = "forged:value"
    assert_sign_in_page_only(client.get(PAGE))


def test_sign_out_ends_the_session(shop):
    make_staff("boss@shop.example.com", "manage_orders")
    client = browser()
    sign_in(client, "boss@shop.example.com", PASSWORD)
    token = client.cookies["csrftoken"].value
    out = client.post(PAGE + "sign-out/", {"csrfmiddlewaretoken": token})
    assert out.status_code == 302
    assert_sign_in_page_only(client.get(PAGE))


def test_repeated_failures_are_refused_for_a_while(shop):
    make_staff("locked@shop.example.com", "manage_orders")
    client = browser()
    for _ in range(signin.MAX_FAILURES):
        sign_in(client, "locked@shop.example.com", "guess")
    # even the right password waits now
    response = sign_in(client, "locked@shop.example.com", PASSWORD)
    assert (
        response.status_code == 403 and "Too many attempts" in response.content.decode()
    )


def test_bad_period_is_an_error_on_the_page(shop):
    make_staff("boss@shop.example.com", "manage_orders", "manage_users")
    client = browser()
    sign_in(client, "boss@shop.example.com", PASSWORD)
    html = client.get(PAGE + "?since=2026-12-01&until=2020-01-01").content.decode()
    assert "The end of the period must come after its start." in html
    html = client.get(PAGE + "?since=garbage&email=not-an-address").content.decode()
    assert 'role="alert"' in html


def test_chart_js_is_served_by_the_plugin(shop):
    response = Client().get(PAGE + "assets/chart.umd.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"/*!\n * Chart.js v4.6.2")
    assert Client().get(PAGE + "assets/secret.js").status_code == 404


def test_the_demo_gallery_links_the_staff_page_under_serve(tmp_path):
    from saleor_ecrm_plugin.demo.gallery import EmailGallery

    served = EmailGallery(tmp_path / "served", "http://127.0.0.1:8000/ecrm/staff/")
    served.reset()
    page = served.index.read_text()
    assert 'href="http://127.0.0.1:8000/ecrm/staff/" id="staff-page"' in page
    assert "admin@example.com / admin" in page
    plain = EmailGallery(tmp_path / "plain")
    plain.reset()
    assert "staff-page" not in plain.index.read_text()
