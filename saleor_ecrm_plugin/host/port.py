"""The host port: every question the plugin's core asks the shop it runs in.

Programs, the ledger, the dispatcher, preferences, rendering and recommendations
import this module (``from ..host import port as host``) and never a Saleor module.
What they get back are the frozen value objects below, never a model instance or a
piece of SQL. Ids of orders, order lines, customers and checkouts are strings (Saleor
3 uses UUIDs for some of them); the adapter converts them at its boundary. Ids of
products, variants and categories stay integers: they are integers in every Saleor,
and the plugin's own tables (recommendations, back-in-stock) store them as such.

:class:`Host` is the contract an adapter fills in; :func:`current` picks the adapter
for the installed Saleor once per process (``host/saleor210/`` for Saleor 2.x). The
module-level functions of the same names forward to it, so a caller writes
``host.checkout_state(token)`` whatever the host.

This module imports no Saleor module and nothing of Django that needs settings.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import metadata
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from prices import Money

from ..errors import EcrmError

#: (active, configuration items) as the dashboard saved them; None: never saved
PluginConfiguration = Tuple[bool, Optional[List[dict]]]
#: ``(order sequence number, product id, category id)``: one product of one order
BasketRow = Tuple[int, int, Optional[int]]


class UnsupportedHost(EcrmError, RuntimeError):
    """The installed Saleor (or its absence) has no adapter in this plugin."""


# --- value objects ------------------------------------------------------------------


@dataclass(frozen=True)
class ShopInfo:
    name: str
    domain: str
    sender_name: str
    sender_email: str


@dataclass(frozen=True)
class Customer:
    id: str
    email: str
    first_name: str
    is_active: bool


@dataclass(frozen=True)
class CustomerLocale:
    """What the host records of a customer's language and whereabouts.

    ``language``: a language code the host recorded for this purchase (the
    checkout's or order's) or, failing that, for the customer (account or latest
    order); None when it recorded none. ``country``: ISO 3166-1 alpha-2 code of the
    purchase's (else the customer's latest) shipping or billing address;
    ``region``: that address's state or province as written, "" when none.
    """

    language: Optional[str] = None
    country: Optional[str] = None
    region: str = ""


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


@dataclass(frozen=True)
class IssuedVoucher:
    code: str
    percentage: int
    end_date: datetime  # aware


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


@dataclass(frozen=True)
class OrderForReview:
    """What review requests need to know about an order."""

    id: str
    email: str
    user_id: Optional[str]
    first_name: str
    last_name: str
    canceled: bool
    #: the order's last payment was refunded in full
    refunded: bool
    #: the number the customer knows the order by (Saleor 3's ``number``: its id
    #: is a UUID)
    number: str


@dataclass(frozen=True)
class ReviewableLine:
    """An order line that was shipped (in a fulfilment not cancelled) and whose
    product still exists. Names are those of the order, as the customer saw them."""

    id: str
    order_id: str
    product_id: int
    variant_id: int
    product_name: str
    variant_name: str
    product_slug: str
    image_url: Optional[str]


@dataclass(frozen=True)
class CheckoutState:
    """What the reminders need to know of a checkout, read in one go.

    ``fingerprint`` changes whenever a line is added, removed or changes quantity
    (Saleor 2.10 does not touch ``last_change`` for line edits, and a line delete
    does not even update ``Checkout.quantity``).
    """

    token: str
    email: str  # the checkout's own address, else its user's; "" when none
    user_id: Optional[str]
    last_change: datetime  # aware
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


@dataclass(frozen=True)
class OrderFacts:
    id: str
    checkout_token: str
    email: str
    total: Money
    created: datetime  # aware


@dataclass(frozen=True)
class ConfirmationLine:
    """An order line as the confirmation shows it: names as the customer saw them
    (translated when the host recorded a translation), prices gross."""

    product_name: str
    variant_name: str
    quantity: int
    unit_price: Money
    total: Money


@dataclass(frozen=True)
class OrderConfirmation:
    """What an order confirmation shows of an order. ``number`` is the number the
    customer sees; addresses are the lines of a postal address of their country;
    ``discount`` is None without one; ``tax`` is the tax included in ``total``."""

    id: str
    number: str
    email: str
    first_name: str
    status: str
    created: datetime  # aware
    lines: Tuple[ConfirmationLine, ...]
    subtotal: Money
    shipping_price: Money
    shipping_method_name: str
    shipping_required: bool
    discount: Optional[Money]
    discount_name: str
    tax: Money
    total: Money
    shipping_address: Tuple[str, ...]
    billing_address: Tuple[str, ...]
    customer_note: str = ""


@dataclass(frozen=True)
class ChannelSettings:
    """What the merchant set on the sales channel of a purchase (Saleor 3's
    Channel metadata, see ``host/saleor321/channels.py``), each already validated;
    an empty value means "the plugin's global setting applies"."""

    storefront_url: str = ""
    sender_name: str = ""
    sender_email: str = ""
    language: str = ""

    def __bool__(self) -> bool:
        return bool(
            self.storefront_url
            or self.sender_name
            or self.sender_email
            or self.language
        )


@dataclass(frozen=True)
class LearnedInterval:
    """A product's reorder interval learned from repeat purchases: the median days
    between two orders of it by the same customer, per unit bought the first time."""

    product_id: int
    days_per_unit: float
    repeats: int


@dataclass(frozen=True)
class DueReorder:
    """An order line whose product should run out soon (replenishment): the
    customer's latest order of that product, not re-ordered since."""

    line_id: str
    order_id: str
    email: str
    product_id: int
    variant_id: int
    quantity: int
    ordered_at: datetime  # aware
    interval_days: float


