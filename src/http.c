/*-------------------------------------------------------------------------
 * http.c
 *	  libcurl for dwsdr_fdw: a cached multi handle per user mapping (its
 *	  connection cache is what keeps connections and TLS sessions alive
 *	  across calls and queries), concurrent calls, retries with backoff,
 *	  timeouts, a cap on body size, and a wait loop on the latch,
 *	  postmaster death and curl's sockets.  Bodies go to the sink each
 *	  request brings (fetch.c's): this file moves bytes and knows nothing
 *	  of what they hold.
 *
 * Ownership: a DwsConn lives in a backend-wide hash keyed by user mapping,
 * like postgres_fdw's connections, and is closed by the end of the
 * transaction that changes its server or user mapping (or when its last
 * scan ends, if that is later).  A DwsBatch belongs to a memory context of the scan;
 * when that context goes (end of scan or an ERROR unwinding), its reset
 * callback removes and frees every curl handle, header list and buffer it
 * still has.  Nothing here calls ereport from inside a curl callback.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "common/pg_prng.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include "record.h"
#include "shared.h"
#include "sign.h"

/*
 * Longest single wait on the API.  Interrupts, postmaster death and the
 * sockets all wake the wait at once; this bound only guards against a
 * readiness curl might not have told us about.
 */
#define DWS_POLL_MS 1000
/* First retry backoff and its ceiling. */
#define DWS_BACKOFF_BASE_MS 200
#define DWS_BACKOFF_MAX_MS 10000
/* Sent with every call: the extension and its version. */
#define DWS_USER_AGENT "dwsdr_fdw/1.1"

struct DwsConn
{
	Oid			umid;
	bool		invalidated;	/* its server or user mapping changed */
	bool		orphaned;		/* out of the hash: freed when unpinned */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	int			refcount;		/* scans and batches using it */
	int			in_flight;		/* transfers added to multi */
	MemoryContext cxt;			/* this struct, options and strings */
	CURLM	   *multi;
	DwsServerOptions opts;
	DwsUserOptions creds;
	char	   *origin;			/* scheme://host[:port] */
	char	   *host_header;	/* host[:port], as sent and signed */
	char	   *base_path;		/* endpoint path without trailing '/' */
	List	   *idle;			/* CURL * handles ready for reuse */
	DwsCache   *cache;			/* answers kept cache_ttl seconds, or NULL */
	DwsStats   *server_stats;	/* this backend's figures for the server */
	Oid			serverid;		/* for dwsdr_get_connections() */
	Oid			userid;			/* the mapping's role, InvalidOid: PUBLIC */
	/* the sockets curl wants watched (CURLMOPT_SOCKETFUNCTION) */
	struct DwsSock *socks;
	int			nsocks;
	int			socks_cap;
	bool		socks_changed;	/* curl changed socks since the last wait */
	WaitEventSet *wes;			/* latch, postmaster death, socks */
	struct DwsWatched *watched; /* the sockets wes holds, nwatched of them */
	int			nwatched;
	DwsShared  *shared;			/* its budget and shared answers (shared.c) */
};

/* A socket of the multi handle and what curl waits for on it. */
typedef struct DwsSock
{
	curl_socket_t fd;
	int			what;			/* CURL_POLL_IN, _OUT, _INOUT */
} DwsSock;

/*
 * A socket in conn->wes: its position there, the events it waits for, and
 * which socket the descriptor was when it was added (a descriptor number
 * can be closed and given to a new socket in between).
 */
typedef struct DwsWatched
{
	curl_socket_t fd;
	dev_t		dev;
	ino_t		ino;
	int			pos;
	int			events;
} DwsWatched;

/*
 * One attempt of a request.  The body goes to the request's sink as it
 * arrives; the transfer only counts it.
 */
typedef struct DwsTransfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	size_t		seen;			/* body bytes received */
	size_t		limit;			/* max_response_bytes */
	size_t		expected;		/* Content-Length, or 0 */
	bool		too_large;
	bool		sink_failed;
	char		errbuf[CURL_ERROR_SIZE];
	DwsRequest *req;
} DwsTransfer;

