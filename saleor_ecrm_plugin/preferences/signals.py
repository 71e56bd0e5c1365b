"""Suppression from the email provider's tracking events (django-anymail)."""

from __future__ import annotations

from typing import Any

from . import service

#: anymail event types after which no marketing email may go to the address
SUPPRESSING_EVENTS = {
    "bounced": "hard_bounce",
    "complained": "complaint",
    "rejected": "rejected",
}


def on_tracking_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    reason = SUPPRESSING_EVENTS.get(event.event_type)
    recipient = getattr(event, "recipient", None)
    if not recipient:
        return
    if reason is not None:
        service.suppress(recipient, reason, source=f"provider:{esp_name}"[:32])
    elif event.event_type == "unsubscribed":
        try:
            service.unsubscribe(recipient, None, source=f"provider:{esp_name}"[:32])
        except service.PreferenceError:
            pass  # a malformed address from the provider: nothing of ours to change


def connect() -> None:
    from anymail.signals import tracking

    tracking.connect(on_tracking_event, dispatch_uid="saleor_ecrm_plugin.suppression")
