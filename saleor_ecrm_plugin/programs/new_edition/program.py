"""New edition: one email to the buyers of earlier editions when a new one is out.

The merchant links a product to its previous edition with the product metadata
``ecrm.previous_edition`` (the previous product's slug or id). A chain
13 -> 14 -> 15 counts every earlier edition: buyers of 13 or of 14 hear about 15
(a recursive CTE, :func:`saleor_ecrm_plugin.host.port.edition_chains`).

Trigger: the hourly scan :meth:`NewEditionProgram.plan_launches` finds the editions
that are published and available and not launched yet (:mod:`.models`), and plans
one email per address that bought an earlier edition and not this one, all at
once in one ``INSERT ... SELECT`` into the ledger (120k buyers: no row goes
through Python), in waves of ``new_edition_wave_size`` emails
``new_edition_wave_minutes`` apart. The hourly scan of a day without a launch
only reads the edition links of the catalogue. Once per
customer per edition: the ledger's key ``new_edition:<product>:<address>``.
A launch is planned once: buyers of an earlier edition after it are not told.

Re-check before sending: the edition is still available (``not_available``) and
the customer did not buy it in the meantime (``already_bought``). An optional
single-use voucher is made when the email is delivered (in ``prepare``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any, Dict, Optional

from django.db import connection, transaction
from django.utils import timezone

from ...attribution import record_conversions
from ...errors import RenderingError
from ...host import port as host
from ...ledger import PlannedSend, plan_audience
from ...models import ScheduledSend, SendStatus
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from .models import EditionLaunch
from .options import PREVIOUS_EDITION_KEY, PROGRAM_ID, NewEditionOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

SUBJECT = "product"
STEP = "launch"
#: the temporary table the host writes a launch's audience into
AUDIENCE_TABLE = "ecrm_edition_audience"
#: product page of the storefront (Saleor 2.10 storefront route, as cross-sell)
PRODUCT_PATH = "product/{slug}/{id}/"
_EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)


class NewEditionProgram(Program):
    id = PROGRAM_ID
    category = "new_edition"
    Options = NewEditionOptions
    enabled_field = "new_edition_enabled"
    scan_methods = ("plan_launches",)

    def options(self, settings: EcrmSettings) -> NewEditionOptions:
        return settings.options(self.id, NewEditionOptions)

    def plan_launches(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """Plan the emails of every available edition not launched yet."""
        if not self.is_enabled(settings):
            return {"editions": 0, "planned": 0}
        now = now or timezone.now()
        options = self.options(settings)
        done = set(
            EditionLaunch.objects.filter(complete=True).values_list(
                "product_id", flat=True
            )
        )
        editions = planned = 0
        for chain in host.edition_chains(PREVIOUS_EDITION_KEY):
            if chain.product_id in done:
                continue
            editions += 1
            planned += self._plan_launch(chain, options, now)
        return {"editions": editions, "planned": planned}

    def _plan_launch(
        self, chain: host.EditionChain, options: NewEditionOptions, now: datetime
    ) -> int:
        """Every buyer at once: the host writes the audience into a temporary
        table, the ledger plans it in one ``INSERT ... SELECT`` (no row through
        Python), the launch marked complete in the same transaction."""
        with transaction.atomic(), connection.cursor() as cursor:
            launch, _ = EditionLaunch.objects.select_for_update().get_or_create(
                product_id=chain.product_id, defaults={"started_at": now}
            )
            if launch.complete:
                return 0
            # inside an outer transaction (a test's), ON COMMIT has not dropped
            # the previous launch's table yet
            cursor.execute(f"DROP TABLE IF EXISTS {AUDIENCE_TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {AUDIENCE_TABLE} (email varchar(254))"
                " ON COMMIT DROP"
            )
            audience = host.write_edition_buyers(
                AUDIENCE_TABLE, chain.product_id, chain.earlier_product_ids
            )
            planned = plan_audience(
                AUDIENCE_TABLE,
                PlannedSend(
                    program=self.id,
                    step=STEP,
                    recipient="",
                    subject_type=SUBJECT,
                    subject_id=str(chain.product_id),
                    due_at=launch.started_at,
                    payload={"earlier": list(chain.earlier_product_ids)},
                ),
                key_prefix=f"{self.id}:{chain.product_id}:",
                wave=timedelta(minutes=options.new_edition_wave_minutes),
                wave_size=options.new_edition_wave_size,
                first_index=launch.planned,
            )
            cursor.execute(f"DROP TABLE {AUDIENCE_TABLE}")
            launch.planned += audience
            launch.complete = True
            launch.save()
        return planned

    # --- the send ---------------------------------------------------------------

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        product_id = int(send.subject_id)
        if product_id not in host.available_product_cards([product_id]):
            return skip("not_available")
        if host.email_bought_products_since(send.recipient, [product_id], _EPOCH):
            return skip("already_bought")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        product_id = int(send.subject_id)
        card = host.available_product_cards([product_id]).get(product_id)
        if card is None:
            raise RenderingError(f"product {product_id} is no longer available")
        options = self.options(settings)
        voucher = None
        if options.new_edition_voucher_percent:
            voucher = host.issue_single_use_voucher(
                reference=send.idempotency_key[:200],
                prefix="NEW",
                percentage=options.new_edition_voucher_percent,
                valid_days=options.new_edition_voucher_days,
                now=timezone.now(),
            )
        return EmailSpec(
            template="ecrm/new_edition",
            context={
                "product_name": card.name,
                "price": card.price,
                "image_url": card.image_url,
                "product_url": settings.storefront_url
                + PRODUCT_PATH.format(slug=card.slug, id=card.id),
                "voucher": voucher,
            },
        )

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """Credit an order of the edition to its email sent to the same address."""
        order = host.order_facts(order_id)
        window = timedelta(days=self.options(settings).new_edition_attribution_days)
        if order is None or not order.email or not window:
            return 0
        products = [str(p) for p in host.order_product_ids(order_id)]
        emails = ScheduledSend.objects.filter(
            program=self.id,
            status=SendStatus.SENT,
            subject_type=SUBJECT,
            subject_id__in=products,
            recipient__iexact=order.email,
            sent_at__gte=order.created - window,
            sent_at__lte=order.created,
        )
        return record_conversions(self.id, list(emails), order)