struct DwsBatch
{
	MemoryContext cxt;			/* owns the batch, transfers and bodies */
	DwsConn    *conn;
	DwsStats   *stats;			/* the scan's (EXPLAIN ANALYZE) */
	List	   *queued;			/* DwsRequest * waiting to start */
	List	   *running;		/* DwsTransfer * in the multi handle */
	List	   *done;			/* DwsRequest * finished for good */
	MemoryContextCallback cb;
	/* shared.c: dwsdr_activity() and the budget */
	int			act_total;		/* requests added */
	int			act_done;		/* ... finished for good */
	bool		budget_wait;	/* the next call waits for its budget */
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

/* Per-server figures of this backend, for dwsdr_stats(); never dropped. */
typedef struct ServerStatsEntry
{
	Oid			serverid;
	DwsStats	stats;
} ServerStatsEntry;

static HTAB *ServerStatsHash = NULL;

/* Adds n to a counter of the scan and of the server. */
#define BUMP(batch, field, n) \
	do { \
		(batch)->stats->field += (n); \
		(batch)->conn->server_stats->field += (n); \
	} while (0)

DwsStats *
dws_server_stats(Oid serverid)
{
	ServerStatsEntry *e;
	bool		found;

	if (ServerStatsHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ServerStatsEntry);
		ServerStatsHash = hash_create("dwsdr_fdw server stats", 8, &ctl,
									  HASH_ELEM | HASH_BLOBS);
	}
	e = hash_search(ServerStatsHash, &serverid, HASH_ENTER, &found);
	if (!found)
		memset(&e->stats, 0, sizeof(DwsStats));
	return &e->stats;
}

/* Calls fn for every server this backend has used. */
void
dws_stats_foreach(void (*fn) (Oid serverid, DwsStats *stats, void *arg),
				  void *arg)
{
	HASH_SEQ_STATUS scan;
	ServerStatsEntry *e;

	if (ServerStatsHash == NULL)
		return;
	hash_seq_init(&scan, ServerStatsHash);
	while ((e = (ServerStatsEntry *) hash_seq_search(&scan)) != NULL)
		fn(e->serverid, &e->stats, arg);
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

DwsStats *
dws_conn_stats(DwsConn *conn)
{
	return conn->server_stats;
}

static const char *const call_names[] = {"list", "detail", "progress"};

const char *
dws_call_name(DwsCallKind kind)
{
	return call_names[kind];
}

/* ---- jansson on palloc: freed with the context an ERROR unwinds ---- */

/*
 * Never throws, whatever the size (jansson may run where an ERROR must not
 * start, and a request past MaxAllocSize would otherwise be one): NULL
 * instead, which jansson reports as a failed parse.
 */
static void *
dws_json_malloc(size_t size)
{
	if (!AllocHugeSizeIsValid(size))
		return NULL;
	return palloc_extended(size, MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
}

static void
dws_json_free(void *p)
{
	if (p)
		pfree(p);
}

/*
 * Called once from _PG_init: curl's global state, jansson's allocator, and
 * PostgreSQL's parser for the numbers jansson cannot hold (jsonpg.c).
 */
void
dws_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
	json_set_alloc_funcs(dws_json_malloc, dws_json_free);
	dws_set_number_spans(dws_pg_number_spans);
}

/* ---- connection cache ---- */

static int	conn_socket_cb(CURL *easy, curl_socket_t fd, int what,
						   void *userp, void *socketp);

static void
conn_destroy(DwsConn *conn)
{
	ListCell   *lc;

	foreach(lc, conn->idle)
		curl_easy_cleanup((CURL *) lfirst(lc));
	conn->idle = NIL;
	if (conn->multi)
		curl_multi_cleanup(conn->multi);	/* may call conn_socket_cb */
	conn->multi = NULL;
	if (conn->wes)
		FreeWaitEventSet(conn->wes);
	conn->wes = NULL;
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

	if (--conn->refcount == 0 && (conn->orphaned || conn->invalidated))
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
 * rollback undoing one), or a role did (a server owner that is no longer a
 * superuser is held to dwsdr_fdw.allowed_hosts: roles change rarely, so
 * every connection is checked again).  Only marks the connections: this
 * can run in the middle of anything, even while a caller holds a
 * connection it has not pinned yet.  They are closed at the end of the
 * transaction (conn_xact_callback), when their last scan ends, or when the
 * next scan asks for the mapping's connection, whichever comes first.
 */
static void
conn_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	ConnEntry  *e;

	if (ConnHash == NULL)
		return;
	hash_seq_init(&scan, ConnHash);
	while ((e = (ConnEntry *) hash_seq_search(&scan)))
	{
		DwsConn    *conn = e->conn;

		if (hashvalue == 0 || cacheid == AUTHOID ||
			(cacheid == FOREIGNSERVEROID && conn->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && conn->mapping_hashvalue == hashvalue))
			conn->invalidated = true;
	}
}

/*
 * Marks every connection of this backend as changed, and nothing else (no
 * plan cache reset, no other module's connections): the next scan of each
 * reads its server's options, and so checks the host, again.  For
 * dwsdr_fdw.allowed_hosts, whose assign hook may run before any connection.
 */
