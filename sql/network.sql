-- TLS and network: certificates are verified by default, ca_file names a
-- private CA, the proxy option is the only way to a proxy, redirects are not
-- followed, only http and https.  scripts/test serves the stand-in's API
-- also over HTTPS on 127.0.0.1:18932 with a certificate for localhost,
-- 127.0.0.1 and dws.example.invalid signed by a CA of its own, whose file
-- is in $DWSDR_CA_FILE; and it runs the server with http_proxy, https_proxy
-- and all_proxy naming a dead proxy and no_proxy=dws.example.invalid,
-- which the FDW must ignore.
\set VERBOSITY default
\getenv ca_file DWSDR_CA_FILE
SET client_min_messages = warning;
CREATE SCHEMA network;
-- the API over HTTPS, by name
CREATE SERVER net_tls FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'https://localhost:18932',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER net_tls
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE network.tls_clusters (dr_id text, side text, status text, progress numeric)
  SERVER net_tls OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE network.tls_progress (dr_id text, recovery_point_object int)
  SERVER net_tls OPTIONS (resource 'dr_progress');
RESET client_min_messages;
-- try(): sql/setup.sql, run first
SET search_path = network, public;

--
-- Certificates are verified by default: the system CA store does not know
-- the stand-in's CA, so the mission query fails with libcurl's reason.
--
EXPLAIN (VERBOSE, COSTS OFF)
SELECT side, status, progress FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
CALL try($$SELECT side, status, progress FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);

--
-- ca_file: the private CA that signed the certificate; the query answers
-- over TLS.
--
ALTER SERVER net_tls OPTIONS (ADD ca_file :'ca_file');
SELECT side, status, progress FROM tls_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
-- the list and show-progress calls too, concurrently over TLS
SELECT dr_id, recovery_point_object FROM tls_progress ORDER BY dr_id;
-- without ca_file again: refused again (nothing verified earlier is reused)
ALTER SERVER net_tls OPTIONS (DROP ca_file);
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- ca_file replaces the system store, it does not add to it: the system
-- bundle does not know the private CA
ALTER SERVER net_tls OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- a ca_file that does not exist: a clear error, at the first call
ALTER SERVER net_tls OPTIONS (SET ca_file '/nonexistent/dwsdr-ca.pem');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- a ca_file that is not PEM certificates
ALTER SERVER net_tls OPTIONS (SET ca_file '/etc/passwd');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER net_tls OPTIONS (SET ca_file :'ca_file');
SELECT side, status FROM tls_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;

--
-- The certificate's IP address (subjectAltName IP:127.0.0.1) is checked too.
--
ALTER SERVER net_tls OPTIONS (SET endpoint 'https://127.0.0.1:18932');
SELECT side, status, progress FROM tls_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
-- the same address as an IPv4-mapped IPv6 one: the same listener, but the
-- certificate does not name it (the host name is verified, not only the CA)
ALTER SERVER net_tls OPTIONS (SET endpoint 'https://[::ffff:127.0.0.1]:18932');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
-- plain http to the TLS port, and https to the plain port: no answer
ALTER SERVER net_tls OPTIONS (SET endpoint 'http://127.0.0.1:18932');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$, brief => true);
ALTER SERVER net_tls OPTIONS (SET endpoint 'https://127.0.0.1:18931');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$, brief => true);

--
-- Redirects are not followed: a 302 is an error (the stand-in points it at
-- another task, whose rows must not come back), for every call.
--
ALTER SERVER net_tls OPTIONS (SET endpoint 'https://localhost:18932');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'fault-redirect'$$);
ALTER SERVER net_tls OPTIONS (SET endpoint 'http://127.0.0.1:18931');
CALL try($$SELECT side, status FROM tls_clusters WHERE dr_id = 'fault-redirect'$$);
CREATE FOREIGN TABLE network.redirect_progress (dr_id text, latest_barrier_time text)
  SERVER net_tls OPTIONS (resource 'dr_progress');
CALL try($$SELECT latest_barrier_time FROM redirect_progress WHERE dr_id = 'fault-redirect'$$);
CREATE FOREIGN TABLE network.redirect_list (dr_id text, project_id text)
  SERVER net_tls OPTIONS (resource 'disaster_recoveries');
CALL try($$SELECT dr_id FROM redirect_list WHERE project_id = 'fault-redirect'$$);
-- a redirect is not retried either: once, then the answer
SELECT 'fault-redirect-once-' || md5(random()::text) AS id_redirect \gset
CALL try(format('SELECT side FROM tls_clusters WHERE dr_id = %L', :'id_redirect'));
SELECT dr_id = :'id_redirect' AS same_id, side, status FROM tls_clusters
 WHERE dr_id = :'id_redirect' ORDER BY side;

--
-- proxy: the only way out.  dws.example.invalid cannot be resolved, so
-- without a proxy the query fails; through the stand-in acting as an HTTP
-- proxy (it serves absolute-form requests, checking the signature against
-- the Host header, which names dws.example.invalid) it answers, although
-- the server's no_proxy names that host.
--
SET client_min_messages = warning;
CREATE SERVER net_proxy FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://dws.example.invalid',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER net_proxy
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE FOREIGN TABLE network.proxy_clusters (dr_id text, side text, status text, progress numeric)
  SERVER net_proxy OPTIONS (resource 'dr_clusters');
CREATE FOREIGN TABLE network.proxy_recoveries (dr_id text, name text, status text, project_id text)
  SERVER net_proxy OPTIONS (resource 'disaster_recoveries');
RESET client_min_messages;
CALL try($$SELECT side, status, progress FROM proxy_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER net_proxy OPTIONS (ADD proxy 'http://127.0.0.1:18931');
SELECT side, status, progress FROM proxy_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, name, status FROM proxy_recoveries ORDER BY dr_id;
-- https through the proxy: a CONNECT tunnel (the stand-in's leads to its
-- HTTPS port), TLS end to end: the certificate, which names
-- dws.example.invalid, is verified by the FDW, against ca_file only
ALTER SERVER net_proxy OPTIONS (SET endpoint 'https://dws.example.invalid');
CALL try($$SELECT side FROM proxy_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER net_proxy OPTIONS (ADD ca_file :'ca_file');
SELECT side, status, progress FROM proxy_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, name, status FROM proxy_recoveries ORDER BY dr_id;
-- and a redirect met through the proxy is not followed either
CALL try($$SELECT side FROM proxy_clusters WHERE dr_id = 'fault-redirect'$$);
ALTER SERVER net_proxy OPTIONS (SET endpoint 'http://dws.example.invalid', DROP ca_file);
-- a proxy that does not answer: the call fails, even for an endpoint that
-- could be reached directly
ALTER SERVER net_proxy OPTIONS (SET proxy 'http://127.0.0.1:1');
CALL try($$SELECT side FROM proxy_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER net_proxy OPTIONS (SET endpoint 'http://127.0.0.1:18931');
CALL try($$SELECT side FROM proxy_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER net_proxy OPTIONS (DROP proxy);
SELECT side, status FROM proxy_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;

--
-- Only http and https.
--
ALTER SERVER net_proxy OPTIONS (SET endpoint 'ftp://127.0.0.1:18931');
ALTER SERVER net_proxy OPTIONS (SET endpoint 'file:///etc/passwd');

SET client_min_messages = warning;
DROP SCHEMA network CASCADE;
DROP SERVER net_tls CASCADE;
DROP SERVER net_proxy CASCADE;
RESET client_min_messages;
RESET search_path;