@dataclass(frozen=True)
class EditionChain:
    """A published product and every earlier edition it names (nearest first)."""

    product_id: int
    earlier_product_ids: Tuple[int, ...]


# --- the contract -------------------------------------------------------------------


class Host(ABC):
    """What an adapter for one Saleor line answers. Every method reads (or, for
    vouchers and locks, writes) inside the caller's database transaction."""

    #: the dotted package holding this adapter's glue modules (plugin, urls, schema)
    package: str

    #: Saleor itself sends the customer's order confirmation (2.10: its own task,
    #: rendered from the plugin's templates with the cross-sell block). Where it
    #: does not (3.21), the plugin sends it: programs/order_confirmation.
    sends_order_confirmation: bool = False

    # shop and configuration
    @abstractmethod
    def shop_info(self) -> ShopInfo:
        """The shop's name, domain and sender of emails."""

    @abstractmethod
    def stored_plugin_configuration(self, plugin_id: str) -> PluginConfiguration:
        """(active, configuration items) saved from the dashboard."""

    @abstractmethod
    def client_address(self, request: Any) -> Optional[str]:
        """The client's network address of an HTTP request: the connection's, or
        the hop ``ECRM_TRUSTED_PROXIES`` trusted proxies saw
        (:func:`saleor_ecrm_plugin.clients.client_address`), never an address the
        client wrote itself."""

    # customers
    @abstractmethod
    def customer_by_id(self, user_id: Any) -> Optional[Customer]:
        """The customer account with this id, or None."""

    @abstractmethod
    def is_existing_customer(self, email: str) -> bool:
        """The address has placed an order (an account alone is not enough)."""

    @abstractmethod
    def customer_locale(
        self,
        email: str,
        checkout_token: Optional[str] = None,
        order_id: Any = None,
    ) -> CustomerLocale:
        """The language and country recorded for a purchase (a checkout's token or
        an order's id, when the email is about one), else for the address's
        latest order or account."""

    @abstractmethod
    def address_lines(self, address: Any) -> List[str]:
        """A host address object (as found in the host's own email context) as the
        lines of a postal address of its country."""

    # orders
    @abstractmethod
    def order_variant_ids(self, order_id: Any) -> List[int]:
        """Distinct ids of the variants in an order (lines whose variant exists)."""

    @abstractmethod
    def order_product_ids(self, order_id: Any) -> List[int]:
        """Distinct ids of the products in an order (lines whose variant exists)."""

    @abstractmethod
    def counted_orders_high_water_mark(self) -> int:
        """The highest sequence number of an order recommendations may count."""

    @abstractmethod
    def basket_rows(
        self,
        after_order: int,
        up_to_order: Optional[int] = None,
        containing_products: Optional[Iterable[int]] = None,
    ) -> Iterator[BasketRow]:
        """Each distinct product of each counted order with ``after_order <
        sequence number <= up_to_order`` (and, if given, holding one of
        ``containing_products``), streamed (the caller may read millions)."""

    @abstractmethod
    def order_for_review(self, order_id: Any) -> Optional[OrderForReview]:
        """The order as review requests see it, or None (unknown id included)."""

    @abstractmethod
    def fulfilled_lines(
        self, order_id: Any, line_id: Any = None
    ) -> List[ReviewableLine]:
        """The reviewable lines of an order (or its one line ``line_id``), one per
        product, in the order's line order."""

    @abstractmethod
    def order_for_checkout(self, token: str) -> Optional[str]:
        """Id of the order made from this checkout, or None."""

    @abstractmethod
    def email_ordered_since(self, email: str, since: datetime) -> bool:
        """This address placed a (non-draft) order at or after ``since``."""

    @abstractmethod
    def order_facts(self, order_id: Any) -> Optional[OrderFacts]:
        """What conversions credit of an order, or None."""

    # catalogue
    @abstractmethod
    def product_categories(
        self, product_ids: Iterable[int]
    ) -> Dict[int, Optional[int]]:
        """Category id of each product, by product id."""

    @abstractmethod
    def category_ids_with_descendants(self, slugs: Iterable[str]) -> Set[int]:
        """Ids of the categories with these slugs and of all their subcategories."""

    @abstractmethod
    def available_product_cards(
        self, product_ids: Iterable[int], excluded_category_ids: Iterable[int] = ()
    ) -> Dict[int, ProductCard]:
        """Cards of those products a customer can buy now, by id."""

    @abstractmethod
    def variant_stock(self, variant_ids: Iterable[int]) -> Dict[int, VariantStock]:
        """Availability of these variants, by id; deleted variants are absent."""

    @abstractmethod
    def variant_card(self, variant_id: Any) -> Optional[VariantCard]:
        """The card of one variant, or None if it no longer exists."""

    # vouchers
    @abstractmethod
    def issue_single_use_voucher(
        self,
        reference: str,
        prefix: str,
        percentage: int,
        valid_days: int,
        now: datetime,
        usage_limit: int = 1,
    ) -> IssuedVoucher:
        """A voucher for the whole order; the same one again for the same
        ``reference`` (a send retried mails the same code)."""

    # checkouts
    @abstractmethod
    def checkout_states(self, tokens: Iterable[str]) -> Dict[str, CheckoutState]:
        """States of many checkouts by token; gone or invalid tokens are absent."""

    @abstractmethod
    def checkouts_changed_since(
        self, position: datetime, after_token: str, limit: int
    ) -> List[Tuple[str, datetime]]:
        """(token, last change) of remindable checkouts changed after a scan
        position ``(position, after_token)``, oldest first, at most ``limit``."""

    @abstractmethod
    def checkout_cart(self, token: str, storefront_url: str) -> Optional[Cart]:
        """The lines of a checkout as an email shows them, priced as now."""

    # lifecycle programs (win-back, affinity, RFM scores)
    @abstractmethod
    def write_purchase_totals(self, table: str) -> int:
        """Insert into the plugin's (temporary) ``table`` one row
        ``(email, last_order_at, orders, revenue)`` per address (lower-cased) with a
        counted order (not a draft, not cancelled): its last order's time, its number
        of orders, the sum of their gross totals. One set-based statement; returns
        the number of rows."""

    @abstractmethod
    def write_purchased_categories(self, table: str) -> int:
        """Insert into the plugin's (temporary) ``table`` one row
        ``(email, category_id)`` per address and category of a product it bought
        in a counted order (distinct). One statement; returns the number of rows."""

    @abstractmethod
    def write_new_order_totals(
        self, table: str, after_order: int, up_to_order: int
    ) -> int:
        """:meth:`write_purchase_totals` of the counted orders between two marks of
        :meth:`counted_orders_high_water_mark` (``after_order`` excluded,
        ``up_to_order`` included) alone: the orders placed since a previous pass."""

    @abstractmethod
    def write_new_order_lines(
        self, table: str, after_order: int, up_to_order: int, since: datetime
    ) -> int:
        """Insert into the plugin's (temporary) ``table`` one row ``(order_id,
        line_id, email, product_id, variant_id, quantity, created)`` per line
        (quantity above 0) of the counted orders between two marks of
        :meth:`counted_orders_high_water_mark` created at or after ``since``; ids as
        text, the address lower-cased. One statement; returns the number of rows."""

    @abstractmethod
    def orders_placed_between(
        self, start: datetime, end: datetime, after_order: int = 0
    ) -> List[Tuple[str, str, datetime]]:
        """``(order id, email, created)`` of the counted orders created in
        ``[start, end)`` above the mark ``after_order`` of
        :meth:`counted_orders_high_water_mark` (a lower bound a caller knows: the
        mark read before ``start``; it lets Saleor 2.10, without an index on the
        order date, read a range of its primary key), oldest first (a day's
        orders: bounded by the shop's
        daily volume, not by its customer base)."""

    @abstractmethod
    def email_product_ids(self, email: str) -> List[int]:
        """Distinct ids of the products this address ever bought (counted orders)."""

    @abstractmethod
    def product_ids_in_categories(
        self, category_ids: Iterable[int], exclude: Iterable[int], limit: int
    ) -> List[int]:
        """Up to ``limit`` ids of published products of these categories, not in
        ``exclude``, bestsellers first (by counted order lines), then by id."""

    @abstractmethod
    def issue_free_shipping_voucher(
        self, reference: str, prefix: str, valid_days: int, now: datetime
    ) -> IssuedVoucher:
        """A single-use voucher for free shipping (100 % off shipping); the same
        one again for the same ``reference``."""

    # locks
    @abstractmethod
    def lock_checkout_and_email(self, token: str, email: str) -> None:
        """Hold, until the current transaction ends, the locks of a checkout and an
        address (the checkout first, so two holders never wait on each other)."""

    # lifecycle programs (set-based over the shop's orders)
    @abstractmethod
    def repeat_purchase_intervals(self, min_repeats: int) -> List[LearnedInterval]:
        """Per product with at least ``min_repeats`` repeat purchases (the same
        customer ordering it again), the median days between consecutive orders
        divided by the quantity of the earlier one. Counted orders only."""

    @abstractmethod
    def product_lifetimes(self, metadata_key: str) -> Dict[int, float]:
        """Days a unit lasts, as the merchant set it in the metadata ``metadata_key``
        of the product, else of its product type; products without it are absent."""

    @abstractmethod
    def due_reorders(
        self,
        days_per_unit: Dict[int, float],
        share: float,
        due_from: datetime,
        due_until: datetime,
    ) -> List[DueReorder]:
        """Lines of each customer's latest order of a product of ``days_per_unit``
        whose reminder (``share`` x days per unit x quantity after the order) falls
        in ``[due_from, due_until)`` and that the customer has not ordered again."""

    @abstractmethod
    def email_bought_products_since(
        self, email: str, product_ids: Iterable[int], since: datetime
    ) -> bool:
        """Did an order placed by ``email`` after ``since`` hold one of the products?"""

    @abstractmethod
    def create_checkout_with_lines(
        self, email: str, lines: Iterable[Tuple[int, int]]
    ) -> Optional[str]:
        """A new checkout for ``email`` (attached to its account if any) holding
        ``(variant_id, quantity)`` lines that can still be bought (quantities cut to
        the stock); its token, or None when no line can be bought."""

    @abstractmethod
    def edition_chains(self, metadata_key: str) -> List[EditionChain]:
        """Published, available products naming a previous edition in the product
        metadata ``metadata_key`` (its slug or id), with every earlier edition of
        the chain (recursive, cycles cut)."""

    @abstractmethod
    def write_edition_buyers(
        self, table: str, product_id: int, earlier_product_ids: Iterable[int]
    ) -> int:
        """Insert into the plugin's (temporary) ``table`` (column ``email``) every
        address (lower-case) of :meth:`edition_buyers`, in one statement; returns
        the number of rows."""

    @abstractmethod
    def edition_buyers(
        self,
        product_id: int,
        earlier_product_ids: Iterable[int],
        after_email: str,
        limit: int,
    ) -> List[str]:
        """Addresses (lower-case, sorted, after ``after_email``, at most ``limit``)
        that ordered one of the earlier editions and never ``product_id``."""

    # order confirmation and sales channels (not abstract: a host whose Saleor
    # sends its own confirmation, or that has no channels, keeps these answers)
    def order_confirmation(self, order_id: Any) -> Optional[OrderConfirmation]:
        """The order as its confirmation shows it, or None (unknown id included).
        Hosts with :attr:`sends_order_confirmation` need not answer."""
        return None

    def channel_settings(
        self, checkout_token: Optional[str] = None, order_id: Any = None
    ) -> ChannelSettings:
        """What the merchant set on the channel of this checkout or order (valid
        values only); empty where the host has no channels (Saleor 2.10)."""
        return ChannelSettings()