void
dws_conn_invalidate_all(void)
{
	conn_inval_callback((Datum) 0, FOREIGNSERVEROID, 0);
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

	/* an endpoint holding a password is not repeated, as check_endpoint */
	if (dws_parse_url(conn->opts.endpoint, &url, &secret) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 secret ?
				 errmsg("invalid endpoint") :
				 errmsg("invalid endpoint \"%s\"", conn->opts.endpoint)));
	conn->host_header = MemoryContextStrdup(conn->cxt, url.host_header);
	conn->origin = MemoryContextStrdup(conn->cxt, url.origin);
	conn->base_path = MemoryContextStrdup(conn->cxt, url.base_path);
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
		if (e->conn->invalidated && e->conn->refcount == 0)
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
	Oid			role;
	MemoryContext cxt;

	if (ConnHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ConnEntry);
		ConnHash = hash_create("dwsdr_fdw connections", 8, &ctl,
							   HASH_ELEM | HASH_BLOBS);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, conn_inval_callback, 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, conn_inval_callback, 0);
		CacheRegisterSyscacheCallback(AUTHOID, conn_inval_callback, 0);
		RegisterXactCallback(conn_xact_callback, NULL);
	}

	entry = hash_search(ConnHash, &um->umid, HASH_FIND, NULL);
	if (entry)
	{
		conn = entry->conn;
		if (!conn->invalidated)
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
	conn->serverid = server->serverid;
	conn->userid = role;
	conn->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
												   ObjectIdGetDatum(server->serverid));
	conn->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													ObjectIdGetDatum(um->umid));
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
	if (opts.cache_ttl > 0)
		conn->cache = dws_cache_create(cxt, opts.cache_ttl);

	PG_TRY();
	{
		conn_parse_endpoint(conn);
		/* shared.c: the budget and shared answers of endpoint + credential */
		conn->shared = dws_shared_conn(cxt, conn->host_header,
									   psprintf("%s%s", conn->origin, conn->base_path),
									   &conn->creds, opts.rate_limit,
									   server->serverid, um->umid);
		if (conn->cache)
			dws_cache_set_shared(conn->cache, conn->shared);
		conn->multi = curl_multi_init();
		if (conn->multi == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		curl_multi_setopt(conn->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
						  (long) opts.max_concurrency);
		curl_multi_setopt(conn->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
						  (long) opts.max_concurrency);
		curl_multi_setopt(conn->multi, CURLMOPT_MAXCONNECTS,
						  (long) opts.max_concurrency);
		curl_multi_setopt(conn->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
		curl_multi_setopt(conn->multi, CURLMOPT_SOCKETFUNCTION, conn_socket_cb);
		curl_multi_setopt(conn->multi, CURLMOPT_SOCKETDATA, conn);
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

int
dws_conn_max_concurrency(DwsConn *conn)
{
	return conn->opts.max_concurrency;
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
		values[2] = BoolGetDatum(!conn->invalidated && !conn->orphaned);
		values[3] = BoolGetDatum(conn->refcount > 0);
		values[4] = Int32GetDatum(list_length(conn->idle));
		values[5] = Int32GetDatum(conn->in_flight);
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

/* ---- one call ---- */

/*
 * One value as one path segment: escaped, and "." or ".." written as %2E
 * so that no client, proxy or server folds it into another path.
 */
static char *
path_segment(const char *value)
{
	char	   *e = dws_escape(value, strlen(value));
	char	   *seg;

	if (e == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	if (strcmp(e, ".") == 0)
		seg = pstrdup("%2E");
	else if (strcmp(e, "..") == 0)
		seg = pstrdup("%2E%2E");
	else
		seg = pstrdup(e);
	free(e);
	return seg;
}

/*
 * The wire path and query of a request.  dr_id and project_id are escaped
 * as single path segments: no value can name another path.
 */
static char *
dws_request_path(DwsRequest *req, char **query)
{
	char	   *p = path_segment(req->project_id);
	char	   *id = req->dr_id ? path_segment(req->dr_id) : NULL;
	char	   *path;

	*query = NULL;
	switch (req->kind)
	{
		case DWS_CALL_LIST:
			path = psprintf("/v2/%s/disaster-recoveries", p);
			if (req->list_filter_id)
			{
				DwsKV		kv = {"id", req->list_filter_id};
				char	   *q = dws_canonical_query(&kv, 1);

				if (q == NULL)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
									errmsg("out of memory")));
				*query = pstrdup(q);
				free(q);
			}
			break;
		case DWS_CALL_DETAIL:
			path = psprintf("/v2/%s/disaster-recovery/%s", p, id);
			break;
		default:
			path = psprintf("/v1/%s/disaster-recovery/%s/show-progress", p, id);
			break;
	}
	pfree(p);
	if (id)
		pfree(id);
	return path;
}

/*
 * Body bytes arrive here and go to the request's sink.  Past
 * max_response_bytes the transfer is aborted, so a hostile body never grows
 * memory.  Runs inside libcurl: nothing here throws (the sink promises the
 * same).
 */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	DwsTransfer *x = (DwsTransfer *) arg;
	DwsSink    *sink = &x->req->sink;
	size_t		n = size * nmemb;

	if (x->seen + n > x->limit)
	{
		x->too_large = true;
		return 0;				/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (x->seen == 0)
	{
		curl_off_t	clen = -1;

		if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
							  &clen) == CURLE_OK &&
			clen > 0 && (size_t) clen <= x->limit)
			x->expected = (size_t) clen;
	}
	x->seen += n;
	if (!sink->write(sink->arg, data, n, x->expected))
	{
		x->sink_failed = true;
		return 0;
	}
	return n;
}

/*
 * Copies the value of a header of the last response (libcurl's header API;
 * the last one when repeated, as a reader of headers in order would keep) into dst, control characters made '?';
 * empty when absent.
 */
static void
copy_header(CURL *easy, const char *name, char *dst, size_t dstlen)
{
	struct curl_header *h;
	size_t		i;

	dst[0] = '\0';
	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return;
	if (h->amount > 1 &&
		curl_easy_header(easy, name, h->amount - 1, CURLH_HEADER, -1,
						 &h) != CURLHE_OK)
		return;
	strlcpy(dst, h->value, dstlen);
	for (i = 0; dst[i]; i++)
		if ((unsigned char) dst[i] < 0x20)
			dst[i] = '?';
}

static struct curl_slist *
slist_add(struct curl_slist *list, const char *name, const char *value)
{
	char	   *line = psprintf("%s: %s", name, value);
	struct curl_slist *l = curl_slist_append(list, line);

	/* header lines may hold a token: scrub the copy before freeing it */
	explicit_bzero(line, strlen(line));
	pfree(line);
	if (l == NULL)
	{
		curl_slist_free_all(list);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	}
	return l;
}

/*
 * The headers of one attempt, signed afresh (X-Sdk-Date is the time of this
 * attempt).  The Authorization value is built and dropped here; it never
 * reaches a message.
 */
static struct curl_slist *
build_headers(DwsConn *conn, DwsRequest *req, const char *path,
			  const char *query)
{
	struct curl_slist *h = NULL;
	DwsUserOptions *c = &conn->creds;

	h = slist_add(h, "Host", conn->host_header);
	h = slist_add(h, "Accept", "application/json");
	h = slist_add(h, "Content-Type", "application/json");
	h = slist_add(h, "User-Agent", DWS_USER_AGENT);
	h = slist_add(h, "X-Project-Id", req->project_id);
	h = slist_add(h, "Expect", "");

	if (c->auth_token)
		h = slist_add(h, "X-Auth-Token", c->auth_token);
	else
	{
		char		date[DWS_SDK_DATE_LEN + 1];
		DwsKV		sh[4];
		int			n = 0;
		char	   *auth;
		char	   *line;
		struct curl_slist *l;

		dws_sdk_date(time(NULL), date);
		h = slist_add(h, "X-Sdk-Date", date);
		sh[n++] = (DwsKV) {"host", conn->host_header};
		sh[n++] = (DwsKV) {"x-sdk-date", date};
		sh[n++] = (DwsKV) {"x-project-id", req->project_id};
		if (c->security_token)
		{
			h = slist_add(h, "X-Security-Token", c->security_token);
			sh[n++] = (DwsKV) {"x-security-token", c->security_token};
		}
		auth = dws_sign("GET", path, query ? query : "", sh, n,
						(const unsigned char *) "", 0, date,
						c->access_key, c->secret_key, NULL);
		if (auth == NULL)
		{
			curl_slist_free_all(h);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		}
		line = psprintf("Authorization: %s", auth);
		l = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		pfree(line);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (l == NULL)
		{
			curl_slist_free_all(h);
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		}
		h = l;
	}
	return h;
}

/* Frees what a transfer holds outside PostgreSQL's memory. */
static void
transfer_release(DwsConn *conn, DwsTransfer *x, bool reuse_handle)
{
	if (x->easy)
	{
		curl_multi_remove_handle(conn->multi, x->easy);
		conn->in_flight--;
		dws_activity_count(0, 0, -1);	/* shared.c */
		if (reuse_handle && conn->multi && !conn->invalidated)
		{
			MemoryContext old = MemoryContextSwitchTo(conn->cxt);

			/* no pointer into the freed transfer stays in a pooled handle */
			curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
			curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
			curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, NULL);
			curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, NULL);
			conn->idle = lappend(conn->idle, x->easy);
			MemoryContextSwitchTo(old);
		}
		else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	if (x->headers)
		curl_slist_free_all(x->headers);
	x->headers = NULL;
}

