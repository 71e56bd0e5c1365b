"""The simulated fortnight: a shop's customers, through Saleor's real GraphQL API.

The demo process's clock is moved (freezegun, which Saleor 2.10 itself depends on)
from 14 days ago to now, one simulated hour at a time. Every hour, the customers
scheduled for it act through ``/graphql/`` and the plugin's pages; then what beat
would run runs (the checkout scan, back-in-stock detection, the dispatcher); then
customers react to the emails that reached the SMTP sink in that hour: they return
to their cart (with the voucher of the last reminder), click a star in a review
request, confirm a newsletter subscription, buy an item back in stock, or use the
one-click unsubscribe of the email's ``List-Unsubscribe`` header.

Who does what is drawn from a seeded random generator: every run tells the same
story. Demo customers use the ``@demo.example`` domain; a re-run removes them, their
orders and checkouts, and empties the plugin's tables before it starts.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Set, Tuple
from urllib.parse import urlsplit

from .history import ShopHistory
from .shop_api import ApiError, GraphQLClient, staff_client
from .smtp_sink import ReceivedEmail, SmtpSink

DOMAIN = "demo.example"
DAYS = 14
SEED = 2026
FIRST_HOUR, LAST_HOUR = 8, 21  # the shop's busy hours; ticks also run at night

FIRST_NAMES = (
    "Ada Grace Alan Edsger Barbara Donald Margaret Ken Frances Dennis Radia Tim Sophie "
    "Linus Hedy Claude John Katherine Niklaus Guido Anita Bjarne Lynn Vint Shafi "
    "Leslie Mary Fran Jean Robin"
).split()
LAST_NAMES = (
    "Lovelace Hopper Turing Dijkstra Liskov Knuth Hamilton Thompson Allen Ritchie "
    "Perlman Berners-Lee Wilson Torvalds Lamarr Shannon Backus Johnson Wirth Rossum "
    "Borg Stroustrup Conway Cerf Goldwasser Lamport Kenneth Bilas Sammet Milner"
).split()

#: every third shopper speaks French and lives in Paris
FRENCH_FIRST_NAMES = (
    "Amélie Camille Chloé Élodie Hugo Jules Léa Louis Manon Mathis Nathalie Océane "
    "Pierre Sophie Théo Zoé"
).split()
PARIS_ADDRESS = {
    "firstName": "",
    "lastName": "",
    "streetAddress1": "15 rue Lepic",
    "city": "Paris",
    "postalCode": "75018",
    "country": "FR",
}
UPDATE_METADATA = """
mutation Meta($id: ID!, $input: [MetadataInput!]!) {
  updateMetadata(id: $id, input: $input) { metadataErrors { field code message } }
}
"""

ADDRESS = {
    "firstName": "",
    "lastName": "",
    "streetAddress1": "1 Market Street",
    "city": "San Francisco",
    "postalCode": "94105",
    "country": "US",
    "countryArea": "CA",
}

CHECKOUT_CREATE = """
mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkoutErrors { field code message }
    checkout { id availableShippingMethods { id } }
  }
}"""
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
NEWSLETTER = """
mutation Newsletter($email: String!) {
  newsletterSubscribe(email: $email) { ecrmErrors { field code message } }
}"""
STOCKS = """
mutation Stocks($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    bulkStockErrors { field code message }
  }
}"""
BACK_IN_STOCK = """
mutation Subscribe($variantId: ID!, $email: String) {
  backInStockSubscribe(variantId: $variantId, email: $email) {
    ecrmErrors { field code message }
  }
}"""
FULFIL = """
mutation Fulfil($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { orderErrors { field code message } }
}"""
PENDING_REVIEWS = """
query Pending { reviews(status: PENDING, first: 100) { id rating comment } }
"""
MODERATE = """
mutation Moderate($id: ID!, $status: ProductReviewStatus!) {
  reviewModerate(id: $id, status: $status) { ecrmErrors { field code message } }
}"""

COMMENTS = (
    "Exactly as described, fast delivery.",
    "Good value for the price.",
    "My second one, still happy with it.",
    "",
    "Nice, though the colour is a bit darker than on the photo.",
)


@dataclass
class Shopper:
    """One demo customer and what they will do."""

    number: int
    first_name: str
    last_name: str
    #: buys | abandons | returns_1 | returns_2 | returns_3 | unsubscribes
    plan: str
    registers: bool = False
    newsletter: bool = False
    reviews: bool = False
    #: the language of the shopper's browser (and storefront)
    language: str = "en"
    email: str = ""
    checkout_id: Optional[str] = None
    shipping_method_id: str = ""
    orders: List[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.email:
            name = f"{self.first_name}.{self.last_name}{self.number}"
            # an ASCII address for "Zoé" too
            ascii_name = (
                unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            )
            self.email = f"{ascii_name}@{DOMAIN}".lower()


@dataclass
class StoryStats:
    shoppers: int = 0
    accounts: int = 0
    checkouts: int = 0
    orders: int = 0
    recovered_orders: int = 0
    vouchers_used: int = 0
    fulfilled: int = 0
    reviews: int = 0
    reviews_approved: int = 0
    newsletter_confirmed: int = 0
    unsubscribed: int = 0
    alerts_subscribed: int = 0
    alert_orders: int = 0
    alert_too_late: int = 0
    restocks: int = 0


class Story:
    """Drives the fortnight. ``on_day`` is called after each simulated day."""

    def __init__(
        self,
        sink: SmtpSink,
        clock: SimulatedClock,
        on_day: Callable[[int, datetime, Dict[str, int]], None],
    ) -> None:
        self.sink = sink
        self.clock = clock
        self.on_day = on_day
        self.rng = random.Random(SEED)
        self.staff = staff_client()
        self.visitor = GraphQLClient()
        self.visitors = {"en": self.visitor, "fr": GraphQLClient(language="fr")}
        self.stats = StoryStats()
        self.shoppers: Dict[str, Shopper] = {}
        self.agenda: Dict[Tuple[int, int], List[Callable[[], None]]] = defaultdict(list)
        self.seen_messages = 0
        self.reacted: Set[str] = set()
        self.open_orders: List[Tuple[int, datetime]] = []
        self.catalogue: List[Dict[str, Any]] = []
        self.hot: Dict[str, Any] = {}
        self.alert_subscribers: Set[str] = set()
        self.sent_by_day: Counter = Counter()

    # --- set-up -----------------------------------------------------------------

    def pick_catalogue(self) -> None:
        """12 published products of Saleor's demo catalogue (their first variant)."""
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
            warehouses = [
                graphene.Node.to_global_id("Warehouse", pk) for pk in warehouses
            ]
            self.catalogue.append(
                {
                    "name": product.name,
                    "variant": graphene.Node.to_global_id("ProductVariant", variant.pk),
                    "warehouses": warehouses,
                }
            )
            if len(self.catalogue) == 12:
                break
        if len(self.catalogue) < 4:
            raise RuntimeError("the demo catalogue has too few products in stock")
        self.ship_to_paris_too()
        self.hot = self.catalogue[0]
        for item in self.catalogue:  # plenty of everything
            self.set_stock(item, 200)

    def ship_to_paris_too(self) -> None:
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
            graphene.Node.from_global_id(item["warehouses"][0])[1]
            for item in self.catalogue
        }
        for warehouse in Warehouse.objects.filter(pk__in=first_warehouses):
            warehouse.shipping_zones.add(*serving_france)

    def set_stock(self, item: Dict[str, Any], quantity: int) -> None:
        self.staff.mutate(
            "productVariantStocksUpdate",
            STOCKS,
            {
                "variantId": item["variant"],
                # all of it in the first warehouse, none elsewhere
                "stocks": [
                    {"warehouse": warehouse, "quantity": quantity if n == 0 else 0}
                    for n, warehouse in enumerate(item["warehouses"])
                ],
            },
        )

    def plan_the_fortnight(self) -> None:
        plans = (
            ["buys"] * 30
            + ["abandons"] * 18
            + ["returns_1"] * 10
            + ["returns_2"] * 6
            + ["returns_3"] * 7
            + ["unsubscribes"] * 4
        )
        number = 0
        for day in range(DAYS):
            for _ in range(self.rng.randint(4, 7)):
                number += 1
                first_name = self.rng.choice(FIRST_NAMES)
                french = number % 3 == 0
                if french:  # drawn apart: the seeded story is otherwise the same
                    first_name = FRENCH_FIRST_NAMES[number % len(FRENCH_FIRST_NAMES)]
                shopper = Shopper(
                    number=number,
                    first_name=first_name,
                    language="fr" if french else "en",
                    last_name=self.rng.choice(LAST_NAMES).replace("-", ""),
                    plan=self.rng.choice(plans),
                    registers=self.rng.random() < 0.3,
                    newsletter=self.rng.random() < 0.2,
                    reviews=self.rng.random() < 0.6,
                )
                hour = self.rng.randint(FIRST_HOUR + 1, LAST_HOUR - 1)
                self.agenda[(day, hour)].append(functools.partial(self.shop, shopper))
            # the best seller sells out on day 2 and comes back on days 9 and 11;
            # meanwhile visitors ask to be told
            if 1 <= day <= 7:
                for _ in range(2):
                    hour = self.rng.randint(FIRST_HOUR + 2, LAST_HOUR - 1)
                    self.agenda[(day, hour)].append(self.ask_for_alert)
            self.agenda[(day, FIRST_HOUR)].append(self.fulfil_yesterdays_orders)
            self.agenda[(day, LAST_HOUR)].append(self.moderate_reviews)
        self.agenda[(1, FIRST_HOUR + 1)].insert(0, lambda: self.restock(0))
        self.agenda[(8, 11)].append(lambda: self.restock(3))
        self.agenda[(10, 10)].append(lambda: self.restock(10))

    # --- the clock ----------------------------------------------------------------

    def run(self, start: datetime) -> StoryStats:
        from ..dispatcher import Dispatcher, load_context
        from ..programs.abandoned_checkout.program import scan_checkouts
        from ..programs.back_in_stock.service import run_detection

        self.pick_catalogue()
        self.plan_the_fortnight()
        self.history = ShopHistory(self, DOMAIN, Shopper)
        self.history.plant(start)
        for day in range(DAYS):
            day_start = start + timedelta(days=day)
            sent_before = len(self.sink.messages)
            for hour in range(24):
                self.clock.move_to(day_start + timedelta(hours=hour))
                for action in self.agenda.get((day, hour), []):
                    action()
                    self.clock.advance(timedelta(minutes=2))
                # what beat runs every few minutes, once an hour here
                scan_checkouts(load_context().settings)
                run_detection()
                self.history.tick()
                Dispatcher().run()
                self.react_to_new_emails()
            self.on_day(day, day_start, self.day_summary(sent_before))
        return self.stats

    def day_summary(self, sent_before: int) -> Dict[str, int]:
        today = Counter(
            (message.program or "saleor").split("/")[0]
            for message in self.sink.messages[sent_before:]
        )
        return dict(today)

    # --- customers ----------------------------------------------------------------

    def shop(self, shopper: Shopper) -> None:
        self.stats.shoppers += 1
        self.shoppers[shopper.email] = shopper
        visitor = self.visitors[shopper.language]
        visitor.execute(BROWSE, {"first": 8})
        if shopper.registers:
            visitor.mutate(
                "accountRegister",
                REGISTER,
                {"email": shopper.email, "password": "demo-password-1"},
            )
            self.stats.accounts += 1
        if shopper.newsletter:
            visitor.mutate("newsletterSubscribe", NEWSLETTER, {"email": shopper.email})
        items = self.rng.sample(self.catalogue[1:], self.rng.randint(1, 3))
        self.start_checkout(shopper, items)
        if shopper.plan == "buys":
            self.clock.advance(timedelta(minutes=6))
            self.complete_checkout(shopper)

    def start_checkout(
        self, shopper: Shopper, items: List[Dict[str, Any]], quantity: int = 0
    ) -> None:
        visitor = self.visitors[shopper.language]
        address = dict(
            PARIS_ADDRESS if shopper.language == "fr" else ADDRESS,
            firstName=shopper.first_name,
            lastName=shopper.last_name,
        )
        created = visitor.mutate(
            "checkoutCreate",
            CHECKOUT_CREATE,
            {
                "input": {
                    "email": shopper.email,
                    "lines": [
                        {
                            "variantId": item["variant"],
                            "quantity": quantity or self.rng.randint(1, 2),
                        }
                        for item in items
                    ],
                    "shippingAddress": address,
                    "billingAddress": address,
                }
            },
        )["checkout"]
        shopper.checkout_id = created["id"]
        shopper.shipping_method_id = created["availableShippingMethods"][0]["id"]
        if shopper.language != "en":
            # what a storefront does: the checkout's language, in its metadata
            visitor.mutate(
                "updateMetadata",
                UPDATE_METADATA,
                {
                    "id": created["id"],
                    "input": [{"key": "language_code", "value": shopper.language}],
                },
            )
        self.stats.checkouts += 1

    def complete_checkout(self, shopper: Shopper, promo_code: str = "") -> int:
        checkout_id = shopper.checkout_id
        # the order records the language its browser asked for (Accept-Language)
        visitor = self.visitors[shopper.language]
        total = visitor.mutate(
            "checkoutShippingMethodUpdate",
            SHIPPING,
            {"checkoutId": checkout_id, "methodId": shopper.shipping_method_id},
        )["checkout"]["totalPrice"]["gross"]["amount"]
        if promo_code:
            total = visitor.mutate(
                "checkoutAddPromoCode",
                PROMO,
                {"checkoutId": checkout_id, "code": promo_code},
            )["checkout"]["totalPrice"]["gross"]["amount"]
            self.stats.vouchers_used += 1
        visitor.mutate(
            "checkoutPaymentCreate",
            PAY,
            {
                "checkoutId": checkout_id,
                "input": {
                    "gateway": "mirumee.payments.dummy",
                    "token": "charged",
                    "amount": total,
                },
            },
        )
        order = visitor.mutate(
            "checkoutComplete", COMPLETE, {"checkoutId": checkout_id}
        )["order"]
        import graphene

        order_id = int(graphene.Node.from_global_id(order["id"])[1])
        shopper.orders.append(order_id)
        shopper.checkout_id = None
        self.open_orders.append((order_id, self.clock.now))
        self.stats.orders += 1
        return order_id

    def ask_for_alert(self) -> None:
        email = f"watcher{len(self.alert_subscribers) + 1}@{DOMAIN}"
        if len(self.alert_subscribers) % 3 == 2:
            # a French shopper who ordered before wants it too
            email = next(
                (
                    shopper.email
                    for shopper in self.shoppers.values()
                    if shopper.language == "fr"
                    and shopper.orders
                    and shopper.email not in self.alert_subscribers
                ),
                email,
            )
        self.visitor.mutate(
            "backInStockSubscribe",
            BACK_IN_STOCK,
            {"variantId": self.hot["variant"], "email": email},
        )
        self.alert_subscribers.add(email)
        self.stats.alerts_subscribed += 1

    def restock(self, quantity: int) -> None:
        self.set_stock(self.hot, quantity)
        if quantity:
            self.stats.restocks += 1

    # --- the staff ----------------------------------------------------------------

    def fulfil_yesterdays_orders(self) -> None:
        import graphene
        from saleor.order.models import OrderLine

        due = [
            order
            for order, placed in self.open_orders
            if placed < self.clock.now - timedelta(hours=12)
        ]
        self.open_orders = [item for item in self.open_orders if item[0] not in due]
        for order_id in due:
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
            if lines:
                self.staff.mutate(
                    "orderFulfill",
                    FULFIL,
                    {
                        "order": graphene.Node.to_global_id("Order", order_id),
                        "input": {"lines": lines, "notifyCustomer": True},
                    },
                )
                self.stats.fulfilled += 1

    def moderate_reviews(self) -> None:
        for review in self.staff.execute(PENDING_REVIEWS)["reviews"]:
            # the merchant publishes everything but the one-star rants
            status = "APPROVED" if review["rating"] > 1 else "REJECTED"
            self.staff.mutate(
                "reviewModerate", MODERATE, {"id": review["id"], "status": status}
            )
            self.stats.reviews_approved += status == "APPROVED"

    # --- customers reading their email --------------------------------------------

    def react_to_new_emails(self) -> None:
        messages = self.sink.messages[self.seen_messages :]
        self.seen_messages += len(messages)
        for message in messages:
            program, _, step = (message.program or "").partition("/")
            [recipient] = message.rcpt_tos or [""]
            shopper = self.shoppers.get(recipient)
            if self.history.react(program, recipient, message):
                continue
            if program == "abandoned_checkout" and shopper is not None:
                self.clock.advance(timedelta(minutes=3))
                self.after_reminder(shopper, step, message)
            elif program == "newsletter_confirmation":
                self.follow_form(self.link(message, "/ecrm/newsletter/confirm/"))
                self.stats.newsletter_confirmed += 1
            elif program == "review_request" and shopper is not None:
                if shopper.reviews and recipient not in self.reacted:
                    self.reacted.add(recipient)
                    self.review(message)
            elif program == "back_in_stock" and self.rng.random() < 0.6:
                # half the people alerted come and buy it
                known = self.shoppers.get(recipient)
                buyer = Shopper(
                    0,
                    "Alex",
                    "Watcher",
                    "buys",
                    language=known.language if known else "en",
                    email=recipient,
                )
                try:
                    self.start_checkout(buyer, [self.hot], quantity=1)
                except ApiError:  # the wave outnumbers the units: sold out again
                    self.stats.alert_too_late += 1
                    continue
                self.complete_checkout(buyer)
                self.stats.alert_orders += 1

    def after_reminder(
        self, shopper: Shopper, step: str, message: ReceivedEmail
    ) -> None:
        if shopper.checkout_id is None:
            return
        wanted = {"returns_1": "step1", "returns_2": "step2", "returns_3": "step3"}
        if wanted.get(shopper.plan) == step:
            code = ""
            if step == "step3":
                match = re.search(
                    r"(?:Use the code|Utilisez le code) (\w+)", message.text
                )
                code = match.group(1) if match else ""
            self.complete_checkout(shopper, promo_code=code)
            self.stats.recovered_orders += 1
        elif shopper.plan == "unsubscribes" and step == "step1":
            self.one_click_unsubscribe(message)

    def review(self, message: ReceivedEmail) -> None:
        rating = self.rng.choice((5, 5, 4, 4, 3, 1))
        url = self.link(message, f"rating={rating}")
        page = self.get(url)
        action = re.search(r'<form method="post" action="([^"]+)"', page)
        if action is None:
            return
        self.post(
            action.group(1),
            {"rating": str(rating), "comment": self.rng.choice(COMMENTS)},
        )
        self.stats.reviews += 1

    def one_click_unsubscribe(self, message: ReceivedEmail) -> None:
        header = message.headers.get("List-Unsubscribe", "")
        match = re.search(r"<(https?://[^>]+)>", header)
        if match:
            self.post(match.group(1), {"List-Unsubscribe": "One-Click"})
            self.stats.unsubscribed += 1

    # --- a browser, in process ------------------------------------------------------

    @staticmethod
    def link(message: ReceivedEmail, containing: str) -> str:
        for url in re.findall(r'href="([^"]+)"', message.html):
            url = url.replace("&amp;", "&")
            if containing in url:
                return url
        raise RuntimeError(f"no link with {containing!r} in {message.subject!r}")

    def get(self, url: str) -> str:
        parts = urlsplit(url)
        response = self.visitor._client.get(
            parts.path + ("?" + parts.query if parts.query else "")
        )
        return response.content.decode("utf-8", "replace")

    def post(self, url: str, data: Dict[str, str]) -> None:
        parts = urlsplit(url)
        self.visitor._client.post(parts.path, data)

    def follow_form(self, url: str) -> None:
        page = self.get(url)
        action = re.search(r'<form method="post" action="([^"]*)"', page)
        self.post(action.group(1) if action and action.group(1) else url, {})


