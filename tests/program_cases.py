"""One plannable case per program, for the shared contract test.

A case sets up what its program reacts to, through Saleor's models or the
program's own trigger, and knows how to make the planned email due and how to
make its re-check refuse it. Adding a program means adding its case here (the
contract test fails for a registered program without one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Dict, Optional

from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.programs.registry import get_program
from tests.conftest import configure_plugin
from tests.factories import (
    fulfill,
    make_checkout,
    make_customer,
    make_order,
    make_product,
    set_product,
    variant_of,
)
from tests.hosts import SALEOR3

EMAIL = "case@example.org"


class ProgramCase:
    """Subclasses set ``program_id`` and ``config`` and implement the three steps."""

    program_id = ""
    #: dashboard values that switch the program on for the case
    config: Dict[str, Any] = {}
    #: False for a program that plans no sends of its own
    plans_sends = True
    recipient = EMAIL

    def setup(self) -> None:
        """Create what the program reacts to (called once, before ``plan``)."""

    def plan(self) -> None:
        """Run the program's trigger (its hook or scan) for the case."""
        raise NotImplementedError

    def refuse(self) -> None:
        """Change the shop so that the re-check skips the planned email."""
        raise NotImplementedError

    # --- shared helpers -----------------------------------------------------------

    @property
    def program(self) -> Any:
        return get_program(self.program_id)

    @property
    def settings(self) -> Any:
        return load_context().settings

    def configure(self) -> None:
        # no quiet hours: "due now" must mean now, at any hour of the day in the
        # case's customer's time zone (inferred from the case's US address)
        configure_plugin(**{"quiet_hours": "", **self.config})

    def make_due(self) -> None:
        """The first planned email is due now (as time passing would make it)."""
        first = self.rows().order_by("due_at").first()
        assert first is not None, f"{self.program_id} planned nothing"
        past = timezone.now() - timedelta(seconds=1)
        ScheduledSend.objects.filter(pk=first.pk).update(
            due_at=past, next_attempt_at=past
        )

    def rows(self) -> Any:
        return ScheduledSend.objects.filter(program=self.program_id)


class WelcomeCase(ProgramCase):
    program_id = "welcome"
    config = {"welcome_enabled": True}

    def setup(self) -> None:
        self.user = make_customer(self.recipient, "password")

    def plan(self) -> None:
        self.program.plan_welcome(self.settings, self.user.pk, self.user.email)

    def refuse(self) -> None:
        type(self.user).objects.filter(pk=self.user.pk).update(is_active=False)


class NewsletterConfirmationCase(ProgramCase):
    program_id = "newsletter_confirmation"

    def plan(self) -> None:
        from saleor_ecrm_plugin.preferences import service

        service.request_newsletter(self.recipient, "contract-test")

    def refuse(self) -> None:
        from saleor_ecrm_plugin.preferences import service

        service.confirm_newsletter(self.recipient, "contract-test")


class AbandonedCheckoutCase(ProgramCase):
    program_id = "abandoned_checkout"
    config = {"abandoned_enabled": True, "abandoned_consent_mode": "everyone"}

    def setup(self) -> None:
        product = make_product("Trail Tent", price="120.00")
        self.checkout = make_checkout([product], email=self.recipient, quantity=2)

    def plan(self) -> None:
        self.program.note_activity(self.settings, str(self.checkout.token))

    def refuse(self) -> None:
        self.checkout.lines.all().delete()


class ReviewRequestCase(ProgramCase):
    program_id = "review_request"
    config = {"review_request_enabled": True}

    def setup(self) -> None:
        self.order = make_order([make_product("Camp Lamp")], email=self.recipient)
        fulfill(self.order)

    def plan(self) -> None:
        self.program.plan_requests(self.settings, self.order.pk)

    def refuse(self) -> None:
        type(self.order).objects.filter(pk=self.order.pk).update(status="canceled")