/*
 * The options that are the same for every call of a connection, set once
 * per handle: a handle goes back to the connection's pool only after a
 * call that ended well, so it keeps them.
 */
static void
easy_static_options(DwsConn *conn, CURL *easy)
{
	DwsServerOptions *o = &conn->opts;

	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) o->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) o->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
					 (curl_off_t) o->max_response_bytes);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	/* only the proxy option counts: no http_proxy, no no_proxy */
	curl_easy_setopt(easy, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
	if (o->ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca_file);
}

/* Starts one attempt of a request: a handle, signed headers, into multi. */
static void
transfer_start(DwsBatch *batch, DwsRequest *req)
{
	DwsConn    *conn = batch->conn;
	DwsServerOptions *o = &conn->opts;
	DwsTransfer *x;
	char	   *relpath;
	char	   *query;
	char	   *path;
	char	   *url;
	CURL	   *easy;

	relpath = dws_request_path(req, &query);
	path = psprintf("%s%s", conn->base_path, relpath);
	url = psprintf("%s%s%s%s", conn->origin, path, query ? "?" : "",
				   query ? query : "");

	x = MemoryContextAllocZero(batch->cxt, sizeof(DwsTransfer));
	x->req = req;
	x->limit = (size_t) o->max_response_bytes;
	req->xfer = x;

	/* from here on, the batch's cleanup frees x's resources on ERROR */
	batch->running = lappend(batch->running, x);

	if (conn->idle != NIL)
	{
		/* a handle of this connection that ended well keeps its options */
		easy = (CURL *) llast(conn->idle);
		conn->idle = list_delete_last(conn->idle);
	}
	else
	{
		easy = curl_easy_init();
		if (easy == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		easy_static_options(conn, easy);
	}
	x->easy = easy;
	conn->in_flight++;			/* matched in transfer_release */
	dws_activity_count(0, 0, 1);	/* shared.c */
	if (list_length(batch->running) > batch->stats->peak_in_flight)
		batch->stats->peak_in_flight = list_length(batch->running);
	x->headers = build_headers(conn, req, path, query);

	/* what changes with each call */
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf);

	/* an attempt starts from nothing: no outcome, no body of an earlier one */
	req->status = 0;
	req->curl_code = 0;
	req->curl_error[0] = '\0';
	req->too_large = false;
	req->sink_failed = false;
	req->body_limit = (int64) x->limit;	/* the sink's bound on the body */
	req->request_id[0] = '\0';
	req->location[0] = '\0';
	req->sink.reset(req->sink.arg);

	if (req->attempts == 0)
		req->first_start = GetCurrentTimestamp();
	req->attempts++;
	if (req->attempts > 1)
		BUMP(batch, retries, 1);
	else
		BUMP(batch, calls[req->kind], 1);

	if (curl_multi_add_handle(conn->multi, easy) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not start a %s call", dws_call_name(req->kind))));
	pfree(url);
	pfree(path);
	pfree(relpath);
}

static bool
is_retryable(DwsRequest *req)
{
	if (req->too_large)
		return false;
	if (req->status == 0)
	{
		switch (req->curl_code)
		{
			case CURLE_COULDNT_CONNECT:
			case CURLE_OPERATION_TIMEDOUT:
			case CURLE_RECV_ERROR:
			case CURLE_SEND_ERROR:
			case CURLE_GOT_NOTHING:
			case CURLE_PARTIAL_FILE:
			case CURLE_SSL_CONNECT_ERROR:
			case CURLE_COULDNT_RESOLVE_HOST:
			case CURLE_HTTP2:
			case CURLE_HTTP2_STREAM:
				return true;
			default:
				return false;
		}
	}
	return req->status == 429 || req->status == 500 || req->status == 502 ||
		req->status == 503 || req->status == 504;
}

/*
 * Delay before the next attempt: Retry-After when the server gave one, else
 * exponential backoff with jitter.  retry_after_s is libcurl's reading of
 * the header (CURLINFO_RETRY_AFTER: seconds, or an HTTP date made seconds
 * from now); libcurl gives 0 for "now", for a date past and for what it
 * cannot read alike, so 0 takes the backoff: never a burst of retries.
 */
static long
retry_delay_ms(DwsRequest *req, curl_off_t retry_after_s)
{
	long		backoff;

	if (retry_after_s > 0)
		return (long) Min(retry_after_s, (curl_off_t) 86400) * 1000;	/* a day: past any limit */
	backoff = DWS_BACKOFF_BASE_MS << Min(req->attempts - 1, 10);
	backoff = Min(backoff, DWS_BACKOFF_MAX_MS);
	/* "equal jitter": half fixed, half random */
	return backoff / 2 + (long) pg_prng_uint64_range(&pg_global_prng_state, 0, backoff / 2);
}

/*
 * A transfer ended: record its outcome, then retry or hand it back.  batch
 * is the transfer's own, not necessarily the one whose wait collected it
 * (two scans can share a connection): its lists grow in its own context.
 */
static void
transfer_finish(DwsBatch *batch, DwsTransfer *x, CURLcode code)
{
	DwsConn    *conn = batch->conn;
	DwsRequest *req = x->req;
	long		status = 0;
	curl_off_t	retry_after_s = 0;
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	if (code == CURLE_OK)
	{
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		/* the headers of the last response of this transfer */
		copy_header(x->easy, "X-Request-Id", req->request_id,
					sizeof(req->request_id));
		copy_header(x->easy, "Location", req->location, sizeof(req->location));
		if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER,
							  &retry_after_s) != CURLE_OK)
			retry_after_s = 0;
	}
	req->status = status;
	dws_budget_answer(conn->shared, status, (long) retry_after_s);	/* shared.c */
	req->curl_code = (int) code;
	req->too_large = x->too_large || code == CURLE_FILESIZE_EXCEEDED;
	req->sink_failed = x->sink_failed;
	req->body_limit = (int64) x->limit;
	strlcpy(req->curl_error, x->errbuf[0] ? x->errbuf : curl_easy_strerror(code),
			sizeof(req->curl_error));
	BUMP(batch, bytes, x->seen);

	batch->running = list_delete_ptr(batch->running, x);
	transfer_release(conn, x, code == CURLE_OK);
	pfree(x);
	req->xfer = NULL;

	if (is_retryable(req) && req->attempts <= conn->opts.max_retries)
	{
		long		delay = retry_delay_ms(req, retry_after_s);
		long		spent = (long) ((GetCurrentTimestamp() - req->first_start) / 1000);

		if (spent + delay <= conn->opts.max_retry_time_ms)
		{
			req->not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  delay);
			batch->queued = lappend(batch->queued, req);
			MemoryContextSwitchTo(old);
			return;
		}
	}
	batch->done = lappend(batch->done, req);
	batch->act_done++;
	dws_activity_count(0, 1, 0);	/* shared.c */
	MemoryContextSwitchTo(old);
}

