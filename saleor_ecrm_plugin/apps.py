from __future__ import annotations

from django.apps import AppConfig


class EcrmConfig(AppConfig):
    name = "saleor_ecrm_plugin"
    label = "saleor_ecrm"
    verbose_name = "e-CRM"

    def ready(self) -> None:
        from .preferences import signals

        signals.connect()
