"""Saleor 3.21 objects for tests, with the factory API of ``tests/hosts/saleor210``.

One channel, ``default-channel`` (Saleor's ``DEFAULT_CHANNEL_SLUG``, USD, US),
holds everything: products and variants are listed in it (published, available for
purchase, priced), warehouses and shipping zones serve it, checkouts and orders are
made in it. Created through Saleor's own models, as its own test fixtures do.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Iterable, List, Optional, Sequence

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from prices import Money, TaxedMoney
from saleor.account.models import Address
from saleor.channel.models import Channel
from saleor.order.models import Order, OrderLine
from saleor.product.models import (
    Category,
    Product,
    ProductChannelListing,
    ProductMedia,
    ProductType,
    ProductVariant,
    ProductVariantChannelListing,
)
from saleor.shipping.models import (
    ShippingMethod,
    ShippingMethodChannelListing,
    ShippingZone,
)
from saleor.warehouse.models import Allocation, Stock, Warehouse

COUNTRY = "US"
CURRENCY = "USD"
_numbers = itertools.count(1)
#: product overrides that live in the product's channel listing on Saleor 3
_LISTING_FIELDS = {
    "is_published",
    "published_at",
    "publication_date",  # Saleor 2.10's name
    "visible_in_listings",
    "available_for_purchase_at",
}


def default_channel() -> Channel:
    """The test shop's one channel (created with its tax configuration)."""
    channel = Channel.objects.filter(slug=settings.DEFAULT_CHANNEL_SLUG).first()
    if channel is not None:
        return channel
    from saleor.tax.models import TaxConfiguration

    channel = Channel.objects.create(
        name="Main Channel",
        slug=settings.DEFAULT_CHANNEL_SLUG,
        currency_code=CURRENCY,
        default_country=COUNTRY,
        is_active=True,
    )
    TaxConfiguration.objects.get_or_create(channel=channel)
    return channel


def make_address(**overrides: Any) -> Address:
    values = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "street_address_1": "1 Infinite Loop",
        "city": "CUPERTINO",
        "postal_code": "95014",
        "country": COUNTRY,
        "country_area": "CA",
        "phone": "",
    }
    values.update(overrides)
    return Address.objects.create(**values)


def make_warehouse(
    countries: Sequence[str] = (COUNTRY,), **overrides: Any
) -> Warehouse:
    """A warehouse of the channel shipping to ``countries`` (the test country), with a
    price-based method."""
    number = next(_numbers)
    channel = default_channel()
    zone = ShippingZone.objects.create(name=f"Zone {number}", countries=list(countries))
    zone.channels.add(channel)
    method = ShippingMethod.objects.create(
        name="Standard delivery", type="price", shipping_zone=zone
    )
    ShippingMethodChannelListing.objects.create(
        channel=channel,
        shipping_method=method,
        currency=CURRENCY,
        minimum_order_price_amount=Decimal("0"),
        price_amount=Decimal("5.00"),
    )
    values = {
        "name": f"Warehouse {number}",
        "slug": f"warehouse-{number}",
        "address": make_address(),
    }
    values.update(overrides)
    warehouse = Warehouse.objects.create(**values)
    warehouse.shipping_zones.add(zone)
    warehouse.channels.add(channel)
    return warehouse


def default_warehouse() -> Warehouse:
    return Warehouse.objects.order_by("name").first() or make_warehouse()


def make_category(name: str = "", parent: Optional[Category] = None) -> Category:
    name = name or f"Category {next(_numbers)}"
    return Category.objects.create(name=name, slug=slugify(name), parent=parent)


def _product_type() -> ProductType:
    product_type, _ = ProductType.objects.get_or_create(
        slug="goods",
        defaults={
            "name": "Goods",
            "kind": "normal",
            "has_variants": False,
            "is_shipping_required": True,
        },
    )
    return product_type


