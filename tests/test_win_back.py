"""Win-back: steps at 90/180/365 days after the last Saleor order, each re-checked,
the VIP variant, the offers as real Saleor vouchers, read from a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import Conversion, ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.registry import get_program
from saleor_ecrm_plugin.recommendations import rebuild_model
from tests.configuration import configure_plugin
from tests.factories import make_category, make_product
from tests.purchase_history import (
    order_days_ago,
    orders_over_time,
    voucher_code,
    voucher_value,
)

QUIET = {"quiet_hours": ""}


def run_scan():
    from saleor_ecrm_plugin.context import load_context

    return get_program("win_back").run_scan("plan_win_backs", load_context().settings)


def by_recipient(messages):
    return {message.rcpt_tos[0]: message for message in messages}


@pytest.mark.django_db(transaction=True)
def test_each_step_goes_to_those_who_crossed_it_with_its_offer(shop, smtp_server):
    from saleor.discount import VoucherType
    from saleor.discount.models import Voucher

    configure_plugin(win_back_enabled=True, **QUIET)
    tents = make_category("Tents")
    tent = make_product("Trail Tent", category=tents, price="120.00")
    stakes = make_product("Tent Stakes", category=tents, price="9.00")
    # stakes are bought with tents: the suggestion for tent buyers
    for n in range(3):
        order_days_ago([tent, stakes], f"other{n}@example.org", 1)
    order_days_ago([tent], "ninety@example.org", 91)
    order_days_ago([tent], "half@example.org", 181)
    order_days_ago([tent], "year@example.org", 366)
    # crossed 90 days long ago (not mailed late), and one who came back since
    order_days_ago([tent], "old@example.org", 120)
    order_days_ago([tent], "back@example.org", 92)
    order_days_ago([tent], "back@example.org", 10)
    rebuild_model()  # the daily "bought together" model

    counts = run_scan()

    assert counts["planned"] == 3
    rows = {s.recipient: s for s in ScheduledSend.objects.filter(program="win_back")}
    assert {email: row.step for email, row in rows.items()} == {
        "ninety@example.org": "day90",
        "half@example.org": "day180",
        "year@example.org": "day365",
    }
    # a second scan the same day plans nothing more
    assert run_scan()["planned"] == 0

    assert Dispatcher().run().sent == 3
    mails = by_recipient(smtp_server.wait_for(3))
    ninety = mails["ninety@example.org"].message
    assert ninety["Subject"] == "It has been a while: news from Test Shop"
    assert ninety["X-Ecrm-Program"] == "win_back/day90"
    assert ninety["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "3 months since your last order" in mails["ninety@example.org"].text
    assert "Tent Stakes" in mails["ninety@example.org"].html
    assert "Trail Tent" not in mails["ninety@example.org"].text.split("Chosen")[1]

    half = mails["half@example.org"]
    assert half.message["Subject"] == "We miss you: free shipping on your next order"
    shipping = Voucher.objects.get(type=VoucherType.SHIPPING)
    assert voucher_code(shipping) in half.text and shipping.usage_limit == 1
    assert voucher_value(shipping) == 100

    year = mails["year@example.org"]
    assert year.message["Subject"] == "We miss you: 15% off your next order"
    discount = Voucher.objects.get(type=VoucherType.ENTIRE_ORDER)
    assert voucher_code(discount) in year.text and voucher_value(discount) == 15


@pytest.mark.django_db(transaction=True)
def test_an_order_after_planning_cancels_the_step(shop, smtp_server):
    configure_plugin(win_back_enabled=True, **QUIET)
    lamp = make_product("Camp Lamp")
    order_days_ago([lamp], "ada@example.org", 91)
    order_days_ago([lamp], "bob@example.org", 91)
    assert run_scan()["planned"] == 2

    # Ada orders again before her email goes (no hook: the re-check sees it)
    order_days_ago([lamp], "ada@example.org", 0)
    report = Dispatcher().run()

    assert report.sent == 1
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["bob@example.org"]
    ada = ScheduledSend.objects.get(recipient="ada@example.org")
    assert (ada.status, ada.skip_reason) == (SendStatus.SKIPPED, "ordered_since")

    # Bob's next order is credited to the email; his later steps are cancelled
    program = get_program("win_back")
    from saleor_ecrm_plugin.context import load_context

    settings = load_context().settings
    ScheduledSend.objects.create(
        program="win_back",
        step="day180",
        recipient="bob@example.org",
        subject_type="last_order",
        subject_id="later",
        due_at=timezone.now() + timedelta(days=90),
        next_attempt_at=timezone.now() + timedelta(days=90),
        idempotency_key="win_back:later:bob",
        payload={"days": 180},
    )
    order = order_days_ago([lamp], "bob@example.org", 0)
    assert program.order_placed(settings, order.pk) == 1
    conversion = Conversion.objects.get(program="win_back")
    assert conversion.order_id == str(order.pk)
    later = ScheduledSend.objects.get(idempotency_key="win_back:later:bob")
    assert (later.status, later.skip_reason) == (SendStatus.CANCELLED, "ordered_again")


@pytest.mark.django_db(transaction=True)
def test_vips_get_the_vip_variant_with_the_merchants_words(shop, smtp_server):
    from saleor.discount.models import Voucher

    configure_plugin(
        win_back_enabled=True,
        win_back_vip_message="Come and see our private collection preview.",
        win_back_steps="90:discount",
        **QUIET,
    )
    lamp = make_product("Camp Lamp", price="80.00")
    # the VIP: many large orders, the last one 91 days ago (can't lose)
    orders_over_time([lamp, make_product(price="300.00")], "vip@example.org", 5, 91)
    # an ordinary customer who crossed 90 days too, and recent small buyers
    order_days_ago([lamp], "plain@example.org", 91)
    for n in range(4):
        order_days_ago([make_product(price="5.00")], f"recent{n}@example.org", n + 1)

    run_scan()

    steps = dict(
        ScheduledSend.objects.filter(program="win_back").values_list(
            "recipient", "step"
        )
    )
    assert steps == {"vip@example.org": "day90_vip", "plain@example.org": "day90"}
    assert Dispatcher().run().sent == 2
    mails = by_recipient(smtp_server.wait_for(2))
    vip = mails["vip@example.org"]
    assert vip.message["Subject"] == "Test Shop: we kept something for you"
    assert "Come and see our private collection preview." in vip.text
    assert "one of our best customers" in vip.text
    # value instead of discount: the VIP offer is none by default
    assert "% off" not in vip.text
    plain = mails["plain@example.org"]
    assert plain.message["Subject"] == "We miss you: 15% off your next order"
    assert Voucher.objects.count() == 1

    # the report shows the VIPs apart
    from saleor_ecrm_plugin.demo.report import format_table, tally_ledger

    since = timezone.now() - timedelta(hours=1)
    tally = tally_ledger(since)["win_back"]
    assert (tally.planned, tally.sent) == (2, 2)
    assert dict(tally.vip) == {"planned": 1, "sent": 1}
    lines = format_table(tally_ledger(since))
    assert "  win_back: planned 1, sent 1, converted 0" in lines


@pytest.mark.django_db(transaction=True)
def test_the_email_is_in_french_for_a_french_customer(shop, smtp_server):
    configure_plugin(win_back_enabled=True, **QUIET)
    lamp = make_product("Camp Lamp")
    order_days_ago([lamp], "amelie@example.fr", 181, language_code="fr")

    run_scan()
    assert Dispatcher().run().sent == 1

    [received] = smtp_server.wait_for(1)
    assert received.message["Subject"] == (
        "Vous nous manquez : la livraison offerte sur votre prochaine commande"
    )
    assert "6 mois depuis votre dernière commande" in received.text


@pytest.mark.django_db
def test_bad_steps_are_refused_with_a_message_and_change_nothing(shop):
    from saleor_ecrm_plugin.context import load_context

    configure_plugin(win_back_enabled=True, win_back_steps="180:none, 90:gift")
    settings = load_context().settings
    options = get_program("win_back").options(settings)
    # the stored value is refused: the defaults stay in force
    assert [s.days for s in options.win_back_steps] == [90, 180, 365]
