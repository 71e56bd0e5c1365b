"""The e-CRM programs. Importing this package registers each of them."""

from . import cross_sell, newsletter, registry, welcome  # noqa: F401
