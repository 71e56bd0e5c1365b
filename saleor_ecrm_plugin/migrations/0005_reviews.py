# Review requests and reviews (issue 6)

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0004_abandoned_checkout"),
    ]

    operations = []