# --- choosing the host --------------------------------------------------------------


def adapter_for_version(version: str) -> str:
    """The adapter package (under ``saleor_ecrm_plugin.host``) for a Saleor version:
    ``saleor210`` for 2.x, ``saleor321`` for 3.21 and later 3.x (third-party plugins
    still load there; older 3.x lack the models it reads)."""
    parts = version.split(".")
    if parts[0] == "2":
        return "saleor210"
    if (
        parts[0] == "3"
        and len(parts) > 1
        and parts[1].isdigit()
        and int(parts[1]) >= 21
    ):
        return "saleor321"
    raise UnsupportedHost(
        f"Saleor {version} is installed; this version of saleor-ecrm-plugin runs on"
        " Saleor 2.x (host adapter saleor210) and Saleor 3.21 or later 3.x"
        " (host adapter saleor321)."
    )


def installed_saleor_version() -> str:
    """The version of the installed Saleor distribution (its ``__version__`` when
    it was put on the path without metadata); :class:`UnsupportedHost` if none."""
    try:
        return metadata.version("saleor")
    except metadata.PackageNotFoundError:
        pass
    try:
        module = importlib.import_module("saleor")
    except ImportError as exc:
        raise UnsupportedHost("Saleor is not installed.") from exc
    return str(getattr(module, "__version__", ""))