class ReviewThankYouCase(ProgramCase):
    program_id = "review_thank_you"
    config = {"review_request_enabled": True, "review_incentive_enabled": True}

    def setup(self) -> None:
        from saleor_ecrm_plugin.programs.review_request.models import (
            Review,
            ReviewStatus,
        )

        product = make_product("Camp Lamp")
        self.order = make_order([product], email=self.recipient)
        fulfill(self.order)
        line = self.order.lines.get()
        self.review = Review.objects.create(
            product_id=product.pk,
            variant_id=line.variant_id,
            order_id=str(self.order.pk),
            order_line_id=str(line.pk),
            email=self.recipient,
            author_name="Case",
            rating=5,
            status=ReviewStatus.APPROVED,
        )

    def plan(self) -> None:
        from saleor_ecrm_plugin.programs.review_request.reviews import plan_thank_you

        plan_thank_you(self.settings, self.order.pk, self.recipient)

    def refuse(self) -> None:
        from saleor_ecrm_plugin.programs.review_request.models import ReviewStatus

        type(self.review).objects.filter(pk=self.review.pk).update(
            status=ReviewStatus.REJECTED
        )


class BackInStockCase(ProgramCase):
    program_id = "back_in_stock"
    config = {"back_in_stock_enabled": True}

    def setup(self) -> None:
        from saleor_ecrm_plugin.programs.back_in_stock.service import subscribe

        self.product = make_product("Tent", price="120.00", stock=0)
        self.variant = variant_of(self.product)
        subscribe(self.variant.pk, self.recipient)
        self._stock(5)

    def _stock(self, quantity: int) -> None:
        from saleor.warehouse.models import Stock

        Stock.objects.filter(product_variant=self.variant).update(quantity=quantity)

    def plan(self) -> None:
        self.program.run_scan("detect_restocks", self.settings)

    def refuse(self) -> None:
        self._stock(0)


class WinBackCase(ProgramCase):
    program_id = "win_back"
    config = {"win_back_enabled": True}

    def setup(self) -> None:
        from tests.purchase_history import order_days_ago

        self.lamp = make_product("Camp Lamp")
        order_days_ago([self.lamp], self.recipient, 91)

    def plan(self) -> None:
        self.program.run_scan("plan_win_backs", self.settings)

    def refuse(self) -> None:
        make_order([self.lamp], email=self.recipient)


class AffinityCase(ProgramCase):
    program_id = "affinity"
    config = {"affinity_enabled": True, "affinity_min_customers": "2"}

    def setup(self) -> None:
        from tests.factories import make_category
        from tests.purchase_history import order_days_ago

        furniture = make_category("Garden furniture")
        tools = make_category("Garden tools")
        chair = make_product("Garden Chair", category=furniture)
        spade = make_product("Spade", category=tools)
        for n in range(3):
            order_days_ago([chair, spade], f"gardener{n}@example.org", 100)
        novel = make_product("Novel", category=make_category("Books"))
        for n in range(3):
            order_days_ago([novel], f"reader{n}@example.org", 100)
        self.order = order_days_ago([chair], self.recipient, 21.1)

    def plan(self) -> None:
        from saleor_ecrm_plugin.models import ScanCursor

        self.program.run_scan("plan_suggestions", self.settings)
        # planning again reads the same orders: the cursor starts over
        ScanCursor.objects.filter(name="affinity_orders").delete()

    def refuse(self) -> None:
        type(self.order).objects.filter(pk=self.order.pk).update(status="canceled")


class ReplenishmentCase(ProgramCase):
    program_id = "replenishment"
    config = {"replenishment_enabled": True, "replenishment_min_repeats": "1"}

    def setup(self) -> None:
        now = timezone.now()
        self.product = make_product("Dog food")
        for age in (100, 60):  # one repeat: 40 days
            make_order(
                [self.product], email="past@example.org", created=now - timedelta(age)
            )
        make_order([self.product], email=self.recipient, created=now - timedelta(30.5))

    def plan(self) -> None:
        self.program.run_scan("learn_intervals", self.settings)
        self.program.run_scan("plan_reminders", self.settings)

    def refuse(self) -> None:
        make_order([self.product], email=self.recipient)


