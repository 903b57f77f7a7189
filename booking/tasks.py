"""Celery tasks of the waitlist (booking.waitlist): offering freed time, and passing lapsed offers on."""
from celery import shared_task

from . import waitlist
from .models import WaitlistEntry


@shared_task(ignore_result=True)
def offer_freed_time_task(resource_id):
    """Offer what a committed change freed on the resource to the organisations waiting for it (one query when
    nobody waits)."""
    if WaitlistEntry.objects.filter(resource_id=resource_id).exists():
        waitlist.offer_freed_time(resource_id=resource_id)


@shared_task(ignore_result=True)
def expire_waitlist_offers():
    """Celery beat, every minute: lapsed offers pass to the next organisation waiting, past entries go."""
    waitlist.expire_offers()
