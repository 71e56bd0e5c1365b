"""The Saleor 2.10 plugin class: dashboard configuration, thin hooks into programs.

Hooks only translate Saleor's event into plain values and hand them to a program
after the surrounding transaction commits; they never send email themselves.
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
from ...programs.registry import get_program
from ...programs.review_request.program import ReviewRequestProgram
from ...programs.welcome.program import WelcomeProgram
from . import locks

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
    CONFIG_STRUCTURE = config.config_structure()
    DEFAULT_CONFIGURATION = config.default_configuration()

    @property
    def settings(self) -> config.EcrmSettings:
        parsed, _errors = config.parse_configuration(self.configuration)
        return parsed

    @classmethod
    def validate_plugin_configuration(
        cls, plugin_configuration: PluginConfiguration
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
        transaction.on_commit(action)

    def customer_created(self, customer: User, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        program = get_program(WelcomeProgram.id)
        assert isinstance(program, WelcomeProgram)
        settings, user_id, email = self.settings, str(customer.pk), customer.email
        self._after_commit(
            lambda: program.plan_welcome(settings, user_id, email, timezone.now())
        )
        return previous_value

    def fulfillment_created(self, fulfillment: Fulfillment, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        self._plan_review_request(fulfillment.order_id)
        return previous_value

    def order_fulfilled(self, order: Order, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        # Saleor 2.10 calls fulfillment_created first; planning again is a no-op
        self._plan_review_request(order.pk)
        return previous_value

    def _plan_review_request(self, order_id: int) -> None:
        program = get_program(ReviewRequestProgram.id)
        assert isinstance(program, ReviewRequestProgram)
        settings = self.settings
        self._after_commit(
            lambda: program.plan_requests(settings, order_id, timezone.now())
        )

    def order_created(self, order: Order, previous_value: Any) -> Any:
        if not self.active:
            return previous_value
        from ...tasks import order_placed

        # Inside Saleor's order transaction: wait for any cart reminder of this
        # checkout or address being delivered right now; a reminder re-checked after
        # this point sees the order (the locks last until the order commits).
        locks.lock_checkout_and_email(order.checkout_token or "", order.user_email)
        # one message: the worker's order_placed runs every program's order_placed
        # (reminders stopped, conversions credited, the cross-sell model updated)
        order_id = order.pk
        self._after_commit(lambda: order_placed.delay(order_id))
        return previous_value

    def checkout_quantity_changed(self, checkout: Checkout, previous_value: Any) -> Any:
        """Saleor calls this on checkoutCreate and when lines are added or updated."""
        if not self.active:
            return previous_value
        from ...tasks import note_checkout_activity

        token, seen_at = str(checkout.token), timezone.now().isoformat()
        self._after_commit(lambda: note_checkout_activity.delay(token, seen_at))
        return previous_value
