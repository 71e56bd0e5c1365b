"""The plugin's stored configuration, as the dashboard would leave it."""

from __future__ import annotations

from typing import Any

from saleor_ecrm_plugin.constants import PLUGIN_ID


def configure_plugin(active: bool = True, **values: Any) -> None:
    """Store the plugin's configuration as the dashboard would (defaults + values)."""
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.config import default_configuration

    items = default_configuration()
    for item in items:
        if item["name"] in values:
            item["value"] = values[item["name"]]
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        defaults={"name": "e-CRM", "active": active, "configuration": items},
    )
