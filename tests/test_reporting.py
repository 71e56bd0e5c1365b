"""The merchant's report and the customer timeline: the services against a planted
history with known answers, and the staff GraphQL queries through Saleor's real
``/graphql/`` endpoint (staff with the permission, staff without, a customer, an
anonymous visitor), bad input included. Runs on both hosts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from saleor_ecrm_plugin.graphql.host_types import MANAGE_ORDERS, MANAGE_USERS
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.preferences.models import ConsentEvent
from saleor_ecrm_plugin.reporting.inputs import ReportInputError
from saleor_ecrm_plugin.reporting.report import email_report
from saleor_ecrm_plugin.reporting.timeline import address_timeline
from saleor_ecrm_plugin.staff import signin
from tests.factories import make_customer
from tests.graphql import ApiClient
from tests.segment_history import days_ago
from tests.staff_support import make_staff, plant_history

pytestmark = pytest.mark.django_db

REPORT = """
query Report($since: DateTime!, $until: DateTime!) {
  ecrmReport(since: $since, until: $until) {
    errors { field code message }
    rows { program step variant planned sent skipped pending bounced opened
           openedByProxy clicked clicks botClicks unsubscribed clickOrders
           clickRevenue influencedOrders influencedRevenue currency }
    programs { program sent clickRevenue influencedRevenue }
    total { planned sent influencedOrders }
  }
}
"""
TIMELINE = """
query Timeline($email: String!, $first: Int) {
  ecrmTimeline(email: $email, first: $first) {
    email errors { field code message }
    events { at kind program step detail flag orderId amount currency }
  }
}
"""


MOMENT = days_ago(1)


def _key(row) -> tuple:
    return (row.program, row.step, row.variant)


def test_report_counts_the_planted_history(shop):
    history = plant_history()
    report = email_report(history.since, history.until)
    rows = {_key(row): row for row in report.rows}
    assert set(rows) == {
        ("abandoned_checkout", "first", ""),
        ("abandoned_checkout", "second", ""),
        ("welcome", "welcome", "A"),
        ("welcome", "welcome", "B"),
    }
    first = rows["abandoned_checkout", "first", ""]
    assert (first.planned, first.sent, first.skipped, first.pending) == (5, 3, 1, 1)
    # Ada's own open and Cy's through Gmail count; Bob's Apple proxy fetch apart
    assert (first.opened, first.opened_by_proxy) == (2, 1)
    # one person's click (Ada's); the scanners' two apart
    assert (first.clicked, first.clicks, first.bot_clicks) == (1, 1, 2)
    assert (first.unsubscribed, first.bounced) == (1, 0)
    assert (first.click_orders, first.click_revenue) == (1, Decimal("80.00"))
    assert (first.influenced_orders, first.influenced_revenue) == (1, Decimal("80.00"))
    second = rows["abandoned_checkout", "second", ""]
    assert (second.sent, second.click_orders, second.click_revenue) == (1, 0, 0)
    assert (second.influenced_orders, second.influenced_revenue) == (
        2,
        Decimal("110.00"),
    )
    variant_a, variant_b = (
        rows["welcome", "welcome", "A"],
        rows["welcome", "welcome", "B"],
    )
    assert (variant_a.sent, variant_a.bounced, variant_a.opened) == (1, 1, 0)
    assert (variant_b.sent, variant_b.bounced, variant_b.opened) == (1, 0, 1)
    assert variant_a.unsubscribed == variant_b.unsubscribed == 0
    # the win-back email of 40 days ago is outside the period
    assert "win_back" not in report.by_program()
    checkout = report.by_program()["abandoned_checkout"]
    assert (checkout.planned, checkout.influenced_orders) == (6, 3)
    assert report.total().sent == 6


def test_report_is_empty_for_a_quiet_period(shop):
    history = plant_history()
    report = email_report(history.since - timedelta(days=100), days_ago(50))
    assert report.rows == [] and report.total().planned == 0


@pytest.mark.parametrize(
    "since, until, field, code",
    [
        (days_ago(1), days_ago(2), "until", "period_reversed"),
        (MOMENT, MOMENT, "until", "period_reversed"),
        (days_ago(401), days_ago(0), "until", "period_too_long"),
        ("2026-01-01", days_ago(0), "since", "invalid"),
        (days_ago(2).replace(tzinfo=None), days_ago(0), "since", "invalid"),
    ],
)
def test_report_refuses_a_bad_period(shop, since, until, field, code):
    with pytest.raises(ReportInputError) as refused:
        email_report(since, until)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_timeline_lists_an_address_in_time_order(shop):
    history = plant_history()
    events = address_timeline("  ADA@example.org ")
    assert [event.at for event in events] == sorted(event.at for event in events)
    kinds = [(event.kind, event.program, event.step) for event in events]
    old = [("planned", "win_back", "welcome"), ("sent", "win_back", "welcome")]
    assert kinds[:3] == old + [("clicked", "win_back", "welcome")]
    first = ("abandoned_checkout", "first")
    assert kinds[3:8] == [
        ("planned", *first),
        ("sent", *first),
        ("clicked", *first),  # the scanner's, 5 s after delivery
        ("opened", *first),
        ("clicked", *first),
    ]
    assert [e.flag for e in events if e.kind == "clicked"] == ["", "scanner_agent", ""]
    orders = {e.order_id: (e.detail, e.amount) for e in events if e.kind == "order"}
    assert orders == {
        next(o for o in orders if o != "order-y"): ("click", Decimal("80.00")),
        "order-y": ("influenced", Decimal("30.00")),
    }
    assert history.old_send.pk in {e.send_id for e in events}
    # the newest events only, still oldest first
    last_two = address_timeline("ada@example.org", 2)
    assert last_two == events[-2:]


def test_timeline_shows_skips_consent_and_bounces(shop):
    plant_history()
    [planned, skipped] = address_timeline("dan@example.org")
    assert (planned.kind, skipped.kind, skipped.detail) == (
        "planned",
        "skipped",
        "ordered",
    )
    cy = address_timeline("cy@example.org")
    assert [e.kind for e in cy] == ["planned", "sent", "opened", "consent"]
    assert (cy[2].flag, cy[3].detail, cy[3].flag) == (
        "google",
        "withdrawn marketing",
        "one_click",
    )
    fay = address_timeline("fay@example.org")
    assert fay[-1].kind == "consent" and fay[-1].detail == "suppressed marketing"
    assert address_timeline("nobody@example.org") == []


@pytest.mark.parametrize(
    "email, first, field",
    [
        ("not an address", None, "email"),
        ("a@b@example.org", None, "email"),
        ("ada@example.org", 0, "first"),
        ("ada@example.org", 501, "first"),
    ],
)
def test_timeline_refuses_bad_input(shop, email, first, field):
    with pytest.raises(ReportInputError) as refused:
        address_timeline(email, first)
    assert refused.value.field == field


def test_the_page_asks_for_the_same_permissions_as_the_queries():
    assert signin.REPORT_PERMISSION == MANAGE_ORDERS.value
    assert signin.TIMELINE_PERMISSION == MANAGE_USERS.value


def _period(history) -> dict:
    return {"since": history.since.isoformat(), "until": history.until.isoformat()}


def test_staff_with_manage_orders_reads_the_report(shop):
    history = plant_history()
    manager = make_staff("orders@shop.example.com", "manage_orders")
    report = ApiClient(manager).post(REPORT, _period(history))["data"]["ecrmReport"]
    assert report["errors"] == []
    first = next(row for row in report["rows"] if row["step"] == "first")
    assert first == {
        "program": "abandoned_checkout",
        "step": "first",
        "variant": "",
        "planned": 5,
        "sent": 3,
        "skipped": 1,
        "pending": 1,
        "bounced": 0,
        "opened": 2,
        "openedByProxy": 1,
        "clicked": 1,
        "clicks": 1,
        "botClicks": 2,
        "unsubscribed": 1,
        "clickOrders": 1,
        "clickRevenue": 80.0,
        "influencedOrders": 1,
        "influencedRevenue": 80.0,
        "currency": "USD",
    }
    # order X counts in both reminders' rows (each row counts its orders once)
    assert report["total"] == {"planned": 8, "sent": 6, "influencedOrders": 3}
    assert [p["program"] for p in report["programs"]] == [
        "abandoned_checkout",
        "welcome",
    ]
    # the timeline is personal data: manage_orders is not enough
    refused = ApiClient(manager).post(TIMELINE, {"email": "ada@example.org"})
    assert "permission" in refused["errors"][0]["message"].lower()
    assert refused["data"] is None


def test_staff_with_manage_users_reads_a_timeline(shop):
    history = plant_history()
    manager = make_staff("people@shop.example.com", "manage_users")
    timeline = ApiClient(manager).post(
        TIMELINE, {"email": "Ada@example.org", "first": 3}
    )["data"]["ecrmTimeline"]
    assert timeline["errors"] == [] and timeline["email"] == "ada@example.org"
    assert [event["kind"] for event in timeline["events"]][-1] == "order"
    assert len(timeline["events"]) == 3
    refused = ApiClient(manager).post(REPORT, _period(history))
    assert "permission" in refused["errors"][0]["message"].lower()


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff without permission"])
def test_others_get_a_permission_error_and_no_data(shop, who):
    history = plant_history()
    user = {
        "anonymous": lambda: None,
        "customer": lambda: make_customer("ada@example.org"),
        "staff without permission": lambda: make_staff("clerk@shop.example.com"),
    }[who]()
    client = ApiClient(user)
    for query, variables in (
        (REPORT, _period(history)),
        (TIMELINE, {"email": "ada@example.org"}),
    ):
        answer = client.post(query, variables)
        assert answer["data"] is None
        assert "permission" in answer["errors"][0]["message"].lower()
        assert "abandoned_checkout" not in str(answer)


def test_bad_input_is_a_typed_error_and_changes_nothing(shop):
    history = plant_history()
    manager = make_staff("boss@shop.example.com", "manage_orders", "manage_users")
    before = (ScheduledSend.objects.count(), ConsentEvent.objects.count())
    reversed_period = {
        "since": history.until.isoformat(),
        "until": history.since.isoformat(),
    }
    long_period = {
        "since": (history.until - timedelta(days=401)).isoformat(),
        "until": history.until.isoformat(),
    }
    client = ApiClient(manager)
    for variables, code in (
        (reversed_period, "PERIOD_REVERSED"),
        (long_period, "PERIOD_TOO_LONG"),
    ):
        report = client.post(REPORT, variables)["data"]["ecrmReport"]
        assert report["rows"] == [] and report["total"] is None
        assert [(e["field"], e["code"]) for e in report["errors"]] == [("until", code)]
    for variables, field in (
        ({"email": "no-at-sign"}, "email"),
        ({"email": "ada@example.org", "first": 10_000}, "first"),
    ):
        timeline = client.post(TIMELINE, variables)["data"]["ecrmTimeline"]
        assert timeline["events"] == []
        assert [(e["field"], e["code"]) for e in timeline["errors"]] == [
            (field, "INVALID")
        ]
    assert (ScheduledSend.objects.count(), ConsentEvent.objects.count()) == before
