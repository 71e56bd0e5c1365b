"""Saleor 3.21: products, categories, variants and their stock, in a channel.

Visibility and prices live in the channel listings of products and variants;
answers are for the main channel (:mod:`.channels`). A variant's units are its
stock in the channel's warehouses minus Saleor's ``quantity_allocated`` (orders)
and the checkout reservations still running (``Reservation``, when the shop
reserves stock).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Set

from prices import Money

from ..port import ProductCard, VariantCard, VariantStock
from .channels import main_channel, main_channel_id


def _tables(*models: Any) -> Dict[Any, str]:
    from django.db import connection

    return {model: connection.ops.quote_name(model._meta.db_table) for model in models}


def product_categories(product_ids: Iterable[int]) -> Dict[int, Optional[int]]:
    """Category id of each product, by product id."""
    from django.db import connection
    from saleor.product.models import Product

    table = _tables(Product)[Product]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, category_id FROM {table} WHERE id = ANY(%s)",
            [list(product_ids)],
        )
        return dict(cursor.fetchall())


def category_ids_with_descendants(slugs: Iterable[str]) -> Set[int]:
    """Ids of the categories with these slugs and of all their subcategories."""
    from saleor.product.models import Category

    slugs = [slug for slug in slugs if slug]
    if not slugs:
        return set()
    ids: Set[int] = set()
    for category in Category.objects.filter(slug__in=slugs):
        ids.update(
            category.get_descendants(include_self=True).values_list("pk", flat=True)
        )
    return ids


def _units_sql(tables: Dict[Any, str], variant: str) -> str:
    """SQL: the units of variant ``variant`` (an SQL expression of its id) a
    customer of channel ``%(channel)s`` can buy now, summed over the channel's
    warehouses."""
    from saleor.warehouse.models import ChannelWarehouse, Reservation, Stock

    return f"""
        (SELECT COALESCE(sum(s.quantity - s.quantity_allocated - COALESCE(
                  (SELECT sum(r.quantity_reserved) FROM {tables[Reservation]} AS r
                   WHERE r.stock_id = s.id AND r.reserved_until > %(now)s), 0)), 0)
         FROM {tables[Stock]} AS s
         JOIN {tables[ChannelWarehouse]} AS cw
           ON cw.warehouse_id = s.warehouse_id AND cw.channel_id = %(channel)s
         WHERE s.product_variant_id = {variant})
    """


def _catalogue_tables() -> Dict[Any, str]:
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductTranslation,
        ProductVariant,
        ProductVariantChannelListing,
    )
    from saleor.warehouse.models import ChannelWarehouse, Reservation, Stock

    return _tables(
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductTranslation,
        ProductVariant,
        ProductVariantChannelListing,
        Stock,
        Reservation,
        ChannelWarehouse,
    )


def available_product_cards(
    product_ids: Iterable[int], excluded_category_ids: Iterable[int] = ()
) -> Dict[int, ProductCard]:
    """Cards of those products a customer of the main channel can buy now, by id
    (one query): published in the channel (no publication date in the future),
    available for purchase, outside the excluded categories, with a variant priced
    in the channel that does not track inventory or has units there. The price is
    the channel's "from" price with promotions (Saleor's ``discounted_price``)."""
    from django.db import connection
    from django.utils import timezone
    from django.utils.translation import get_language
    from saleor.core.utils import build_absolute_uri
    from saleor.product.models import (
        Product,
        ProductChannelListing,
        ProductMedia,
        ProductTranslation,
        ProductVariant,
        ProductVariantChannelListing,
    )

    ids = list(product_ids)
    channel = main_channel_id()
    if not ids or channel is None:
        return {}
    table = _catalogue_tables()
    sql = f"""
        SELECT p.id, COALESCE(NULLIF(t.name, ''), p.name), p.slug, p.category_id,
               pcl.currency,
               (SELECT min(COALESCE(vcl.discounted_price_amount, vcl.price_amount))
                FROM {table[ProductVariantChannelListing]} AS vcl
                JOIN {table[ProductVariant]} AS v2 ON v2.id = vcl.variant_id
                WHERE v2.product_id = p.id AND vcl.channel_id = %(channel)s
                  AND vcl.price_amount IS NOT NULL),
               (SELECT i.image FROM {table[ProductMedia]} AS i
                WHERE i.product_id = p.id AND i.type = 'IMAGE'
                  AND COALESCE(i.image, '') <> ''
                ORDER BY i.sort_order NULLS LAST, i.id LIMIT 1)
        FROM {table[Product]} AS p
        JOIN {table[ProductChannelListing]} AS pcl
          ON pcl.product_id = p.id AND pcl.channel_id = %(channel)s
        LEFT JOIN {table[ProductTranslation]} AS t
               ON t.product_id = p.id AND lower(t.language_code) = lower(%(language)s)
        WHERE p.id = ANY(%(ids)s)
          AND pcl.is_published
          AND (pcl.published_at IS NULL OR pcl.published_at <= %(now)s)
          AND pcl.available_for_purchase_at IS NOT NULL
          AND pcl.available_for_purchase_at <= %(now)s
          AND (p.category_id IS NULL OR NOT (p.category_id = ANY(%(excluded)s)))
          AND EXISTS (
            SELECT 1 FROM {table[ProductVariant]} AS v
            JOIN {table[ProductVariantChannelListing]} AS vl
              ON vl.variant_id = v.id AND vl.channel_id = %(channel)s
                 AND vl.price_amount IS NOT NULL
            WHERE v.product_id = p.id
              AND (NOT v.track_inventory OR {_units_sql(table, "v.id")} > 0))
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "ids": ids,
                "excluded": list(excluded_category_ids),
                "language": get_language() or "",
                "now": timezone.now(),
                "channel": channel,
            },
        )
        rows = cursor.fetchall()
    storage = ProductMedia._meta.get_field("image").storage
    return {
        pk: ProductCard(
            id=pk,
            name=name,
            slug=slug,
            category_id=category_id,
            price=Money(amount, currency).quantize(),  # numeric(20, 3) in 3.21
            image_url=build_absolute_uri(storage.url(image)) if image else None,
        )
        for pk, name, slug, category_id, currency, amount, image in rows
        if amount is not None
    }


