# The foreign key index of clicks and opens on ``send_id`` duplicated the leading
# column of ``ecrm_click_send_idx`` / ``ecrm_open_send_idx`` (send, time), which
# serve every lookup by send (the sweep check, cascades). It only cost every click
# and open one more index write.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_ecrm", "0016_latest_purchase"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailclick",
            name="send",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="clicks",
                to="saleor_ecrm.ScheduledSend",
            ),
        ),
        migrations.AlterField(
            model_name="emailopen",
            name="send",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="opens",
                to="saleor_ecrm.ScheduledSend",
            ),
        ),
    ]
