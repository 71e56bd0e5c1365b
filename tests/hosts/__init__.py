"""The test side of the host adapters: one folder per Saleor line with the same
factory API (``make_product``, ``make_order``, ``fulfill``...), picked by the
installed Saleor as the plugin's own adapter is (``saleor_ecrm_plugin.host.port``).

``tests.factories`` re-exports the current host's factories; tests that only hold
on one host carry the ``saleor210`` or ``saleor321`` marker (tests/conftest.py).
"""

from __future__ import annotations

from saleor_ecrm_plugin.host.port import adapter_for_version, installed_saleor_version

#: "saleor210" or "saleor321": the adapter of the installed Saleor
HOST = adapter_for_version(installed_saleor_version())
SALEOR3 = HOST == "saleor321"
