"""Months of backdated order history for the demo's fortnight, and what the
lifecycle programs do with it.

The fortnight alone is too short for programs that answer a shop's history
(reorders, new editions): :class:`ShopHistory` plants, before the first simulated
hour, orders placed months earlier by past customers (``hist-...@demo.example``,
removed by the next run with the other demo customers):

* replenishment: six regulars bought the staple product (the catalogue's third)
  twice 30 days apart (a learned 30-day interval); six more bought it 9 to 21 days
  before the fortnight, so their reminders fall due during it; one of them re-orders
  on schedule on day 10 (no reminder), half of the others order again from the email;
* new edition: a "Yearly guide 2026" names the 2025 guide as its previous edition
  (product metadata ``ecrm.previous_edition``); eight customers bought the 2025 guide
  last year; the merchant publishes the 2026 guide on day 4: each of the eight gets
  one email (with a voucher), half of them buy it.

Every simulated hour :meth:`ShopHistory.tick` runs the lifecycle programs' scans, as
beat would. Orders of the past are written with Saleor's models by the host's
:class:`~.hosts.DemoShop` (``plant_order``, ``add_editions``...: no hook runs for
them, as for orders placed before the plugin was installed); orders during the
fortnight go through Saleor's GraphQL API like the other shoppers'. Nothing here
imports Saleor: the same history on 2.10 and 3.21.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..programs.new_edition.options import PREVIOUS_EDITION_KEY
from .hosts import CatalogueItem

if TYPE_CHECKING:
    from .smtp_sink import ReceivedEmail

#: the lifecycle programs whose scans the demo runs every simulated hour
LIFECYCLE_PROGRAMS = ("replenishment", "new_edition", "win_back", "affinity")
GUIDES = ("ecrm-demo-guide-2025", "ecrm-demo-guide-2026")


class NoHistory:
    """The fortnight without backdated orders (a host ``demo/history.py`` cannot
    plant on yet): the lifecycle programs plan nothing of their own there."""

    def plant(self, start: datetime) -> None:
        return None

    def tick(self) -> None:
        return None

    def react(self, program: str, recipient: str, message: Any) -> bool:
        return False


class ShopHistory:
    """``story`` is the running :class:`~.story.Story` (its catalogue, agenda and
    checkout steps), ``domain`` the demo customers' mail domain, ``shopper`` its
    ``Shopper`` class."""

    def __init__(self, story: Any, domain: str, shopper: Callable[..., Any]) -> None:
        self.story = story
        self.domain = domain
        self.shopper = shopper
        self.rng = random.Random(18)
        self.staple = CatalogueItem(name="", variant="")
        self.new_guide = CatalogueItem(name="", variant="")
        #: what the affinity emails suggest (None: no affinity story)
        self.affinity_item: Optional[CatalogueItem] = None

    # --- the past ---------------------------------------------------------------

    def plant(self, start: datetime) -> None:
        """Write the backdated orders and the guides; agenda the fortnight's part."""
        DOMAIN, Shopper = self.domain, self.shopper  # noqa: N806
        shop = self.story.shop_host
        self.staple = self.story.catalogue[2]
        staple = [(self.staple.variant, 1)]
        for number in range(6):
            email = f"hist-regular{number}@{DOMAIN}"
            for age in (200, 170):
                shop.plant_order(email, staple, start - timedelta(days=age))
        for number in range(6):
            email = f"hist-due{number}@{DOMAIN}"
            shop.plant_order(email, staple, start - timedelta(days=21 - 2.4 * number))
        # the last one buys on schedule, before the reminder is due (day 10.5)
        steady = Shopper(0, "Sam", "Steady", "buys", email=f"hist-due5@{DOMAIN}")
        self.story.agenda[(10, 9)].append(lambda: self._buy(steady, self.staple))

        old_guide, new_guide = shop.add_editions(
            self.staple,
            [
                (slug, f"Yearly guide {year}")
                for year, slug in zip((2025, 2026), GUIDES)
            ],
            PREVIOUS_EDITION_KEY,
        )
        for number in range(8):
            shop.plant_order(
                f"hist-reader{number}@{DOMAIN}",
                [(old_guide.variant, 1)],
                start - timedelta(days=300 + number),
            )
        self.new_guide = new_guide
        self.story.agenda[(4, 10)].append(lambda: shop.publish(new_guide))
        plant_win_back_and_affinity(self, start)

    # --- every simulated hour -----------------------------------------------------

    def tick(self) -> None:
        """The lifecycle programs' scans (beat runs them daily or hourly)."""
        from ..context import load_context
        from ..programs.registry import all_programs

        settings = load_context().settings
        for program in all_programs():
            if program.id in LIFECYCLE_PROGRAMS:
                for method in program.scan_methods:
                    program.run_scan(method, settings)

    def react(self, program: str, recipient: str, message: ReceivedEmail) -> bool:
        """A past customer's answer to a lifecycle email; False: not one of ours."""
        if program not in LIFECYCLE_PROGRAMS:
            return False
        if program in WIN_BACK_AND_AFFINITY:
            bought = win_back_or_affinity_reaction(self, program)
            if bought is not None:
                buyer = self.shopper(0, "Pat", "Past", "buys", email=recipient)
                self._buy(buyer, bought)
            return True
        if self.rng.random() < 0.5:
            buyer = self.shopper(0, "Pat", "Past", "buys", email=recipient)
            item = self.staple if program == "replenishment" else self.new_guide
            self._buy(buyer, item)
        return True

    def _buy(self, shopper: Any, item: CatalogueItem) -> None:
        self.story.start_checkout(shopper, [item], quantity=1)
        self.story.complete_checkout(shopper)


