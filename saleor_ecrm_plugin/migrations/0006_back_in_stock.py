# Back-in-stock subscriptions (issue 7)

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0005_reviews"),
    ]

    operations = []
