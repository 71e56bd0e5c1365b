"""Turn an :class:`EmailSpec` into a ready-to-send Django email message."""

from __future__ import annotations

import hashlib
import re
from email.headerregistry import Address
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Optional

from django.core.mail import EmailMessage
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import translation

from .engagement.tracking import track_send
from .errors import RenderingError
from .inlining import AUDIENCE_KEY, CssInliningTemplateBackend
from .localisation import send_language
from .preferences.categories import CATEGORIES
from .preferences.links import unsubscribe_headers_and_context

if TYPE_CHECKING:
    from .ecrm_settings import EcrmSettings
    from .host.port import ShopInfo
    from .models import ScheduledSend
    from .programs.base import EmailSpec, Program


#: line breaks and other control characters: a header cannot hold them (Django
#: refuses CR/LF with BadHeaderError), and a display text has no use for them
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_SPACES = re.compile(r"  +")


def header_text(value: str) -> str:
    """``value`` made fit for one header line (a subject, a display name, a header
    value): every run of line breaks and control characters becomes one space.

    Names and product titles come from customers and merchants: a first name
    ``"Bob\r\nBcc: ..."`` is cleaned where it enters the email, never a reason to
    drop the email (and never a header of its own)."""
    return _CONTROL.sub(" ", value).strip()


def sender_address(settings: EcrmSettings, shop: ShopInfo) -> str:
    name = header_text(settings.sender_name or shop.sender_name)
    address = settings.sender_email or shop.sender_email
    return _formatted_address(name, address)


@lru_cache(maxsize=64)
def _formatted_address(name: str, address: str) -> str:
    # the same sender for every email of a run; Address parses it each time
    return str(Address(display_name=name, addr_spec=address))


def message_id_for(send: ScheduledSend, sender_email: str) -> str:
    """A Message-ID derived from the ledger row: a resend carries the same id."""
    digest = hashlib.sha1(send.idempotency_key.encode("utf-8")).hexdigest()[:16]
    domain = sender_email.rpartition("@")[2] or "localhost"
    return f"<ecrm.{send.pk}.{digest}@{domain}>"


def render_send(
    send: ScheduledSend,
    spec: EmailSpec,
    settings: EcrmSettings,
    shop: ShopInfo,
    program: Program,
    language: Optional[str] = None,
) -> EmailMessage:
    """Render one send in ``language`` (default: :func:`.localisation.send_language`,
    the customer's). Non-transactional email gets RFC 8058 unsubscribe headers,
    whose pages open in the same language."""
    language = language or send_language(send)
    with translation.override(language):
        return _render(send, spec, settings, shop, program, language)


def _render(
    send: ScheduledSend,
    spec: EmailSpec,
    settings: EcrmSettings,
    shop: ShopInfo,
    program: Program,
    language: str,
) -> EmailMessage:
    from_email = sender_address(settings, shop)
    context: Dict[str, Any] = {
        "shop_name": shop.name,
        "domain": shop.domain,
        "storefront_url": settings.storefront_url,
        "recipient": send.recipient,
        "email_language": language,
        # a program writes to customers: the layout need not look the template's
        # audience block up (a fourth template load and walk); a program whose
        # email is for staff says so in its spec's context
        AUDIENCE_KEY: "customer",
    }
    headers = {
        "Message-ID": message_id_for(send, settings.sender_email or shop.sender_email),
        "X-Ecrm-Program": f"{send.program}/{send.step}",
    }
    transactional = CATEGORIES[program.category].transactional
    if not transactional:
        links = unsubscribe_headers_and_context(
            settings, shop, send.recipient, program.category, language
        )
        headers.update(links["headers"])
        context.update(links["context"])
    context.update(spec.context)
    headers.update(
        {name: header_text(str(value)) for name, value in spec.headers.items()}
    )
    try:
        message = CssInliningTemplateBackend().get_email_message(
            template_name=spec.template,
            context=context,
            from_email=from_email,
            to=[send.recipient],
            headers=headers,
        )
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        raise RenderingError(f"Template {spec.template!r}: {exc}") from exc
    # the template decides what the subject says; the values it shows are cleaned
    # (django-templated-email 3 already made each CR and LF a space: the run of
    # spaces left where a line break was is one space, as header_text makes it)
    message.subject = _SPACES.sub(" ", header_text(message.subject))
    if settings.reply_to:
        message.reply_to = [settings.reply_to]
    # links through the click redirect, after the CSS inlining
    track_send(message, send.pk, settings, shop, transactional)
    return message
