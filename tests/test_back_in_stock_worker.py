"""The production path of back-in-stock alerts: a real ``celery worker -B`` on Redis
runs the detection tick from beat (1 s here: the tick follows the dispatch interval
unless ``enable_ecrm(back_in_stock_interval=...)`` says otherwise), then the
dispatcher, to a real SMTP server."""

from __future__ import annotations

import pytest

from saleor_ecrm_plugin.programs.back_in_stock.models import BackInStockSubscription
from saleor_ecrm_plugin.programs.back_in_stock.service import subscribe
from saleor_ecrm_plugin.settings_helper import BACK_IN_STOCK_TASK, DISPATCH_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_product, variant_of


@pytest.mark.django_db(transaction=True)
def test_beat_detects_the_restock_and_the_worker_sends_the_first_wave_once(
    shop,
    smtp_server,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    from saleor.warehouse.models import Stock

    configure_plugin(back_in_stock_alerts_per_unit="1")
    lamp = make_product("Lamp", stock=0)
    variant_id = variant_of(lamp).pk
    fans = ["first@example.org", "second@example.org", "third@example.org"]
    for email in fans:
        subscribe(variant_id, email)

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    def ticks() -> list:
        return celery_worker.task_results(BACK_IN_STOCK_TASK)

    assert wait_until(lambda: any(t["watched"] for t in ticks()), 30), log()
    # as Saleor's productVariantStocksUpdate does it: bulk_update, no signal
    Stock.objects.filter(product_variant_id=variant_id).update(quantity=1)

    assert wait_until(lambda: any(t["notified"] for t in ticks()), 30), log()
    [received] = smtp_server.wait_for(1, timeout=15)
    waved_at = next(i for i, t in enumerate(ticks()) if t["notified"])
    # two more detection ticks and a dispatch tick after the wave: nothing more
    dispatches = len(celery_worker.task_results(DISPATCH_TASK))
    assert wait_until(
        lambda: len(ticks()) >= waved_at + 3
        and len(celery_worker.task_results(DISPATCH_TASK)) > dispatches,
        15,
    ), log()

    assert len(smtp_server.messages) == 1, log()
    assert received.rcpt_tos == [fans[0]]
    assert received.message["Subject"] == "Lamp is back in stock"
    assert received.message["X-Ecrm-Program"] == "back_in_stock/alert"
    assert sum(t["notified"] for t in ticks()) == 1, log()
    statuses = list(
        BackInStockSubscription.objects.order_by("created_at").values_list(
            "status", flat=True
        )
    )
    assert statuses == ["notified", "open", "open"]
