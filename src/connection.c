/*-------------------------------------------------------------------------
 * connection.c
 *	  The connection of each user mapping, as postgres_fdw keeps its own:
 *	  a backend-wide hash keyed by user mapping, with the server's options,
 *	  the credentials, the transport (transport.c: a multi handle, whose
 *	  connection cache keeps connections and TLS sessions alive across
 *	  calls and queries) and the answers kept for cache_ttl.
 *
 * A connection is closed by the end of the transaction that changes its
 * server, its user mapping, or the role that owns the server or is mapped
 * (or when its last scan ends, if that is later); a change of
 * dwsdr_fdw.allowed_hosts counts as a change of every server
 * (dws_allowed_hosts_generation).  Also dwsdr_get_connections(),
 * dwsdr_disconnect() and dwsdr_disconnect_all().
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "connection.h"
#include "shared.h"

struct DwsConn
{
	Oid			umid;
	bool		invalidated;	/* its server or user mapping changed */
	bool		orphaned;		/* out of the hash: freed when unpinned */
	uint64		generation;		/* dws_allowed_hosts_generation when made */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	uint32		owner_hashvalue;	/* AUTHOID hash of the server's owner */
	uint32		role_hashvalue; /* of the mapping's role; 0 for PUBLIC */
	int			refcount;		/* scans and batches using it */
	MemoryContext cxt;			/* this struct, options and strings */
	DwsTransport *transport;	/* its multi handle (transport.c) */
	DwsServerOptions opts;
	DwsUserOptions creds;
	DwsUrl		url;			/* the endpoint, parsed */
	DwsCache   *cache;			/* answers kept cache_ttl seconds (and for
								 * when_unreachable 'stale'), or NULL */
	DwsStats   *server_stats;	/* this backend's figures for the server */
	Oid			serverid;		/* for dwsdr_get_connections() */
	Oid			userid;			/* the mapping's role, InvalidOid: PUBLIC */
	DwsShared  *shared;			/* its budget and shared answers (shared.c) */
};

/* The current connection of each user mapping. */
typedef struct ConnEntry
{
	Oid			umid;			/* hash key */
	DwsConn    *conn;
} ConnEntry;

static HTAB *ConnHash = NULL;

/*
 * Connections out of the hash that a running scan still uses (their server
 * or mapping changed meanwhile): listed by dwsdr_get_connections() until
 * their last user frees them.  In TopMemoryContext.
 */
static List *OrphanConns = NIL;

/*
 * Moves on whenever a server or a role changes: a running batch checks its
 * hosts again before its next call (dws_conn_check), as it does when
 * dws_allowed_hosts_generation moves on.
 */
static uint64 conn_check_epoch = 1;

/*
 * Whether conn is still the current connection of its mapping: its server,
 * mapping and roles unchanged, and dwsdr_fdw.allowed_hosts too (a cached
 * connection is used without its server's options being read again).
 */
bool
dws_conn_current(DwsConn *conn)
{
	if (conn->generation != dws_allowed_hosts_generation)
		conn->invalidated = true;
	return !conn->invalidated && !conn->orphaned;
}

/* Empties the cross-query caches of every connection of this backend. */
void
dws_cache_clear_all(void)
{
	HASH_SEQ_STATUS scan;
	ConnEntry  *e;

	if (ConnHash == NULL)
		return;
	hash_seq_init(&scan, ConnHash);
	while ((e = (ConnEntry *) hash_seq_search(&scan)) != NULL)
		dws_cache_reset(e->conn->cache);
}

DwsCache *
dws_conn_cache(DwsConn *conn)
{
	return conn->cache;
}

/* The server options the connection was made with (fetch.c's modes). */
const DwsServerOptions *
dws_conn_options(DwsConn *conn)
{
	return &conn->opts;
}

const DwsUserOptions *
dws_conn_creds(DwsConn *conn)
{
	return &conn->creds;
}

/* The endpoint: origin, Host header, base path. */
const DwsUrl *
dws_conn_url(DwsConn *conn)
{
	return &conn->url;
}

/* The foreign server of the connection, for messages. */
Oid
dws_conn_serverid(DwsConn *conn)
{
	return conn->serverid;
}