def _listing_values(values: dict) -> dict:
    """Saleor 2.10 names and values (``publication_date`` a date) as 3.21's."""
    listing = dict(values)
    if "publication_date" in listing:
        day = listing.pop("publication_date")
        listing["published_at"] = (
            timezone.make_aware(datetime.combine(day, time.min))
            if isinstance(day, date) and not isinstance(day, datetime)
            else day
        )
    return listing


def make_product(
    name: str = "",
    *,
    category: Optional[Category] = None,
    price: str = "10.00",
    stock: int = 10,
    track_inventory: bool = True,
    image: str = "",
    warehouse: Optional[Warehouse] = None,
    **overrides: Any,
) -> Product:
    """A product listed in the channel (published, available, priced) with one
    variant holding ``stock`` units in a warehouse of the channel."""
    channel = default_channel()
    name = name or f"Product {next(_numbers)}"
    listing = {
        key: overrides.pop(key) for key in list(overrides) if key in _LISTING_FIELDS
    }
    values = {
        "name": name,
        "slug": f"{slugify(name)}-{next(_numbers)}",
        "product_type": _product_type(),
        "category": category,
    }
    values.update(overrides)
    product = Product.objects.create(**values)
    now = timezone.now()
    ProductChannelListing.objects.create(
        product=product,
        channel=channel,
        currency=CURRENCY,
        discounted_price_amount=Decimal(price),
        **{
            "is_published": True,
            "published_at": now,
            "visible_in_listings": True,
            "available_for_purchase_at": now,
            **_listing_values(listing),
        },
    )
    variant = ProductVariant.objects.create(
        product=product, sku=f"SKU-{product.pk}", track_inventory=track_inventory
    )
    ProductVariantChannelListing.objects.create(
        variant=variant,
        channel=channel,
        currency=CURRENCY,
        price_amount=Decimal(price),
        discounted_price_amount=Decimal(price),
    )
    product.default_variant = variant
    product.save(update_fields=["default_variant"])
    Stock.objects.create(
        warehouse=warehouse or default_warehouse(),
        product_variant=variant,
        quantity=stock,
    )
    if image:
        ProductMedia.objects.create(product=product, image=image, alt=name)
    # what tests read of a product on 2.10 (``product.price_amount``)
    product.price_amount = Decimal(price)  # type: ignore[attr-defined]
    return product


def set_product(product: Product, **values: Any) -> None:
    """Change a product in place as the dashboard would: listing fields
    (``is_published``, ``publication_date``...) in its channel listing."""
    listing = {key: values.pop(key) for key in list(values) if key in _LISTING_FIELDS}
    if values:
        Product.objects.filter(pk=product.pk).update(**values)
    if listing:
        ProductChannelListing.objects.filter(product=product).update(
            **_listing_values(listing)
        )


def variant_of(product: Product) -> ProductVariant:
    return product.variants.get()


def _price_of(variant: ProductVariant) -> Decimal:
    return variant.channel_listings.get(channel=default_channel()).price_amount


def make_order(
    products: Iterable[Product],
    *,
    email: str = "buyer@example.org",
    status: str = "unfulfilled",
    quantity: int = 1,
    **overrides: Any,
) -> Order:
    """An order of the channel holding one line per product (channel prices)."""
    channel = default_channel()
    shipping = Money("5.00", CURRENCY)
    values = {
        "user_email": email,
        "status": status,
        "channel": channel,
        "currency": CURRENCY,
        "origin": "checkout",
        "billing_address": make_address(),
        "shipping_address": make_address(),
        "shipping_method_name": "Standard delivery",
        "shipping_price": TaxedMoney(shipping, shipping),
        "base_shipping_price": shipping,
        "undiscounted_base_shipping_price": shipping,
        "should_refresh_prices": False,
    }
    if "created" in overrides:  # Saleor 2.10's name
        overrides["created_at"] = overrides.pop("created")
    values.update(overrides)
    order = Order.objects.create(**values)
    total = shipping
    lines = 0
    for product in products:
        variant = variant_of(product)
        unit = Money(_price_of(variant), CURRENCY)
        taxed = TaxedMoney(unit, unit)
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_name=product.name,
            variant_name=variant.name,
            product_sku=variant.sku,
            product_variant_id=variant.get_global_id(),
            is_shipping_required=product.product_type.is_shipping_required,
            is_gift_card=False,
            quantity=quantity,
            currency=CURRENCY,
            unit_price=taxed,
            total_price=taxed * quantity,
            undiscounted_unit_price=taxed,
            undiscounted_total_price=taxed * quantity,
            base_unit_price=unit,
            undiscounted_base_unit_price=unit,
            tax_rate=Decimal("0"),
        )
        total += unit * quantity
        lines += 1
    order.total = TaxedMoney(total, total)
    order.undiscounted_total = TaxedMoney(total, total)
    order.subtotal = TaxedMoney(total - shipping, total - shipping)
    order.lines_count = lines
    order.save()
    return order


