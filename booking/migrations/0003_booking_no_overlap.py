"""On PostgreSQL the database itself refuses overlapping active bookings of single-unit resources.

SQLite has no exclusion constraints; there the services' IMMEDIATE transactions are the guarantee.

Large table: on PostgreSQL building the constraint's GiST index reads every booking and blocks writes to
booking_booking while it runs (minutes for millions of rows; a centre has thousands).
"""
from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (
    resource_id WITH =, tstzrange("start", "end", '[)') WITH &&
) WHERE (exclusive AND status IN ('pending', 'confirmed'));
"""
DROP = "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_initial")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
