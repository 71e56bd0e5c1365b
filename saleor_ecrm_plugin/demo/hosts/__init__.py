"""The host-specific half of the demo: building the shop on one Saleor line.

The fortnight (``story.py``), the report and the gallery are the same on every
Saleor; what differs is how the demo shop is built and driven: the settings module,
the catalogue (Saleor's ``populatedb``), the GraphQL mutations a storefront and the
staff send (Saleor 2.10's ``checkoutId``/``checkoutErrors`` against 3.21's
``id``/``errors`` and channels), ids (integers on 2.10, UUIDs for 3.21's orders) and
what a re-run removes. :class:`DemoShop` is that contract; ``saleor210`` and
``saleor321`` fill it in, and :func:`for_installed_saleor` picks one.

Nothing here imports Django or Saleor at module level: the settings module must be
chosen before Django's settings load.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from ..shop_api import GraphQLClient

#: the demo shop's customers: US shoppers ship here, French ones to PARIS_ADDRESS
ADDRESS = {
    "firstName": "",
    "lastName": "",
    "streetAddress1": "1 Market Street",
    "city": "San Francisco",
    "postalCode": "94105",
    "country": "US",
    "countryArea": "CA",
}
PARIS_ADDRESS = {
    "firstName": "",
    "lastName": "",
    "streetAddress1": "15 rue Lepic",
    "city": "Paris",
    "postalCode": "75018",
    "country": "FR",
}


@dataclass
class CatalogueItem:
    """One product the demo sells: its first variant and the warehouses holding it
    (the first one serves both the US and France)."""

    name: str
    variant: str  # GraphQL id
    warehouses: List[str] = field(default_factory=list)  # GraphQL ids, first first


@dataclass
class StartedCheckout:
    id: str  # GraphQL id
    shipping_method_id: str  # GraphQL id


class DemoShop(ABC):
    """How the demo builds and drives the shop on one Saleor line.

    Methods other than :meth:`prepare_database` run after ``django.setup()``.
    Every mutation goes through Saleor's GraphQL API (:class:`GraphQLClient`);
    only set-up and reading what a staff member sees in the dashboard use models.
    """

    #: e.g. "Saleor 2.10.1", for the console
    label: str = ""
    #: the Django settings module of the demo on this host
    settings_module: str = ""
    #: where the plugin's own GraphQL (newsletter, back in stock, reviews) answers
    ecrm_graphql_path: str = "/graphql/"
    #: a first query to try on ``/graphql/``, printed at the end
    sample_query: str = ""
    #: the command that keeps this demo shop running (printed at the end)
    serve_command: str = "make demo ARGS=--serve"
    #: "register a customer" on this host's schema, printed at the end
    register_mutation: str = (
        'mutation { accountRegister(input: {email: "you@example.com", '
        'password: "try-it-123"}) { accountErrors { message } } }'
    )
    #: the plugin's stored configuration on this host's schema, printed at the end
    plugin_query: str = (
        '{ plugin(id: "saleor_ecrm_plugin.ecrm") '
        "{ active configuration { name value } } }"
    )
    #: whether ``demo/history.py`` plants its months of backdated orders here
    #: (the :meth:`plant_order` family below); False: a fortnight without them
    plants_history: bool = True

    def prepare_database(self, url: str, console: Any) -> None:
        """Before Django loads: make the database of ``url`` ready if the host has
        a faster way than migrating (a migrated template). Default: nothing."""
        return None

    def migration_estimate(self, count: int) -> str:
        """What the console says before applying ``count`` migrations."""
        return "first run only, about a minute" if count > 100 else "the plugin's"

    @abstractmethod
    def populate(self, console: Any, output: Path) -> None:
        """Saleor's demo catalogue, customers and superuser (first run only)."""

    @abstractmethod
    def staff_client(self) -> GraphQLClient:
        """A GraphQL client acting as the shop's superuser."""

    @abstractmethod
    def configure_plugin(
        self, staff: GraphQLClient, plugin_id: str, active: bool, values: Dict[str, str]
    ) -> Dict[str, Any]:
        """Save the plugin's configuration with ``pluginUpdate``; return it as read
        back (``active`` and each value by name)."""

    @abstractmethod
    def pick_catalogue(self, count: int) -> List[CatalogueItem]:
        """Up to ``count`` products a US and a French shopper can both buy, their
        stock all in one warehouse that ships to both countries."""

    @abstractmethod
    def set_stock(
        self, staff: GraphQLClient, item: CatalogueItem, quantity: int
    ) -> None:
        """All of the item's stock in its first warehouse, none elsewhere."""

    @abstractmethod
    def browse(self, visitor: GraphQLClient) -> None:
        """What a storefront's home page asks: the first products."""

    @abstractmethod
    def register(self, visitor: GraphQLClient, email: str, password: str) -> None:
        """``accountRegister`` as a storefront does it."""

    @abstractmethod
    def start_checkout(
        self,
        visitor: GraphQLClient,
        email: str,
        lines: List[Dict[str, Any]],
        address: Dict[str, str],
        language: str,
    ) -> StartedCheckout:
        """``checkoutCreate`` with lines (``variantId``, ``quantity``), the address
        as shipping and billing address, and the shopper's language recorded the
        way a storefront records it on this host."""

    @abstractmethod
    def complete_checkout(
        self,
        visitor: GraphQLClient,
        checkout: StartedCheckout,
        promo_code: str = "",
    ) -> str:
        """Shipping method, promo code, dummy payment, ``checkoutComplete``;
        returns the order's id (a string)."""

    @abstractmethod
    def fulfil(self, staff: GraphQLClient, order_id: str) -> bool:
        """Ship every allocated line of the order with ``orderFulfill``
        (customer notified); False when nothing was allocated."""

    # --- the backdated history (demo/history.py) ------------------------------------
    # Orders of the past are written with Saleor's models: no hook runs for them, as
    # for orders placed before the plugin was installed.

    @abstractmethod
    def plant_order(
        self, email: str, lines: Sequence[Tuple[str, int]], created: datetime
    ) -> None:
        """A fulfilled guest order of ``email`` placed at ``created``, one line per
        (variant GraphQL id, quantity), at the variant's price in the demo's
        channel."""

    @abstractmethod
    def add_editions(
        self,
        beside: CatalogueItem,
        editions: Sequence[Tuple[str, str]],
        metadata_key: str,
    ) -> List[CatalogueItem]:
        """Products of one edition series, ``(slug, name)`` oldest first, priced
        25.00, 100 units each in ``beside``'s first warehouse and its category;
        each names the previous one's slug in its metadata ``metadata_key``. The
        oldest is on sale, the others unpublished until :meth:`publish`. Re-runs
        update them in place."""

    @abstractmethod
    def publish(self, item: CatalogueItem) -> None:
        """Put the item's product on sale now (as the dashboard's publish)."""

    @abstractmethod
    def two_other_categories(self, exclude: CatalogueItem) -> Optional[Tuple[str, str]]:
        """Variant GraphQL ids of two products on sale (priced) in two categories
        other than ``exclude``'s, first category first; None when there are none."""

    @abstractmethod
    def forget_previous_run(self, email_domain: str) -> Dict[str, int]:
        """Remove the previous run's demo customers (``@email_domain``), their
        orders, checkouts and payments, and the vouchers the plugin issued; returns
        counts by ``orders``, ``checkouts``, ``accounts``, ``vouchers``."""


def version_line(version: str) -> str:
    """The demo host module for a Saleor version: ``saleor210`` or ``saleor321``."""
    major = version.split(".")[0]
    if major == "2":
        return "saleor210"
    if major == "3":
        return "saleor321"
    raise ValueError(f"the demo runs on Saleor 2.10 or 3.21, not {version!r}")


def for_installed_saleor(version: Optional[str] = None) -> DemoShop:
    """The demo shop of the installed Saleor (or of ``version``)."""
    if version is None:
        from ...host.port import installed_saleor_version

        version = installed_saleor_version()
    module = importlib.import_module(f"{__name__}.{version_line(version)}")
    shop: DemoShop = module.DemoShopImpl(version)
    return shop
