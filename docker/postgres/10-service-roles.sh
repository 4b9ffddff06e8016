#!/bin/sh
# PostgreSQL's /docker-entrypoint-initdb.d runs this once, on an empty data volume.
# One database per service, each with two roles, neither a superuser:
#   <service>_owner  owns the database and its schema: the migrations run as it;
#   <service>_app    what the running service connects as: rows only (SELECT, INSERT,
#                    UPDATE, DELETE on every table the owner creates, now or later), no
#                    DDL, no other service's database.
# Passwords come from compose secrets (files under SECRETS_DIR, /run/secrets by default).
set -eu
SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"

service_database() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
        --dbname "${POSTGRES_DB:-postgres}" \
        -v db="$1" -v owner="$1_owner" -v app="$1_app" \
        -v owner_password="$(cat "$SECRETS_DIR/$1_db_owner_password")" \
        -v app_password="$(cat "$SECRETS_DIR/$1_db_app_password")" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
\connect :"db"
-- The owner creates the tables; the app may only use the schema, not create in it.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
}

service_database auth
service_database resource
