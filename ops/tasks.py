"""The nightly backup (Celery beat, config/celery.py): `manage.py backup` run by a worker."""
from celery import shared_task
from django.core.management import call_command


@shared_task
def nightly_backup():
    call_command("backup")