def make_orders(baskets: Sequence[Sequence[Product]], **overrides: Any) -> List[Order]:
    return [make_order(basket, **overrides) for basket in baskets]


def allocate(product: Product, quantity: int) -> None:
    """Reserve ``quantity`` units of the product's stock for a draft order, as
    Saleor does: an ``Allocation`` and the stock's ``quantity_allocated``."""
    from django.db.models import F

    stock = Stock.objects.get(product_variant__product=product)
    order = make_order([product], status="draft")
    Allocation.objects.create(
        order_line=order.lines.get(), stock=stock, quantity_allocated=quantity
    )
    Stock.objects.filter(pk=stock.pk).update(
        quantity_allocated=F("quantity_allocated") + quantity
    )


def make_digital_product(name: str = "", **overrides: Any) -> Product:
    """A listed e-book: digital, no shipping, with downloadable content."""
    from saleor.product.models import DigitalContent

    product_type, _ = ProductType.objects.get_or_create(
        slug="ebooks",
        defaults={
            "name": "E-books",
            "kind": "normal",
            "has_variants": False,
            "is_shipping_required": False,
            "is_digital": True,
        },
    )
    product = make_product(name or "E-book", product_type=product_type, **overrides)
    DigitalContent.objects.create(
        product_variant=variant_of(product), content_file="digital_contents/book.pdf"
    )
    return product


def fulfill(order: Order, tracking_number: str = "") -> Any:
    """A fulfillment of every line of the order; digital lines get a download URL."""
    import uuid

    from saleor.order.models import Fulfillment, FulfillmentLine
    from saleor.product.models import DigitalContentUrl

    fulfillment = Fulfillment.objects.create(
        order=order, tracking_number=tracking_number
    )
    for line in order.lines.all():
        FulfillmentLine.objects.create(
            order_line=line, fulfillment=fulfillment, quantity=line.quantity
        )
        content = getattr(line.variant, "digital_content", None)
        if content is not None:
            DigitalContentUrl.objects.create(
                content=content, line=line, token=uuid.uuid4()
            )
    return fulfillment


def make_customer(email: str = "", password: str = "correct-horse-1", **extra: Any):
    """A customer account (Saleor's ``create_user``)."""
    from saleor.account.models import User

    return User.objects.create_user(
        email or f"customer{next(_numbers)}@example.org", password, **extra
    )


def make_checkout(
    products: Iterable[Product] = (),
    *,
    email: str = "shopper@example.org",
    quantity: int = 1,
    **overrides: Any,
) -> Any:
    """A checkout of the channel holding one line per product, with a shipping
    address."""
    from saleor.checkout.models import Checkout, CheckoutLine

    values = {
        "email": email,
        "currency": CURRENCY,
        "channel": default_channel(),
        "shipping_address": make_address(),
    }
    values.update(overrides)
    checkout = Checkout.objects.create(**values)
    for product in products:
        CheckoutLine.objects.create(
            checkout=checkout,
            variant=variant_of(product),
            quantity=quantity,
            currency=CURRENCY,
        )
    return checkout


def order_sequence(order: Order) -> int:
    """The number the recommendation model counts an order by (``number`` on 3.21:
    the id is a UUID)."""
    return int(order.number)