/* Frees everything a batch still has in curl: end of scan or ERROR. */
static void
batch_cleanup(void *arg)
{
	DwsBatch   *batch = (DwsBatch *) arg;
	DwsConn    *conn = batch->conn;
	ListCell   *lc;

	foreach(lc, batch->running)
		transfer_release(conn, (DwsTransfer *) lfirst(lc), false);
	batch->running = NIL;
	dws_activity_end(batch->act_total, batch->act_done);	/* shared.c */
	conn_unpin(conn);
}

/*
 * A batch of calls on conn, owned by the current memory context.
 */
DwsBatch *
dws_batch_create(DwsConn *conn, DwsStats *stats)
{
	DwsBatch   *batch = palloc0(sizeof(DwsBatch));

	batch->cxt = CurrentMemoryContext;
	batch->conn = conn;
	batch->stats = stats;
	batch->cb.func = batch_cleanup;
	batch->cb.arg = batch;
	dws_activity_begin(conn->serverid, conn->userid);	/* shared.c; ended by
														 * batch_cleanup */
	conn->refcount++;			/* released by batch_cleanup */
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &batch->cb);
	return batch;
}

void
dws_batch_add(DwsBatch *batch, DwsRequest *req)
{
	req->batch = batch;
	req->attempts = 0;
	req->not_before = 0;
	batch->queued = lappend(batch->queued, req);
	batch->act_total++;
	dws_activity_count(1, 0, 0);	/* shared.c */
}