@lru_cache(maxsize=None)
def current() -> Host:
    """The adapter of the installed Saleor, chosen once per process."""
    name = adapter_for_version(installed_saleor_version())
    adapter = importlib.import_module(f"{__package__}.{name}.adapter")
    host: Host = adapter.HOST
    return host


def host_module(name: str) -> Any:
    """A glue module (``plugin``, ``urls``, ``schema``, ``graphql``) of the current
    host's adapter package."""
    return importlib.import_module(f"{current().package}.{name}")


# --- the same questions as functions, for call sites: ``host.shop_info()`` ---------


def shop_info() -> ShopInfo:
    return current().shop_info()


def stored_plugin_configuration(plugin_id: str) -> PluginConfiguration:
    return current().stored_plugin_configuration(plugin_id)


def client_address(request: Any) -> Optional[str]:
    return current().client_address(request)


def customer_by_id(user_id: Any) -> Optional[Customer]:
    return current().customer_by_id(user_id)


def is_existing_customer(email: str) -> bool:
    return current().is_existing_customer(email)


def customer_locale(
    email: str, checkout_token: Optional[str] = None, order_id: Any = None
) -> CustomerLocale:
    return current().customer_locale(email, checkout_token, order_id)


def address_lines(address: Any) -> List[str]:
    return current().address_lines(address)


