"""The kinds of email a customer can choose between.

Every program declares one of these as its ``category``. A transactional category
(order confirmation, shipping) cannot be turned off and needs no consent; a marketing
category needs consent under the program's consent mode (see ``policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Category:
    slug: str
    #: what the customer reads (lazy translations: in the page's language)
    label: str
    description: str
    transactional: bool = False
    #: marketing in the ePrivacy sense: sent only with consent (or soft opt-in)
    marketing: bool = True


ORDER = Category(
    "order",
    _("Orders and deliveries"),
    _("Confirmations, shipping and payment notices. Always sent."),
    transactional=True,
    marketing=False,
)
ACCOUNT = Category(
    "account",
    _("Your account"),
    _("Welcome and account notices."),
    marketing=False,
)
ABANDONED_CHECKOUT = Category(
    "abandoned_checkout",
    _("Reminders about your cart"),
    _("A reminder when you leave items in your cart."),
)
REVIEWS = Category(
    "reviews", _("Review requests"), _("Asking how you like what you bought.")
)
BACK_IN_STOCK = Category(
    "back_in_stock",
    _("Back-in-stock alerts"),
    _("The alerts you asked for when a product was sold out."),
    # the customer asked for these alerts: the request is the consent
    marketing=False,
)
NEWSLETTER = Category(
    "newsletter",
    _("News and recommendations"),
    _("New products, offers and recommendations for you."),
)
REPLENISHMENT = Category(
    "replenishment",
    _("Time to reorder"),
    _("A reminder when something you buy regularly should be running out."),
)
NEW_EDITION = Category(
    "new_edition",
    _("New editions"),
    _("When a new edition of something you bought comes out."),
)

WIN_BACK = Category(
    "win_back",
    _("We miss you"),
    _("A word, and sometimes an offer, when you have not ordered for a while."),
)
AFFINITY = Category(
    "affinity",
    _("Ideas to go with your purchases"),
    _("Products from other categories that go with what you bought."),
)

CATEGORIES: Dict[str, Category] = {
    category.slug: category
    for category in (
        ORDER,
        ACCOUNT,
        ABANDONED_CHECKOUT,
        REVIEWS,
        BACK_IN_STOCK,
        NEWSLETTER,
        WIN_BACK,
        AFFINITY,
        REPLENISHMENT,
        NEW_EDITION,
    )
}


def choosable() -> List[Category]:
    """Categories a customer can switch, in the order the preference page shows them."""
    return [category for category in CATEGORIES.values() if not category.transactional]


def get_category(slug: str) -> Category:
    return CATEGORIES[slug]
