"""The demo shop on Saleor 2.10.1: its GraphQL dialect and its models."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..shop_api import GraphQLClient
from . import ADDRESS, CatalogueItem, DemoShop, StartedCheckout

CHECKOUT_CREATE = """
mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkoutErrors { field code message }
    checkout { id availableShippingMethods { id } }
  }
}"""
UPDATE_METADATA = """
mutation Meta($id: ID!, $input: [MetadataInput!]!) {
  updateMetadata(id: $id, input: $input) { metadataErrors { field code message } }
}
"""
SHIPPING = """
mutation Shipping($checkoutId: ID!, $methodId: ID!) {
  checkoutShippingMethodUpdate(checkoutId: $checkoutId, shippingMethodId: $methodId) {
    checkoutErrors { field code message }
    checkout { totalPrice { gross { amount } } }
  }
}"""
PROMO = """
mutation Promo($checkoutId: ID!, $code: String!) {
  checkoutAddPromoCode(checkoutId: $checkoutId, promoCode: $code) {
    checkoutErrors { field code message }
    checkout { totalPrice { gross { amount } } }
  }
}"""
PAY = """
mutation Pay($checkoutId: ID!, $input: PaymentInput!) {
  checkoutPaymentCreate(checkoutId: $checkoutId, input: $input) {
    paymentErrors { field code message }
  }
}"""
COMPLETE = """
mutation Complete($checkoutId: ID!) {
  checkoutComplete(checkoutId: $checkoutId) {
    checkoutErrors { field code message }
    order { id number }
  }
}"""
BROWSE = """
query Browse($first: Int!) { products(first: $first) { edges { node { id name } } } }
"""
REGISTER = """
mutation Register($email: String!, $password: String!) {
  accountRegister(input: {email: $email, password: $password}) {
    accountErrors { field code message }
  }
}"""
STOCKS = """
mutation Stocks($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    bulkStockErrors { field code message }
  }
}"""
FULFIL = """
mutation Fulfil($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { orderErrors { field code message } }
}"""
UPDATE_PLUGIN = """
mutation UpdatePlugin($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    pluginsErrors { field code message }
  }
}
"""
READ_PLUGIN = """
query Plugin($id: ID!) {
  plugin(id: $id) { id active configuration { name value } }
}
"""


class _PopulateLog(io.TextIOBase):
    """populatedb's output: all of it to a log file, its milestones to the console."""

    MILESTONES = ("Created warehouses", "Created products", "Superuser")

    def __init__(self, path: Path, console: Any) -> None:
        self._file = path.open("w", encoding="utf-8")
        self._console = console

    def write(self, text: str) -> int:
        self._file.write(text)
        for line in text.splitlines():
            if line.startswith(self.MILESTONES):
                self._console.detail(f"{line.strip()} ({self._console.elapsed()})")
        return len(text)

    def close(self) -> None:
        self._file.close()
        super().close()


