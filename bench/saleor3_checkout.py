#!/usr/bin/env python
"""The plugin's overhead on Saleor 3.21's checkout mutations (prints, never fails).

Run from the repository root with the Python 3.12 venv of ``make test-saleor3``::

    SALEOR3_TEMPLATE_DB=saleor321_tpl CELERY_BROKER_URL=redis://127.0.0.1:6379/2 \\
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench_s3 \\
    make bench-saleor3                 # about 3 minutes with the data prepared

One storefront journey through Saleor's own ``/graphql/`` (Django's test client:
the whole middleware stack, Saleor's view, its plugin manager with every plugin of
``settings.PLUGINS``): ``checkoutCreate`` (channel, email, a line, addresses),
``checkoutLinesAdd`` (two variants), ``checkoutLinesUpdate``,
``checkoutLinesDelete``, then, untimed, the delivery method and a payment with
Saleor's dummy gateway, and ``checkoutComplete``. Every line mutation asks for the
checkout's lines, shipping methods and total, as a storefront's cart page does.

Each round plays the journey once per mode, side by side, mutation by mutation
(each mode's checkoutCreate, then each mode's checkoutLinesAdd, ...), in an order
that rotates from mutation to mutation and from round to round (on-off, off-on,
...), so all modes see the same database and the same machine load, the two sides
of a ratio milliseconds apart:

* ``off``: the plugin absent from ``PLUGINS`` (Saleor builds its plugin manager
  from that list for every request): Saleor as if the plugin were not installed;
* ``on``: the plugin in ``PLUGINS``, active, its abandoned-checkout program on;
* ``inactive`` (``--inactive``): in ``PLUGINS`` but switched off in the dashboard.

Saleor runs the plugin's hooks after its commit, inside the request: they are in
the timings. Celery tasks go to the Redis broker of ``CELERY_BROKER_URL`` (default
Redis db 2, emptied at the end), as in production: publishing is timed, the
tasks' work is not (no worker runs).

It prints, per mutation, the median time of each mode and two verdicts (at most
1.03 for the line mutations and ``checkoutComplete``):

* "A/B": the median of the rounds' own ratios on/off (the two sides of a ratio
  milliseconds apart, so the machine's drift cancels out), with its 95 % bootstrap
  interval. This machine's CPU speed itself varies from one tenth of a second to
  the next (the bench prints a fixed loop's spread at start and end; seen here:
  max/min 1.8 on a quiet machine), so the interval is several percent wide: the
  A/B verdict can show a large overhead, not rule out a small one;
* "in-request": each "on" mutation against itself less the time spent inside the
  plugin (its hooks, Saleor's manager calling into it, building it, its Celery
  messages, its view's request checks, LocaleMiddleware; see :class:`HookClock`),
  measured in the same request, so a slow or a fast tenth of a second scales both
  sides alike;

then SQL queries and Celery messages per mutation (one untimed journey per mode,
before the rounds): the plugin's cost that is not time in Python. Load averages
are printed at the start, during and at the end: compare ratios, not
milliseconds. Before each timed mutation the garbage collector runs, untimed.
``--samples FILE`` writes every timing (JSON) for a closer look.

The database (``DATABASE_URL``, default ``ecrm_bench_s3``) is cloned from
``SALEOR3_TEMPLATE_DB`` (default ``ecrm_saleor3_tpl``; Saleor's migrations only)
when missing, then gets the plugin's migrations and Saleor's demo catalogue
(``populatedb --withoutimages``, about 30 s the first time).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Dict, Generator, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench_s3"
TIMED = (
    "checkoutCreate",
    "checkoutLinesAdd",
    "checkoutLinesUpdate",
    "checkoutLinesDelete",
    "checkoutComplete",
)
TARGETED = (
    "checkoutLinesAdd",
    "checkoutLinesUpdate",
    "checkoutLinesDelete",
    "checkoutComplete",
)
TARGET = 1.03
CHANNEL = "default-channel"
PLUGIN_PATH = "saleor_ecrm_plugin.plugin.EcrmPlugin"
OUR_TASKS = "saleor_ecrm_plugin."

#: the cart page's view of the checkout after a line mutation
CART = """checkout { id lines { id variant { id } quantity }
  shippingMethods { id } totalPrice { gross { amount } } }
  errors { field code message }"""
LINES_ADD = f"""mutation Add($id: ID!, $lines: [CheckoutLineInput!]!) {{
  checkoutLinesAdd(id: $id, lines: $lines) {{ {CART} }} }}"""
LINES_UPDATE = f"""mutation Update($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {{
  checkoutLinesUpdate(id: $id, lines: $lines) {{ {CART} }} }}"""
LINES_DELETE = f"""mutation Delete($id: ID!, $lineIds: [ID!]!) {{
  checkoutLinesDelete(id: $id, linesIds: $lineIds) {{ {CART} }} }}"""


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
        from django.conf import settings

        plugins = settings.PLUGINS
        try:
            call_command("populatedb", withoutimages=True, verbosity=0)
        finally:  # populatedb leaves PLUGINS set to the dummy gateway alone
            settings.PLUGINS = plugins


def pick_variants() -> List[str]:
    """Three variants of the channel, with stock enough for every round."""
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
        .order_by("pk")[:3]
    )
    Stock.objects.filter(product_variant__in=variants).update(
        quantity=1_000_000, quantity_allocated=0
    )
    return [graphene.Node.to_global_id("ProductVariant", v.pk) for v in variants]


class HookClock:
    """Seconds spent inside the plugin, per mutation: its hooks and the Celery
    messages they send (an action a hook deferred with ``on_commit`` included),
    Saleor's plugin manager calling into it (for every hook Saleor runs, the
    plugin's own or not: the manager looks each one up on every active plugin),
    building it for the request, and what its settings put in front of Saleor's
    GraphQL (:meth:`_install_view`). Not in it: Saleor executing the operation on
    the merged schema instead of its own (the A/B ratio has it).

    Measured inside the request, so the share it gives is immune to this machine's
    changing CPU speed, which the on/off wall-clock ratio is not. Saleor's manager
    runs a plugin's method in ``PluginsManager.__run_method_on_single_plugin``, a
    private (name-mangled) method of Saleor 3.21: read here, by the bench only.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth -= 1
                if not self._depth:
                    self.seconds += time.perf_counter() - start

        timed.__name__ = getattr(function, "__name__", "hook")
        return timed

    def install(self) -> None:
        """Wrap the plugin's hooks (what its class defines over ``BasePlugin``),
        the manager's calls into it, its constructor and the publishing of its own
        tasks."""
        from celery.app.task import Task
        from saleor.plugins.base_plugin import BasePlugin
        from saleor.plugins.manager import PluginsManager

        from saleor_ecrm_plugin.plugin import EcrmPlugin

        dispatch_name = "_PluginsManager__run_method_on_single_plugin"
        dispatch = getattr(PluginsManager, dispatch_name)
        timed_dispatch = self.wrap(dispatch)

        def run_method(manager: Any, plugin: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(plugin, EcrmPlugin):
                return timed_dispatch(manager, plugin, *args, **kwargs)
            return dispatch(manager, plugin, *args, **kwargs)

        setattr(PluginsManager, dispatch_name, run_method)
        EcrmPlugin.__init__ = self.wrap(EcrmPlugin.__init__)  # type: ignore[method-assign]

        for name, value in list(vars(EcrmPlugin).items()):
            if (
                callable(value)
                and not name.startswith("_")
                and name in BasePlugin.__annotations__
            ):
                setattr(EcrmPlugin, name, self.wrap(value))
        publish = Task.apply_async
        clock = self

        def apply_async(task: Any, *args: Any, **kwargs: Any) -> Any:
            if str(task.name).startswith(OUR_TASKS):
                return clock.wrap(publish)(task, *args, **kwargs)
            return publish(task, *args, **kwargs)

        Task.apply_async = apply_async  # type: ignore[method-assign]
        self._install_view()

    def _install_view(self) -> None:
        """What the plugin's settings put in front of Saleor's GraphQL: the request
        checks and the body parse of its view (``view_guard``), the merged query-cost
        check (``EcrmGraphQLView._merged_cost``), ``LocaleMiddleware``. Saleor's
        own parse of the body goes through the view's ``parse_body`` too: counted
        here, so the figure is a little high, never low."""
        from django.middleware.locale import LocaleMiddleware

        from saleor_ecrm_plugin.graphql import view_guard
        from saleor_ecrm_plugin.graphql.view_guard import RequestGuard
        from saleor_ecrm_plugin.host.saleor321.views import EcrmGraphQLView

        view_guard.request_problem = self.wrap(view_guard.request_problem)
        parse_body = RequestGuard.__dict__["parse_body"].__func__
        RequestGuard.parse_body = classmethod(self.wrap(parse_body))  # type: ignore[assignment]
        EcrmGraphQLView._merged_cost = self.wrap(EcrmGraphQLView._merged_cost)  # type: ignore[method-assign]
        for name in ("process_request", "process_response"):
            setattr(LocaleMiddleware, name, self.wrap(getattr(LocaleMiddleware, name)))


class Messages:
    """Celery messages published, ours and Saleor's (``before_task_publish``)."""

    def __init__(self) -> None:
        self.ours = 0
        self.saleor = 0

    def install(self) -> None:
        from celery.signals import before_task_publish

        before_task_publish.connect(self._count, weak=False)

    def _count(self, sender: Any = None, **kwargs: Any) -> None:
        if str(sender).startswith(OUR_TASKS):
            self.ours += 1
        else:
            self.saleor += 1


#: per mutation: seconds, seconds in our hooks, (queries, our messages, Saleor's)
Timings = Dict[str, Tuple[float, float, Tuple[int, int, int]]]


def journey(
    api: Any,
    variants: List[str],
    clock: HookClock,
    messages: Messages,
    count_queries: bool = False,
) -> Generator[None, None, Timings]:
    """One shopper's checkout; what each timed mutation took. A generator that
    pauses before each timed mutation, so that :func:`side_by_side` can play the
    modes' journeys mutation by mutation."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import storefront_saleor3 as store

    timings: Timings = {}

    def timed(name: str, call: Callable[..., Any], *args: Any) -> Any:
        gc.collect()  # the last mutation's garbage is not charged to this one
        clock.seconds = 0.0
        messages.ours = messages.saleor = 0
        queries = 0
        start = time.perf_counter()
        if count_queries:
            with CaptureQueriesContext(connection) as captured:
                result = call(api, *args)
            queries = len(captured)
        else:
            result = call(api, *args)
        elapsed = time.perf_counter() - start
        timings[name] = (
            elapsed,
            clock.seconds,
            (queries, messages.ours, messages.saleor),
        )
        return result

    def lines(query: str, field: str) -> Callable[..., Any]:
        def mutate(api: Any, checkout_id: str, **variables: Any) -> Any:
            return store.post(api, query, {"id": checkout_id, **variables}, field)[
                "checkout"
            ]

        return mutate

    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    yield
    checkout = timed(
        "checkoutCreate",
        store.create_checkout,
        CHANNEL,
        email,
        [{"variantId": variants[0], "quantity": 1}],
    )
    add = lines(LINES_ADD, "checkoutLinesAdd")
    update = lines(LINES_UPDATE, "checkoutLinesUpdate")
    delete = lines(LINES_DELETE, "checkoutLinesDelete")
    yield
    cart = timed(
        "checkoutLinesAdd",
        lambda api, cid: add(
            api,
            cid,
            lines=[
                {"variantId": variants[1], "quantity": 1},
                {"variantId": variants[2], "quantity": 1},
            ],
        ),
        checkout["id"],
    )
    yield
    timed(
        "checkoutLinesUpdate",
        lambda api, cid: update(
            api, cid, lines=[{"variantId": variants[1], "quantity": 2}]
        ),
        checkout["id"],
    )
    dropped = [
        line["id"] for line in cart["lines"] if line["variant"]["id"] == variants[2]
    ]
    yield
    timed(
        "checkoutLinesDelete",
        lambda api, cid: delete(api, cid, lineIds=dropped),
        checkout["id"],
    )
    store.pay(api, checkout["id"])
    yield
    timed("checkoutComplete", store.complete, checkout["id"])
    return timings


def side_by_side(
    apis: Dict[str, Any],
    variants: List[str],
    clock: HookClock,
    messages: Messages,
    modes: Sequence[str],
    shift: int = 0,
    count_queries: bool = False,
) -> Dict[str, Timings]:
    """One journey per mode, played mutation by mutation: each mode's
    checkoutCreate, then each mode's checkoutLinesAdd, and so on, in an order that
    rotates from mutation to mutation (starting at ``shift``). The two sides of a
    ratio are milliseconds apart, not a journey apart."""
    runs = {
        mode: journey(apis[mode], variants, clock, messages, count_queries)
        for mode in modes
    }
    done: Dict[str, Timings] = {}
    step = 0
    while len(done) < len(modes):
        turn = (shift + step) % len(modes)
        for mode in [*modes[turn:], *modes[:turn]]:
            if mode in done:
                continue
            with plugin_settings(mode):
                try:
                    next(runs[mode])
                except StopIteration as finished:
                    done[mode] = finished.value
        step += 1
    return done


#: what the plugin's settings (``enable_ecrm`` and our 3.21 settings) add that a
#: request goes through: our ``ROOT_URLCONF`` (``/graphql/`` served by the plugin's
#: view: request checks, Saleor's schema merged with ours) and ``LocaleMiddleware``
SALEOR_URLCONF = "saleor.urls"
OUR_MIDDLEWARE = ("django.middleware.locale.LocaleMiddleware",)
SALEOR_URLS_MIDDLEWARE = "bench.saleor3_checkout.SaleorUrls"


class SaleorUrls:
    """The "off" client's first middleware: Saleor's own URL conf for the request
    (Django's per-request ``request.urlconf``; changing ``ROOT_URLCONF`` would
    clear the URL caches at every switch)."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request.urlconf = SALEOR_URLCONF
        return self.get_response(request)


def plugin_settings(mode: str) -> Any:
    """The settings of one mode, for its requests:

    * ``off``: Saleor's own, as if the plugin were not installed: ``PLUGINS``
      without it, Saleor's URLs (its own ``/graphql/`` view and schema) and
      middleware;
    * ``on`` / ``inactive``: the plugin's settings, its stored configuration active
      or not.

    A mode's client (:func:`clients`) loads its middleware at its first request,
    under these settings."""
    from django.conf import settings
    from django.test.utils import override_settings
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.constants import PLUGIN_ID

    others = [path for path in settings.PLUGINS if path != PLUGIN_PATH]
    if mode == "off":
        middleware = [SALEOR_URLS_MIDDLEWARE] + [
            name for name in settings.MIDDLEWARE if name not in OUR_MIDDLEWARE
        ]
        return override_settings(PLUGINS=others, MIDDLEWARE=middleware)
    PluginConfiguration.objects.filter(identifier=PLUGIN_ID, channel=None).update(
        active=mode == "on"
    )
    return override_settings(PLUGINS=[*others, PLUGIN_PATH])


def clients(modes: Sequence[str]) -> Dict[str, Any]:
    """One storefront client per mode (Django's test client loads its middleware
    once, at its first request), checked: "off" must reach Saleor's own view, the
    others the plugin's."""
    from saleor_ecrm_plugin.graphql.view_guard import RequestGuard
    from tests.graphql import ApiClient

    apis = {mode: ApiClient(statuses=(200,)) for mode in modes}
    handle = RequestGuard._handle_query
    served: List[str] = []

    def counted(view: Any, request: Any) -> Any:
        served.append(type(view).__name__)
        return handle(view, request)

    RequestGuard._handle_query = counted  # type: ignore[method-assign]
    try:
        for mode, api in apis.items():
            served.clear()
            with plugin_settings(mode):
                api.post("{ shop { name } }")
            if bool(served) != (mode != "off"):
                raise RuntimeError(f"mode {mode}: /graphql/ served by {served}")
            view = served[0] if served else "Saleor's own GraphQLView"
            print(f"  {mode}: /graphql/ served by {view}")
    finally:
        RequestGuard._handle_query = handle  # type: ignore[method-assign]
    return apis


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


def cpu_noise(runs: int = 20) -> str:
    """The same pure-Python loop ``runs`` times: how much this machine's CPU speed
    itself varies (the floor under any wall-clock ratio)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        total = 0
        for number in range(300_000):
            total += number * number
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return (
        f"a fixed CPU loop, {runs} runs: min {times[0]:.1f} ms, median"
        f" {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms"
        f" (max/min {times[-1] / times[0]:.2f})"
    )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def describe_plugins() -> str:
    """The plugins of ``PLUGINS`` active in the bench's channel (for the header)."""
    from saleor.plugins.manager import get_plugins_manager

    manager = get_plugins_manager(allow_replica=False)
    active = [
        plugin.PLUGIN_ID
        for plugin in manager.get_plugins(channel_slug=CHANNEL, active_only=True)
    ]
    return f"{len(manager.plugins)} plugins in PLUGINS, active: {', '.join(active)}"


class Samples:
    def __init__(self, modes: Sequence[str]) -> None:
        self.modes = modes
        self.seconds: Dict[str, Dict[str, List[float]]] = {
            mode: defaultdict(list) for mode in modes
        }
        self.hooks: Dict[str, Dict[str, List[float]]] = {
            mode: defaultdict(list) for mode in modes
        }
        self.loads: List[float] = []

    def add(self, mode: str, timings: Timings) -> None:
        for name, (seconds, hooks, _counts) in timings.items():
            self.seconds[mode][name].append(seconds)
            self.hooks[mode][name].append(hooks)


def run(
    rounds: int, warmup: int, modes: Sequence[str], clocked: bool = True
) -> Tuple[Samples, Dict]:
    enable_plugin()
    variants = pick_variants()

    clock, messages = HookClock(), Messages()
    if clocked:
        clock.install()
    messages.install()
    apis = clients(modes)
    # the queries and messages of one journey per mode, untimed
    counts = side_by_side(apis, variants, clock, messages, modes, count_queries=True)
    samples = Samples(modes)
    for index in range(warmup + rounds):
        journeys = side_by_side(apis, variants, clock, messages, modes, shift=index)
        if index >= warmup:
            for mode, timings in journeys.items():
                samples.add(mode, timings)
        samples.loads.append(os.getloadavg()[0])
        if index + 1 == warmup:
            print(f"warmed up ({warmup} rounds), load {load()}", flush=True)
        elif index >= warmup and (index - warmup + 1) % 10 == 0:
            print(f"  {index - warmup + 1} rounds, load {load()}", flush=True)
    return samples, counts


def ratio_interval(
    off: Sequence[float], on: Sequence[float], draws: int = 2000
) -> Tuple[float, float]:
    """A 95 % bootstrap interval of the median of the rounds' ratios (rounds drawn
    with replacement; a fixed seed, so a run prints the same interval twice)."""
    ratios = [b / a for a, b in zip(off, on)]
    pick = random.Random(1)
    medians = sorted(
        statistics.median(pick.choices(ratios, k=len(ratios))) for _ in range(draws)
    )
    return medians[int(draws * 0.025)], medians[int(draws * 0.975) - 1]


def report(samples: Samples, counts: Dict[str, Timings], rounds: int) -> None:
    modes = [mode for mode in samples.modes if mode != "off"]
    loads = samples.loads
    print(
        f"\n{rounds} rounds, each one journey per mode ({', '.join(samples.modes)}),"
        f" in rotating order; 1-min load average during the rounds: median"
        f" {statistics.median(loads):.1f}, max {max(loads):.1f}"
    )
    median = statistics.median
    for mode in modes:
        print(f"\nplugin {mode} vs off")
        print(
            f"{'mutation':<22}{'off ms':>9}{f'{mode} ms':>10}{'A/B':>8}"
            f"{'95% interval':>16}{'plugin ms':>11}{'in-request':>12}  target"
        )
        for name in TIMED:
            off = samples.seconds["off"][name]
            on = samples.seconds[mode][name]
            ratio = median([b / a for a, b in zip(off, on)])
            low, high = ratio_interval(off, on)
            inside = samples.hooks[mode][name]
            plugin = median(inside) * 1000
            # the mutation against itself without the time spent inside the plugin
            own = median([total / (total - part) for total, part in zip(on, inside)])
            target = ""
            if name in TARGETED:
                target = (
                    f"<= {TARGET}: in-request "
                    + ("met" if own <= TARGET else "NOT met")
                    + ", A/B "
                    + ("met" if ratio <= TARGET else "NOT met")
                )
            print(
                f"{name:<22}{median(off) * 1000:>9.1f}{median(on) * 1000:>10.1f}"
                f"{ratio:>8.3f}{f'{low:.3f}-{high:.3f}':>16}{plugin:>11.2f}"
                f"{own:>12.4f}  {target}"
            )
    print(
        "\nA/B: the median of the rounds' own ratios on/off (its 95 % bootstrap"
        " interval beside it);\nin-request: each 'on' mutation against itself less"
        " the time measured inside the plugin\n(hooks, Saleor's calls into it,"
        " building it, its Celery messages, its view's request checks,"
        " LocaleMiddleware),\nmedian over the rounds."
    )
    print(
        "\nper mutation, one journey: SQL queries / Celery messages"
        " (ours + Saleor's)"
    )
    print(f"{'mutation':<22}" + "".join(f"{mode:>16}" for mode in samples.modes))
    for name in TIMED:
        cells = []
        for mode in samples.modes:
            queries, ours, saleor = counts[mode][name][2]
            cells.append(f"{queries:>7} / {ours}+{saleor}")
        print(f"{name:<22}" + "".join(f"{cell:>16}" for cell in cells))


def empty_broker() -> None:
    from celery import current_app

    current_app.control.purge()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--no-clock",
        action="store_true",
        help="leave out the in-request clock (its wrappers run in the plugin's"
        " requests only): a control that the instruments do not tilt the A/B ratio",
    )
    parser.add_argument(
        "--samples",
        type=Path,
        help="write every round's timings, per mode and mutation, to this JSON file",
    )
    parser.add_argument(
        "--inactive",
        action="store_true",
        help="also time the plugin installed but inactive (a third journey a round)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    setup()
    import django
    import saleor

    print(
        f"Saleor {saleor.__version__}, Django {django.get_version()}, Python"
        f" {sys.version.split()[0]}, {os.cpu_count()} CPUs, database"
        f" {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}"
    )
    enable_plugin()
    print(describe_plugins())
    print(f"load average at start: {load()}", flush=True)
    print(f"CPU speed at start: {cpu_noise()}", flush=True)
    modes = ("off", "on", "inactive") if args.inactive else ("off", "on")
    try:
        samples, counts = run(args.rounds, args.warmup, modes, not args.no_clock)
    finally:
        empty_broker()
    report(samples, counts, args.rounds)
    if args.samples:
        args.samples.write_text(
            json.dumps(
                {
                    "seconds": samples.seconds,
                    "hooks": samples.hooks,
                    "loads": samples.loads,
                },
                indent=1,
            )
        )
        print(f"samples written to {args.samples}")
    print(f"\nCPU speed at end: {cpu_noise()}")
    print(
        f"load average at end: {load()}; bench time"
        f" {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