int
dws_batch_outstanding(DwsBatch *batch)
{
	return list_length(batch->queued) + list_length(batch->running);
}

/*
 * Starts queued requests that are due, while the connection has room and
 * the budget (shared.c) gives a token for each; else says in how many
 * milliseconds to try again.
 */
static long
start_due(DwsBatch *batch)
{
	DwsConn    *conn = batch->conn;
	TimestampTz now = GetCurrentTimestamp();
	long		next_ms = -1;
	ListCell   *lc;

	batch->budget_wait = false;
	foreach(lc, batch->queued)
	{
		DwsRequest *req = (DwsRequest *) lfirst(lc);
		long		budget_ms;

		if (conn->in_flight >= conn->opts.max_concurrency)
			break;
		if (req->not_before > now)
		{
			long		ms = (long) ((req->not_before - now) / 1000) + 1;

			if (next_ms < 0 || ms < next_ms)
				next_ms = ms;
			continue;
		}
		budget_ms = dws_budget_take(conn->shared);
		if (budget_ms > 0)
		{
			if (next_ms < 0 || budget_ms < next_ms)
				next_ms = budget_ms;
			batch->budget_wait = true;
			break;
		}
		batch->queued = foreach_delete_current(batch->queued, lc);
		transfer_start(batch, req);
	}
	return next_ms;
}

