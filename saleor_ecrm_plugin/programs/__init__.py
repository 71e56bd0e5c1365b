"""The e-CRM programs. Importing this package registers each of them."""

from . import (  # noqa: F401
    abandoned_checkout,
    cross_sell,
    newsletter,
    registry,
    review_request,
    welcome,
)
from .back_in_stock import BackInStockProgram  # noqa: F401
