"""Engagement levels on a planted history, with the answers known in advance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.segments.engagement import level_counts, level_of
from saleor_ecrm_plugin.segments.models import ContactEngagement, EngagementRun
from saleor_ecrm_plugin.segments.service import recompute_segments
from tests.configuration import configure_plugin
from tests.segment_history import (
    APPLE,
    GOOGLE,
    SCANNER,
    bought_after,
    clicked,
    days_ago,
    opened,
    sent_email,
)


def plant(email: str, sends: int, first_days_ago: float, every_days: float = 10):
    return [
        sent_email(email, days_ago(first_days_ago - i * every_days))
        for i in range(sends)
    ]


def plant_history() -> None:
    # 5 emails, 4 opened (80 %), one clicked and bought after the click
    sends = plant("super@example.org", 5, 100)
    for send in sends[:4]:
        opened(send)
    bought_after(clicked(sends[0]))
    # the same without the purchase: active, not super-active
    sends = plant("nobuy@example.org", 5, 100)
    for send in sends:
        opened(send)
    clicked(sends[1])
    # 5 emails, 2 opened (40 %), one click: active
    sends = plant("active@example.org", 5, 100)
    opened(sends[0])
    clicked(sends[3])  # a click counts as an open of its email
    # opens, never a click: semi-active
    sends = plant("semi@example.org", 5, 100)
    for send in sends[:3]:
        opened(send)
    # one click in 10 emails: engaged, but 10 % opened is not "regularly"
    sends = plant("rare@example.org", 10, 150, every_days=10)
    clicked(sends[9])
    # Gmail's proxy fetches on a real open: those count
    sends = plant("gmail@example.org", 3, 60)
    for send in sends:
        opened(send, proxy=GOOGLE)
    clicked(sends[0])
    # only Apple Mail Privacy Protection's fetches: no real open, inactive
    sends = plant("apple@example.org", 5, 200, every_days=30)
    for send in sends:
        opened(send, proxy=APPLE)
    # only a link scanner's clicks: inactive
    sends = plant("scanned@example.org", 3, 300, every_days=50)
    for send in sends:
        clicked(send, after=timedelta(seconds=2), bot_reason=SCANNER)
    # engaged once, 200 days ago, silent since: inactive
    sends = plant("lapsed@example.org", 4, 210, every_days=30)
    clicked(sends[0], after=timedelta(days=1))
    # first email 20 days ago, no reaction yet: too soon, new
    plant("fresh@example.org", 1, 20)
    # transactional email only (order confirmations): not counted, no level
    sent_email("buyer@example.org", days_ago(300), program="cross_sell", step="x")


EXPECTED = {
    "super@example.org": "super_active",
    "nobuy@example.org": "active",
    "active@example.org": "active",
    "semi@example.org": "semi_active",
    "rare@example.org": "semi_active",
    "gmail@example.org": "active",
    "apple@example.org": "inactive",
    "scanned@example.org": "inactive",
    "lapsed@example.org": "inactive",
    "fresh@example.org": "new",
}


@pytest.mark.django_db
def test_levels_of_a_planted_history(shop):
    configure_plugin()
    plant_history()

    counts = recompute_segments(load_context().settings)

    levels = dict(ContactEngagement.objects.values_list("email", "level"))
    assert levels == EXPECTED
    assert counts == {
        "super_active": 1,
        "active": 3,
        "semi_active": 2,
        "inactive": 3,
        "new": 1,
    }
    super_row = ContactEngagement.objects.get(email="super@example.org")
    assert (super_row.received, super_row.opened, super_row.clicked) == (5, 4, 1)
    assert super_row.bought_after_click
    assert super_row.computed_on == timezone.localdate()
    apple = ContactEngagement.objects.get(email="apple@example.org")
    assert (apple.opened, apple.last_engaged_at) == (0, None)
    assert level_of("BUYER@example.org") == "new"  # never computed


@pytest.mark.django_db
def test_thresholds_come_from_the_dashboard(shop):
    configure_plugin(engagement_active_open_rate="50")
    plant_history()
    recompute_segments(load_context().settings)
    # 2 of 5 opened is below 50 %: semi-active now
    assert level_of("active@example.org") == "semi_active"
    assert level_of("nobuy@example.org") == "active"


@pytest.mark.django_db
def test_a_recompute_keeps_the_date_a_level_began_and_drops_old_addresses(shop):
    configure_plugin()
    plant_history()
    settings = load_context().settings
    earlier = timezone.now() - timedelta(days=3)
    recompute_segments(settings, now=earlier)
    assert level_of("semi@example.org") == "semi_active"

    # semi@ clicks now: active from today; super@'s level began 3 days ago
    send = sent_email("semi@example.org", days_ago(1))
    clicked(send)
    # fresh@'s only email is gone from the ledger (deleted): so is its level
    ScheduledSend.objects.filter(recipient="fresh@example.org").delete()
    recompute_segments(settings)

    semi = ContactEngagement.objects.get(email="semi@example.org")
    assert semi.level == "active"
    assert semi.level_since == timezone.localdate()
    # super@'s figures did not change: its row was not rewritten
    kept = ContactEngagement.objects.get(email="super@example.org")
    assert kept.level_since == timezone.localdate(earlier)
    assert kept.computed_on == timezone.localdate(earlier)
    run = EngagementRun.objects.latest("computed_at")
    assert (run.removed, run.levels["active"]) == (1, 4)
    assert not ContactEngagement.objects.filter(email="fresh@example.org").exists()
    assert sum(level_counts().values()) == len(EXPECTED) - 1
