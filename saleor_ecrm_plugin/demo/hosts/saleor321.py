"""The demo shop on Saleor 3.21: channels, UUID orders and 3.21's GraphQL dialect.

The shop is Saleor's own ``populatedb`` catalogue (channels ``default-channel`` in
USD and ``channel-pln``); the demo sells in ``default-channel``. Checkouts carry the
shopper's language (``languageCode``: 3.21's checkout records it, 2.10's did not);
mutations answer ``errors`` and take the checkout's ``id``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..embedded_db import DemoSetupError
from ..shop_api import GraphQLClient
from . import ADDRESS, CatalogueItem, DemoShop, StartedCheckout


def _channel() -> str:
    """The channel the demo sells in: Saleor's default channel (``default-channel``
    unless ``DEFAULT_CHANNEL_SLUG`` says otherwise; populatedb makes it)."""
    from django.conf import settings

    return str(settings.DEFAULT_CHANNEL_SLUG)


#: a database with Saleor 3.21's migrations applied, cloned instead of migrating
#: (default ``<name>_tpl``, as ``make test-saleor3`` names its template)
TEMPLATE_ENV = "SALEOR3_TEMPLATE_DB"

CHECKOUT_CREATE = """
mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    errors { field code message }
    checkout { id shippingMethods { id } }
  }
}"""
DELIVERY = """
mutation Delivery($id: ID!, $methodId: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $methodId) {
    errors { field code message }
    checkout { totalPrice { gross { amount } } }
  }
}"""
PROMO = """
mutation Promo($id: ID!, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) {
    errors { field code message }
    checkout { totalPrice { gross { amount } } }
  }
}"""
PAY = """
mutation Pay($id: ID!, $input: PaymentInput!) {
  checkoutPaymentCreate(id: $id, input: $input) {
    errors { field code message }
  }
}"""
COMPLETE = """
mutation Complete($id: ID!) {
  checkoutComplete(id: $id) {
    errors { field code message }
    order { id number }
  }
}"""
BROWSE = """
query Browse($first: Int!, $channel: String!) {
  products(first: $first, channel: $channel) { edges { node { id name } } }
}
"""
REGISTER = """
mutation Register($input: AccountRegisterInput!) {
  accountRegister(input: $input) { errors { field code message } }
}"""
STOCKS = """
mutation Stocks($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    errors { field code message }
  }
}"""
FULFIL = """
mutation Fulfil($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { errors { field code message } }
}"""
UPDATE_PLUGIN = """
mutation UpdatePlugin($id: ID!, $channelId: ID, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    errors { field code message }
  }
}
"""
READ_PLUGIN = """
query Plugin($id: ID!) {
  plugin(id: $id) {
    id
    globalConfiguration { active configuration { name value } }
    channelConfigurations {
      active channel { id slug } configuration { name value }
    }
  }
}
"""


class DemoShopImpl(DemoShop):
    #: Saleor's settings plus the plugin, as the 3.21 test suite's
    settings_module = "saleor_ecrm_plugin.host.saleor321.settings"
    sample_query = (
        '{ shop { name } products(first: 3, channel: "default-channel") '
        "{ edges { node { name } } } }"
    )
    serve_command = "make demo HOST=saleor3 ARGS=--serve"
    register_mutation = (
        'mutation { accountRegister(input: {email: "you@example.com", '
        'password: "try-it-123", channel: "default-channel", '
        'redirectUrl: "http://localhost:3000/account-confirm/"}) '
        "{ errors { message } } }"
    )
    plugin_query = (
        '{ plugin(id: "saleor_ecrm_plugin.ecrm") '
        "{ globalConfiguration { active configuration { name value } } } }"
    )

    def __init__(self, version: str) -> None:
        self.label = f"Saleor {version}"

    # --- before Django --------------------------------------------------------------

    def migration_estimate(self, count: int) -> str:
        if count <= 100:
            return "the plugin's"
        return (
            "Saleor 3.21's: about 3 minutes, first run only; "
            f"{TEMPLATE_ENV}=<a migrated database> clones one instead"
        )

    def prepare_database(self, url: str, console: Any) -> None:
        """Clone a migrated Saleor 3.21 database (``createdb -T``, under a second)
        when ``url``'s database does not exist yet and the server has one."""
        from urllib.parse import unquote, urlsplit

        from ..embedded_db import clone_database_from_template

        name = unquote(urlsplit(url).path.lstrip("/"))
        template = os.environ.get(TEMPLATE_ENV) or f"{name}_tpl"
        outcome = clone_database_from_template(url, template)
        if outcome:
            console.detail(f"{outcome} ({TEMPLATE_ENV})")

    # --- the shop -------------------------------------------------------------------

    def populate(self, console: Any, output: Path) -> None:
        from saleor.product.models import Product

        count = Product.objects.count()
        if count:
            console.detail(
                f"already loaded ({count} products): skipped ({console.elapsed()})"
            )
        else:
            console.detail("loading Saleor's demo catalogue (first run only)")
            log = output / "populatedb.log"
            # a child process: populatedb replaces settings.PLUGINS for its process
            with log.open("w", encoding="utf-8") as out:
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "django",
                        "populatedb",
                        "--createsuperuser",
                        "--withoutimages",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if done.returncode != 0:
                raise DemoSetupError(f"populatedb failed: see {log}")
            console.detail(
                f"loaded {Product.objects.count()} products, customers, orders in "
                f"{console.elapsed()} (log: {log})"
            )
        self._shop_settings()

    @staticmethod
    def _shop_settings() -> None:
        """What the 2.10 demo sets by environment: accounts active at once."""
        from saleor.site.models import SiteSettings

        SiteSettings.objects.update(enable_account_confirmation_by_email=False)

    def staff_client(self) -> GraphQLClient:
        from saleor.account.models import User
        from saleor.core.jwt import create_access_token

        user = (
            User.objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if user is None:
            user = User.objects.create_superuser("admin@example.com", "admin")
        # Saleor 3's access tokens live 5 minutes: a fresh one per request, at the
        # demo's simulated time
        return GraphQLClient(token_factory=functools.partial(create_access_token, user))

    def configure_plugin(
        self, staff: GraphQLClient, plugin_id: str, active: bool, values: Dict[str, str]
    ) -> Dict[str, Any]:
        """Global configuration when the plugin has one; otherwise the demo
        channel's (``CONFIGURATION_PER_CHANNEL``)."""
        import graphene
        from saleor.channel.models import Channel

        before = staff.execute(READ_PLUGIN, {"id": plugin_id})["plugin"]
        if before is None:
            raise DemoSetupError(
                f"Saleor 3.21 does not list the plugin {plugin_id!r}: is it in "
                "PLUGINS or registered by the saleor.plugins entry point?"
            )
        channel_id = None
        if before["globalConfiguration"] is None:
            channel = Channel.objects.get(slug=_channel())
            channel_id = graphene.Node.to_global_id("Channel", channel.pk)
        staff.mutate(
            "pluginUpdate",
            UPDATE_PLUGIN,
            {
                "id": plugin_id,
                "channelId": channel_id,
                "input": {
                    "active": active,
                    "configuration": [
                        {"name": name, "value": value} for name, value in values.items()
                    ],
                },
            },
        )
        plugin = staff.execute(READ_PLUGIN, {"id": plugin_id})["plugin"]
        stored = plugin["globalConfiguration"] or next(
            item
            for item in plugin["channelConfigurations"]
            if item["channel"]["slug"] == _channel()
        )
        return {
            "active": stored["active"],
            **{item["name"]: item["value"] for item in stored["configuration"]},
        }

    def pick_catalogue(self, count: int) -> List[CatalogueItem]:
        import graphene
        from django.utils import timezone
        from saleor.product.models import ProductVariant
        from saleor.warehouse.models import Stock

        now = timezone.now()
        variants = (
            ProductVariant.objects.filter(
                track_inventory=True,
                # populatedb makes some variants preorders (a global threshold of
                # 10, soon used up): Saleor then checks that threshold, not the stock
                # the demo sets ("Could not add items S. Only 0 remaining")
                is_preorder=False,
                product__product_type__kind="normal",
                product__product_type__is_shipping_required=True,
                product__channel_listings__channel__slug=_channel(),
                product__channel_listings__is_published=True,
                product__channel_listings__visible_in_listings=True,
                product__channel_listings__available_for_purchase_at__lte=now,
                channel_listings__channel__slug=_channel(),
                channel_listings__price_amount__isnull=False,
                stocks__isnull=False,
            )
            .distinct()
            .order_by("product_id", "pk")
            .select_related("product")
        )
        items: List[CatalogueItem] = []
        seen_products = set()
        for variant in variants:
            if variant.product_id in seen_products:
                continue  # the first variant of each product: the demo resets its stock
            seen_products.add(variant.product_id)
            # the warehouse of the demo channel shipping to the customers' country
            first = (
                Stock.objects.for_channel_and_country(_channel(), ADDRESS["country"])
                .filter(product_variant=variant)
                .values_list("warehouse_id", flat=True)
                .first()
            )
            if first is None:
                continue
            warehouses = [first] + [
                warehouse_id
                for warehouse_id in variant.stocks.values_list(
                    "warehouse_id", flat=True
                ).order_by("warehouse_id")
                if warehouse_id != first
            ]
            items.append(
                CatalogueItem(
                    name=variant.product.name,
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
        """The warehouses holding the demo's stock serve France too (one stock for
        every shopper: the best seller sells out for all at once)."""
        import graphene
        from saleor.shipping.models import ShippingZone
        from saleor.warehouse.models import Warehouse

        serving_france = [
            zone
            for zone in ShippingZone.objects.filter(channels__slug=_channel())
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

    # --- customers ------------------------------------------------------------------

    def browse(self, visitor: GraphQLClient) -> None:
        visitor.execute(BROWSE, {"first": 8, "channel": _channel()})

    def register(self, visitor: GraphQLClient, email: str, password: str) -> None:
        visitor.mutate(
            "accountRegister",
            REGISTER,
            {
                "input": {
                    "email": email,
                    "password": password,
                    "channel": _channel(),
                    "languageCode": _language_enum(visitor.language or "en"),
                }
            },
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
                    "channel": _channel(),
                    "email": email,
                    "lines": lines,
                    "shippingAddress": address,
                    "billingAddress": address,
                    # Saleor 3's checkout records the storefront's language
                    "languageCode": _language_enum(language),
                }
            },
        )["checkout"]
        return StartedCheckout(created["id"], created["shippingMethods"][0]["id"])

    def complete_checkout(
        self,
        visitor: GraphQLClient,
        checkout: StartedCheckout,
        promo_code: str = "",
    ) -> str:
        import graphene

        total = visitor.mutate(
            "checkoutDeliveryMethodUpdate",
            DELIVERY,
            {"id": checkout.id, "methodId": checkout.shipping_method_id},
        )["checkout"]["totalPrice"]["gross"]["amount"]
        if promo_code:
            total = visitor.mutate(
                "checkoutAddPromoCode", PROMO, {"id": checkout.id, "code": promo_code}
            )["checkout"]["totalPrice"]["gross"]["amount"]
        visitor.mutate(
            "checkoutPaymentCreate",
            PAY,
            {
                "id": checkout.id,
                "input": {
                    "gateway": "mirumee.payments.dummy",
                    "token": "charged",
                    "amount": total,
                },
            },
        )
        order = visitor.mutate("checkoutComplete", COMPLETE, {"id": checkout.id})[
            "order"
        ]
        return str(graphene.Node.from_global_id(order["id"])[1])

    # --- the staff ------------------------------------------------------------------

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
        """An order of the demo channel as ``checkoutComplete`` leaves one once
        shipped (Saleor's ``number`` from its sequence, ``created_at`` backdated),
        prices from the variants' channel listings; no address, payment or
        fulfillment rows (nothing the lifecycle programs read)."""
        from prices import Money, TaxedMoney
        from saleor.channel.models import Channel
        from saleor.order.models import Order, OrderLine
        from saleor.product.models import ProductVariantChannelListing

        channel = Channel.objects.get(slug=_channel())
        currency = channel.currency_code
        zero = Money(Decimal("0"), currency)
        order = Order.objects.create(
            user_email=email,
            status="fulfilled",
            channel=channel,
            currency=currency,
            origin="checkout",
            created_at=created,
            shipping_price=TaxedMoney(zero, zero),
            base_shipping_price=zero,
            undiscounted_base_shipping_price=zero,
            should_refresh_prices=False,
            language_code="en",
        )
        total = zero
        for global_id, quantity in lines:
            variant = _variant(global_id)
            price = ProductVariantChannelListing.objects.get(
                variant=variant, channel=channel
            ).price_amount
            unit = Money(price, currency)
            taxed = TaxedMoney(unit, unit)
            OrderLine.objects.create(
                order=order,
                variant=variant,
                product_name=variant.product.name,
                variant_name=variant.name,
                product_sku=variant.sku,
                product_variant_id=variant.get_global_id(),
                is_shipping_required=True,
                is_gift_card=False,
                quantity=quantity,
                quantity_fulfilled=quantity,
                currency=currency,
                unit_price=taxed,
                total_price=taxed * quantity,
                undiscounted_unit_price=taxed,
                undiscounted_total_price=taxed * quantity,
                base_unit_price=unit,
                undiscounted_base_unit_price=unit,
                tax_rate=Decimal("0"),
            )
            total += unit * quantity
        order.total = TaxedMoney(total, total)
        order.undiscounted_total = TaxedMoney(total, total)
        order.subtotal = TaxedMoney(total, total)
        order.lines_count = len(lines)
        order.save(
            update_fields=[
                "total_net_amount",
                "total_gross_amount",
                "undiscounted_total_net_amount",
                "undiscounted_total_gross_amount",
                "subtotal_net_amount",
                "subtotal_gross_amount",
                "lines_count",
            ]
        )

    def add_editions(
        self,
        beside: CatalogueItem,
        editions: Sequence[Tuple[str, str]],
        metadata_key: str,
    ) -> List[CatalogueItem]:
        """Listed in the demo channel (3.21 keeps publication, availability and
        prices per channel): the oldest published, the others listed unpublished."""
        import graphene
        from django.utils import timezone
        from saleor.channel.models import Channel
        from saleor.product.models import (
            Product,
            ProductChannelListing,
            ProductType,
            ProductVariant,
            ProductVariantChannelListing,
        )
        from saleor.warehouse.models import Stock

        channel = Channel.objects.get(slug=_channel())
        staple = _variant(beside.variant)
        warehouse_id = graphene.Node.from_global_id(beside.warehouses[0])[1]
        product_type, _ = ProductType.objects.get_or_create(
            slug="ecrm-demo-guides",
            defaults={
                "name": "Guides",
                "kind": "normal",
                "has_variants": False,
                "is_shipping_required": True,
            },
        )
        price = Decimal("25.00")
        now = timezone.now()
        items: List[CatalogueItem] = []
        previous = ""
        for number, (slug, name) in enumerate(editions):
            product, _ = Product.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "product_type": product_type,
                    "category": staple.product.category,
                },
            )
            if previous:
                product.store_value_in_metadata({metadata_key: previous})
                product.save(update_fields=["metadata"])
            previous = slug
            ProductChannelListing.objects.update_or_create(
                product=product,
                channel=channel,
                defaults={
                    "currency": channel.currency_code,
                    "is_published": number == 0,
                    "published_at": now if number == 0 else None,
                    "visible_in_listings": True,
                    "available_for_purchase_at": now,
                    "discounted_price_amount": price,
                },
            )
            variant, _ = ProductVariant.objects.get_or_create(
                product=product, defaults={"sku": slug, "track_inventory": True}
            )
            ProductVariantChannelListing.objects.update_or_create(
                variant=variant,
                channel=channel,
                defaults={
                    "currency": channel.currency_code,
                    "price_amount": price,
                    "discounted_price_amount": price,
                },
            )
            if product.default_variant_id != variant.pk:
                product.default_variant = variant
                product.save(update_fields=["default_variant"])
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
        from django.utils import timezone
        from saleor.product.models import ProductChannelListing

        ProductChannelListing.objects.filter(
            product_id=_variant(item.variant).product_id, channel__slug=_channel()
        ).update(is_published=True, published_at=timezone.now())

    def two_other_categories(self, exclude: CatalogueItem) -> Optional[Tuple[str, str]]:
        import graphene
        from saleor.product.models import ProductVariant

        variants = (
            ProductVariant.objects.filter(
                product__category__isnull=False,
                product__channel_listings__channel__slug=_channel(),
                product__channel_listings__is_published=True,
                channel_listings__channel__slug=_channel(),
                channel_listings__price_amount__isnull=False,
            )
            .exclude(product__category_id=_variant(exclude.variant).product.category_id)
            .select_related("product")
            .distinct()
            .order_by("product__category_id", "pk")
        )
        first: Optional[Any] = None
        for variant in variants:
            if first is None:
                first = variant
            elif variant.product.category_id != first.product.category_id:
                return (
                    graphene.Node.to_global_id("ProductVariant", first.pk),
                    graphene.Node.to_global_id("ProductVariant", variant.pk),
                )
        return None

    def forget_previous_run(self, email_domain: str) -> Dict[str, int]:
        from django.db.models import Q
        from saleor.account.models import User
        from saleor.checkout.models import Checkout
        from saleor.discount.models import Voucher
        from saleor.order.models import Order
        from saleor.payment.models import Payment, Transaction, TransactionItem

        suffix = "@" + email_domain
        orders = Order.objects.filter(user_email__endswith=suffix)
        # Saleor protects payments, their transactions and transaction items from
        # cascading deletes of their order
        payments = Payment.objects.filter(
            Q(order__in=orders) | Q(billing_email__endswith=suffix)
        )
        Transaction.objects.filter(payment__in=payments).delete()
        payments.delete()
        TransactionItem.objects.filter(order__in=orders).delete()
        _release_allocations(orders)
        removed = {
            "orders": ("order.Order", orders),
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


def _release_allocations(orders: Any) -> None:
    """Give back the stock the orders hold: Saleor 3 keeps each stock's
    ``quantity_allocated`` beside its Allocation rows, and deleting an order
    deletes the rows only (a next run would find its stock "allocated")."""
    from django.db.models import F, Sum
    from saleor.warehouse.models import Allocation, Stock

    held = (
        Allocation.objects.filter(order_line__order__in=orders)
        .values("stock_id")
        .annotate(total=Sum("quantity_allocated"))
        .order_by()
    )
    for row in held:
        Stock.objects.filter(pk=row["stock_id"]).update(
            quantity_allocated=F("quantity_allocated") - row["total"]
        )


def _variant(global_id: str) -> Any:
    """The variant (with its product) of a GraphQL id."""
    import graphene
    from saleor.product.models import ProductVariant

    return ProductVariant.objects.select_related("product").get(
        pk=graphene.Node.from_global_id(global_id)[1]
    )


def _language_enum(language: str) -> str:
    """``fr`` -> ``FR``, ``pt-br`` -> ``PT_BR``: Saleor 3's LanguageCodeEnum."""
    return language.replace("-", "_").upper()
