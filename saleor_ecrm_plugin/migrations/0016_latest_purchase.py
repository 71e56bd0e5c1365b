# Replenishment's own copy of the order history (issue 18): each address's latest
# line of each product with its reminder's due time, so that the daily planning is
# an index range scan of the due day.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0015_segments_ab"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestPurchase",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.CharField(max_length=254)),
                ("product_id", models.IntegerField()),
                ("order_id", models.CharField(max_length=64)),
                ("line_id", models.CharField(max_length=64)),
                ("variant_id", models.IntegerField()),
                ("quantity", models.IntegerField()),
                ("ordered_at", models.DateTimeField()),
                ("interval_days", models.FloatField(null=True)),
                ("due_at", models.DateTimeField(null=True)),
                ("share", models.FloatField(default=0)),
            ],
            options={"db_table": "saleor_ecrm_latestpurchase"},
        ),
        migrations.AddConstraint(
            model_name="latestpurchase",
            constraint=models.UniqueConstraint(fields=("email", "product_id"), name="ecrm_latest_purchase_unique"),
        ),
        migrations.AddIndex(
            model_name="latestpurchase",
            index=models.Index(fields=["due_at"], name="ecrm_latest_purchase_due_idx"),
        ),
    ]
