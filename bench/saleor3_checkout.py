#!/usr/bin/env python
"""The plugin's overhead on Saleor 3.21's checkout mutations (prints, never fails).

Run from the repository root with the Python 3.12 venv of ``make test-saleor3``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench_s3 \\
    .venv312/bin/python bench/saleor3_checkout.py          # make bench-saleor3

One storefront journey through Saleor's own ``/graphql/`` (Django's test client:
the whole middleware stack, Saleor's view, its plugin manager): ``checkoutCreate``
(channel, email, a line, addresses), ``checkoutLinesAdd``, ``checkoutLinesUpdate``,
then, untimed, the delivery method and a payment with Saleor's dummy gateway, and
``checkoutComplete``. Each round plays the journey twice, plugin on and plugin off,
in alternating order (on-off, off-on, ...), so both see the same database and the
same machine load; "off" is the plugin absent from ``PLUGINS`` (Saleor builds its
plugin manager from that list on every request), "on" is the plugin installed and
active with the abandoned-checkout program enabled. Saleor runs the plugin's hooks
after its commit, inside the request: they are in the timings. Celery tasks go to a
Redis broker (``CELERY_BROKER_URL``, default Redis db 2, emptied at the end), as in
production: enqueueing is timed, the tasks' work is not.

It prints the median time of each mutation with the plugin on and off and their
ratio (the target: at most 1.03 for the line mutations and ``checkoutComplete``).
The database (default ``ecrm_bench_s3``) is cloned from ``SALEOR3_TEMPLATE_DB``
(default ``ecrm_saleor3_tpl``, which ``make test-saleor3`` migrates once; Saleor's
migrations only) when missing, then gets
the plugin's migrations and Saleor's demo catalogue (``populatedb
--withoutimages``, about 30 s the first time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench_s3"
TIMED = (
    "checkoutCreate",
    "checkoutLinesAdd",
    "checkoutLinesUpdate",
    "checkoutComplete",
)
TARGETED = ("checkoutLinesAdd", "checkoutLinesUpdate", "checkoutComplete")
CHANNEL = "default-channel"


def setup() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.host.saleor321.settings"
    )
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    # default: the template ``make test-saleor3`` migrates once (DATABASE_URL unset)
    template = os.environ.get("SALEOR3_TEMPLATE_DB", "ecrm_saleor3_tpl")
    ensure_database(os.environ["DATABASE_URL"], template)
    import django

    django.setup()
    from django.core.management import call_command
    from saleor.product.models import ProductVariantChannelListing

    call_command("migrate", interactive=False, verbosity=0)
    # Saleor's migrations make an empty default channel: the catalogue is the sign
    if not ProductVariantChannelListing.objects.filter(channel__slug=CHANNEL).exists():
        print("loading Saleor's demo catalogue (first run only)...", flush=True)
        call_command("populatedb", withoutimages=True, verbosity=0)


def pick_variants() -> List[str]:
    """Two variants of the channel, with stock enough for every round."""
    import graphene
    from saleor.product.models import ProductVariant
    from saleor.warehouse.models import Stock

    variants = list(
        ProductVariant.objects.filter(
            channel_listings__channel__slug=CHANNEL,
            channel_listings__price_amount__isnull=False,
            product__channel_listings__channel__slug=CHANNEL,
            product__channel_listings__is_published=True,
            product__product_type__is_shipping_required=True,
            stocks__isnull=False,
        )
        .distinct()
        .order_by("pk")[:2]
    )
    Stock.objects.filter(product_variant__in=variants).update(
        quantity=1_000_000, quantity_allocated=0
    )
    return [graphene.Node.to_global_id("ProductVariant", v.pk) for v in variants]


def journey(api: Any, variants: List[str]) -> Dict[str, float]:
    """One shopper's checkout; the seconds each timed mutation took."""
    from tests import storefront_saleor3 as store

    timings: Dict[str, float] = {}

    def timed(name: str, call: Any, *args: Any) -> Any:
        start = time.perf_counter()
        result = call(api, *args)
        timings[name] = time.perf_counter() - start
        return result

    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    checkout = timed(
        "checkoutCreate",
        store.create_checkout,
        CHANNEL,
        email,
        [{"variantId": variants[0], "quantity": 1}],
    )
    timed(
        "checkoutLinesAdd",
        store.add_lines,
        checkout["id"],
        [{"variantId": variants[1], "quantity": 1}],
    )
    timed(
        "checkoutLinesUpdate",
        store.update_lines,
        checkout["id"],
        [{"variantId": variants[1], "quantity": 2}],
    )
    store.pay(api, checkout["id"])
    timed("checkoutComplete", store.complete, checkout["id"])
    return timings


def plugin_settings(on: bool) -> Any:
    """``PLUGINS`` with the plugin (on) or without it (off), for one journey."""
    from django.conf import settings
    from django.test.utils import override_settings

    ours = "saleor_ecrm_plugin.plugin.EcrmPlugin"
    others = [path for path in settings.PLUGINS if path != ours]
    return override_settings(PLUGINS=[*others, ours] if on else others)


def enable_plugin() -> None:
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.config import default_configuration
    from saleor_ecrm_plugin.constants import PLUGIN_ID

    values = {"abandoned_enabled": "true", "abandoned_consent_mode": "everyone"}
    items = default_configuration()
    for item in items:
        item["value"] = values.get(item["name"], item["value"])
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        channel=None,
        defaults={"name": "e-CRM", "active": True, "configuration": items},
    )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(rounds: int, warmup: int) -> Dict[bool, Dict[str, List[float]]]:
    enable_plugin()
    variants = pick_variants()
    from tests.graphql import ApiClient

    api = ApiClient(statuses=(200,))
    samples: Dict[bool, Dict[str, List[float]]] = {
        True: {name: [] for name in TIMED},
        False: {name: [] for name in TIMED},
    }
    for index in range(warmup + rounds):
        order = (True, False) if index % 2 == 0 else (False, True)
        for on in order:
            with plugin_settings(on):
                timings = journey(api, variants)
            if index >= warmup:
                for name, seconds in timings.items():
                    samples[on][name].append(seconds)
    return samples


def report(samples: Dict[bool, Dict[str, List[float]]], rounds: int) -> None:
    print(f"\n{rounds} journeys with the plugin on, {rounds} off, interleaved")
    print(f"{'mutation':<22}{'off (ms)':>10}{'on (ms)':>10}{'on/off':>9}  target")
    for name in TIMED:
        off = statistics.median(samples[False][name]) * 1000
        on = statistics.median(samples[True][name]) * 1000
        target = "<= 1.03" if name in TARGETED else ""
        print(f"{name:<22}{off:>10.1f}{on:>10.1f}{on / off:>9.3f}  {target}")


def empty_broker() -> None:
    from celery import current_app

    current_app.control.purge()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=4)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    setup()
    print(f"load average at start: {load()}", flush=True)
    try:
        samples = run(args.rounds, args.warmup)
    finally:
        empty_broker()
    report(samples, args.rounds)
    print(f"load average at end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
