"""Periodic housekeeping of accounts (Celery beat, config/celery.py)."""
from celery import shared_task

from .gdpr import purge_unconfirmed


@shared_task(ignore_result=True)
def purge_unconfirmed_accounts():
    """Accounts signed up on the site and still unconfirmed after SIGNUP_UNCONFIRMED_DAYS go (ngo.signup)."""
    purge_unconfirmed()
