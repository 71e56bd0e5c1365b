# Back-in-stock subscriptions (issue 7)

import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_ecrm", "0005_reviews"),
    ]

    operations = [
        migrations.CreateModel(
            name='BackInStockSubscription',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('variant_id', models.IntegerField()),
                ('product_id', models.IntegerField()),
                ('email', models.EmailField(max_length=254)),
                ('user_id', models.IntegerField(blank=True, null=True)),
                ('client_hash', models.CharField(blank=True, default='', max_length=64)),
                ('status', models.CharField(choices=[('open', 'Waiting for stock'), ('notified', 'Alert planned or sent'), ('cancelled', 'Cancelled')], default='open', max_length=16)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('wave', models.PositiveIntegerField(blank=True, null=True)),
                ('cancel_reason', models.CharField(blank=True, default='', max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='VariantWatch',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('variant_id', models.IntegerField(unique=True)),
                ('available', models.IntegerField(default=0)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('waves', models.PositiveIntegerField(default=0)),
                ('last_wave_at', models.DateTimeField(blank=True, null=True)),
                ('next_wave_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddIndex(
            model_name='backinstocksubscription',
            index=models.Index(condition=models.Q(status='open'), fields=['variant_id', 'created_at', 'id'], name='ecrm_bis_open_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='backinstocksubscription',
            index=models.Index(condition=models.Q(status='open'), fields=['email'], name='ecrm_bis_open_email_idx'),
        ),
        migrations.AddIndex(
            model_name='backinstocksubscription',
            index=models.Index(fields=['client_hash', 'created_at'], name='ecrm_bis_client_idx'),
        ),
        migrations.AddConstraint(
            model_name='backinstocksubscription',
            constraint=models.UniqueConstraint(condition=models.Q(status='open'), fields=('variant_id', 'email'), name='ecrm_bis_one_open_per_email'),
        ),
        migrations.AddConstraint(
            model_name='backinstocksubscription',
            constraint=models.CheckConstraint(check=models.Q(email=django.db.models.functions.text.Lower('email')), name='ecrm_bis_email_lower'),
        ),
    ]
