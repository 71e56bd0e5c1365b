"""The plugin's stored configuration, as the dashboard would leave it."""

from __future__ import annotations

from typing import Any

from saleor_ecrm_plugin.constants import PLUGIN_ID


def configure_plugin(active: bool = True, **values: Any) -> None:
    """Store the plugin's configuration as the dashboard would (defaults + values).

    Click tracking (on by default in a shop) is off here unless ``track_clicks`` is
    given: most tests read the targets of an email's links, the click tests
    (``test_click_tracking.py``) turn it on. Quiet hours (21-8 by default) are off
    here unless given, so that a test's outcome does not depend on the hour it runs at;
    the quiet-hour tests set them."""
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.config import default_configuration

    values.setdefault("track_clicks", False)
    values.setdefault("quiet_hours", "")
    items = default_configuration()
    for item in items:
        if item["name"] in values:
            item["value"] = values[item["name"]]
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        defaults={"name": "e-CRM", "active": active, "configuration": items},
    )
