-- IMPORT FOREIGN SCHEMA dwsdr: the tables it creates, LIMIT TO / EXCEPT,
-- its errors, and DDL that carries no secret.
\set VERBOSITY default
SET client_min_messages = warning;
-- a server name that needs quoting in the generated DDL
CREATE SERVER "import Server" FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE SCHEMA import_all;
CREATE SCHEMA import_limit;
CREATE SCHEMA import_except;
CREATE SCHEMA "import Odd";
RESET client_min_messages;

-- IMPORT makes no call: it works before any user mapping exists
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER "import Server" INTO import_all;
SELECT c.relname, s.srvname, ft.ftoptions
  FROM pg_foreign_table ft
  JOIN pg_class c ON c.oid = ft.ftrelid
  JOIN pg_foreign_server s ON s.oid = ft.ftserver
 WHERE c.relnamespace = 'import_all'::regnamespace
 ORDER BY c.relname;

-- the columns, exactly, in order
SELECT table_name, ordinal_position AS pos, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'import_all' AND table_name = 'dr_clusters'
 ORDER BY ordinal_position;
SELECT table_name, ordinal_position AS pos, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'import_all' AND table_name = 'disaster_recoveries'
 ORDER BY ordinal_position;
SELECT table_name, ordinal_position AS pos, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'import_all' AND table_name = 'dr_progress'
 ORDER BY ordinal_position;
SELECT table_name, ordinal_position AS pos, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'import_all' AND table_name = 'dr_events'
 ORDER BY ordinal_position;
\d+ import_all.dr_clusters

-- LIMIT TO and EXCEPT
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER "import Server" INTO import_limit;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, no_such_table)
  FROM SERVER "import Server" INTO import_limit;
IMPORT FOREIGN SCHEMA dwsdr EXCEPT (dr_progress) FROM SERVER "import Server" INTO import_except;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (no_such_table) FROM SERVER "import Server" INTO "import Odd";
IMPORT FOREIGN SCHEMA dwsdr EXCEPT (dr_clusters, disaster_recoveries, dr_progress, dr_events)
  FROM SERVER "import Server" INTO "import Odd";
SELECT n.nspname, c.relname
  FROM pg_foreign_table ft
  JOIN pg_class c ON c.oid = ft.ftrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('import_limit', 'import_except', 'import Odd')
 ORDER BY 1, 2;
-- a schema whose name needs quoting
IMPORT FOREIGN SCHEMA dwsdr EXCEPT (dr_clusters, disaster_recoveries, dr_events)
  FROM SERVER "import Server" INTO "import Odd";
SELECT n.nspname, c.relname
  FROM pg_foreign_table ft
  JOIN pg_class c ON c.oid = ft.ftrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'import Odd'
 ORDER BY 1, 2;

-- errors
IMPORT FOREIGN SCHEMA public FROM SERVER "import Server" INTO import_limit;
IMPORT FOREIGN SCHEMA "DWSDR" FROM SERVER "import Server" INTO import_limit;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER "import Server" INTO import_limit
  OPTIONS (import_default 'true');
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER "import Server" INTO import_no_such_schema;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER "import Server" INTO import_limit;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER import_no_such_server INTO import_limit;

-- the imported tables answer queries
CREATE USER MAPPING FOR CURRENT_USER SERVER "import Server"
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001',
           security_token 'import-never-in-ddl');
ALTER USER MAPPING FOR CURRENT_USER SERVER "import Server"
  OPTIONS (SET access_key 'TEMPACCESSKEY000002', SET secret_key 'temp-secret-key-0002',
           SET security_token 'demo-security-token-0002');
SELECT side, status, progress FROM import_all.dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, name, primary_name, standby_name FROM import_except.disaster_recoveries
 ORDER BY dr_id;
SELECT dr_id, recovery_point_object, primary_key FROM "import Odd".dr_progress
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT name, source_id, occur_time AT TIME ZONE 'UTC' AS occur_utc
  FROM import_all.dr_events ORDER BY occur_time DESC LIMIT 2;

-- the generated DDL holds no credential, before or after the mapping exists
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_progress) FROM SERVER "import Server" INTO import_limit;
CREATE TEMP VIEW import_tables AS
  SELECT c.relnamespace::regnamespace::text AS schema, c.relname, c.oid, ft.ftoptions
    FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
   WHERE ft.ftserver = (SELECT oid FROM pg_foreign_server WHERE srvname = 'import Server');
SELECT schema, relname, ftoptions FROM import_tables ORDER BY schema COLLATE "C", relname;
SELECT count(*) AS columns_with_options
  FROM pg_attribute a JOIN import_tables t ON t.oid = a.attrelid
 WHERE a.attfdwoptions IS NOT NULL;
SELECT count(*) AS secrets_outside_the_user_mapping
  FROM (SELECT array_to_string(ftoptions, ',') AS o FROM import_tables
        UNION ALL
        SELECT array_to_string(srvoptions, ',') FROM pg_foreign_server
         WHERE srvname = 'import Server') x
 WHERE o ~ '(secret|token|ACCESSKEY)';

SET client_min_messages = warning;
DROP SCHEMA import_all, import_limit, import_except, "import Odd" CASCADE;
DROP VIEW import_tables;
DROP SERVER "import Server" CASCADE;
RESET client_min_messages;
