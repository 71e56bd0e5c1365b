"""Product cards for the lifecycle emails (win-back, affinity): the items the shared
``includes/products`` grid renders."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from ..host import port as host
from ..recommendations.lookup import recommend_for
from .cross_sell.program import PRODUCT_PATH


def card(storefront_url: str, item: Any) -> Dict[str, Any]:
    """A card from a :class:`~..recommendations.lookup.Recommendation` or a
    :class:`~..host.port.ProductCard` (both have id/product_id, name, slug, price,
    image_url)."""
    product_id = getattr(item, "product_id", None) or item.id
    return {
        "product_id": product_id,
        "name": item.name,
        "url": storefront_url + PRODUCT_PATH.format(slug=item.slug, id=product_id),
        "image_url": item.image_url,
        "price": item.price,
    }


def from_own_history(
    email: str, storefront_url: str, limit: int
) -> List[Dict[str, Any]]:
    """Up to ``limit`` products to suggest from what ``email`` bought before
    (bought together with them, then their categories' bestsellers), never one
    it already bought."""
    if limit <= 0:
        return []
    bought = host.email_product_ids(email)
    if not bought:
        return []
    return [card(storefront_url, rec) for rec in recommend_for(bought, limit, bought)]


def available_cards(
    product_ids: Iterable[int], storefront_url: str
) -> List[Dict[str, Any]]:
    """Cards of those products a customer can buy now, in the given order."""
    ids = list(product_ids)
    cards = host.available_product_cards(ids)
    return [card(storefront_url, cards[pk]) for pk in ids if pk in cards]
