"""The e-CRM programs. Importing this package registers each of them."""

from . import newsletter, registry, welcome  # noqa: F401
