"""The click redirect's one statement, on both hosts, without GraphQL: a sent ledger
row, tokens followed with Django's test client over the real URLconf, and the
rows it leaves (scanner rules that need the database: too soon, sweep)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.engagement.models import BotReason, EmailClick
from saleor_ecrm_plugin.engagement.tracking import ClickClaims, make_click_token
from tests.segment_history import sent_email

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"


def follow(send_id: int, link: int, links: int = 3) -> str:
    url = f"https://shop.example.com/p/{link}/"
    token = make_click_token(ClickClaims(send_id, link, links, url))
    response = Client().get(f"/ecrm/c/{token}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302 and response["Location"] == url
    return url


@pytest.mark.django_db
def test_a_click_is_stored_with_the_send_s_program_and_address(shop):
    send = sent_email("Ada@Example.com", timezone.now() - timedelta(hours=1))
    url = follow(send.pk, 1)
    [click] = EmailClick.objects.all()
    assert (click.send_id, click.program, click.recipient) == (
        send.pk,
        send.program,
        "ada@example.com",
    )
    assert (click.link_index, click.url, click.bot_reason) == (1, url, "")


@pytest.mark.django_db
def test_too_soon_and_a_sweep_of_every_link_are_flagged(shop):
    fresh = sent_email("fresh@example.com", timezone.now())
    follow(fresh.pk, 0)
    assert EmailClick.objects.get(send=fresh).bot_reason == BotReason.TOO_SOON

    send = sent_email("swept@example.com", timezone.now() - timedelta(hours=1))
    follow(send.pk, 0)
    follow(send.pk, 1)
    assert set(
        EmailClick.objects.filter(send=send).values_list("bot_reason", flat=True)
    ) == {""}
    follow(send.pk, 2)  # the third of three links within seconds: a sweep
    reasons = EmailClick.objects.filter(send=send).values_list("bot_reason", flat=True)
    assert list(reasons) == [BotReason.ALL_LINKS] * 3


@pytest.mark.django_db
def test_a_click_on_a_deleted_send_redirects_and_stores_nothing(shop):
    send = sent_email("gone@example.com", timezone.now() - timedelta(hours=1))
    send_id = send.pk
    send.delete()
    follow(send_id, 0)
    assert not EmailClick.objects.exists()
