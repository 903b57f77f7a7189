"""Local days as instants: a report's or an export's period is whole days in the centre's time zone."""
from datetime import datetime, time

from django.utils import timezone


def local_day_start(day, centre=None):
    """Midnight of `day` in the centre's time zone (the project's when no centre is given)."""
    tz = centre.tz if centre is not None else timezone.get_default_timezone()
    return datetime.combine(day, time.min, tzinfo=tz)