class DemoShopImpl(DemoShop):
    settings_module = "saleor_ecrm_plugin.demo.settings"
    sample_query = "{ shop { name } products(first: 3) { edges { node { name } } } }"

    def __init__(self, version: str) -> None:
        self.label = f"Saleor {version}"

    def populate(self, console: Any, output: Path) -> None:
        from django.core.management import call_command
        from saleor.core.management.commands import populatedb
        from saleor.product.models import Product

        count = Product.objects.count()
        if count:
            console.detail(
                f"already loaded ({count} products): skipped ({console.elapsed()})"
            )
            return
        console.detail("loading Saleor's demo catalogue (first run only)")
        command = populatedb.Command()
        # the command looks for its images relative to the working directory
        saleor_dir = Path(populatedb.__file__).resolve().parents[3]
        command.placeholders_dir = str(saleor_dir / "static" / "placeholders") + os.sep
        log = _PopulateLog(output / "populatedb.log", console)
        saleor_logger = logging.getLogger("saleor")
        level = saleor_logger.level
        # thumbnails are logged per object, sqlsequencereset writes to stderr:
        # both to the log
        saleor_logger.setLevel(logging.WARNING)
        try:
            with contextlib.redirect_stderr(log):  # type: ignore[type-var]
                call_command(
                    command, createsuperuser=True, withoutimages=True, stdout=log
                )
        finally:
            saleor_logger.setLevel(level)
            log.close()
        console.detail(
            f"loaded {Product.objects.count()} products, customers, orders in "
            f"{console.elapsed()} (log: {output / 'populatedb.log'})"
        )

    def staff_client(self) -> GraphQLClient:
        from graphql_jwt.shortcuts import get_token
        from saleor.account.models import User
        from saleor.account.utils import create_superuser

        user = (
            User.objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if user is None:
            create_superuser({"email": "admin@example.com", "password": "admin"})
            user = User.objects.get(email="admin@example.com")
        return GraphQLClient(get_token(user))

    def configure_plugin(
        self, staff: GraphQLClient, plugin_id: str, active: bool, values: Dict[str, str]
    ) -> Dict[str, Any]:
        # Saleor 2.10.1's pluginUpdate answers with a wrong payload: read it back
        staff.mutate(
            "pluginUpdate",
            UPDATE_PLUGIN,
            {
                "id": plugin_id,
                "input": {
                    "active": active,
                    "configuration": [
                        {"name": name, "value": value} for name, value in values.items()
                    ],
                },
            },
        )
        plugin = staff.execute(READ_PLUGIN, {"id": plugin_id})["plugin"]
        return {
            "active": plugin["active"],
            **{item["name"]: item["value"] for item in plugin["configuration"]},
        }

    def pick_catalogue(self, count: int) -> List[CatalogueItem]:
        import graphene
        from saleor.product.models import Product
        from saleor.warehouse.models import Stock

        products = (
            Product.objects.published()
            .filter(variants__track_inventory=True, variants__stocks__isnull=False)
            .distinct()
            .order_by("id")
            .prefetch_related("variants__stocks")
        )
        items: List[CatalogueItem] = []
        for product in products:
            # the first variant of each product: the demo resets its stock
            variant = min(product.variants.all(), key=lambda variant: variant.pk)
            if product.minimal_variant_price_amount is None:
                continue
            # the warehouse shipping to the customers' country first
            serving = Stock.objects.for_country(ADDRESS["country"]).filter(
                product_variant=variant
            )
            first = serving.values_list("warehouse_id", flat=True).first()
            if first is None:
                continue
            warehouses = [first] + [
                stock.warehouse_id
                for stock in variant.stocks.all()
                if stock.warehouse_id != first
            ]
            items.append(
                CatalogueItem(
                    name=product.name,
                    variant=graphene.Node.to_global_id("ProductVariant", variant.pk),
                    warehouses=[
                        graphene.Node.to_global_id("Warehouse", pk) for pk in warehouses
                    ],
                )
            )
            if len(items) == count:
                break
        self._ship_to_paris_too(items)
        return items

    @staticmethod
    def _ship_to_paris_too(items: List[CatalogueItem]) -> None:
        """The warehouses that hold the demo's stock serve France as well (one
        stock for every shopper: the best seller sells out for all at once)."""
        import graphene
        from saleor.shipping.models import ShippingZone
        from saleor.warehouse.models import Warehouse

        serving_france = [
            zone
            for zone in ShippingZone.objects.all()
            if "FR" in {country.code for country in zone.countries}
        ]
        first_warehouses = {
            graphene.Node.from_global_id(item.warehouses[0])[1] for item in items
        }
        for warehouse in Warehouse.objects.filter(pk__in=first_warehouses):
            warehouse.shipping_zones.add(*serving_france)

    def set_stock(
        self, staff: GraphQLClient, item: CatalogueItem, quantity: int
    ) -> None:
        staff.mutate(
            "productVariantStocksUpdate",
            STOCKS,
            {
                "variantId": item.variant,
                "stocks": [
                    {"warehouse": warehouse, "quantity": quantity if n == 0 else 0}
                    for n, warehouse in enumerate(item.warehouses)
                ],
            },
        )

    def browse(self, visitor: GraphQLClient) -> None:
        visitor.execute(BROWSE, {"first": 8})

    def register(self, visitor: GraphQLClient, email: str, password: str) -> None:
        visitor.mutate(
            "accountRegister", REGISTER, {"email": email, "password": password}
        )

    def start_checkout(
        self,
        visitor: GraphQLClient,
        email: str,
        lines: List[Dict[str, Any]],
        address: Dict[str, str],
        language: str,
    ) -> StartedCheckout:
        created = visitor.mutate(
            "checkoutCreate",
            CHECKOUT_CREATE,
            {
                "input": {
                    "email": email,
                    "lines": lines,
                    "shippingAddress": address,
                    "billingAddress": address,
                }
            },
        )["checkout"]
        if language != "en":
            # Saleor 2.10's checkout has no language: a storefront writes it into
            # the checkout's metadata
            visitor.mutate(
                "updateMetadata",
                UPDATE_METADATA,
                {
                    "id": created["id"],
                    "input": [{"key": "language_code", "value": language}],
                },
            )
        return StartedCheckout(
            created["id"], created["availableShippingMethods"][0]["id"]
        )

    def complete_checkout(
        self,
        visitor: GraphQLClient,
        checkout: StartedCheckout,
        promo_code: str = "",
    ) -> str:
        import graphene

        total = visitor.mutate(
            "checkoutShippingMethodUpdate",
            SHIPPING,
            {"checkoutId": checkout.id, "methodId": checkout.shipping_method_id},
        )["checkout"]["totalPrice"]["gross"]["amount"]
        if promo_code:
            total = visitor.mutate(
                "checkoutAddPromoCode",
                PROMO,
                {"checkoutId": checkout.id, "code": promo_code},
            )["checkout"]["totalPrice"]["gross"]["amount"]
        visitor.mutate(
            "checkoutPaymentCreate",
            PAY,
            {
                "checkoutId": checkout.id,
                "input": {
                    "gateway": "mirumee.payments.dummy",
                    "token": "charged",
                    "amount": total,
                },
            },
        )
        order = visitor.mutate(
            "checkoutComplete", COMPLETE, {"checkoutId": checkout.id}
        )["order"]
        return str(graphene.Node.from_global_id(order["id"])[1])

    def fulfil(self, staff: GraphQLClient, order_id: str) -> bool:
        import graphene
        from saleor.order.models import OrderLine

        lines = []
        for line in OrderLine.objects.filter(order_id=order_id).prefetch_related(
            "allocations__stock"
        ):
            allocation = line.allocations.first()
            if allocation is None:
                continue
            lines.append(
                {
                    "orderLineId": graphene.Node.to_global_id("OrderLine", line.pk),
                    "stocks": [
                        {
                            "quantity": line.quantity,
                            "warehouse": graphene.Node.to_global_id(
                                "Warehouse", allocation.stock.warehouse_id
                            ),
                        }
                    ],
                }
            )
        if not lines:
            return False
        staff.mutate(
            "orderFulfill",
            FULFIL,
            {
                "order": graphene.Node.to_global_id("Order", order_id),
                "input": {"lines": lines, "notifyCustomer": True},
            },
        )
        return True

    # --- the backdated history --------------------------------------------------------

    def plant_order(
        self, email: str, lines: Sequence[Tuple[str, int]], created: datetime
    ) -> None:
        from prices import Money, TaxedMoney
        from saleor.order.models import Order, OrderLine

        variants = [(_variant(variant), quantity) for variant, quantity in lines]
        currency = variants[0][0].product.currency
        total = Money(Decimal("0"), currency)
        order = Order.objects.create(
            user_email=email, status="fulfilled", currency=currency, created=created
        )
        for variant, quantity in variants:
            unit = Money(variant.product.minimal_variant_price_amount, currency)
            OrderLine.objects.create(
                order=order,
                variant=variant,
                product_name=variant.product.name,
                product_sku=variant.sku,
                is_shipping_required=True,
                quantity=quantity,
                quantity_fulfilled=quantity,
                unit_price=TaxedMoney(unit, unit),
            )
            total += unit * quantity
        order.total = TaxedMoney(total, total)
        order.save(update_fields=["total_net_amount", "total_gross_amount"])

    def add_editions(
        self,
        beside: CatalogueItem,
        editions: Sequence[Tuple[str, str]],
        metadata_key: str,
    ) -> List[CatalogueItem]:
        import graphene
        from saleor.product.models import Product, ProductType, ProductVariant
        from saleor.warehouse.models import Stock

        staple = _variant(beside.variant)
        warehouse_id = graphene.Node.from_global_id(beside.warehouses[0])[1]
        product_type, _ = ProductType.objects.get_or_create(
            slug="ecrm-demo-guides",
            defaults={"name": "Guides", "has_variants": False},
        )
        items: List[CatalogueItem] = []
        previous = ""
        for number, (slug, name) in enumerate(editions):
            product, _ = Product.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "product_type": product_type,
                    "category": staple.product.category,
                    "price_amount": Decimal("25.00"),
                    "minimal_variant_price_amount": Decimal("25.00"),
                    "currency": staple.product.currency,
                    "is_published": number == 0,
                },
            )
            if previous:
                product.store_value_in_metadata({metadata_key: previous})
                product.save(update_fields=["metadata"])
            previous = slug
            variant, _ = ProductVariant.objects.get_or_create(
                product=product, defaults={"sku": slug, "track_inventory": True}
            )
            Stock.objects.update_or_create(
                product_variant=variant,
                warehouse_id=warehouse_id,
                defaults={"quantity": 100},
            )
            items.append(
                CatalogueItem(
                    name=name,
                    variant=graphene.Node.to_global_id("ProductVariant", variant.pk),
                    warehouses=beside.warehouses,
                )
            )
        return items

    def publish(self, item: CatalogueItem) -> None:
        from saleor.product.models import Product

        Product.objects.filter(pk=_variant(item.variant).product_id).update(
            is_published=True
        )

    def two_other_categories(self, exclude: CatalogueItem) -> Optional[Tuple[str, str]]:
        import graphene
        from saleor.product.models import ProductVariant

        variants = (
            ProductVariant.objects.filter(
                product__is_published=True, product__category__isnull=False
            )
            .exclude(product__category_id=_variant(exclude.variant).product.category_id)
            .select_related("product")
            .order_by("product__category_id", "pk")
        )
        first: Optional[Any] = None
        for variant in variants:
            if variant.product.minimal_variant_price_amount is None:
                continue
            if first is None:
                first = variant
            elif variant.product.category_id != first.product.category_id:
                return (
                    graphene.Node.to_global_id("ProductVariant", first.pk),
                    graphene.Node.to_global_id("ProductVariant", variant.pk),
                )
        return None

    def forget_previous_run(self, email_domain: str) -> Dict[str, int]:
        from saleor.account.models import User
        from saleor.checkout.models import Checkout
        from saleor.discount.models import Voucher
        from saleor.order.models import Order
        from saleor.payment.models import Payment, Transaction

        suffix = "@" + email_domain
        # Saleor protects payments and their transactions from cascading deletes
        payments = Payment.objects.filter(billing_email__endswith=suffix)
        Transaction.objects.filter(payment__in=payments).delete()
        payments.delete()
        removed = {
            "orders": (
                "order.Order",
                Order.objects.filter(user_email__endswith=suffix),
            ),
            "checkouts": (
                "checkout.Checkout",
                Checkout.objects.filter(email__endswith=suffix),
            ),
            "accounts": ("account.User", User.objects.filter(email__endswith=suffix)),
            "vouchers": (
                "discount.Voucher",
                Voucher.objects.filter(name__startswith="e-CRM "),
            ),
        }
        return {
            what: queryset.delete()[1].get(label, 0)
            for what, (label, queryset) in removed.items()
        }


def _variant(global_id: str) -> Any:
    """The variant (with its product) of a GraphQL id."""
    import graphene
    from saleor.product.models import ProductVariant

    return ProductVariant.objects.select_related("product").get(
        pk=graphene.Node.from_global_id(global_id)[1]
    )