/* The mapping's role, InvalidOid for PUBLIC. */
Oid
dws_conn_userid(DwsConn *conn)
{
	return conn->userid;
}

DwsStats *
dws_conn_stats(DwsConn *conn)
{
	return conn->server_stats;
}

struct DwsShared *
dws_conn_shared(DwsConn *conn)
{
	return conn->shared;
}

DwsTransport *
dws_conn_transport(DwsConn *conn)
{
	return conn->transport;
}

int
dws_conn_max_concurrency(DwsConn *conn)
{
	return conn->opts.max_concurrency;
}

static void
conn_destroy(DwsConn *conn)
{
	if (conn->transport)
		dws_transport_destroy(conn->transport);
	conn->transport = NULL;
	/* scrub secrets before the memory goes back to the allocator */
	if (conn->creds.secret_key)
		explicit_bzero(conn->creds.secret_key, strlen(conn->creds.secret_key));
	if (conn->creds.security_token)
		explicit_bzero(conn->creds.security_token, strlen(conn->creds.security_token));
	if (conn->creds.auth_token)
		explicit_bzero(conn->creds.auth_token, strlen(conn->creds.auth_token));
	/* the struct itself lives in cxt: nothing may touch conn after this */
	MemoryContextDelete(conn->cxt);
}

/*
 * Takes conn out of the hash (or the orphans) and frees it: its curl
 * handles close their sockets and the credentials are scrubbed.  Only for
 * a connection no scan uses.
 */
static void
conn_drop(DwsConn *conn)
{
	Assert(conn->refcount == 0);
	if (conn->orphaned)
		OrphanConns = list_delete_ptr(OrphanConns, conn);
	else
	{
		ConnEntry  *e = hash_search(ConnHash, &conn->umid, HASH_FIND, NULL);

		if (e != NULL && e->conn == conn)
			hash_search(ConnHash, &conn->umid, HASH_REMOVE, NULL);
	}
	conn_destroy(conn);
}

/*
 * Takes conn out of the hash while a scan still uses it: new scans get a
 * new connection, the scan keeps this one until it ends.
 */
static void
conn_orphan(DwsConn *conn)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	hash_search(ConnHash, &conn->umid, HASH_REMOVE, NULL);
	OrphanConns = lappend(OrphanConns, conn);
	conn->orphaned = true;
	MemoryContextSwitchTo(old);
}

/*
 * A scan (or batch) uses conn until owner is reset or deleted: an ALTER in
 * between cannot free it under the scan.  A connection whose server or
 * mapping changed (or that dwsdr_disconnect asked to close) meanwhile is
 * freed by its last user.
 */
static void
conn_unpin(void *arg)
{
	DwsConn    *conn = (DwsConn *) arg;

	if (--conn->refcount == 0 && !dws_conn_current(conn))
		conn_drop(conn);
}

void
dws_conn_pin(DwsConn *conn, MemoryContext owner)
{
	MemoryContextCallback *cb = MemoryContextAlloc(owner, sizeof(*cb));

	cb->func = conn_unpin;
	cb->arg = conn;
	conn->refcount++;
	MemoryContextRegisterResetCallback(owner, cb);
}

/*
 * Syscache callback: a server or user mapping changed (ALTER, DROP, or a
 * rollback undoing one), or a role did.  A role matters only to the
 * connections whose server it owns (an owner that is no longer a
 * superuser is held to dwsdr_fdw.allowed_hosts) or whose mapping is its
 * own, found by hash value as postgres_fdw finds servers and mappings:
 * another role's ALTER ROLE ... PASSWORD keeps every connection and its
 * cache_ttl answers.  (A hash shared by two roles only closes a connection
 * for nothing.)  Only marks the connections: this can run in the middle of
 * anything, even while a caller holds a connection it has not pinned yet.
 * They are closed at the end of the transaction (conn_xact_callback), when
 * their last scan ends, or when the next scan asks for the mapping's
 * connection, whichever comes first.  Running batches check their hosts
 * again before their next call (conn_check_epoch).
 */
