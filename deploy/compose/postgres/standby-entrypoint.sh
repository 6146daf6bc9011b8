#!/bin/bash
# A streaming standby of $PRIMARY_HOST: on first start, copy the primary with pg_basebackup (-R writes
# primary_conninfo and standby.signal), then run PostgreSQL as the image normally does.
set -euo pipefail
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -U replicator >/dev/null 2>&1; do sleep 1; done
  gosu postgres env PGPASSWORD="$REPLICATOR_PASSWORD" \
    pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -X stream -R -S standby -c fast
fi
# cluster_name is the WAL receiver's application_name: the primary's pg_stat_replication names this standby "standby",
# as the collector does.
exec docker-entrypoint.sh postgres -c hot_standby=on -c cluster_name=standby
