"""The host port answered by Saleor 3.21 (:data:`HOST`).

Each question is answered by the module of its concern (``shop``, ``customers``,
``orders``, ``catalogue``, ``checkouts``, ``vouchers``, ``locks``); this class only
binds them to the port's methods.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from ..port import (
    BasketRow,
    Cart,
    ChannelSettings,
    CheckoutState,
    Customer,
    CustomerLocale,
    DueReorder,
    EditionChain,
    Host,
    IssuedVoucher,
    LearnedInterval,
    OrderConfirmation,
    OrderFacts,
    OrderForReview,
    PluginConfiguration,
    ProductCard,
    ReviewableLine,
    ShopInfo,
    VariantCard,
    VariantStock,
)
from . import (
    catalogue,
    channels,
    checkouts,
    customers,
    lifecycle,
    locks,
    orders,
    purchase_history,
    shop,
    vouchers,
)


class Saleor321Host(Host):
    package = __package__ or "saleor_ecrm_plugin.host.saleor321"

    def shop_info(self) -> ShopInfo:
        return shop.shop_info()

    def stored_plugin_configuration(self, plugin_id: str) -> PluginConfiguration:
        return shop.stored_plugin_configuration(plugin_id)

    def client_address(self, request: Any) -> Optional[str]:
        return shop.client_address(request)

    def customer_by_id(self, user_id: Any) -> Optional[Customer]:
        return customers.customer_by_id(user_id)

    def is_existing_customer(self, email: str) -> bool:
        return customers.is_existing_customer(email)

    def customer_locale(
        self,
        email: str,
        checkout_token: Optional[str] = None,
        order_id: Any = None,
    ) -> CustomerLocale:
        return customers.customer_locale(email, checkout_token, order_id)

    def address_lines(self, address: Any) -> List[str]:
        return customers.address_lines(address)

    def order_variant_ids(self, order_id: Any) -> List[int]:
        return orders.order_variant_ids(order_id)

    def order_product_ids(self, order_id: Any) -> List[int]:
        return orders.order_product_ids(order_id)

    def counted_orders_high_water_mark(self) -> int:
        return orders.counted_orders_high_water_mark()

    def basket_rows(
        self,
        after_order: int,
        up_to_order: Optional[int] = None,
        containing_products: Optional[Iterable[int]] = None,
    ) -> Iterator[BasketRow]:
        return orders.basket_rows(after_order, up_to_order, containing_products)

    def order_for_review(self, order_id: Any) -> Optional[OrderForReview]:
        return orders.order_for_review(order_id)

    def fulfilled_lines(
        self, order_id: Any, line_id: Any = None
    ) -> List[ReviewableLine]:
        return orders.fulfilled_lines(order_id, line_id)

    def order_for_checkout(self, token: str) -> Optional[str]:
        return orders.order_for_checkout(token)

    def email_ordered_since(self, email: str, since: datetime) -> bool:
        return orders.email_ordered_since(email, since)

    def order_facts(self, order_id: Any) -> Optional[OrderFacts]:
        return orders.order_facts(order_id)

    def order_confirmation(self, order_id: Any) -> Optional[OrderConfirmation]:
        return orders.order_confirmation(order_id)

    def channel_settings(
        self, checkout_token: Optional[str] = None, order_id: Any = None
    ) -> ChannelSettings:
        return channels.channel_settings(checkout_token, order_id)

    def product_categories(
        self, product_ids: Iterable[int]
    ) -> Dict[int, Optional[int]]:
        return catalogue.product_categories(product_ids)

    def category_ids_with_descendants(self, slugs: Iterable[str]) -> Set[int]:
        return catalogue.category_ids_with_descendants(slugs)

    def available_product_cards(
        self, product_ids: Iterable[int], excluded_category_ids: Iterable[int] = ()
    ) -> Dict[int, ProductCard]:
        return catalogue.available_product_cards(product_ids, excluded_category_ids)

    def variant_stock(self, variant_ids: Iterable[int]) -> Dict[int, VariantStock]:
        return catalogue.variant_stock(variant_ids)

    def variant_card(self, variant_id: Any) -> Optional[VariantCard]:
        return catalogue.variant_card(variant_id)

    def issue_single_use_voucher(
        self,
        reference: str,
        prefix: str,
        percentage: int,
        valid_days: int,
        now: datetime,
        usage_limit: int = 1,
    ) -> IssuedVoucher:
        return vouchers.issue_single_use_voucher(
            reference, prefix, percentage, valid_days, now, usage_limit
        )

    def checkout_states(self, tokens: Iterable[str]) -> Dict[str, CheckoutState]:
        return checkouts.checkout_states(tokens)

    def checkouts_changed_since(
        self, position: datetime, after_token: str, limit: int
    ) -> List[Tuple[str, datetime]]:
        return checkouts.checkouts_changed_since(position, after_token, limit)

    def checkout_cart(self, token: str, storefront_url: str) -> Optional[Cart]:
        return checkouts.checkout_cart(token, storefront_url)

    def lock_checkout_and_email(self, token: str, email: str) -> None:
        return locks.lock_checkout_and_email(token, email)

    # lifecycle programs: win-back, affinity, RFM scores (purchase_history.py)
    def write_purchase_totals(self, table: str) -> int:
        return purchase_history.write_purchase_totals(table)

    def write_purchased_categories(self, table: str) -> int:
        return purchase_history.write_purchased_categories(table)

    def write_new_order_totals(
        self, table: str, after_order: int, up_to_order: int
    ) -> int:
        return purchase_history.write_new_order_totals(table, after_order, up_to_order)

    def write_new_order_lines(
        self, table: str, after_order: int, up_to_order: int, since: datetime
    ) -> int:
        return purchase_history.write_new_order_lines(
            table, after_order, up_to_order, since
        )

    def orders_placed_between(
        self, start: datetime, end: datetime, after_order: int = 0
    ) -> List[Tuple[str, str, datetime]]:
        return purchase_history.orders_placed_between(start, end, after_order)

    def email_product_ids(self, email: str) -> List[int]:
        return purchase_history.email_product_ids(email)

    def product_ids_in_categories(
        self, category_ids: Iterable[int], exclude: Iterable[int], limit: int
    ) -> List[int]:
        return purchase_history.product_ids_in_categories(category_ids, exclude, limit)

    def issue_free_shipping_voucher(
        self, reference: str, prefix: str, valid_days: int, now: datetime
    ) -> IssuedVoucher:
        return vouchers.issue_single_use_voucher(
            reference, prefix, 100, valid_days, now, free_shipping=True
        )

    # lifecycle programs: replenishment, new editions (lifecycle.py)
    def repeat_purchase_intervals(self, min_repeats: int) -> List[LearnedInterval]:
        return lifecycle.repeat_purchase_intervals(min_repeats)

    def product_lifetimes(self, metadata_key: str) -> Dict[int, float]:
        return lifecycle.product_lifetimes(metadata_key)

    def due_reorders(
        self,
        days_per_unit: Dict[int, float],
        share: float,
        due_from: datetime,
        due_until: datetime,
    ) -> List[DueReorder]:
        return lifecycle.due_reorders(days_per_unit, share, due_from, due_until)

    def email_bought_products_since(
        self, email: str, product_ids: Iterable[int], since: datetime
    ) -> bool:
        return lifecycle.email_bought_products_since(email, product_ids, since)

    def create_checkout_with_lines(
        self, email: str, lines: Iterable[Tuple[int, int]]
    ) -> Optional[str]:
        return lifecycle.create_checkout_with_lines(email, lines)

    def edition_chains(self, metadata_key: str) -> List[EditionChain]:
        return lifecycle.edition_chains(metadata_key)

    def write_edition_buyers(
        self, table: str, product_id: int, earlier_product_ids: Iterable[int]
    ) -> int:
        return lifecycle.write_edition_buyers(table, product_id, earlier_product_ids)

    def edition_buyers(
        self,
        product_id: int,
        earlier_product_ids: Iterable[int],
        after_email: str,
        limit: int,
    ) -> List[str]:
        return lifecycle.edition_buyers(
            product_id, earlier_product_ids, after_email, limit
        )


HOST = Saleor321Host()
