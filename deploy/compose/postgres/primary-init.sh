#!/bin/bash
# Runs once, when the primary's data directory is first initialised (docker-entrypoint-initdb.d).
# Creates the replication user and the least-privileged monitoring user replwatch's collector uses.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD '${REPLICATOR_PASSWORD}';
CREATE ROLE monitor WITH LOGIN PASSWORD '${MONITOR_PASSWORD}' IN ROLE pg_monitor;
SELECT pg_create_physical_replication_slot('standby');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
