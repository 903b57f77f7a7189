#!/bin/sh
# Lets a streaming replica (the compose service `replica`) copy this PostgreSQL server: a REPLICATION role and a
# pg_hba.conf line for it. The postgres image runs this once, when it creates the database (mounted into
# /docker-entrypoint-initdb.d); on an existing database run it by hand (README, "Scaling").
set -eu
if [ -z "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
  echo "POSTGRES_REPLICATION_PASSWORD is not set: no replication role (a replica cannot copy this server)"
  exit 0
fi
role="${REPLICATION_USER:-replicator}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="$role" -v password="$POSTGRES_REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I WITH REPLICATION LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH PASSWORD %L', :'role', :'password') \gexec
SQL
line="host replication $role all scram-sha-256"
grep -qxF "$line" "$PGDATA/pg_hba.conf" || echo "$line" >> "$PGDATA/pg_hba.conf"
psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "SELECT pg_reload_conf()" > /dev/null
