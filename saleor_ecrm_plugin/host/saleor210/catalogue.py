"""Saleor 2.10: products, categories, variants and their stock."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Set

from prices import Money

from ..port import ProductCard, VariantCard, VariantStock


def product_categories(product_ids: Iterable[int]) -> Dict[int, Optional[int]]:
    """Category id of each product, by product id (raw SQL: see below)."""
    from django.db import connection
    from saleor.product.models import Product

    table = connection.ops.quote_name(Product._meta.db_table)
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


def available_product_cards(
    product_ids: Iterable[int], excluded_category_ids: Iterable[int] = ()
) -> Dict[int, ProductCard]:
    """Cards of those products a customer can buy now, by id (one query).

    Available in Saleor 2.10 terms: published (``Product.objects.published()``:
    flag set, publication date absent or past), outside the excluded categories,
    and with a variant that does not track inventory or has stock somewhere beyond
    what is allocated. Names come in the active language when translated.

    Raw SQL (table names from Saleor's models): it runs inside every confirmation
    email, and the ORM's query compilation alone would take most of its budget.
    """
    import datetime

    from django.db import connection
    from django.utils.translation import get_language
    from saleor.core.utils import build_absolute_uri
    from saleor.product.models import (
        Product,
        ProductImage,
        ProductTranslation,
        ProductVariant,
    )
    from saleor.warehouse.models import Allocation, Stock

    ids = list(product_ids)
    if not ids:
        return {}
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (
            Product,
            ProductImage,
            ProductTranslation,
            ProductVariant,
            Stock,
            Allocation,
        )
    }
    sql = f"""
        SELECT p.id, COALESCE(NULLIF(t.name, ''), p.name), p.slug, p.category_id,
               p.currency, p.minimal_variant_price_amount,
               (SELECT i.image FROM {table[ProductImage]} AS i
                WHERE i.product_id = p.id ORDER BY i.sort_order, i.id LIMIT 1)
        FROM {table[Product]} AS p
        LEFT JOIN {table[ProductTranslation]} AS t
               ON t.product_id = p.id AND t.language_code = %(language)s
        WHERE p.id = ANY(%(ids)s)
          AND p.is_published
          AND (p.publication_date IS NULL OR p.publication_date <= %(today)s)
          AND (p.category_id IS NULL OR NOT (p.category_id = ANY(%(excluded)s)))
          AND EXISTS (
            SELECT 1 FROM {table[ProductVariant]} AS v
            WHERE v.product_id = p.id AND (
              NOT v.track_inventory OR EXISTS (
                SELECT 1 FROM {table[Stock]} AS s
                WHERE s.product_variant_id = v.id AND s.quantity > COALESCE(
                  (SELECT sum(a.quantity_allocated) FROM {table[Allocation]} AS a
                   WHERE a.stock_id = s.id), 0))))
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "ids": ids,
                "excluded": list(excluded_category_ids),
                "language": get_language() or "",
                "today": datetime.date.today(),
            },
        )
        rows = cursor.fetchall()
    storage = ProductImage._meta.get_field("image").storage
    return {
        pk: ProductCard(
            id=pk,
            name=name,
            slug=slug,
            category_id=category_id,
            price=Money(amount, currency),
            image_url=build_absolute_uri(storage.url(image)) if image else None,
        )
        for pk, name, slug, category_id, currency, amount, image in rows
    }


def variant_stock(variant_ids: Iterable[int]) -> Dict[int, VariantStock]:
    """Availability of these variants, by id; deleted variants are absent.

    One statement whose cost follows the number of ids asked (index probes per
    variant into stock and allocations), not the size of the catalogue.
    """
    import datetime

    from django.db import connection
    from saleor.product.models import Product, ProductVariant
    from saleor.warehouse.models import Allocation, Stock

    ids = sorted({int(pk) for pk in variant_ids})
    if not ids:
        return {}
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (Product, ProductVariant, Stock, Allocation)
    }
    sql = f"""
        SELECT v.id, v.product_id, v.track_inventory,
               p.is_published
                 AND (p.publication_date IS NULL OR p.publication_date <= %(today)s),
               COALESCE(st.quantity, 0) - COALESCE(st.allocated, 0)
        FROM unnest(%(ids)s::integer[]) AS w(id)
        -- LIMIT keeps this a probe per id: joined, the planner may scan every variant
        JOIN LATERAL (
            SELECT id, product_id, track_inventory FROM {table[ProductVariant]}
            WHERE id = w.id LIMIT 1
        ) AS v ON true
        JOIN {table[Product]} AS p ON p.id = v.product_id
        LEFT JOIN LATERAL (
            SELECT sum(s.quantity) AS quantity,
                   sum((SELECT COALESCE(sum(a.quantity_allocated), 0)
                        FROM {table[Allocation]} AS a
                        WHERE a.stock_id = s.id)) AS allocated
            FROM {table[Stock]} AS s
            WHERE s.product_variant_id = v.id
        ) AS st ON true
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": ids, "today": datetime.date.today()})
        rows = cursor.fetchall()
    return {
        pk: VariantStock(pk, product_id, bool(visible), track, int(units))
        for pk, product_id, track, visible, units in rows
    }


def variant_card(variant_id: Any) -> Optional[VariantCard]:
    """The card of one variant, or None if it no longer exists."""
    from saleor.core.utils import build_absolute_uri
    from saleor.discount.utils import fetch_active_discounts
    from saleor.product.models import ProductImage, ProductVariant

    variant = (
        ProductVariant.objects.select_related("product").filter(pk=variant_id).first()
    )
    if variant is None:
        return None
    product = variant.product
    image = (
        variant.images.order_by("sort_order", "pk").first()
        or product.images.order_by("sort_order", "pk").first()
    )
    storage = ProductImage._meta.get_field("image").storage
    product_name = getattr(product.translated, "name", "") or product.name
    variant_name = getattr(variant.translated, "name", "") or variant.name
    return VariantCard(
        variant_id=variant.pk,
        product_id=product.pk,
        product_name=product_name,
        variant_name=variant_name,
        slug=product.slug,
        price=variant.get_price(fetch_active_discounts()),
        image_url=build_absolute_uri(storage.url(image.image.name)) if image else None,
    )