/* Hands every finished transfer of the multi handle to its own batch. */
static void
collect_done(DwsConn *conn)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(conn->multi, &left)) != NULL)
	{
		DwsTransfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
		if (x)
			transfer_finish(x->req->batch, x, msg->data.result);
	}
}

/*
 * CURLMOPT_SOCKETFUNCTION: curl tells which sockets to watch, and for what.
 * Runs inside libcurl, so it never throws: when the table cannot grow it
 * returns -1 and curl fails that transfer.
 *
 * Why the socket callback rather than curl_multi_fdset: an fd_set cannot
 * hold a descriptor past FD_SETSIZE, and curl then silently leaves it out,
 * so a backend with many files open would stop waiting on its sockets.
 * curl_multi_waitfds has no such limit but needs curl 8.8.  The callback
 * works with every libcurl this builds against and tells which socket is
 * ready, so only that one is handed back to curl.
 */
static int
conn_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
			   void *socketp)
{
	DwsConn    *conn = (DwsConn *) userp;
	int			i;

	for (i = 0; i < conn->nsocks; i++)
		if (conn->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < conn->nsocks)
		{
			conn->socks[i] = conn->socks[--conn->nsocks];
			conn->socks_changed = true;
		}
		return 0;
	}
	if (i == conn->nsocks)
	{
		if (conn->nsocks == conn->socks_cap)
		{
			int			cap = Max(8, conn->socks_cap * 2);
			DwsSock    *socks;

			socks = MemoryContextAllocExtended(conn->cxt, cap * sizeof(DwsSock),
											   MCXT_ALLOC_NO_OOM);
			if (socks == NULL)
				return -1;
			if (conn->nsocks > 0)
				memcpy(socks, conn->socks, conn->nsocks * sizeof(DwsSock));
			if (conn->socks)
				pfree(conn->socks);
			conn->socks = socks;
			conn->socks_cap = cap;
		}
		conn->socks[i].fd = fd;
		conn->socks[i].what = 0;
		conn->nsocks++;
	}
	if (conn->socks[i].what != what)
		conn->socks_changed = true;
	conn->socks[i].what = what;
	return 0;
}

/* The wait events a socket curl watches for "what" needs. */
static int
sock_events(int what)
{
	int			events = 0;

	if (what & CURL_POLL_IN)
		events |= WL_SOCKET_READABLE;
	if (what & CURL_POLL_OUT)
		events |= WL_SOCKET_WRITEABLE;
	return events;
}

/*
 * Whether conn->wes can serve the sockets curl now asks for, changing the
 * events of those it holds in place: true when it holds exactly the same
 * sockets, each still the same open socket.  That is the common case of
 * one kept-alive connection (curl drops its socket from the watch list at
 * the end of each call and adds it back at the next), and it saves
 * building a new set (an epoll descriptor and a system call per event) on
 * every call.  A socket that curl closed and whose number went to a new
 * socket is told apart by its inode, so a stale registration is never
 * reused; a set that holds a socket curl no longer watches is never
 * reused either (an idle socket would keep waking the wait).
 */
static bool
conn_wait_set_reuse(DwsConn *conn)
{
	int			nwatched = conn->nwatched;
	int			nactive = 0;
	int			i;

	/* until the end: if a change throws, the next wait builds a new set */
	conn->nwatched = -1;
	for (i = 0; i < conn->nsocks; i++)
	{
		int			events = sock_events(conn->socks[i].what);
		DwsWatched *w = NULL;
		struct stat st;
		int			j;

		if (events == 0)
			continue;
		nactive++;
		for (j = 0; j < nwatched && w == NULL; j++)
			if (conn->watched[j].fd == conn->socks[i].fd)
				w = &conn->watched[j];
		if (w == NULL || fstat(w->fd, &st) != 0 ||
			st.st_dev != w->dev || st.st_ino != w->ino)
			return false;
		if (w->events != events)
		{
			ModifyWaitEvent(conn->wes, w->pos, events, NULL);
			w->events = events;
		}
	}
	if (nactive != nwatched)
		return false;
	conn->nwatched = nwatched;
	return true;
}

/*
 * The set a wait of conn sleeps on: this backend's latch (signals such as
 * cancel, statement_timeout and terminate set it), postmaster death (the
 * backend exits at once, never outliving its postmaster), and the sockets
 * curl asked for.  Kept from one wait to the next while it holds the same
 * sockets (conn_wait_set_reuse), else built anew: a set cannot drop an
 * event.  conn->wes is set before the sockets are added, so an ERROR in
 * between leaves nothing behind that the next call or conn_destroy does
 * not free.
 */
