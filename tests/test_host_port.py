"""The host port: the core imports no Saleor module, the adapter is chosen from the
installed Saleor, and the Saleor 2.10 adapter answers with plain values (string ids
for orders, order lines, customers and checkouts)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, List

import pytest
from django.contrib.auth import get_user_model

import saleor_ecrm_plugin
from saleor_ecrm_plugin import host as host_package
from saleor_ecrm_plugin.host import port
from saleor_ecrm_plugin.host.saleor210.adapter import Saleor210Host
from saleor_ecrm_plugin.host.saleor321.adapter import Saleor321Host
from tests.factories import make_order, make_product
from tests.factories import order_sequence as sequence

PACKAGE = Path(saleor_ecrm_plugin.__file__).parent
#: where Saleor may be imported: the host adapters and the demo shop
SALEOR_ALLOWED = ("host", "demo", "migrations")


def _saleor_imports(path: Path) -> List[str]:
    """Every import of a ``saleor`` module in a file, inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [f"{path}:{node.lineno} {name}" for name in names if name == "saleor"]
        found += [
            f"{path}:{node.lineno} {name}"
            for name in names
            if name.startswith("saleor.")
        ]
    return found


def test_core_modules_import_no_saleor_module():
    core = [
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in SALEOR_ALLOWED
    ]
    assert len(core) > 40  # the walk did find the package
    offenders = [hit for path in core for hit in _saleor_imports(path)]
    assert offenders == []


def test_the_port_module_imports_no_saleor_module():
    assert _saleor_imports(PACKAGE / "host" / "port.py") == []
    assert _saleor_imports(PACKAGE / "host" / "__init__.py") == []


def test_the_walk_sees_saleor_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from saleor.order.models import Order\n")
    assert _saleor_imports(sample) == [f"{sample}:2 saleor.order.models"]


@pytest.mark.parametrize("version", ["2.10.1", "2.10.0", "2.11.0"])
def test_a_saleor_2_picks_the_saleor210_adapter(version):
    assert port.adapter_for_version(version) == "saleor210"


@pytest.mark.parametrize("version", ["3.21.69", "3.21.0", "3.23.1"])
def test_a_saleor_3_21_or_later_picks_the_saleor321_adapter(version):
    assert port.adapter_for_version(version) == "saleor321"


@pytest.mark.parametrize("version", ["3.20.119", "3.0.0", "4.0.0", ""])
def test_another_saleor_is_refused_naming_its_version(version):
    with pytest.raises(port.UnsupportedHost) as caught:
        port.adapter_for_version(version)
    assert f"Saleor {version} is installed" in str(caught.value)
    assert isinstance(caught.value, RuntimeError)


def test_no_saleor_installed_is_a_clear_error(monkeypatch):
    def not_found(name: str) -> str:
        raise port.metadata.PackageNotFoundError(name)

    def no_module(name: str) -> None:
        raise ImportError(name)

    monkeypatch.setattr(port.metadata, "version", not_found)
    monkeypatch.setattr(port.importlib, "import_module", no_module)
    with pytest.raises(port.UnsupportedHost, match="Saleor is not installed"):
        port.installed_saleor_version()


@pytest.mark.saleor210
def test_the_installed_saleor_gives_the_saleor210_host_once():
    assert port.installed_saleor_version() == "2.10.1"
    chosen = port.current()
    assert isinstance(chosen, Saleor210Host)
    assert port.current() is chosen  # chosen once per process
    assert host_package.current() is chosen
    assert chosen.package == "saleor_ecrm_plugin.host.saleor210"


@pytest.mark.saleor321
def test_the_installed_saleor_gives_the_saleor321_host_once():
    assert port.installed_saleor_version().startswith("3.21.")
    chosen = port.current()
    assert isinstance(chosen, Saleor321Host)
    assert port.current() is chosen
    assert chosen.package == "saleor_ecrm_plugin.host.saleor321"


def test_the_port_functions_cover_every_question_of_the_host():
    questions = set(port.Host.__abstractmethods__)
    assert len(questions) >= 25
    for name in questions:
        function = getattr(port, name)
        method = getattr(port.Host, name)
        assert (
            list(inspect.signature(function).parameters)
            == list(inspect.signature(method).parameters)[1:]
        ), name