class SimulatedClock:
    """The demo process's clock, frozen and moved by hand (freezegun)."""

    def __init__(self, start: datetime) -> None:
        from freezegun import freeze_time

        self.now = start
        self._freezer = freeze_time(start, ignore=["aiosmtpd", "asyncio"])
        self._factory: Any = None

    def __enter__(self) -> SimulatedClock:
        self._factory = self._freezer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._freezer.stop()

    def move_to(self, moment: datetime) -> None:
        self.now = max(moment, self.now)
        self._factory.move_to(self.now)

    def advance(self, delta: timedelta) -> None:
        self.move_to(self.now + delta)


def forget_previous_run() -> Dict[str, int]:
    """Remove what an earlier run left: demo customers, their orders and checkouts,
    the plugin's rows (ledger, reviews, subscriptions, preferences) and the vouchers
    it made."""
    from django.db import connection
    from saleor.account.models import User
    from saleor.checkout.models import Checkout
    from saleor.discount.models import Voucher
    from saleor.order.models import Order
    from saleor.payment.models import Payment, Transaction

    suffix = "@" + DOMAIN
    # Saleor protects payments and their transactions from cascading deletes
    payments = Payment.objects.filter(billing_email__endswith=suffix)
    Transaction.objects.filter(payment__in=payments).delete()
    payments.delete()
    removed = {
        "orders": Order.objects.filter(user_email__endswith=suffix).delete()[1],
        "checkouts": Checkout.objects.filter(email__endswith=suffix).delete()[1],
        "accounts": User.objects.filter(email__endswith=suffix).delete()[1],
        "vouchers": Voucher.objects.filter(name__startswith="e-CRM ").delete()[1],
    }
    labels = {
        "orders": "order.Order",
        "checkouts": "checkout.Checkout",
        "accounts": "account.User",
        "vouchers": "discount.Voucher",
    }
    tables = [
        model._meta.db_table
        for model in _plugin_models()
        if not model._meta.db_table.startswith(
            (
                "saleor_ecrm_productpair",
                "saleor_ecrm_productpopularity",
                "saleor_ecrm_copurchase",
            )
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
    return {what: counts.get(labels[what], 0) for what, counts in removed.items()}


def _plugin_models() -> List[Any]:
    from django.apps import apps

    return list(apps.get_app_config("saleor_ecrm").get_models())
