"""The sample digest program (see the package's docstring)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Optional

from django.utils import timezone

from saleor_ecrm_plugin.ecrm_settings import EcrmSettings
from saleor_ecrm_plugin.fields import (
    ConfigField,
    FieldType,
    ProgramOptions,
    parse_bool,
    parse_text,
)
from saleor_ecrm_plugin.ledger import PlannedSend, plan_send
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.preferences.models import EmailContact, NewsletterStatus
from saleor_ecrm_plugin.programs.base import EmailSpec, Program
from saleor_ecrm_plugin.programs.decision import SEND, Decision, skip

TEMPLATE = "ecrm_test/sample_digest"


@dataclass(frozen=True)
class SampleDigestOptions(ProgramOptions):
    sample_digest_enabled: bool
    sample_digest_headline: str

    FIELDS = (
        ConfigField(
            "sample_digest_enabled",
            "Weekly digest: on",
            "Send the newsletter's subscribers a digest of the week, once a week.",
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "sample_digest_headline",
            "Weekly digest: headline",
            "The first line of the digest.",
            "New this week",
            parse_text,
        ),
    )


class SampleDigestProgram(Program):
    id = "test_sample_digest"
    category = "newsletter"
    Options = SampleDigestOptions
    enabled_field = "sample_digest_enabled"
    scan_methods = ("plan_digests",)
    hook_methods = ("plan_digest",)

    def options(self, settings: EcrmSettings) -> SampleDigestOptions:
        return settings.options(self.id, SampleDigestOptions)

    def plan_digest(
        self, settings: EcrmSettings, email: str, now: Optional[datetime] = None
    ) -> bool:
        """Plan this ISO week's digest for ``email`` (once per week and address)."""
        if not self.is_enabled(settings):
            return False
        now = now or timezone.now()
        digest = hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:40]
        week = now.strftime("%G%V")
        return plan_send(
            PlannedSend(
                program=self.id,
                step="digest",
                recipient=email,
                subject_type="week",
                subject_id=week,
                due_at=now,
                key=f"{self.id}:{digest}:{week}",
            )
        )

    def plan_digests(self, settings: EcrmSettings) -> Dict[str, int]:
        """The periodic scan: this week's digest for every confirmed subscriber."""
        if not self.is_enabled(settings):
            return {"planned": 0}
        emails = EmailContact.objects.filter(
            newsletter=NewsletterStatus.CONFIRMED
        ).values_list("email", flat=True)
        return {"planned": sum(self.plan_digest(settings, email) for email in emails)}

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        status = (
            EmailContact.objects.filter(email__iexact=send.recipient)
            .values_list("newsletter", flat=True)
            .first()
        )
        if status != NewsletterStatus.CONFIRMED:
            return skip("not_subscribed")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        context: Dict[str, Any] = {
            "headline": self.options(settings).sample_digest_headline,
            "week": send.subject_id,
            "shop_url": settings.storefront_url,
        }
        return EmailSpec(template=TEMPLATE, context=context)
