#!/bin/sh
# The compose service `replica`: on its first start its data directory becomes a streaming copy of the primary
# (`pg_basebackup -R`: it writes standby.signal and the primary's address), then it runs "$@" (the image's own
# entrypoint and postgres, a read-only hot standby). Later starts find the copy and only resume streaming.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  as_postgres=""
  if [ "$(id -u)" = 0 ]; then as_postgres="gosu postgres"; fi
  $as_postgres pg_basebackup --host "$PRIMARY_HOST" --port "${PRIMARY_PORT:-5432}" \
    --username "${REPLICATION_USER:-replicator}" --pgdata "$PGDATA" \
    --write-recovery-conf --wal-method stream --checkpoint fast
fi
exec "$@"
