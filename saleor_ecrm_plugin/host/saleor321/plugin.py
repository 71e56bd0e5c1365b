"""The Saleor 3.21 plugin class: dashboard configuration, thin hooks into programs.

Saleor 3.21 loads it from the ``saleor.plugins`` entry point (named
``saleor_ecrm_plugin``, which Saleor also appends to ``INSTALLED_APPS``) or from
``PLUGINS``. Hooks are called as ``hook(obj, previous_value=..., **kwargs)`` and
run after Saleor's transaction commits (Saleor defers them with ``on_commit``), so
they hand plain values to programs and Celery directly.

Configuration is global (``CONFIGURATION_PER_CHANNEL = False``): Saleor calls
hooks of events without a channel (``customer_created``, stock events) on global
plugins only, and the dispatcher and the periodic scans, which run outside any
request, read one configuration. What differs per channel (prices, currency,
visibility) comes from the checkout's or order's channel (see ``channels.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from saleor.plugins.base_plugin import BasePlugin
from saleor.plugins.error_codes import PluginErrorCode

from ... import config
from ...constants import DEFAULT_ACTIVE, PLUGIN_ID, PLUGIN_NAME
from ...errors import UnknownProgram
from ...programs.abandoned_checkout.program import AbandonedCheckoutProgram
from ...programs.order_confirmation.program import OrderConfirmationProgram
from ...programs.registry import get_program, program_of
from ...programs.review_request.program import ReviewRequestProgram
from ...programs.welcome.program import WelcomeProgram

if TYPE_CHECKING:
    from saleor.account.models import User
    from saleor.checkout.models import Checkout
    from saleor.order.models import Fulfillment, Order
    from saleor.plugins.models import PluginConfiguration


class EcrmPlugin(BasePlugin):
    PLUGIN_ID = PLUGIN_ID
    PLUGIN_NAME = PLUGIN_NAME
    PLUGIN_DESCRIPTION = (
        "Emails that bring customers back: abandoned checkout reminders, cross-sell "
        "in the order confirmation, review requests and back-in-stock alerts."
    )
    DEFAULT_ACTIVE = DEFAULT_ACTIVE
    CONFIGURATION_PER_CHANNEL = False
    CONFIG_STRUCTURE = config.config_structure()
    DEFAULT_CONFIGURATION = config.default_configuration()

    @property
    def settings(self) -> config.EcrmSettings:
        """The configuration parsed once per plugin object (Saleor builds the
        plugins again for every request, so a dashboard change is seen at once)."""
        parsed: config.EcrmSettings | None = self.__dict__.get("_ecrm_settings")
        if parsed is None:
            parsed, _errors = config.parse_configuration(self.configuration)
            self.__dict__["_ecrm_settings"] = parsed
        return parsed

    @classmethod
    def validate_plugin_configuration(
        cls, plugin_configuration: PluginConfiguration, **kwargs: Any
    ) -> None:
        """Reject the whole update, field by field, if any value does not parse."""
        _settings, errors = config.parse_configuration(
            plugin_configuration.configuration
        )
        if errors:
            labels = {f.name: f.label for _, f in config.all_fields()}
            raise ValidationError(
                {
                    name: ValidationError(
                        f"{labels[name]}: {message}",
                        code=PluginErrorCode.INVALID.value,
                    )
                    for name, message in errors.items()
                }
            )

    def _after_commit(self, action: Callable[[], Any]) -> None:
        # Saleor 3.21 already calls hooks after its commit; on_commit runs the action
        # at once then, and still waits when a caller holds a transaction open
        transaction.on_commit(action)

    def customer_created(
        self, customer: User, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        if not self.active:
            return previous_value
        program = get_program(WelcomeProgram.id)
        assert isinstance(program, WelcomeProgram)
        settings, user_id, email = self.settings, str(customer.pk), customer.email
        self._after_commit(
            lambda: program.plan_welcome(settings, user_id, email, timezone.now())
        )
        return previous_value

    def fulfillment_created(
        self, fulfillment: Fulfillment, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        if not self.active:
            return previous_value
        self._plan_review_request(str(fulfillment.order_id))
        return previous_value

    def order_fulfilled(
        self, order: Order, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        if not self.active:
            return previous_value
        # planning again after fulfillment_created is a no-op
        self._plan_review_request(str(order.pk))
        return previous_value

    def _plan_review_request(self, order_id: str) -> None:
        program = get_program(ReviewRequestProgram.id)
        assert isinstance(program, ReviewRequestProgram)
        settings = self.settings
        self._after_commit(
            lambda: program.plan_requests(settings, order_id, timezone.now())
        )

    def order_created(
        self, order: Order, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        """After the order's commit: a reminder being sent holds the checkout's row,
        which checkout completion locked and deleted before this runs (see
        ``locks.py``); nothing to lock here. Unconfirmed orders count as placed
        (the customer has bought), so ``order_confirmed`` adds nothing."""
        if not self.active:
            return previous_value
        from ...tasks import order_placed

        # one message: the worker's order_placed runs every program's order_placed
        # (reminders stopped, conversions credited, the cross-sell model updated)
        order_id = str(order.pk)
        self._after_commit(lambda: order_placed.delay(order_id))
        self._plan_order_confirmation(order_id, order.get_customer_email() or "")
        return previous_value

    def _plan_order_confirmation(self, order_id: str, email: str) -> None:
        """Saleor 3.21 sends no confirmation of its own: ours, through the ledger
        (one per order, whatever calls this again)."""
        program = program_of(OrderConfirmationProgram)
        settings = self.settings
        self._after_commit(
            lambda: program.plan_confirmation(settings, order_id, email, timezone.now())
        )

    def _note_checkout(self, checkout: Checkout) -> None:
        """Plan the checkout's reminders in a worker; no message when the program
        is off (the periodic scan still reads every change once it is on)."""
        from ...tasks import note_checkout_activity

        try:
            program = get_program(AbandonedCheckoutProgram.id)
        except UnknownProgram:  # the shop left the program out of ECRM_PROGRAMS
            return
        if not program.is_enabled(self.settings):
            return
        token, seen_at = str(checkout.token), timezone.now().isoformat()
        self._after_commit(lambda: note_checkout_activity.delay(token, seen_at))

    def checkout_created(
        self, checkout: Checkout, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        if not self.active:
            return previous_value
        self._note_checkout(checkout)
        return previous_value

    def checkout_updated(
        self, checkout: Checkout, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        """Saleor 3.21 calls this on address, delivery and email updates; line
        edits move ``last_change``, which the periodic scan reads."""
        if not self.active:
            return previous_value
        self._note_checkout(checkout)
        return previous_value