static void
conn_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	ConnEntry  *e;

	conn_check_epoch++;
	if (ConnHash == NULL)
		return;
	hash_seq_init(&scan, ConnHash);
	while ((e = (ConnEntry *) hash_seq_search(&scan)))
	{
		DwsConn    *conn = e->conn;

		if (hashvalue == 0 ||
			(cacheid == AUTHOID && (conn->owner_hashvalue == hashvalue ||
									(OidIsValid(conn->userid) &&
									 conn->role_hashvalue == hashvalue))) ||
			(cacheid == FOREIGNSERVEROID && conn->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && conn->mapping_hashvalue == hashvalue))
			conn->invalidated = true;
	}
}


static char *
cxt_strdup(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/*
 * Splits the endpoint into origin, Host header and base path, with the
 * parser the validator used (dws_parse_url), into the connection's context.
 */
static void
conn_parse_endpoint(DwsConn *conn)
{
	DwsUrl		url;
	bool		secret;
	MemoryContext old;

	/* an endpoint holding a password is not repeated, as check_endpoint */
	if (dws_parse_url(conn->opts.endpoint, &url, &secret) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 secret ?
				 errmsg("invalid endpoint") :
				 errmsg("invalid endpoint \"%s\"", conn->opts.endpoint)));
	old = MemoryContextSwitchTo(conn->cxt);
	conn->url.scheme = pstrdup(url.scheme);
	conn->url.host = pstrdup(url.host);
	conn->url.port = url.port ? pstrdup(url.port) : NULL;
	conn->url.origin = pstrdup(url.origin);
	conn->url.host_header = pstrdup(url.host_header);
	conn->url.base_path = pstrdup(url.base_path);
	MemoryContextSwitchTo(old);
}

/*
 * End of a transaction: close every connection whose server or user mapping
 * changed and that no scan still uses (a cursor WITH HOLD holds none after
 * its transaction commits: its rows are stored then and its scan ended).
 * Nothing here can throw.
 */
static void
conn_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	ConnEntry  *e;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	hash_seq_init(&scan, ConnHash);
	while ((e = (ConnEntry *) hash_seq_search(&scan)) != NULL)
	{
		if (!dws_conn_current(e->conn) && e->conn->refcount == 0)
			conn_drop(e->conn);	/* removing the current entry is allowed */
	}
}

/*
 * The role of a user mapping as the catalog has it: InvalidOid for a
 * mapping FOR PUBLIC (UserMapping.userid is the role that asked for it).
 */
static Oid
mapping_role(Oid umid)
{
	HeapTuple	tp = SearchSysCache1(USERMAPPINGOID, ObjectIdGetDatum(umid));
	Oid			role = InvalidOid;

	if (HeapTupleIsValid(tp))
	{
		role = ((Form_pg_user_mapping) GETSTRUCT(tp))->umuser;
		ReleaseSysCache(tp);
	}
	return role;
}

/*
 * The cached connection of a user mapping, made on first use.  Options are
 * read (and checked) before anything is created, so an ERROR leaves no
 * half-made entry.
 */