def order_variant_ids(order_id: Any) -> List[int]:
    return current().order_variant_ids(order_id)


def order_product_ids(order_id: Any) -> List[int]:
    return current().order_product_ids(order_id)


def counted_orders_high_water_mark() -> int:
    return current().counted_orders_high_water_mark()


def basket_rows(
    after_order: int,
    up_to_order: Optional[int] = None,
    containing_products: Optional[Iterable[int]] = None,
) -> Iterator[BasketRow]:
    return current().basket_rows(after_order, up_to_order, containing_products)


def order_for_review(order_id: Any) -> Optional[OrderForReview]:
    return current().order_for_review(order_id)


def fulfilled_lines(order_id: Any, line_id: Any = None) -> List[ReviewableLine]:
    return current().fulfilled_lines(order_id, line_id)


def order_for_checkout(token: str) -> Optional[str]:
    return current().order_for_checkout(token)


def email_ordered_since(email: str, since: datetime) -> bool:
    return current().email_ordered_since(email, since)


def order_facts(order_id: Any) -> Optional[OrderFacts]:
    return current().order_facts(order_id)


def product_categories(product_ids: Iterable[int]) -> Dict[int, Optional[int]]:
    return current().product_categories(product_ids)


def category_ids_with_descendants(slugs: Iterable[str]) -> Set[int]:
    return current().category_ids_with_descendants(slugs)


