"""New-edition emails: an edition chain 13 -> 14 -> 15 in Saleor's product metadata,
buyers from Saleor's orders, the emails read from a real SMTP server."""

from __future__ import annotations

import pytest

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.new_edition.models import EditionLaunch
from saleor_ecrm_plugin.programs.registry import get_program
from tests.configuration import configure_plugin
from tests.factories import make_order, make_product, set_product

ON = {"new_edition_enabled": True, "quiet_hours": "", "consent_mode": "everyone"}


def program():
    return get_program("new_edition")


def settings():
    return load_context().settings


def link(product, previous) -> None:
    product.store_value_in_metadata({"ecrm.previous_edition": previous})
    product.save(update_fields=["metadata"])


@pytest.fixture
def editions(shop):
    """FIFA 13 <- 14 (by slug) <- 15 (by id); 15 not published yet."""
    fifa13 = make_product("FIFA 13", slug="fifa-13")
    fifa14 = make_product("FIFA 14", slug="fifa-14")
    fifa15 = make_product(
        "FIFA 15", slug="fifa-15", price="60.00", image="products/fifa15.jpg",
        is_published=False,
    )  # fmt: skip
    link(fifa14, "fifa-13")
    link(fifa15, str(fifa14.pk))
    return fifa13, fifa14, fifa15


@pytest.mark.django_db(transaction=True)
def test_buyers_of_any_earlier_edition_get_one_email_for_the_new_one(
    editions, smtp_server
):
    fifa13, fifa14, fifa15 = editions
    configure_plugin(**ON, new_edition_voucher_percent="10")
    make_order([fifa13], email="old@example.org")
    make_order([fifa14], email="recent@example.org")
    make_order([fifa13], email="both@example.org")
    make_order([fifa14], email="Both@example.org")
    make_order([fifa13], email="early@example.org")
    make_order([fifa15], email="early@example.org")  # pre-ordered 15 already
    make_order([make_product("Ball")], email="other@example.org")

    # FIFA 15 not published: only 14 is launched, to the buyers of 13 but not 14
    counts = program().plan_launches(settings())
    assert counts == {"editions": 1, "planned": 2}
    for14 = ScheduledSend.objects.filter(program="new_edition")
    assert {send.subject_id for send in for14} == {str(fifa14.pk)}
    assert sorted(send.recipient for send in for14) == [
        "early@example.org",
        "old@example.org",
    ]

    set_product(fifa15, is_published=True)
    assert program().plan_launches(settings()) == {"editions": 1, "planned": 3}
    assert program().plan_launches(settings()) == {"editions": 0, "planned": 0}
    recipients = sorted(
        ScheduledSend.objects.filter(
            program="new_edition", subject_id=str(fifa15.pk)
        ).values_list("recipient", flat=True)
    )
    assert recipients == ["both@example.org", "old@example.org", "recent@example.org"]
    assert EditionLaunch.objects.get(product_id=fifa15.pk).complete

    assert Dispatcher().run().sent == 5
    for15 = [m for m in smtp_server.messages if "FIFA 15" in m.message["Subject"]]
    assert sorted(m.rcpt_tos[0] for m in for15) == recipients
    received = for15[0]
    assert received.message["Subject"] == "New edition: FIFA 15"
    assert received.message["X-Ecrm-Program"] == "new_edition/launch"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "$60.00" in received.text
    assert "% off your order" in received.text
    assert 'src="http://shop.example.com/media/products/fifa15.jpg"' in received.html

    # a reader buys the new edition: the order is credited to the email
    bought = make_order([fifa15], email="old@example.org")
    assert program().order_placed(settings(), bought.pk) == 1

    # once per customer per edition: planning again plans nothing new
    EditionLaunch.objects.all().delete()
    program().plan_launches(settings())
    assert ScheduledSend.objects.filter(program="new_edition").count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_customer_who_bought_the_new_edition_before_the_send_gets_nothing(
    editions, smtp_server
):
    fifa13, fifa14, fifa15 = editions
    configure_plugin(**ON)
    set_product(fifa15, is_published=True)
    make_order([fifa14], email="quick@example.org")
    program().plan_launches(settings())
    make_order([fifa15], email="quick@example.org")
    Dispatcher().run()
    sends = ScheduledSend.objects.filter(
        program="new_edition", subject_id=str(fifa15.pk)
    )
    assert [(s.status, s.skip_reason) for s in sends] == [
        (SendStatus.SKIPPED, "already_bought")
    ]
    assert [m for m in smtp_server.messages if "FIFA 15" in m.message["Subject"]] == []


def test_waves_space_a_large_audience(editions):
    fifa13, fifa14, fifa15 = editions
    configure_plugin(**ON, new_edition_wave_size="2", new_edition_wave_minutes="30")
    set_product(fifa15, is_published=True)
    for number in range(5):
        make_order([fifa14], email=f"fan{number}@example.org")
    program().plan_launches(settings())
    dues = sorted(
        ScheduledSend.objects.filter(subject_id=str(fifa15.pk)).values_list(
            "due_at", flat=True
        )
    )
    gaps = [(due - dues[0]).total_seconds() / 60 for due in dues]
    assert gaps == [0, 0, 30, 30, 60]


def test_a_cycle_of_editions_is_cut(shop):
    configure_plugin(**ON)
    a = make_product("A", slug="ed-a")
    b = make_product("B", slug="ed-b")
    link(a, "ed-b")
    link(b, "ed-a")
    make_order([a], email="x@example.org")
    assert program().plan_launches(settings())["editions"] == 2