DwsConn *
dws_get_conn(ForeignServer *server, UserMapping *um)
{
	DwsConn    *conn;
	ConnEntry  *entry;
	DwsServerOptions opts;
	DwsUserOptions creds;
	DwsTransportSettings settings;
	Oid			role;
	MemoryContext cxt;

	if (ConnHash == NULL)
	{
		ConnHash = dws_backend_hash("dwsdr_fdw connections", 8, sizeof(Oid),
									sizeof(ConnEntry), TopMemoryContext);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, conn_inval_callback, 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, conn_inval_callback, 0);
		CacheRegisterSyscacheCallback(AUTHOID, conn_inval_callback, 0);
		RegisterXactCallback(conn_xact_callback, NULL);
	}

	entry = hash_search(ConnHash, &um->umid, HASH_FIND, NULL);
	if (entry)
	{
		conn = entry->conn;
		if (dws_conn_current(conn))
			return conn;
		/* changed: new scans get a new connection; users keep the old one */
		if (conn->refcount == 0)
			conn_drop(conn);
		else
			conn_orphan(conn);
	}

	dws_server_options(server, &opts);
	dws_user_options(um, server, &creds);
	role = mapping_role(um->umid);

	cxt = AllocSetContextCreate(CacheMemoryContext, "dwsdr_fdw connection",
								ALLOCSET_SMALL_SIZES);
	conn = MemoryContextAllocZero(cxt, sizeof(DwsConn));
	conn->cxt = cxt;
	conn->umid = um->umid;
	conn->generation = dws_allowed_hosts_generation;
	conn->serverid = server->serverid;
	conn->userid = role;
	conn->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
												   ObjectIdGetDatum(server->serverid));
	conn->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													ObjectIdGetDatum(um->umid));
	conn->owner_hashvalue = GetSysCacheHashValue1(AUTHOID,
												  ObjectIdGetDatum(server->owner));
	if (OidIsValid(role))
		conn->role_hashvalue = GetSysCacheHashValue1(AUTHOID,
													 ObjectIdGetDatum(role));
	conn->opts = opts;
	conn->opts.endpoint = cxt_strdup(cxt, opts.endpoint);
	conn->opts.project_id = cxt_strdup(cxt, opts.project_id);
	conn->opts.ca_file = cxt_strdup(cxt, opts.ca_file);
	conn->opts.proxy = cxt_strdup(cxt, opts.proxy);
	conn->creds.access_key = cxt_strdup(cxt, creds.access_key);
	conn->creds.secret_key = cxt_strdup(cxt, creds.secret_key);
	conn->creds.security_token = cxt_strdup(cxt, creds.security_token);
	conn->creds.auth_token = cxt_strdup(cxt, creds.auth_token);

	conn->server_stats = dws_server_stats(server->serverid);
	if (opts.cache_ttl > 0 || opts.when_unreachable == DWS_UNREACHABLE_STALE)
		conn->cache = dws_cache_create(cxt, opts.cache_ttl);
	/* 'stale' keeps every accepted answer, whatever cache_ttl says */
	if (opts.when_unreachable == DWS_UNREACHABLE_STALE)
		dws_cache_keep_stale(conn->cache);

	PG_TRY();
	{
		conn_parse_endpoint(conn);
		/* shared.c: the budget and shared answers of endpoint + credential */
		conn->shared = dws_shared_conn(cxt, conn->url.host_header,
									   psprintf("%s%s", conn->url.origin,
												conn->url.base_path),
									   &conn->creds, opts.rate_limit,
									   server->serverid, um->umid,
									   server->owner, role);
		if (conn->cache)
			dws_cache_set_shared(conn->cache, conn->shared);
		settings.max_concurrency = opts.max_concurrency;
		settings.connect_timeout_ms = opts.connect_timeout_ms;
		settings.timeout_ms = opts.timeout_ms;
		settings.max_retries = opts.max_retries;
		settings.max_retry_time_ms = opts.max_retry_time_ms;
		settings.max_response_bytes = opts.max_response_bytes;
		settings.ca_file = opts.ca_file;
		settings.proxy = opts.proxy;
		conn->transport = dws_transport_create(cxt, &settings);
	}
	PG_CATCH();
	{
		conn_destroy(conn);
		PG_RE_THROW();
	}
	PG_END_TRY();

	entry = hash_search(ConnHash, &um->umid, HASH_ENTER, NULL);
	entry->conn = conn;
	return conn;
}

/* ---- dwsdr_get_connections(), dwsdr_disconnect(), dwsdr_disconnect_all() ---- */

PG_FUNCTION_INFO_V1(dwsdr_get_connections);
PG_FUNCTION_INFO_V1(dwsdr_disconnect);
PG_FUNCTION_INFO_V1(dwsdr_disconnect_all);

#define DWSDR_CONN_COLS 6

/*
 * Every connection of this backend, those in the hash and those a running
 * scan still holds after a change.  Taken as a list first: the catalog
 * lookups of the callers may run invalidation callbacks.
 */
static List *
conn_list(Oid serverid)
{
	List	   *conns = NIL;
	ListCell   *lc;

	if (ConnHash != NULL)
	{
		HASH_SEQ_STATUS scan;
		ConnEntry  *e;

		hash_seq_init(&scan, ConnHash);
		while ((e = (ConnEntry *) hash_seq_search(&scan)) != NULL)
			if (!OidIsValid(serverid) || e->conn->serverid == serverid)
				conns = lappend(conns, e->conn);
	}
	foreach(lc, OrphanConns)
	{
		DwsConn    *conn = (DwsConn *) lfirst(lc);

		if (!OidIsValid(serverid) || conn->serverid == serverid)
			conns = lappend(conns, conn);
	}
	return conns;
}