static WaitEventSet *
conn_wait_set(DwsConn *conn)
{
	int			i;

	if (conn->wes != NULL && !conn->socks_changed)
		return conn->wes;
	if (conn->wes != NULL && conn_wait_set_reuse(conn))
	{
		conn->socks_changed = false;
		return conn->wes;
	}
	if (conn->wes != NULL)
		FreeWaitEventSet(conn->wes);
	conn->wes = NULL;
	conn->nwatched = 0;
	if (conn->watched)
		pfree(conn->watched);
	conn->watched = NULL;
	conn->socks_changed = true;
	conn->watched = MemoryContextAlloc(conn->cxt,
									   Max(conn->nsocks, 1) * sizeof(DwsWatched));
	conn->wes = dws_create_wait_event_set(conn->cxt, conn->nsocks + 2);
	AddWaitEventToSet(conn->wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(conn->wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
					  NULL, NULL);
	for (i = 0; i < conn->nsocks; i++)
	{
		int			events = sock_events(conn->socks[i].what);
		DwsWatched *w;
		struct stat st;

		if (events == 0)
			continue;
		/*
		 * A descriptor that is no longer open (curl closed it without
		 * telling) cannot be watched: left out rather than failing the
		 * wait.
		 */
		if (fstat(conn->socks[i].fd, &st) != 0)
			continue;
		w = &conn->watched[conn->nwatched];
		w->fd = conn->socks[i].fd;
		w->events = events;
		w->dev = st.st_dev;
		w->ino = st.st_ino;
		w->pos = AddWaitEventToSet(conn->wes, events, conn->socks[i].fd,
								   NULL, NULL);
		conn->nwatched++;
	}
	conn->socks_changed = false;
	return conn->wes;
}

/*
 * The next request of the batch that is finished for good (answered, or
 * out of retries), or NULL when the batch has nothing left.
 *
 * Waits on a WaitEventSet of the latch, postmaster death and the sockets
 * curl asked for, with the wait event reported, for at most the time curl
 * wants to be called back in (its timeouts) or the next retry is due.
 * Every wake resets the latch before interrupts are checked, so a signal
 * that comes meanwhile sets it again and is not lost.  curl is driven with
 * curl_multi_socket_action: a timeout call first (new transfers and
 * expired timers), then each socket that is ready.
 */
DwsRequest *
dws_batch_next(DwsBatch *batch)
{
	DwsConn    *conn = batch->conn;
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	for (;;)
	{
		long		wait_ms;
		long		curl_ms = -1;
		long		due_ms;
		int			still;
		int			n;
		int			i;
		WaitEvent	events[8];
		WaitEventSet *wes;
		instr_time	t0,
					t1;

		CHECK_FOR_INTERRUPTS();
		if (batch->done != NIL)
		{
			DwsRequest *req = (DwsRequest *) linitial(batch->done);

			batch->done = list_delete_first(batch->done);
			MemoryContextSwitchTo(old);
			return req;
		}
		if (batch->queued == NIL && batch->running == NIL)
		{
			MemoryContextSwitchTo(old);
			return NULL;
		}

		due_ms = start_due(batch);
		dws_activity_waiting(batch->budget_wait);
		curl_multi_socket_action(conn->multi, CURL_SOCKET_TIMEOUT, 0, &still);
		collect_done(conn);
		if (batch->done != NIL)
			continue;

		curl_multi_timeout(conn->multi, &curl_ms);
		wait_ms = DWS_POLL_MS;
		if (curl_ms >= 0 && curl_ms < wait_ms)
			wait_ms = curl_ms;
		if (due_ms >= 0 && due_ms < wait_ms)
			wait_ms = due_ms;
		if (wait_ms <= 0)
			continue;

		wes = conn_wait_set(conn);
		INSTR_TIME_SET_CURRENT(t0);
		n = WaitEventSetWait(wes, wait_ms, events, lengthof(events),
							 batch->budget_wait && batch->running == NIL ?
							 dws_wait_event_budget() : dws_wait_event_api());
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		BUMP(batch, wait_ms, INSTR_TIME_GET_MILLISEC(t1));

		for (i = 0; i < n; i++)
		{
			int			mask = 0;

			if (events[i].events & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				continue;
			}
			if (events[i].events & WL_SOCKET_READABLE)
				mask |= CURL_CSELECT_IN;
			if (events[i].events & WL_SOCKET_WRITEABLE)
				mask |= CURL_CSELECT_OUT;
			if (mask != 0)
				curl_multi_socket_action(conn->multi, events[i].fd, mask,
										 &still);
		}
		collect_done(conn);
	}
}
