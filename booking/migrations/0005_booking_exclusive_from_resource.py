"""On PostgreSQL the database, not the writer, decides which bookings the exclusion constraint covers.

`booking.exclusive` copies `resource.units == 1`. A trigger sets it on every insert and update of a booking,
and keeps it in step when a resource's units change, so a raw insert that leaves it out or claims
`exclusive = false` is still refused when it overlaps an active booking of a single-unit resource.
Nothing to do on SQLite, which has no exclusion constraint.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION booking_set_exclusive() RETURNS trigger AS $$
BEGIN
    NEW.exclusive := COALESCE((SELECT units = 1 FROM booking_resource WHERE id = NEW.resource_id), true);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER booking_set_exclusive BEFORE INSERT OR UPDATE ON booking_booking
FOR EACH ROW EXECUTE FUNCTION booking_set_exclusive();

CREATE OR REPLACE FUNCTION booking_resource_units_changed() RETURNS trigger AS $$
BEGIN
    UPDATE booking_booking SET exclusive = (NEW.units = 1)
    WHERE resource_id = NEW.id AND exclusive <> (NEW.units = 1);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER booking_resource_units_changed AFTER UPDATE OF units ON booking_resource
FOR EACH ROW WHEN (OLD.units IS DISTINCT FROM NEW.units) EXECUTE FUNCTION booking_resource_units_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS booking_resource_units_changed ON booking_resource;
DROP FUNCTION IF EXISTS booking_resource_units_changed();
DROP TRIGGER IF EXISTS booking_set_exclusive ON booking_booking;
DROP FUNCTION IF EXISTS booking_set_exclusive();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("booking", "0004_series_mode_skipped")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
