"""What the segments and A/B tests store: the level per contact, each test's state,
and which variant each email carried."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .levels import LEVELS

try:  # Django >= 3.1 (Saleor 3.x): PostgreSQL's is a system-check error in Django 4+
    from django.db.models import JSONField  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Django 3.0 (Saleor 2.10)
    from django.contrib.postgres.fields import JSONField


class ContactEngagement(models.Model):
    """An address's engagement level, as the last daily recompute found it
    (:mod:`.engagement`). Written only by that set-based statement, and only when
    its figures changed: ``computed_on`` is the day they were computed (the level
    holds until the next run that finds them different; :class:`EngagementRun`
    says when the last run was), ``level_since`` the day the level began."""

    email = models.CharField(max_length=254, unique=True)  # lower case
    level = models.CharField(max_length=16, choices=[(v, v) for v in LEVELS])
    received = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)
    bought_after_click = models.BooleanField(default=False)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    last_engaged_at = models.DateTimeField(null=True, blank=True)
    #: the day the level was computed, and the day it last changed
    computed_on = models.DateField()
    level_since = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["level"], name="ecrm_engagement_level_idx")]


class EngagementRun(models.Model):
    """One daily recompute: when, how many rows it wrote or removed, and the
    number of addresses per level it left."""

    computed_at = models.DateTimeField()
    written = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    levels = JSONField(default=dict)


class AbTestStatus(models.TextChoices):
    RUNNING = "running", "Running"
    WINNER = "winner", "Winner declared"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class AbTestState(models.Model):
    """The state of one A/B test configured in the dashboard (``ab_tests``)."""

    test_id = models.CharField(max_length=64, unique=True)
    program = models.CharField(max_length=64)
    step = models.CharField(max_length=64)
    metric = models.CharField(max_length=16)
    status = models.CharField(
        max_length=16, choices=AbTestStatus.choices, default=AbTestStatus.RUNNING
    )
    winner = models.CharField(max_length=32, blank=True, default="")
    #: the winner's posterior probability of beating each other variant (the lowest)
    probability = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)


class AbAssignment(models.Model):
    """The variant one email was rendered with. ``in_test``: assigned while the test
    was running (only those count in its results; afterwards every email gets the
    winner)."""

    send = models.OneToOneField(
        "saleor_ecrm.ScheduledSend",
        related_name="ab_assignment",
        on_delete=models.CASCADE,
    )
    test_id = models.CharField(max_length=64)
    variant = models.CharField(max_length=32)
    in_test = models.BooleanField(default=True)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["test_id", "variant"], name="ecrm_ab_variant_idx")
        ]
