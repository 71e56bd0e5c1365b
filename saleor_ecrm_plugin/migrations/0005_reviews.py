# Review requests and reviews (issue 6)

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0004_abandoned_checkout"),
    ]

    operations = [
        migrations.CreateModel(
            name="Review",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("product_id", models.IntegerField()),
                ("variant_id", models.IntegerField(blank=True, null=True)),
                ("order_id", models.CharField(max_length=64)),
                ("order_line_id", models.CharField(max_length=64, unique=True)),
                ("email", models.EmailField(max_length=254)),
                ("user_id", models.IntegerField(blank=True, null=True)),
                ("author_name", models.CharField(blank=True, default="", max_length=64)),
                ("rating", models.PositiveSmallIntegerField()),
                ("comment", models.TextField(blank=True, default="")),
                ("status", models.CharField(choices=[("pending", "Waiting for moderation"), ("approved", "Published"), ("rejected", "Rejected")], default="pending", max_length=16)),
                ("moderated_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["product_id", "status"], name="ecrm_review_product_idx"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["order_id"], name="ecrm_review_order_idx"),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["status", "created_at"], name="ecrm_review_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.CheckConstraint(check=models.Q(("rating__gte", 1), ("rating__lte", 5)), name="ecrm_review_rating_1_to_5"),
        ),
    ]