def variant_stock(variant_ids: Iterable[int]) -> Dict[int, VariantStock]:
    """Availability of these variants in the main channel, by id; deleted variants
    are absent. One statement, probes per asked id."""
    from django.db import connection
    from django.utils import timezone

    ids = sorted({int(pk) for pk in variant_ids})
    if not ids:
        return {}
    channel = main_channel_id()
    from saleor.product.models import (
        ProductChannelListing,
        ProductVariant,
        ProductVariantChannelListing,
    )

    table = _catalogue_tables()
    sql = f"""
        SELECT v.id, v.product_id, v.track_inventory,
               COALESCE(pcl.is_published, false)
                 AND (pcl.published_at IS NULL OR pcl.published_at <= %(now)s)
                 AND pcl.available_for_purchase_at IS NOT NULL
                 AND pcl.available_for_purchase_at <= %(now)s
                 AND EXISTS (SELECT 1 FROM {table[ProductVariantChannelListing]} vl
                             WHERE vl.variant_id = v.id
                               AND vl.channel_id = %(channel)s
                               AND vl.price_amount IS NOT NULL),
               {_units_sql(table, "v.id")}
        FROM unnest(%(ids)s::integer[]) AS w(id)
        JOIN LATERAL (
            SELECT id, product_id, track_inventory FROM {table[ProductVariant]}
            WHERE id = w.id LIMIT 1
        ) AS v ON true
        LEFT JOIN {table[ProductChannelListing]} AS pcl
               ON pcl.product_id = v.product_id AND pcl.channel_id = %(channel)s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"ids": ids, "now": timezone.now(), "channel": channel or 0}
        )
        rows = cursor.fetchall()
    return {
        pk: VariantStock(pk, product_id, bool(visible), track, int(units))
        for pk, product_id, track, visible, units in rows
    }


def variant_card(variant_id: Any) -> Optional[VariantCard]:
    """The card of one variant, priced in the main channel (promotions applied);
    None if it no longer exists or is not sold there."""
    from saleor.core.utils import build_absolute_uri
    from saleor.product.models import ProductMedia, ProductVariant

    channel = main_channel()
    variant = (
        ProductVariant.objects.select_related("product").filter(pk=variant_id).first()
    )
    if variant is None or channel is None:
        return None
    listing = variant.channel_listings.filter(
        channel=channel, price_amount__isnull=False
    ).first()
    if listing is None:
        return None
    product = variant.product
    media = (
        variant.media.filter(type="IMAGE").order_by("sort_order", "pk").first()
        or product.media.filter(type="IMAGE").order_by("sort_order", "pk").first()
    )
    storage = ProductMedia._meta.get_field("image").storage
    return VariantCard(
        variant_id=variant.pk,
        product_id=product.pk,
        product_name=_translated(product, "name") or product.name,
        variant_name=_translated(variant, "name") or variant.name,
        slug=product.slug,
        price=variant.get_price(listing).quantize(),
        image_url=(
            build_absolute_uri(storage.url(media.image.name))
            if media is not None and media.image
            else None
        ),
    )


def _translated(instance: Any, field: str) -> str:
    """The field in the active language when translated."""
    from django.utils.translation import get_language

    language = get_language() or ""
    translation = instance.translations.filter(language_code__iexact=language).first()
    return (getattr(translation, field, "") or "") if translation else ""