/*
 * dwsdr_get_connections(): the connections this backend keeps open, one
 * per user mapping used: the server and role (NULL once dropped; "public"
 * for a mapping FOR PUBLIC), whether its definition is still current,
 * whether a scan is using it, and its curl handles.  Like postgres_fdw's,
 * it shows only this backend's, which only this session's queries made.
 */
Datum
dwsdr_get_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *conns;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	conns = conn_list(InvalidOid);
	foreach(lc, conns)
	{
		DwsConn    *conn = (DwsConn *) lfirst(lc);
		Datum		values[DWSDR_CONN_COLS];
		bool		nulls[DWSDR_CONN_COLS] = {0};
		ForeignServer *server = GetForeignServerExtended(conn->serverid,
														 FSV_MISSING_OK);
		char	   *user;

		if (server != NULL)
			values[0] = CStringGetTextDatum(server->servername);
		else
			nulls[0] = true;
		user = OidIsValid(conn->userid) ?
			GetUserNameFromId(conn->userid, true) : "public";
		if (user != NULL)
			values[1] = CStringGetTextDatum(user);
		else
			nulls[1] = true;
		values[2] = BoolGetDatum(dws_conn_current(conn));
		values[3] = BoolGetDatum(conn->refcount > 0);
		values[4] = Int32GetDatum(dws_transport_idle(conn->transport));
		values[5] = Int32GetDatum(dws_transport_in_flight(conn->transport));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	list_free(conns);
	return (Datum) 0;
}

/*
 * Closes the connections of one server (or all): each is freed now unless
 * a scan uses it, which gets a WARNING and closes when that scan ends.
 * True when at least one was closed.
 */
static bool
conn_disconnect(Oid serverid)
{
	List	   *conns = conn_list(serverid);
	ListCell   *lc;
	bool		closed = false;

	foreach(lc, conns)
	{
		DwsConn    *conn = (DwsConn *) lfirst(lc);

		if (conn->refcount > 0)
		{
			ForeignServer *server = GetForeignServerExtended(conn->serverid,
															 FSV_MISSING_OK);

			conn->invalidated = true;
			ereport(WARNING,
					(errmsg("connection to server \"%s\" is in use by a running scan",
							server ? server->servername : "?"),
					 errdetail("It is closed when the scan ends.")));
			continue;
		}
		conn_drop(conn);
		closed = true;
	}
	list_free(conns);
	return closed;
}

/* dwsdr_disconnect(server): closes this backend's connections to server. */
Datum
dwsdr_disconnect(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ForeignServer *server = GetForeignServerByName(name, false);

	PG_RETURN_BOOL(conn_disconnect(server->serverid));
}

/* dwsdr_disconnect_all(): closes every connection of this backend. */
Datum
dwsdr_disconnect_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(conn_disconnect(InvalidOid));
}


/*
 * The check every batch of calls passes when it starts (always), and again
 * before its next call whenever something it reads may have changed
 * meanwhile (conn_check_epoch, dws_allowed_hosts_generation): a server
 * whose owner is not a superuser reaches only the hosts
 * dwsdr_fdw.allowed_hosts lists.  The owner and the setting are read as
 * they are now; the hosts are the ones this connection calls (a running
 * scan keeps its connection when its server changes).  Without it, an open
 * cursor or a rescan of a table naming its own project would go on calling
 * a host a superuser has since taken out of the setting.
 */
void
dws_conn_check(DwsConn *conn, DwsConnChecked *checked, bool always)
{
	uint64		epoch = conn_check_epoch;
	uint64		generation = dws_allowed_hosts_generation;
	ForeignServer *server;

	if (!always && checked->epoch == epoch &&
		checked->generation == generation)
		return;
	/* the catalog lookup may itself run invalidations: the epoch first */
	server = GetForeignServerExtended(conn->serverid, FSV_MISSING_OK);
	if (server == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the foreign server of a dwsdr_fdw scan no longer exists")));
	dws_check_hosts(server, &conn->opts);
	checked->epoch = epoch;
	checked->generation = generation;
}
