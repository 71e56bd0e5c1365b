"""``recommend_for``: the one lookup every program uses for product recommendations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Collection,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
)

from django.db import connection

from ..host import port as host
from .models import ProductPair, ProductPopularity

if TYPE_CHECKING:
    from prices import Money


class Reason:
    """Why a product was recommended (the stages of the lookup, in order)."""

    BOUGHT_TOGETHER = "bought_together"
    CATEGORY_BESTSELLER = "category_bestseller"
    BESTSELLER = "bestseller"


@dataclass(frozen=True)
class Recommendation:
    product_id: int
    name: str
    slug: str
    category_id: Optional[int]
    price: Money
    image_url: Optional[str]
    reason: str


#: candidates read per stage for each recommendation wanted: some may turn out
#: unpublished, out of stock or in an excluded category
_OVERFETCH = 3
_MAX_BESTSELLER_PAGES = 5


def recommend_for(
    product_ids: Iterable[int],
    limit: int,
    exclude: Iterable[int] = (),
    excluded_categories: Iterable[str] = (),
) -> List[Recommendation]:
    """Up to ``limit`` products to suggest to someone buying ``product_ids``.

    First the products bought together with them (pairs significant at the last
    count, ranked by confidence P(b | a) summed over the basket: see
    :mod:`.building`), then bestsellers of the basket's categories, then the shop's
    bestsellers. Never a product of the basket or of ``exclude``, never
    one in ``excluded_categories`` (slugs; subcategories included), and only
    products a customer can buy now (published, visible, in stock). Names are in
    the active language. Deterministic for a given database state.
    """
    basket = {int(pk) for pk in product_ids}
    if limit <= 0:
        return []
    skip: Set[int] = basket | {int(pk) for pk in exclude}
    banned = host.category_ids_with_descendants(excluded_categories)
    picked: List[Recommendation] = []
    fetch = limit * _OVERFETCH + 8

    def take(candidates: List[int], reason: str) -> None:
        fresh = [pk for pk in candidates if pk not in skip]
        if not fresh:
            return
        cards = host.available_product_cards(fresh, banned)
        for pk in fresh:
            card = cards.get(pk)
            skip.add(pk)
            if card is not None and len(picked) < limit:
                picked.append(
                    Recommendation(
                        product_id=card.id,
                        name=card.name,
                        slug=card.slug,
                        category_id=card.category_id,
                        price=card.price,
                        image_url=card.image_url,
                        reason=reason,
                    )
                )

    if basket:
        take(_bought_together(basket, skip, fetch), Reason.BOUGHT_TOGETHER)
    if len(picked) < limit and basket:
        categories = {
            category
            for category in host.product_categories(basket).values()
            if category is not None and category not in banned
        }
        if categories:
            take(_bestsellers(skip, fetch, categories), Reason.CATEGORY_BESTSELLER)
    for _page in range(_MAX_BESTSELLER_PAGES):
        if len(picked) >= limit:
            break
        candidates = _bestsellers(skip, fetch)
        if not candidates:
            break
        take(candidates, Reason.BESTSELLER)
    return picked


# Raw SQL on the plugin's own tables: the lookup runs inside every confirmation
# email and its budget (5 ms) leaves no room for the ORM's query compilation.


def _fetch_ids(sql: str, params: Sequence[Any]) -> List[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _bought_together(basket: Collection[int], skip: Collection[int], fetch: int):
    table = connection.ops.quote_name(ProductPair._meta.db_table)
    # "score > 0" as a literal: the condition of the partial lookup index
    return _fetch_ids(
        f"""
        SELECT product_b FROM {table}
        WHERE product_a = ANY(%s) AND score > 0 AND NOT (product_b = ANY(%s))
        GROUP BY product_b ORDER BY sum(score) DESC, product_b LIMIT %s
        """,
        [list(basket), list(skip), fetch],
    )


def _bestsellers(
    skip: Collection[int], fetch: int, categories: Optional[Collection[int]] = None
) -> List[int]:
    table = connection.ops.quote_name(ProductPopularity._meta.db_table)
    in_categories = "AND category_id = ANY(%s)" if categories is not None else ""
    params: List[Any] = [list(skip)]
    if categories is not None:
        params.append(list(categories))
    return _fetch_ids(
        f"""
        SELECT product_id FROM {table}
        WHERE NOT (product_id = ANY(%s)) {in_categories}
        ORDER BY orders DESC, product_id LIMIT %s
        """,
        [*params, fetch],
    )
