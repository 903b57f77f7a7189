"""Large table (on a big site): the data migration updates every API token.
"""
from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def expire_after_ttl(apps, schema_editor):
    """Tokens issued before expiry existed last API_TOKEN_TTL_DAYS from their creation, as new ones do."""
    ApiToken = apps.get_model("api", "ApiToken")
    ApiToken.objects.update(expires_at=models.F("created_at") + timedelta(days=settings.API_TOKEN_TTL_DAYS))


class Migration(migrations.Migration):

    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires at"),
        ),
        migrations.RunPython(expire_after_ttl, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(help_text="API_TOKEN_TTL_DAYS after it was issued.", verbose_name="expires at"),
        ),
    ]
