"""Staff users with Saleor permissions, and a planted e-mail history with known
answers, for the report, the timeline and the staff page's tests (both hosts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from saleor_ecrm_plugin.models import Conversion, ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service as preferences
from saleor_ecrm_plugin.segments.models import AbAssignment
from tests.factories import make_customer
from tests.hosts import SALEOR3
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

PASSWORD = "staff-password-1"
#: app labels of the permissions on Saleor 2.10 (Django's Permission model)
_APP_LABELS = {"manage_orders": "order", "manage_users": "account"}


def grant(user: Any, *codenames: str) -> Any:
    """``user`` with Saleor's permissions ``codenames`` (re-read: no cached perms)."""
    if SALEOR3:
        from saleor.permission.models import Permission

        permissions = list(Permission.objects.filter(codename__in=codenames))
    else:
        from django.contrib.auth.models import Permission as DjangoPermission

        permissions = [
            DjangoPermission.objects.get(
                codename=codename, content_type__app_label=_APP_LABELS[codename]
            )
            for codename in codenames
        ]
    assert len(permissions) == len(codenames)
    user.user_permissions.add(*permissions)
    return type(user).objects.get(pk=user.pk)


def make_staff(email: str = "manager@shop.example.com", *codenames: str) -> Any:
    user = make_customer(email, PASSWORD, is_staff=True)
    return grant(user, *codenames) if codenames else user


@dataclass
class History:
    since: datetime
    until: datetime
    old_send: ScheduledSend


def plant_history() -> History:
    """The history the tests' known answers describe (see test_reporting)."""
    now = days_ago(0)
    first = {"program": "abandoned_checkout", "step": "first"}
    ada = sent_email("Ada@Example.org", days_ago(3), **first)
    bob = sent_email("bob@example.org", days_ago(3), **first)
    cy = sent_email("cy@example.org", days_ago(2), **first)
    skipped = sent_email("dan@example.org", days_ago(2), **first)
    ScheduledSend.objects.filter(pk=skipped.pk).update(
        status=SendStatus.SKIPPED, sent_at=None, message_id="", skip_reason="ordered"
    )
    pending = sent_email("eve@example.org", days_ago(1), **first)
    ScheduledSend.objects.filter(pk=pending.pk).update(
        status=SendStatus.PLANNED, sent_at=None, message_id="", next_attempt_at=now
    )
    # Ada opens, clicks (a scanner clicked first), buys: order X by click
    opened(ada)
    clicked(ada, after=timedelta(seconds=5), bot_reason=SCANNER)
    click = clicked(ada)
    order_x = bought_after(click, "80.00")
    Conversion.objects.create(
        send=ada,
        program=ada.program,
        order_id=order_x.order_id,
        revenue=Decimal("80.00"),
        currency="USD",
        converted_at=order_x.converted_at,
    )
    # Bob: only Apple's privacy proxy and a scanner
    opened(bob, proxy=APPLE)
    clicked(bob, bot_reason=SCANNER)
    # Cy opens through Gmail's proxy (a real open), then unsubscribes from everything
    opened(cy, proxy=GOOGLE)
    preferences.unsubscribe("cy@example.org", None, source="one_click")
    # Ada's second reminder: order X again, and order Y, influenced only
    second = sent_email(
        "ada@example.org", days_ago(2), program="abandoned_checkout", step="second"
    )
    for order_id, revenue in ((order_x.order_id, "80.00"), ("order-y", "30.00")):
        Conversion.objects.create(
            send=second,
            program=second.program,
            order_id=order_id,
            revenue=Decimal(revenue),
            currency="USD",
            converted_at=days_ago(1),
        )
    # welcome, an A/B test: A bounces hard, B is opened
    variant_a = sent_email("fay@example.org", days_ago(1))
    variant_b = sent_email("gus@example.org", days_ago(1))
    AbAssignment.objects.create(send=variant_a, test_id="subject", variant="A")
    AbAssignment.objects.create(send=variant_b, test_id="subject", variant="B")
    preferences.suppress("fay@example.org", "hard_bounce", source="provider:test")
    opened(variant_b)
    # before the period: left out of the report, in Ada's timeline
    old_send = sent_email("ada@example.org", days_ago(40), program="win_back")
    clicked(old_send)
    return History(
        since=days_ago(10), until=now + timedelta(minutes=1), old_send=old_send
    )
