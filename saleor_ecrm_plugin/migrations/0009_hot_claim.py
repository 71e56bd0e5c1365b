# The claim becomes a HOT update: it no longer changes a column any index reads.
#
# Before, a claim set status = 'sending' and moved next_attempt_at to the end of the
# lease; both were read by index conditions (status) or keys (next_attempt_at), so
# PostgreSQL wrote a new entry in every index of the table for every claimed row, at
# random leaf pages: the claim got slower as the ledger grew past shared_buffers.
#
# Now the lease has its own column (lease_expires_at), next_attempt_at keeps the due
# time while a row is being sent and is NULL once the row is closed, and the two
# partial indexes are conditioned on next_attempt_at / sent_at instead of status. The
# table keeps 20 % of each page free so that a claimed row's new version fits in its
# page (fillfactor applies to pages written from now on).

from django.db import migrations, models

TABLE = "saleor_ecrm_scheduledsend"


class Migration(migrations.Migration):
    dependencies = [
        ("saleor_ecrm", "0008_drop_unused_recipient_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="scheduledsend",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="scheduledsend",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # rows being sent: their next_attempt_at was the end of their lease
        migrations.RunSQL(
            f"UPDATE {TABLE} SET lease_expires_at = next_attempt_at"
            " WHERE status = 'sending'",
            f"UPDATE {TABLE} SET next_attempt_at = lease_expires_at"
            " WHERE status = 'sending'",
        ),
        migrations.RunSQL(
            f"UPDATE {TABLE} SET next_attempt_at = NULL"
            " WHERE status NOT IN ('planned', 'sending')",
            f"UPDATE {TABLE} SET next_attempt_at = updated_at"
            " WHERE next_attempt_at IS NULL",
        ),
        migrations.RemoveIndex(
            model_name="scheduledsend",
            name="ecrm_send_open_due_idx",
        ),
        migrations.AddIndex(
            model_name="scheduledsend",
            index=models.Index(
                condition=models.Q(next_attempt_at__isnull=False),
                fields=["next_attempt_at"],
                name="ecrm_send_due_idx",
            ),
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS ecrm_send_sent_rcpt_idx;"
            " CREATE INDEX ecrm_send_sent_rcpt_idx"
            f" ON {TABLE} (UPPER((recipient)::text), sent_at)"
            " WHERE sent_at IS NOT NULL",
            "DROP INDEX IF EXISTS ecrm_send_sent_rcpt_idx;"
            " CREATE INDEX ecrm_send_sent_rcpt_idx"
            f" ON {TABLE} (UPPER((recipient)::text), sent_at)"
            " WHERE status = 'sent'",
        ),
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} SET (fillfactor = 80)",
            f"ALTER TABLE {TABLE} RESET (fillfactor)",
        ),
    ]
