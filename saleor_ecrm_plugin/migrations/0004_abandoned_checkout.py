# Abandoned-checkout reminders (issue 4): conversions, scan cursors, and an index on
# Saleor's checkout_checkout.last_change so the periodic scan reads only what changed.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0003_recommendations"),
        ("checkout", "0025_auto_20200221_0257"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScanCursor",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
                ("position", models.DateTimeField(blank=True, null=True)),
                ("after_key", models.CharField(blank=True, default="", max_length=64)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Conversion",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("program", models.CharField(max_length=64)),
                ("order_id", models.CharField(max_length=64)),
                ("revenue", models.DecimalField(decimal_places=2, max_digits=12)),
                ("currency", models.CharField(max_length=3)),
                ("converted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("send", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="conversions", to="saleor_ecrm.ScheduledSend")),
            ],
        ),
        migrations.AddIndex(
            model_name="conversion",
            index=models.Index(fields=["program", "order_id"], name="ecrm_conversion_order_idx"),
        ),
        migrations.AddConstraint(
            model_name="conversion",
            constraint=models.UniqueConstraint(fields=("send", "order_id"), name="ecrm_conversion_once"),
        ),
        # Saleor 2.10 leaves last_change unindexed; the scan pages through it
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS ecrm_checkout_last_change_idx"
            " ON checkout_checkout (last_change, (token::text))",
            "DROP INDEX IF EXISTS ecrm_checkout_last_change_idx",
        ),
    ]
