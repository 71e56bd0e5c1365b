from __future__ import annotations

from django.apps import AppConfig


class EcrmConfig(AppConfig):
    name = "saleor_ecrm_plugin"
    label = "saleor_ecrm"
    verbose_name = "e-CRM"

    def ready(self) -> None:
        # Programs register themselves on import; importing the package that holds
        # them here makes the registry complete in web processes and workers alike.
        from . import programs  # noqa: F401
        from .preferences import signals

        signals.connect()
