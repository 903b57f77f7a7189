"""Celery application. Without REDIS_URL the settings make every task run eagerly.

Deployment runs a worker (`celery -A config worker`) and one beat (`celery -A config beat`) for the
periodic tasks below.
"""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Re-queue e-mails still unsent a minute after they were queued (Redis was down, a worker died).
    "relay-outbox": {
        "task": "notifications.tasks.relay_outbox", "schedule": 60.0,
        "options": {"expires": 60},  # runs piled up while no worker listened are dropped, not replayed
    },
    # Reminders the day before, hourly in the daytime; each booking is reminded once.
    "send-reminders": {
        "task": "notifications.tasks.send_reminders", "schedule": crontab(minute=0, hour="8-20"),
        "options": {"expires": 3600},
    },
    # Accounts signed up on the site and never confirmed are deleted after SIGNUP_UNCONFIRMED_DAYS.
    "purge-unconfirmed-accounts": {
        "task": "ngo.tasks.purge_unconfirmed_accounts", "schedule": crontab(minute=30, hour=3),
        "options": {"expires": 3600},
    },
    # The nightly backup into BACKUP_DIR, with retention (ops.tasks, `manage.py backup`; README, "Backups").
    "nightly-backup": {
        "task": "ops.tasks.nightly_backup", "schedule": crontab(minute=30, hour=2),
        "options": {"expires": 6 * 3600},
    },
    # Lapsed waitlist offers pass to the next organisation waiting; entries for past times are dropped.
    "expire-waitlist-offers": {
        "task": "booking.tasks.expire_waitlist_offers", "schedule": 60.0,
        "options": {"expires": 60},
    },
    # Reminders that a lending (lockers, desks by the day) ends in 14 and in 3 days; each once.
    "send-lending-reminders": {
        "task": "notifications.tasks.send_lending_reminders", "schedule": crontab(minute=30, hour="8-20"),
        "options": {"expires": 3600},
    },
    # One reminder per booking whose key or card is still out after it ended.
    "send-key-reminders": {
        "task": "notifications.tasks.send_key_reminders", "schedule": crontab(minute=45, hour="8-20"),
        "options": {"expires": 3600},
    },
    # Letters waiting LETTER_REMINDER_DAYS: their organisation is reminded once; address agreements ending in 30
    # and in 7 days: the organisation and the centre's staff are told, once each.
    "send-letter-reminders": {
        "task": "notifications.tasks.send_letter_reminders", "schedule": crontab(minute=30, hour=8),
        "options": {"expires": 3600},
    },
}
