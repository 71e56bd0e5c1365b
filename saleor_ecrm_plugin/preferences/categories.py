"""The kinds of email a customer can choose between.

Every program declares one of these as its ``category``. A transactional category
(order confirmation, shipping) cannot be turned off and needs no consent; a marketing
category needs consent under the program's consent mode (see ``policy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    description: str
    transactional: bool = False
    #: marketing in the ePrivacy sense: sent only with consent (or soft opt-in)
    marketing: bool = True


ORDER = Category(
    "order",
    "Orders and deliveries",
    "Confirmations, shipping and payment notices. Always sent.",
    transactional=True,
    marketing=False,
)
ACCOUNT = Category(
    "account",
    "Your account",
    "Welcome and account notices.",
    marketing=False,
)
ABANDONED_CHECKOUT = Category(
    "abandoned_checkout",
    "Reminders about your cart",
    "A reminder when you leave items in your cart.",
)
REVIEWS = Category("reviews", "Review requests", "Asking how you like what you bought.")
BACK_IN_STOCK = Category(
    "back_in_stock",
    "Back-in-stock alerts",
    "The alerts you asked for when a product was sold out.",
    # the customer asked for these alerts: the request is the consent
    marketing=False,
)
NEWSLETTER = Category(
    "newsletter",
    "News and recommendations",
    "New products, offers and recommendations for you.",
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
    )
}


def choosable() -> List[Category]:
    """Categories a customer can switch, in the order the preference page shows them."""
    return [category for category in CATEGORIES.values() if not category.transactional]


def get_category(slug: str) -> Category:
    return CATEGORIES[slug]