@pytest.mark.saleor210(reason="the GraphQL schema on 3.21 is the s3api branch's")
def test_old_dotted_paths_still_load():
    from saleor.plugins.base_plugin import BasePlugin

    from saleor_ecrm_plugin import plugin, urls
    from saleor_ecrm_plugin.graphql.schema import schema
    from saleor_ecrm_plugin.host import compat
    from saleor_ecrm_plugin.host.saleor210 import compat as compat210

    assert issubclass(plugin.EcrmPlugin, BasePlugin)
    assert plugin.EcrmPlugin.PLUGIN_ID == "saleor_ecrm_plugin.ecrm"
    assert {p.pattern.regex.pattern for p in urls.urlpatterns} >= {
        "^graphql/",
        "^ecrm/",
    }
    assert "emailPreferences" in str(schema)
    assert compat.apply_early is compat210.apply_early
    assert "saleor_ecrm_plugin.host.compat" in compat.PTH_LINE


@pytest.mark.django_db
def test_orders_come_back_with_string_ids():
    product = make_product("Tent")
    order = make_order([product], email="Buyer@Example.org")
    facts = port.order_facts(str(order.pk))
    assert facts is not None
    assert facts.id == str(order.pk)
    assert facts.email == "Buyer@Example.org"
    review = port.order_for_review(str(order.pk))
    assert review is not None and review.id == str(order.pk)
    assert review.user_id is None
    assert port.order_product_ids(str(order.pk)) == [product.pk]
    # ids that cannot be Saleor 2.10's keys are unknown orders, not errors
    for bad in ("", "abc", "-1", "99999999999", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"):
        assert port.order_facts(bad) is None
        assert port.order_for_review(bad) is None
        assert port.fulfilled_lines(bad) == []


@pytest.mark.django_db
def test_customers_come_back_with_string_ids():
    user = get_user_model().objects.create_user(
        email="ann@example.org", password="x", first_name="Ann"
    )
    customer = port.customer_by_id(str(user.pk))
    assert customer == port.Customer(str(user.pk), "ann@example.org", "Ann", True)
    assert port.customer_by_id("not-a-number") is None


@pytest.mark.django_db
def test_basket_rows_stream_each_distinct_product_of_counted_orders():
    tent, stove = make_product("Tent"), make_product("Stove")
    first = make_order([tent, stove, tent])
    second = make_order([stove])
    make_order([tent], status="draft")  # never placed: not counted
    rows = sorted(port.basket_rows(0))
    assert rows == sorted(
        [
            (sequence(first), tent.pk, tent.category_id),
            (sequence(first), stove.pk, stove.category_id),
            (sequence(second), stove.pk, stove.category_id),
        ]
    )
    assert list(port.basket_rows(sequence(first))) == [
        (sequence(second), stove.pk, stove.category_id)
    ]
    assert sorted(port.basket_rows(0, None, [tent.pk])) == sorted(rows[:2])


class _CursorWithoutCopy:
    """A DB-API cursor of a driver without psycopg2's ``copy_expert``."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = self
        self._cursor = cursor

    def execute(self, sql: str, params: Any = None) -> Any:
        return self._cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize("copy", [True, False], ids=["copy", "insert"])
def test_streamed_basket_rows_are_written_whole(copy):
    from django.db import connection

    from saleor_ecrm_plugin.recommendations.building import _insert_rows

    rows = [
        (order, order % 7 + 1, None if order % 3 else order) for order in range(1, 12)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE ecrm_test_rows"
            " (order_id bigint, product_id integer, category_id integer)"
        )
        _insert_rows(
            cursor if copy else _CursorWithoutCopy(cursor),
            "ecrm_test_rows",
            rows,
            batch=4,
        )
        cursor.execute("SELECT * FROM ecrm_test_rows ORDER BY order_id")
        assert cursor.fetchall() == rows
        cursor.execute("DROP TABLE ecrm_test_rows")
