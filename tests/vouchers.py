"""Vouchers as tests read them: the installed Saleor's own
(``tests/hosts/<adapter>/vouchers.py``), the same names on every host."""

from __future__ import annotations

import importlib
from typing import Any

from tests.hosts import HOST

_vouchers: Any = importlib.import_module(f"tests.hosts.{HOST}.vouchers")

voucher_terms = _vouchers.voucher_terms
order_discount = _vouchers.order_discount
