"""Cross-sell in the order confirmation: "you may also like", after the confirmation.

Trigger: none of its own. Saleor's own confirmation task renders
``templated_email/order/confirm_order.email``; that template asks the ``ecrm`` tag
library for :meth:`CrossSellProgram.suggestions`, which this module answers from the
shop's "frequently bought together" model (:func:`..recommendations.recommend_for`).
The confirmation stays a confirmation: the block comes after the lines, totals,
addresses and links, and the merchant can switch it off. Transactional: no consent
is needed for the confirmation itself, and the block only shows the shop's products.

The recommendation model follows the orders: :meth:`order_placed` (run by the
worker's ``order_placed`` task, which the plugin's ``order_created`` hook enqueues
once the order is committed) enqueues an incremental update, and Celery beat
rebuilds the model (``settings_helper.enable_ecrm``). Nothing of it runs in the
customer's checkoutComplete request but that one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from ...errors import ConfigurationError
from ...fields import (
    ConfigField,
    ConfigValue,
    FieldType,
    ProgramOptions,
    int_parser,
    parse_bool,
)
from ...host import port as host
from ...recommendations import rebuild_model, recommend_for, update_model
from ...recommendations.tasks import update_recommendations
from ..base import EmailSpec, Program
from ..decision import Decision, skip

if TYPE_CHECKING:
    from prices import Money

    from ...ecrm_settings import EcrmSettings
    from ...models import ScheduledSend

#: product page of the storefront, relative to the storefront address (the route of
#: Saleor's 2.10 storefront: /product/<slug>/<id>/)
PRODUCT_PATH = "product/{slug}/{id}/"
MAX_SUGGESTIONS = 12


def parse_category_slugs(value: ConfigValue) -> Tuple[str, ...]:
    """Parse "gift-cards, accessories" into slugs."""
    text = "" if value is None else str(value)
    slugs = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    for slug in slugs:
        if len(slug) > 255 or not all(c.isalnum() or c in "-_" for c in slug):
            raise ConfigurationError(
                gettext(
                    "'%(value)s' is not a category slug (letters, digits, - and _)."
                )
                % {"value": slug}
            )
    return slugs


@dataclass(frozen=True)
class CrossSellOptions(ProgramOptions):
    cross_sell_enabled: bool
    cross_sell_count: int
    cross_sell_excluded_categories: Tuple[str, ...]

    FIELDS = (
        ConfigField(
            "cross_sell_enabled",
            gettext_lazy("Order confirmation: suggest products"),
            gettext_lazy(
                "Add a 'You may also like' block under the order confirmation, with"
                " products often bought together with the order's."
            ),
            True,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "cross_sell_count",
            gettext_lazy("Order confirmation: products suggested"),
            gettext_lazy("How many products the block shows (0 to 12)."),
            "4",
            int_parser(0, MAX_SUGGESTIONS, gettext_noop("products")),
        ),
        ConfigField(
            "cross_sell_excluded_categories",
            gettext_lazy("Order confirmation: categories never suggested"),
            gettext_lazy(
                "Slugs of categories (with their subcategories) never suggested,"
                " separated by commas, e.g. gift-cards, clearance."
            ),
            "",
            parse_category_slugs,
        ),
    )


@dataclass(frozen=True)
class CrossSellItem:
    """One suggested product, ready for the template."""

    name: str
    url: str
    image_url: Optional[str]
    price: Money
    reason: str


class CrossSellProgram(Program):
    id = "cross_sell"
    category = "order"
    transactional = True
    enabled_field = "cross_sell_enabled"
    Options = CrossSellOptions
    scan_methods = ("rebuild_recommendations",)

    def options(self, settings: EcrmSettings) -> CrossSellOptions:
        return settings.options(self.id, CrossSellOptions)

    def suggestions(self, order_id: Any, settings: EcrmSettings) -> List[CrossSellItem]:
        """Products to suggest under the confirmation of this order (may be empty)."""
        if not self.is_enabled(settings):
            return []
        options = self.options(settings)
        count = options.cross_sell_count
        if count <= 0:
            return []
        recommendations = recommend_for(
            host.order_product_ids(order_id),
            count,
            excluded_categories=options.cross_sell_excluded_categories,
        )
        return [
            CrossSellItem(
                name=item.name,
                url=settings.storefront_url
                + PRODUCT_PATH.format(slug=item.slug, id=item.product_id),
                image_url=item.image_url,
                price=item.price,
                reason=item.reason,
            )
            for item in recommendations
        ]

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """Count the new order(s) into the model, in a worker of its own (the
        count catches up on every order since the last, so one per order is
        plenty). Credits nothing: the block is part of a transactional email."""
        update_recommendations.delay()
        return 0

    def rebuild_recommendations(self, settings: EcrmSettings) -> Dict[str, int]:
        """The periodic scan: recount the model from every order, then catch up."""
        stats = rebuild_model()
        update_model()
        return vars(stats)

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        # Saleor's own task sends the confirmation; this program plans no sends.
        return skip("sent_by_saleor")

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        return EmailSpec(template="order/confirm_order")