# --- win-back (with VIP care) and affinity ------------------------------------
# Planted by ShopHistory.plant before the fortnight, with the other past
# customers:
#
# * win-back: eight customers whose only order crosses 90 days during the fortnight
#   (days 1 to 12; the first step, no offer), and two VIPs (six large orders each,
#   R + F + M >= 13: the demo's VIP rule) crossing it on days 2 and 5, who get the
#   VIP variant with the merchant's words; a third of them order again;
# * affinity: twelve gardeners bought a product of one category (A) and, a month
#   later, one of another (B); six customers buy a product of A 20 to 10 days before
#   the fortnight: 21 days after their order each gets the products of B, and half of
#   them buy one.

WIN_BACK_AND_AFFINITY = ("win_back", "affinity")


def plant_win_back_and_affinity(history: ShopHistory, start: datetime) -> None:
    domain = history.domain
    shop = history.story.shop_host
    staple = history.staple.variant
    for number in range(8):
        shop.plant_order(
            f"hist-gone{number}@{domain}",
            [(staple, 1)],
            start - timedelta(days=89 - 1.4 * number),
        )
    for number, day in enumerate((2, 5)):
        for order in range(6):
            shop.plant_order(
                f"hist-vip{number}@{domain}",
                [(staple, 4)],
                start - timedelta(days=90 - day + 25 * order),
            )
    pair = shop.two_other_categories(history.staple)
    if pair is None:
        print("demo: no two products in other categories: no affinity story")
        return
    variant_a, variant_b = pair
    for number in range(12):
        email = f"hist-gardener{number}@{domain}"
        shop.plant_order(email, [(variant_a, 1)], start - timedelta(days=200))
        shop.plant_order(email, [(variant_b, 1)], start - timedelta(days=170))
    for number in range(6):
        shop.plant_order(
            f"hist-new{number}@{domain}",
            [(variant_a, 1)],
            start - timedelta(days=20 - 2 * number),
        )
    # what the affinity emails suggest, when the demo's shoppers can buy it
    history.affinity_item = next(
        (item for item in history.story.catalogue if item.variant == variant_b), None
    )


def win_back_or_affinity_reaction(
    history: ShopHistory, program: str
) -> Optional[CatalogueItem]:
    """What a past customer buys after this program's email (None: nothing)."""
    if program == "win_back" and history.rng.random() < 1 / 3:
        return history.staple
    if program == "affinity" and history.rng.random() < 0.5:
        return history.affinity_item
    return None
