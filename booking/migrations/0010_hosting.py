"""Centres host organisations (DESIGN §3). Existing organisations are hosted by every centre where they have
bookings, their home being the centre of their first booking; one without bookings is hosted by every centre,
its home being the first centre created. Staff then look after exactly the organisations they looked after
before, as far as their bookings tell; a superuser may narrow it down in the admin.

Large table: the data migration reads every booking once (one query per organisation).
"""

import django.db.models.deletion
from django.db import migrations, models


def host_existing_organisations(apps, schema_editor):
    Centre = apps.get_model("booking", "Centre")
    Booking = apps.get_model("booking", "Booking")
    Hosting = apps.get_model("booking", "Hosting")
    Organisation = apps.get_model("ngo", "Organisation")
    all_centres = list(Centre.objects.order_by("pk").values_list("pk", flat=True))
    hostings = []
    for organisation_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
        centres = list(dict.fromkeys(
            Booking.objects.filter(organisation_id=organisation_id).order_by("created_at", "pk")
            .values_list("resource__centre_id", flat=True)))
        for index, centre_id in enumerate(centres or all_centres):
            hostings.append(Hosting(centre_id=centre_id, organisation_id=organisation_id, home=index == 0))
    Hosting.objects.bulk_create(hostings)


class Migration(migrations.Migration):

    dependencies = [
        ('booking', '0009_accessibility_statement'),
        ('ngo', '0002_organisation_krs_message_description_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='Hosting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('home', models.BooleanField(default=False, verbose_name='home centre')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='hosted since')),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hostings', to='booking.centre', verbose_name='centre')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hostings', to='ngo.organisation', verbose_name='organisation')),
            ],
            options={
                'verbose_name': 'hosting',
                'verbose_name_plural': 'hostings',
            },
        ),
        migrations.AddField(
            model_name='centre',
            name='hosted_organisations',
            field=models.ManyToManyField(blank=True, related_name='centres', through='booking.Hosting', to='ngo.organisation', verbose_name='hosted organisations'),
        ),
        migrations.AddConstraint(
            model_name='hosting',
            constraint=models.UniqueConstraint(fields=('centre', 'organisation'), name='unique_hosting'),
        ),
        migrations.AddConstraint(
            model_name='hosting',
            constraint=models.UniqueConstraint(condition=models.Q(('home', True)), fields=('organisation',), name='one_home_centre'),
        ),
        migrations.RunPython(host_existing_organisations, migrations.RunPython.noop),
    ]
