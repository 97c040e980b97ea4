--
-- Connections follow their servers: the connection (curl handles, kept
-- credentials) of a user mapping is closed by the end of the transaction
-- that alters or drops its server or mapping, or rolls such a change back;
-- a scan in progress keeps its own until it ends.  dwsdr_get_connections(),
-- dwsdr_disconnect(server) and dwsdr_disconnect_all() show and close this
-- backend's connections, for any role, and only this backend's.
--
SET client_min_messages = warning;
CREATE SERVER conn_a FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE SERVER conn_b FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER conn_a
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR PUBLIC SERVER conn_b
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA conn_sa;
CREATE SCHEMA conn_sb;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER conn_a INTO conn_sa;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER conn_b INTO conn_sb;
CREATE EXTENSION dblink;
RESET client_min_messages;

-- this backend's connections, with the role shown as "me" when it is the
-- current user (the name of the superuser running the tests varies)
CREATE VIEW conns AS
  SELECT server_name,
         CASE WHEN user_name = current_user THEN 'me' ELSE user_name END AS user_name,
         valid, in_use, idle_handles > 0 AS has_idle, in_flight
    FROM dwsdr_get_connections()
   ORDER BY server_name NULLS FIRST, user_name;
-- one answer from each server
CREATE FUNCTION ask(s text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(progress) FROM %I.dr_clusters
                   WHERE dr_id = ''b303b78d-438c-41dd-aaf6-c98eea1fc2a6''', s) INTO n;
  RETURN n;
END $$;

-- none before the first query; then one per user mapping used
SELECT * FROM conns;
SELECT ask('conn_sa'), ask('conn_sb');
SELECT * FROM conns;
-- the same mapping again: the same connection, no new one
SELECT ask('conn_sa');
SELECT count(*) FROM dwsdr_get_connections();

-- ALTER SERVER: invalid at once, closed by the end of the transaction
BEGIN;
ALTER SERVER conn_a OPTIONS (ADD max_retries '2');
SELECT * FROM conns;
COMMIT;
SELECT * FROM conns;
-- the next query opens a new one with the new definition
SELECT ask('conn_sa');
SELECT * FROM conns;

-- a rolled-back ALTER: the rollback is a change as well; the next query
-- connects again with the old definition
BEGIN;
ALTER SERVER conn_a OPTIONS (SET endpoint 'http://127.0.0.1:1');
SELECT * FROM conns;
ROLLBACK;
SELECT * FROM conns;
SELECT ask('conn_sa');
SELECT * FROM conns;

-- in the same transaction, a query after the ALTER gets a new connection;
-- the committed change reaches this backend once more at its next command
-- (as every backend gets it), so that one is remade once too
BEGIN;
ALTER SERVER conn_a OPTIONS (SET max_retries '1');
SELECT ask('conn_sa');
SELECT * FROM conns;
COMMIT;
SELECT * FROM conns;
SELECT ask('conn_sa');
SELECT * FROM conns;

-- ALTER USER MAPPING outside a transaction block: closed at once
ALTER USER MAPPING FOR PUBLIC SERVER conn_b
  OPTIONS (SET secret_key 'demo-secret-key-0001');
SELECT * FROM conns;
SELECT ask('conn_sb');

-- DROP USER MAPPING, within a transaction and after it
BEGIN;
DROP USER MAPPING FOR PUBLIC SERVER conn_b;
SELECT * FROM conns;
COMMIT;
SELECT * FROM conns;

-- DROP SERVER: the server's name is gone within the transaction
CREATE SERVER conn_c FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER conn_c
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA conn_sc;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER conn_c INTO conn_sc;
SELECT ask('conn_sc');
SELECT * FROM conns;
BEGIN;
SET LOCAL client_min_messages = warning;
DROP SERVER conn_c CASCADE;
SELECT * FROM conns;
COMMIT;
SELECT * FROM conns;

-- a scan in progress keeps its connection through an ALTER; a new query in
-- the same transaction gets a new one; the old one goes with the cursor
BEGIN;
DECLARE cur CURSOR FOR
  SELECT side FROM conn_sa.dr_clusters
   WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
FETCH 1 FROM cur;
SELECT * FROM conns;
ALTER SERVER conn_a OPTIONS (SET max_retries '3');
SELECT * FROM conns;
SELECT ask('conn_sa');
SELECT * FROM conns;
FETCH 1 FROM cur;
CLOSE cur;
SELECT * FROM conns;
COMMIT;

-- dwsdr_disconnect: true when it closed one, false when there was none
SELECT ask('conn_sa');
CREATE USER MAPPING FOR PUBLIC SERVER conn_b
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
SELECT ask('conn_sb');
SELECT * FROM conns;
SELECT dwsdr_disconnect('conn_a');
SELECT * FROM conns;
SELECT dwsdr_disconnect('conn_a');
SELECT dwsdr_disconnect('no_such_server');
SELECT dwsdr_disconnect(NULL);
-- and the next query connects again
SELECT ask('conn_sa');
SELECT dwsdr_disconnect_all();
SELECT * FROM conns;
SELECT dwsdr_disconnect_all();

-- a connection in use is not closed: a WARNING, and it closes when its
-- scan ends
BEGIN;
DECLARE cur CURSOR FOR
  SELECT side FROM conn_sa.dr_clusters
   WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
FETCH 1 FROM cur;
SELECT dwsdr_disconnect('conn_a');
SELECT * FROM conns;
FETCH 1 FROM cur;
CLOSE cur;
SELECT * FROM conns;
COMMIT;

-- a role that is not a superuser: uses its own mapping; sees and closes the
-- connections of its own session; another session sees none of them
CREATE ROLE conn_user;
GRANT USAGE ON FOREIGN SERVER conn_a TO conn_user;
GRANT USAGE ON SCHEMA conn_sa TO conn_user;
GRANT SELECT ON conn_sa.dr_clusters TO conn_user;
GRANT SELECT ON conns TO conn_user;
CREATE USER MAPPING FOR conn_user SERVER conn_a
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
SET ROLE conn_user;
SELECT ask('conn_sa');
SELECT * FROM conns;
RESET ROLE;
SELECT dblink_connect('conn_peer',
         format('dbname=%s host=%s port=%s', current_database(),
                current_setting('unix_socket_directories'), current_setting('port')));
SELECT * FROM dblink('conn_peer', 'SELECT count(*) FROM dwsdr_get_connections()') AS t(n bigint);
SELECT dblink_disconnect('conn_peer');
SET ROLE conn_user;
SELECT dwsdr_disconnect_all();
SELECT * FROM conns;
RESET ROLE;
-- its mapping dropped: closed at once (no transaction block)
SET ROLE conn_user;
SELECT ask('conn_sa');
RESET ROLE;
DROP USER MAPPING FOR conn_user SERVER conn_a;
SELECT * FROM conns;

SET client_min_messages = warning;
REVOKE ALL ON FOREIGN SERVER conn_a FROM conn_user;
REVOKE ALL ON SCHEMA conn_sa FROM conn_user;
REVOKE ALL ON conn_sa.dr_clusters FROM conn_user;
REVOKE ALL ON conns FROM conn_user;
DROP ROLE conn_user;
DROP SCHEMA conn_sa, conn_sb, conn_sc CASCADE;
DROP VIEW conns;
DROP FUNCTION ask(text);
DROP SERVER conn_a, conn_b CASCADE;
DROP EXTENSION dblink;
