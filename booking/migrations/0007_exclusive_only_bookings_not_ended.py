"""A resource that goes back to one unit puts only its bookings that have not ended under the exclusion constraint.

Bookings that are over may overlap (the resource had more units then), and would make lowering the units fail.
`exclusive` is now `units = 1` for a booking not yet ended when it is written; a unit added takes every booking
out of the constraint, as before. `booking.services.save_resource` does the same on SQLite.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION booking_set_exclusive() RETURNS trigger AS $$
BEGIN
    NEW.exclusive := COALESCE((SELECT units = 1 FROM booking_resource WHERE id = NEW.resource_id), true)
                     AND NEW."end" > now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION booking_resource_units_changed() RETURNS trigger AS $$
BEGIN
    UPDATE booking_booking SET exclusive = (NEW.units = 1)
    WHERE resource_id = NEW.id AND exclusive <> (NEW.units = 1) AND (NEW.units <> 1 OR "end" > now());
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION booking_set_exclusive() RETURNS trigger AS $$
BEGIN
    NEW.exclusive := COALESCE((SELECT units = 1 FROM booking_resource WHERE id = NEW.resource_id), true);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION booking_resource_units_changed() RETURNS trigger AS $$
BEGIN
    UPDATE booking_booking SET exclusive = (NEW.units = 1)
    WHERE resource_id = NEW.id AND exclusive <> (NEW.units = 1);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("booking", "0006_booking_resource_end_index")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(PREVIOUS))]
