# Engagement levels per contact, A/B tests' state and assignments (segments/), and
# the consent log's "suppression lifted" action (list cleaning, programs/reactivation).

import django.contrib.postgres.fields.jsonb
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0011_consent_request_index"),
        # merged into this branch: its SQL reads the click and open events (clicks)
        # and the RFM scores (life2)
        ("saleor_ecrm", "0014_engagement_events"),
        ("saleor_ecrm", "0013_lifecycle_b"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactEngagement",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.CharField(max_length=254, unique=True)),
                ("level", models.CharField(choices=[("super_active", "super_active"), ("active", "active"), ("semi_active", "semi_active"), ("inactive", "inactive"), ("new", "new")], max_length=16)),
                ("received", models.PositiveIntegerField(default=0)),
                ("opened", models.PositiveIntegerField(default=0)),
                ("clicked", models.PositiveIntegerField(default=0)),
                ("bought_after_click", models.BooleanField(default=False)),
                ("first_sent_at", models.DateTimeField(blank=True, null=True)),
                ("last_engaged_at", models.DateTimeField(blank=True, null=True)),
                ("computed_on", models.DateField()),
                ("level_since", models.DateField()),
            ],
        ),
        migrations.AddIndex(
            model_name="contactengagement",
            index=models.Index(fields=["level"], name="ecrm_engagement_level_idx"),
        ),
        migrations.CreateModel(
            name="EngagementRun",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("computed_at", models.DateTimeField()),
                ("written", models.PositiveIntegerField()),
                ("removed", models.PositiveIntegerField()),
                ("levels", django.contrib.postgres.fields.jsonb.JSONField(default=dict)),
            ],
        ),
        migrations.CreateModel(
            name="AbTestState",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("test_id", models.CharField(max_length=64, unique=True)),
                ("program", models.CharField(max_length=64)),
                ("step", models.CharField(max_length=64)),
                ("metric", models.CharField(max_length=16)),
                ("status", models.CharField(choices=[("running", "Running"), ("winner", "Winner declared"), ("inconclusive", "Inconclusive")], default="running", max_length=16)),
                ("winner", models.CharField(blank=True, default="", max_length=32)),
                ("probability", models.FloatField(blank=True, null=True)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("evaluated_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="AbAssignment",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("test_id", models.CharField(max_length=64)),
                ("variant", models.CharField(max_length=32)),
                ("in_test", models.BooleanField(default=True)),
                ("assigned_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("send", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="ab_assignment", to="saleor_ecrm.ScheduledSend")),
            ],
        ),
        migrations.AddIndex(
            model_name="abassignment",
            index=models.Index(fields=["test_id", "variant"], name="ecrm_ab_variant_idx"),
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="action",
            field=models.CharField(choices=[("granted", "Granted"), ("withdrawn", "Withdrawn"), ("requested", "Requested (waiting for confirmation)"), ("suppressed", "Suppressed by the mail provider"), ("unsuppressed", "Suppression lifted")], max_length=16),
        ),
    ]
