# The frequency cap and the conversion credits look up a recipient's sent emails
# with ``recipient__iexact`` (SQL: UPPER("recipient"::text) = UPPER(...)), which the
# (recipient, status) index cannot serve: without this index each capped marketing
# email read the whole ledger. Django 3.0 has no expression indexes in Meta.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0006_back_in_stock"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS ecrm_send_sent_rcpt_idx"
            " ON saleor_ecrm_scheduledsend (UPPER((recipient)::text), sent_at)"
            " WHERE status = 'sent'",
            "DROP INDEX IF EXISTS ecrm_send_sent_rcpt_idx",
        ),
    ]
