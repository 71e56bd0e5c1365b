"""Order actions for tests (buying, shipping, cancelling): the installed
Saleor's own (``tests/hosts/<adapter>/orders.py``), the same names on every host."""

from __future__ import annotations

import importlib
from typing import Any

from tests.hosts import HOST

_orders: Any = importlib.import_module(f"tests.hosts.{HOST}.orders")

ship = _orders.ship
cancel_shipment = _orders.cancel_shipment
cancel_order = _orders.cancel_order
order_number = _orders.order_number
place_order = _orders.place_order
complete_checkout = _orders.complete_checkout
CHECKOUT_COMPLETE = _orders.CHECKOUT_COMPLETE
checkouts_ready_to_complete = _orders.checkouts_ready_to_complete