class NewEditionCase(ProgramCase):
    program_id = "new_edition"
    config = {"new_edition_enabled": True}

    def setup(self) -> None:
        old = make_product("Guide 2025", slug="guide-2025")
        self.new = make_product("Guide 2026", slug="guide-2026")
        self.new.store_value_in_metadata({"ecrm.previous_edition": "guide-2025"})
        self.new.save(update_fields=["metadata"])
        make_order([old], email=self.recipient)

    def plan(self) -> None:
        self.program.run_scan("plan_launches", self.settings)

    def refuse(self) -> None:
        set_product(self.new, is_published=False)


class CrossSellCase(ProgramCase):
    program_id = "cross_sell"
    plans_sends = False  # Saleor's own task sends the order confirmation


class OrderConfirmationCase(ProgramCase):
    program_id = "order_confirmation"
    # Saleor 2.10's own task sends the confirmation there: the program plans none
    plans_sends = SALEOR3

    def setup(self) -> None:
        self.order = make_order([make_product("Camp Lamp")], email=self.recipient)

    def plan(self) -> None:
        self.program.plan_confirmation(
            self.settings, str(self.order.pk), self.order.user_email
        )

    def refuse(self) -> None:
        type(self.order).objects.filter(pk=self.order.pk).update(status="canceled")


class PingCase(ProgramCase):
    program_id = "test_ping"

    def plan(self) -> None:
        from tests.programs import plan_pings

        plan_pings(1, prefix="case")
        self.recipient = "case0@example.org"

    def refuse(self) -> None:
        self.rows().update(payload={"skip": "told_to"})


class PromoCase(ProgramCase):
    program_id = "test_promo"
    config = {"consent_mode": "everyone"}

    def plan(self) -> None:
        from tests.programs import plan_promo

        plan_promo(self.recipient)

    def refuse(self) -> None:
        self.rows().update(payload={"skip": "told_to"})


class FragileCase(PingCase):
    """The resilience tests' program behaves as ``test_ping`` when nothing fails."""

    program_id = "test_fragile"

    def plan(self) -> None:
        from tests.programs import plan_fragile

        plan_fragile(1, prefix="case")
        self.recipient = "case0@example.org"

    def refuse(self) -> None:
        self.rows().update(payload={"skip": "told_to", "no_replan": True})


class SampleDigestCase(ProgramCase):
    program_id = "test_sample_digest"
    config = {"sample_digest_enabled": True, "sample_digest_headline": "Fresh!"}

    def setup(self) -> None:
        from saleor_ecrm_plugin.preferences import service

        service.request_newsletter(self.recipient, "contract-test")
        service.confirm_newsletter(self.recipient, "contract-test")
        # the confirmation email is another program's: leave only the digest
        ScheduledSend.objects.all().delete()

    def plan(self) -> None:
        self.program.run_scan("plan_digests", self.settings)

    def refuse(self) -> None:
        from saleor_ecrm_plugin.preferences.models import EmailContact, NewsletterStatus

        EmailContact.objects.filter(email=self.recipient).update(
            newsletter=NewsletterStatus.NONE
        )


class ReactivationCase(ProgramCase):
    """An address sent an email 200 days ago, never opened: inactive."""

    program_id = "reactivation"
    config = {"reactivation_enabled": True, "consent_mode": "everyone"}

    def setup(self) -> None:
        from tests.segment_history import days_ago, sent_email

        self.old_email = sent_email(self.recipient, days_ago(200))

    def plan(self) -> None:
        from saleor_ecrm_plugin.segments.service import recompute_segments

        recompute_segments(self.settings)
        self.program.daily_run(self.settings)

    def refuse(self) -> None:
        from tests.segment_history import opened

        opened(self.old_email, after=timezone.now() - self.old_email.sent_at)


CASES: Dict[str, Callable[[], ProgramCase]] = {
    case.program_id: case
    for case in (
        WelcomeCase,
        NewsletterConfirmationCase,
        AbandonedCheckoutCase,
        ReviewRequestCase,
        ReviewThankYouCase,
        BackInStockCase,
        WinBackCase,
        AffinityCase,
        ReplenishmentCase,
        NewEditionCase,
        CrossSellCase,
        OrderConfirmationCase,
        PingCase,
        PromoCase,
        FragileCase,
        SampleDigestCase,
        ReactivationCase,
    )
}


def case_for(program_id: str) -> Optional[ProgramCase]:
    factory = CASES.get(program_id)
    return factory() if factory else None
