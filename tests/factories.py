"""Saleor objects for tests, as factories: ``make_product(**overrides)``.

The installed Saleor's own (``tests/hosts/<adapter>/factories.py``): the same names
and arguments on every host, so a test written once runs on each.
"""

from __future__ import annotations

import importlib
from typing import Any

from tests.hosts import HOST

_factories: Any = importlib.import_module(f"tests.hosts.{HOST}.factories")

COUNTRY = _factories.COUNTRY
CURRENCY = _factories.CURRENCY
make_address = _factories.make_address
make_warehouse = _factories.make_warehouse
default_warehouse = _factories.default_warehouse
make_category = _factories.make_category
make_product = _factories.make_product
set_product = _factories.set_product
variant_of = _factories.variant_of
make_order = _factories.make_order
make_orders = _factories.make_orders
allocate = _factories.allocate
make_digital_product = _factories.make_digital_product
fulfill = _factories.fulfill
make_customer = _factories.make_customer
make_checkout = _factories.make_checkout
order_sequence = _factories.order_sequence
