"""The "order again" link of a reorder reminder.

GET ``/ecrm/order-again/<token>/`` recreates a checkout with the reminded line
(through the host: the same variant and quantity, cut to the stock) and redirects
to the storefront's cart, the URL template of the cart reminders
(``abandoned_cart_url``). A forged, altered or expired token gets a 400 page; a
product that can no longer be bought a 410 page; neither creates anything.

A GET creates a checkout: a mail scanner following the link makes an empty-handed
checkout nobody completes, which is harmless (Saleor deletes old checkouts), and
the customer's own click makes another.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext

from ...context import load_context
from ...host import port as host
from ...models import ScheduledSend, SendStatus
from ...preferences.views import _page, signed_link
from ..abandoned_checkout.options import AbandonedCheckoutOptions
from .options import PROGRAM_ID
from .tokens import read_reorder_token


@signed_link(read_reorder_token)
def order_again(request: HttpRequest, token: str, send_id: int) -> HttpResponse:
    send = ScheduledSend.objects.filter(
        pk=send_id, program=PROGRAM_ID, status=SendStatus.SENT
    ).first()
    payload = send.payload if send is not None else {}
    variant = payload.get("variant_id")
    quantity = payload.get("quantity")
    if send is None or not isinstance(variant, int) or not isinstance(quantity, int):
        return _page(
            request,
            "message.html",
            status=400,
            title=gettext("Link not valid"),
            message=gettext("This link is not valid."),
        )
    checkout = host.create_checkout_with_lines(send.recipient, [(variant, quantity)])
    if checkout is None:
        return _page(
            request,
            "message.html",
            status=410,
            title=gettext("No longer available"),
            message=gettext(
                "Sorry, this product can no longer be ordered. Have a look at the"
                " shop for what replaces it."
            ),
        )
    settings = load_context().settings
    cart_url = settings.options(
        "abandoned_checkout", AbandonedCheckoutOptions
    ).abandoned_cart_url.format(storefront=settings.storefront_url, token=checkout)
    return HttpResponseRedirect(cart_url)
