"""The settings one send uses: the plugin's, with what the merchant set on the
sales channel of the checkout or order the send is about.

The plugin's configuration is global; on a host with channels (Saleor 3.21) the
merchant may set, on a channel, the storefront its links go to and the sender its
emails come from (``host/saleor321/channels.py`` reads and validates them; the
channel's language reaches the email through the customer's locale). On a host
without channels (Saleor 2.10), and for sends about no purchase (a welcome, a
newsletter), the global settings apply unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .host import port as host

if TYPE_CHECKING:
    from .ecrm_settings import EcrmSettings
    from .models import ScheduledSend

#: ledger subjects that belong to a channel, and which port argument names them
_PURCHASE_SUBJECTS = {"checkout": "checkout_token", "order": "order_id"}


def settings_for_send(send: ScheduledSend, settings: EcrmSettings) -> EcrmSettings:
    """``settings`` with the storefront address and the sender set on the channel
    of the send's checkout or order, where the merchant set them."""
    argument = _PURCHASE_SUBJECTS.get(send.subject_type)
    if argument is None:
        return settings
    channel = host.channel_settings(**{argument: send.subject_id})
    if not (channel.storefront_url or channel.sender_email):
        return settings
    return dataclasses.replace(
        settings,
        storefront_url=channel.storefront_url or settings.storefront_url,
        sender_email=channel.sender_email or settings.sender_email,
        sender_name=(channel.sender_name or settings.sender_name)
        if channel.sender_email
        else settings.sender_name,
    )
