# Abandoned-checkout reminders (issue 4)

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0003_recommendations"),
    ]

    operations = []
