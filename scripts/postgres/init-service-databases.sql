-- The users and databases of docker-compose.yml, created by the postgres image (as its superuser) when the volume
-- is first initialised. Temporal and each service connect as a user of their own that owns their own databases and
-- nothing else: no user may create databases or roles, and CONNECT is revoked from PUBLIC on every database, so a
-- user reaches only the databases it owns. The passwords come from the container's environment (from .env, see
-- .env.example). `npm run compose:check` holds the compose file's connections against this file.

\getenv temporal_password TEMPORAL_DB_PASSWORD
\getenv orders_password ORDERS_DB_PASSWORD
\getenv inventory_password INVENTORY_DB_PASSWORD
\getenv payments_password PAYMENTS_DB_PASSWORD
\getenv shipping_password SHIPPING_DB_PASSWORD

CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE ROLE orders LOGIN PASSWORD :'orders_password';
CREATE ROLE inventory LOGIN PASSWORD :'inventory_password';
CREATE ROLE payments LOGIN PASSWORD :'payments_password';
CREATE ROLE shipping LOGIN PASSWORD :'shipping_password';

-- Owners: since PostgreSQL 15 the owner of a database owns its public schema too, so each user creates its tables.
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
CREATE DATABASE orders OWNER orders;
CREATE DATABASE inventory OWNER inventory;
CREATE DATABASE payments OWNER payments;
CREATE DATABASE shipping OWNER shipping;

-- An owner keeps CONNECT on its own databases; the superuser needs none.
REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;
REVOKE CONNECT ON DATABASE temporal, temporal_visibility FROM PUBLIC;
REVOKE CONNECT ON DATABASE orders, inventory, payments, shipping FROM PUBLIC;
