"""Saleor objects for tests, as factories: ``make_product(**overrides)``.

Everything is created through Saleor's own models, the way Saleor's dashboard and
checkout would leave them, so the plugin's queries meet real rows.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, Iterable, List, Optional, Sequence

import saleor.product.utils  # noqa: F401  (import before ProductVariant: circular import)
from django.utils.text import slugify
from prices import Money, TaxedMoney
from saleor.account.models import Address
from saleor.order.models import Order, OrderLine
from saleor.product.models import (
    Category,
    Product,
    ProductImage,
    ProductType,
    ProductVariant,
)
from saleor.shipping.models import ShippingMethod, ShippingZone
from saleor.warehouse.models import Allocation, Stock, Warehouse

COUNTRY = "US"
CURRENCY = "USD"
_numbers = itertools.count(1)


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
    """A warehouse shipping to ``countries`` (the test country), with a
    price-based method."""
    number = next(_numbers)
    zone = ShippingZone.objects.create(name=f"Zone {number}", countries=list(countries))
    ShippingMethod.objects.create(
        name="Standard delivery",
        type="price",
        price_amount=Decimal("5.00"),
        currency=CURRENCY,
        shipping_zone=zone,
        minimum_order_price_amount=Decimal("0"),
    )
    values = {
        "name": f"Warehouse {number}",
        "slug": f"warehouse-{number}",
        "address": make_address(),
    }
    values.update(overrides)
    warehouse = Warehouse.objects.create(**values)
    warehouse.shipping_zones.add(zone)
    return warehouse


def default_warehouse() -> Warehouse:
    return Warehouse.objects.order_by("name").first() or make_warehouse()


def make_category(name: str = "", parent: Optional[Category] = None) -> Category:
    name = name or f"Category {next(_numbers)}"
    return Category.objects.create(name=name, slug=slugify(name), parent=parent)


def _product_type() -> ProductType:
    product_type, _ = ProductType.objects.get_or_create(
        slug="goods",
        defaults={"name": "Goods", "has_variants": False, "is_shipping_required": True},
    )
    return product_type


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
    """A published product with one variant holding ``stock`` units in a warehouse."""
    name = name or f"Product {next(_numbers)}"
    values = {
        "name": name,
        "slug": f"{slugify(name)}-{next(_numbers)}",
        "product_type": _product_type(),
        "category": category,
        "price_amount": Decimal(price),
        "currency": CURRENCY,
        "is_published": True,
    }
    values.update(overrides)
    product = Product.objects.create(**values)
    variant = ProductVariant.objects.create(
        product=product, sku=f"SKU-{product.pk}", track_inventory=track_inventory
    )
    Stock.objects.create(
        warehouse=warehouse or default_warehouse(),
        product_variant=variant,
        quantity=stock,
    )
    if image:
        ProductImage.objects.create(product=product, image=image, alt=name)
    return product


def variant_of(product: Product) -> ProductVariant:
    return product.variants.get()


def make_order(
    products: Iterable[Product],
    *,
    email: str = "buyer@example.org",
    status: str = "unfulfilled",
    quantity: int = 1,
    **overrides: Any,
) -> Order:
    """An order holding one line per product (prices from the products)."""
    values = {
        "user_email": email,
        "status": status,
        "currency": CURRENCY,
        "billing_address": make_address(),
        "shipping_address": make_address(),
        "shipping_method_name": "Standard delivery",
        "shipping_price": TaxedMoney(Money("5.00", CURRENCY), Money("5.00", CURRENCY)),
    }
    values.update(overrides)
    order = Order.objects.create(**values)
    total = Money("5.00", CURRENCY)
    for product in products:
        variant = variant_of(product)
        unit = Money(product.price_amount, CURRENCY)
        OrderLine.objects.create(
            order=order,
            variant=variant,
            product_name=product.name,
            product_sku=variant.sku,
            is_shipping_required=product.product_type.is_shipping_required,
            quantity=quantity,
            unit_price=TaxedMoney(unit, unit),
        )
        total += unit * quantity
    total -= order.discount
    order.total = TaxedMoney(total, total)
    order.save(update_fields=["total_net_amount", "total_gross_amount"])
    return order


def make_orders(baskets: Sequence[Sequence[Product]], **overrides: Any) -> List[Order]:
    return [make_order(basket, **overrides) for basket in baskets]


def allocate(product: Product, quantity: int) -> None:
    """Reserve ``quantity`` units of the product's stock (for a draft order, which
    the recommendation model does not count)."""
    stock = Stock.objects.get(product_variant__product=product)
    order = make_order([product], status="draft")
    Allocation.objects.create(
        order_line=order.lines.get(), stock=stock, quantity_allocated=quantity
    )


def make_digital_product(name: str = "", **overrides: Any) -> Product:
    """A published e-book: digital, no shipping, with downloadable content."""
    from saleor.product.models import DigitalContent

    product_type, _ = ProductType.objects.get_or_create(
        slug="ebooks",
        defaults={
            "name": "E-books",
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
            DigitalContentUrl.objects.create(content=content, line=line)
    return fulfillment


def set_product(product: Product, **values: Any) -> None:
    """Change a product's columns in place (``is_published``, ``publication_date``
    ...), as the dashboard would, without signals."""
    Product.objects.filter(pk=product.pk).update(**values)


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
    """A checkout holding one line per product, with a shipping address."""
    from saleor.checkout.models import Checkout, CheckoutLine

    values = {"email": email, "currency": CURRENCY, "shipping_address": make_address()}
    values.update(overrides)
    checkout = Checkout.objects.create(**values)
    for product in products:
        CheckoutLine.objects.create(
            checkout=checkout, variant=variant_of(product), quantity=quantity
        )
    return checkout


def order_sequence(order: Order) -> int:
    """The number the recommendation model counts an order by (its id on 2.10)."""
    return int(order.pk)