def available_product_cards(
    product_ids: Iterable[int], excluded_category_ids: Iterable[int] = ()
) -> Dict[int, ProductCard]:
    return current().available_product_cards(product_ids, excluded_category_ids)


def variant_stock(variant_ids: Iterable[int]) -> Dict[int, VariantStock]:
    return current().variant_stock(variant_ids)


def variant_card(variant_id: Any) -> Optional[VariantCard]:
    return current().variant_card(variant_id)


def issue_single_use_voucher(
    reference: str,
    prefix: str,
    percentage: int,
    valid_days: int,
    now: datetime,
    usage_limit: int = 1,
) -> IssuedVoucher:
    return current().issue_single_use_voucher(
        reference, prefix, percentage, valid_days, now, usage_limit
    )


def checkout_state(token: str) -> Optional[CheckoutState]:
    """The checkout with this token, or None if it is gone (deleted or completed)."""
    return current().checkout_states([token]).get(str(token))


def checkout_states(tokens: Iterable[str]) -> Dict[str, CheckoutState]:
    return current().checkout_states(tokens)


def checkouts_changed_since(
    position: datetime, after_token: str, limit: int
) -> List[Tuple[str, datetime]]:
    return current().checkouts_changed_since(position, after_token, limit)


def checkout_cart(token: str, storefront_url: str) -> Optional[Cart]:
    return current().checkout_cart(token, storefront_url)


def lock_checkout_and_email(token: str, email: str) -> None:
    current().lock_checkout_and_email(token, email)


def write_purchase_totals(table: str) -> int:
    return current().write_purchase_totals(table)


def write_purchased_categories(table: str) -> int:
    return current().write_purchased_categories(table)


def write_new_order_totals(table: str, after_order: int, up_to_order: int) -> int:
    return current().write_new_order_totals(table, after_order, up_to_order)


def write_new_order_lines(
    table: str, after_order: int, up_to_order: int, since: datetime
) -> int:
    return current().write_new_order_lines(table, after_order, up_to_order, since)


def orders_placed_between(
    start: datetime, end: datetime, after_order: int = 0
) -> List[Tuple[str, str, datetime]]:
    return current().orders_placed_between(start, end, after_order)


def email_product_ids(email: str) -> List[int]:
    return current().email_product_ids(email)


def product_ids_in_categories(
    category_ids: Iterable[int], exclude: Iterable[int], limit: int
) -> List[int]:
    return current().product_ids_in_categories(category_ids, exclude, limit)


def issue_free_shipping_voucher(
    reference: str, prefix: str, valid_days: int, now: datetime
) -> IssuedVoucher:
    return current().issue_free_shipping_voucher(reference, prefix, valid_days, now)


def repeat_purchase_intervals(min_repeats: int) -> List[LearnedInterval]:
    return current().repeat_purchase_intervals(min_repeats)


def product_lifetimes(metadata_key: str) -> Dict[int, float]:
    return current().product_lifetimes(metadata_key)


def due_reorders(
    days_per_unit: Dict[int, float],
    share: float,
    due_from: datetime,
    due_until: datetime,
) -> List[DueReorder]:
    return current().due_reorders(days_per_unit, share, due_from, due_until)


def email_bought_products_since(
    email: str, product_ids: Iterable[int], since: datetime
) -> bool:
    return current().email_bought_products_since(email, product_ids, since)


def create_checkout_with_lines(
    email: str, lines: Iterable[Tuple[int, int]]
) -> Optional[str]:
    return current().create_checkout_with_lines(email, lines)


def edition_chains(metadata_key: str) -> List[EditionChain]:
    return current().edition_chains(metadata_key)


def write_edition_buyers(
    table: str, product_id: int, earlier_product_ids: Iterable[int]
) -> int:
    return current().write_edition_buyers(table, product_id, earlier_product_ids)


def edition_buyers(
    product_id: int, earlier_product_ids: Iterable[int], after_email: str, limit: int
) -> List[str]:
    return current().edition_buyers(product_id, earlier_product_ids, after_email, limit)


def sends_order_confirmation() -> bool:
    return current().sends_order_confirmation


def order_confirmation(order_id: Any) -> Optional[OrderConfirmation]:
    return current().order_confirmation(order_id)


def channel_settings(
    checkout_token: Optional[str] = None, order_id: Any = None
) -> ChannelSettings:
    return current().channel_settings(checkout_token, order_id)
