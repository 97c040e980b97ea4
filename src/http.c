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
 * transaction that changes its server, its user mapping, or the role that
 * owns the server or is mapped (or when its last scan ends, if that is
 * later).  A DwsBatch belongs to a memory context of the scan;
 * when that context goes (end of scan or an ERROR unwinding), its reset
 * callback removes and frees every curl handle, header list and buffer it
 * still has, and takes it out of the backend's list of batches: a wait of
 * any batch drives them all (dws_batch_next), so that the scans of one
 * query have their calls in flight together.  Nothing here calls ereport
 * from inside a curl callback.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "common/pg_prng.h"
#include "catalog/pg_user_mapping.h"
#include "funcapi.h"
#include "lib/ilist.h"
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

#include "hosts.h"
#include "record.h"
#include "shared.h"
#include "sign.h"
#include "wipe.h"

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
	uint32		owner_hashvalue;	/* AUTHOID hash of the server's owner */
	uint32		role_hashvalue; /* of the mapping's role; 0 for PUBLIC */
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
	DwsCache   *cache;			/* answers kept cache_ttl seconds (and for
								 * when_unreachable 'stale'), or NULL */
	DwsStats   *server_stats;	/* this backend's figures for the server */
	Oid			serverid;		/* for dwsdr_get_connections() */
	Oid			userid;			/* the mapping's role, InvalidOid: PUBLIC */
	/* the sockets curl wants watched (CURLMOPT_SOCKETFUNCTION) */
	struct DwsSock *socks;
	int			nsocks;
	int			socks_cap;
	bool		socks_changed;	/* curl changed socks since the last wait */
	bool		shared_changed; /* ... since SharedWes was built */
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
	uint64		checked_epoch;	/* conn_check_epoch of the last check */
	MemoryContextCallback cb;
	dlist_node	node;			/* in ActiveBatches */
	bool		done_new;		/* done grew since advance last ran */
	void		(*advance) (void *arg); /* dws_batch_set_advance */
	void	   *advance_arg;
	/* shared.c: dwsdr_activity() and the budget */
	int			act_total;		/* requests added */
	int			act_done;		/* ... finished for good */
	bool		budget_wait;	/* the next call waits for its budget */
};

/*
 * Every batch of this backend, whichever scan and connection it belongs to:
 * a wait of any of them drives them all (dws_batch_next), so that the scans
 * of one query (the servers of a UNION ALL view, the sides of a join) have
 * their calls in flight at the same time.  A batch is in it from
 * dws_batch_create until its memory context goes (batch_cleanup).
 */
static dlist_head ActiveBatches = DLIST_STATIC_INIT(ActiveBatches);

/*
 * The wait set of a wait that drives several connections: the latch,
 * postmaster death and the sockets of each (user_data: its DwsConn).  Kept
 * while the same connections wait on the same sockets; any change of a
 * socket (shared_changed) or of the connections, or a connection freed,
 * builds it anew.
 */
static WaitEventSet *SharedWes = NULL;
static List *SharedWesConns = NIL;	/* in TopMemoryContext */
static bool SharedWesValid = false;

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
 * Moves on whenever something the host check of a batch reads may have
 * changed (dwsdr_fdw.allowed_hosts, a server, a role): a running batch
 * checks again before its next call (batch_check).
 */
static uint64 conn_check_epoch = 1;

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

/* The server options the connection was made with (fetch.c's modes). */
const DwsServerOptions *
dws_conn_options(DwsConn *conn)
{
	return &conn->opts;
}

/* The foreign server of the connection, for messages. */
Oid
dws_conn_serverid(DwsConn *conn)
{
	return conn->serverid;
}

DwsStats *
dws_conn_stats(DwsConn *conn)
{
	return conn->server_stats;
}

static const char *const call_names[] = {"list", "detail", "progress", "events"};

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
 * Called once from _PG_init: curl's global state and jansson's allocator.
 */
void
dws_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
	json_set_alloc_funcs(dws_json_malloc, dws_json_free);
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
	/* a shared wait set may hold its sockets or its address */
	SharedWesValid = false;
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
		conn->shared = dws_shared_conn(cxt, conn->host_header,
									   psprintf("%s%s", conn->origin, conn->base_path),
									   &conn->creds, opts.rate_limit,
									   server->serverid, um->umid,
									   server->owner, role);
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
		case DWS_CALL_EVENTS:
			{
				/* one page: offset is a page index, limit its size */
				char		offset[32],
							limit[32];
				DwsKV		kv[2] = {{"limit", limit}, {"offset", offset}};
				char	   *q;

				snprintf(offset, sizeof(offset), INT64_FORMAT, req->page);
				snprintf(limit, sizeof(limit), "%d", req->page_size);
				q = dws_canonical_query(kv, 2);
				if (q == NULL)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
									errmsg("out of memory")));
				*query = pstrdup(q);
				free(q);
				path = psprintf("/v2/%s/events", p);
			}
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
		dws_slist_free_wiped(list);
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
			dws_slist_free_wiped(h);
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
			dws_slist_free_wiped(h);
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
		dws_slist_free_wiped(x->headers);
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
	/*
	 * ca_file is the only trust store when set: libcurl's compiled-in CA
	 * path (Debian's: /etc/ssl/certs) would otherwise still be searched
	 * beside it, so a certificate the system store trusts would pass.
	 * CURLOPT_CAPATH NULL turns that path off; no CA blob and no native CA
	 * store are ever set.  With no CA path, libcurl 7.87 and later would
	 * keep the store built from the file for a day (CA_CACHE_TIMEOUT):
	 * 0 keeps reading the file at each new TLS connection, as before, so
	 * a replaced ca_file counts from the next one.
	 */
	if (o->ca_file)
	{
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x075700
		curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
	}
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
	batch->done_new = true;
	batch->act_done++;
	dws_activity_count(0, 1, 0);	/* shared.c */
	MemoryContextSwitchTo(old);
}

/*
 * The check every batch of calls passes when it starts, and again before
 * its next call whenever something it reads may have changed meanwhile
 * (conn_check_epoch): a server whose owner is not a superuser reaches only
 * the hosts dwsdr_fdw.allowed_hosts lists.  The owner and the setting are
 * read as they are now; the hosts are the ones this connection calls (a
 * running scan keeps its connection when its server changes).  Without
 * it, an open cursor or a rescan of a table naming its own project would
 * go on calling a host a superuser has since taken out of the setting.
 */
static void
batch_check(DwsBatch *batch)
{
	DwsConn    *conn = batch->conn;
	uint64		epoch = conn_check_epoch;
	ForeignServer *server;

	/* the catalog lookup may itself run invalidations: the epoch first */
	server = GetForeignServerExtended(conn->serverid, FSV_MISSING_OK);
	if (server == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the foreign server of a dwsdr_fdw scan no longer exists")));
	dws_check_hosts(server, &conn->opts);
	batch->checked_epoch = epoch;
}

/* Frees everything a batch still has in curl: end of scan or ERROR. */
static void
batch_cleanup(void *arg)
{
	DwsBatch   *batch = (DwsBatch *) arg;
	DwsConn    *conn = batch->conn;
	ListCell   *lc;

	dlist_delete(&batch->node);
	foreach(lc, batch->running)
		transfer_release(conn, (DwsTransfer *) lfirst(lc), false);
	batch->running = NIL;
	dws_activity_end(batch->act_total, batch->act_done);	/* shared.c */
	conn_unpin(conn);
}

/*
 * A batch of calls on conn, owned by the current memory context: a scan's
 * calls, made anew at each rescan.  It passes batch_check before anything.
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
	dlist_push_tail(&ActiveBatches, &batch->node);
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &batch->cb);
	batch_check(batch);
	return batch;
}

/*
 * What to call when answers of this batch come in while another batch
 * waits (dws_batch_next): the owner takes the answers it can use now
 * (dws_batch_peek, dws_batch_take) and queues its next calls, so that its
 * next phase starts without waiting for its own turn to be read.  It must
 * not wait itself.
 */
void
dws_batch_set_advance(DwsBatch *batch, void (*advance) (void *arg), void *arg)
{
	batch->advance = advance;
	batch->advance_arg = arg;
}

/* The first finished request of the batch, left there; NULL when none. */
DwsRequest *
dws_batch_peek(DwsBatch *batch)
{
	return batch->done != NIL ? (DwsRequest *) linitial(batch->done) : NULL;
}

/* The first finished request of the batch, taken; NULL when none.  Never waits. */
DwsRequest *
dws_batch_take(DwsBatch *batch)
{
	DwsRequest *req = dws_batch_peek(batch);

	if (req != NULL)
		batch->done = list_delete_first(batch->done);
	return req;
}

/* Finished requests the batch holds that its owner has not taken. */
int
dws_batch_held(DwsBatch *batch)
{
	return list_length(batch->done);
}

void
dws_batch_add(DwsBatch *batch, DwsRequest *req)
{
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	req->batch = batch;
	req->attempts = 0;
	req->not_before = 0;
	batch->queued = lappend(batch->queued, req);
	batch->act_total++;
	dws_activity_count(1, 0, 0);	/* shared.c */
	MemoryContextSwitchTo(old);
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
	MemoryContext old;

	batch->budget_wait = false;
	if (batch->queued != NIL && batch->checked_epoch != conn_check_epoch)
		batch_check(batch);

	/*
	 * In the batch's own memory: any scan's wait starts every batch's calls,
	 * and a list cell made in the waiter's memory would be freed with it
	 * (a rescanned inner scan) while this batch still holds it.
	 */
	old = MemoryContextSwitchTo(batch->cxt);
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
	MemoryContextSwitchTo(old);
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
			conn->shared_changed = true;
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
		conn->socks_changed = conn->shared_changed = true;
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
 * The connections that have work, each once: those of every batch with a
 * call queued or running.  In the current memory context.
 */
static List *
active_conns(void)
{
	dlist_iter	it;
	List	   *conns = NIL;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b->queued != NIL || b->running != NIL)
			conns = list_append_unique_ptr(conns, b->conn);
	}
	return conns;
}

/*
 * Starts the due calls of every batch, whichever scan it belongs to; the
 * time until the next retry of any of them is due or the budget (shared.c)
 * has a token for one of them, or -1.  A batch the budget holds back does
 * not hold back the others: each takes its own tokens.  dwsdr_activity()
 * shows the backend waiting for its budget while any batch is.
 */
static long
start_all(void)
{
	dlist_iter	it;
	long		next_ms = -1;
	bool		budget_wait = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);
		long		ms;

		if (b->queued == NIL)
		{
			b->budget_wait = false;
			continue;
		}
		ms = start_due(b);
		if (ms >= 0 && (next_ms < 0 || ms < next_ms))
			next_ms = ms;
		budget_wait |= b->budget_wait;
	}
	dws_activity_waiting(budget_wait);
	return next_ms;
}

/*
 * The wait event of a wait that drives every batch: the budget's
 * (DwsdrBudget, shared.c) when a batch waits for a token and no call of
 * any batch is in flight, else the API's (DwsdrApi): while a transfer
 * runs, the wait is also for its answer.
 */
static uint32
wait_event_now(void)
{
	dlist_iter	it;
	bool		budget_wait = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b->running != NIL)
			return dws_wait_event_api();
		budget_wait |= b->budget_wait;
	}
	return budget_wait ? dws_wait_event_budget() : dws_wait_event_api();
}

/*
 * Lets the owner of every other batch that got answers since it last
 * looked take them and queue its next calls (dws_batch_set_advance): a
 * scan whose list came in while another scan was being read starts its
 * per-task calls now, not when its turn comes.  An owner keeps a failed
 * call where it is, for its own scan to report when read.  true when an
 * owner ran, so that the caller starts what it may have queued before
 * waiting.
 */
static bool
advance_others(DwsBatch *waiter)
{
	dlist_iter	it;
	bool		ran = false;

	dlist_foreach(it, &ActiveBatches)
	{
		DwsBatch   *b = dlist_container(DwsBatch, node, it.cur);

		if (b == waiter || !b->done_new || b->advance == NULL)
			continue;
		b->done_new = false;
		b->advance(b->advance_arg);
		ran = true;
	}
	return ran;
}

/*
 * The wait set of a wait that drives several connections: the latch,
 * postmaster death, and each connection's sockets with the connection as
 * their user_data.  Kept while the same connections wait on the same
 * sockets, else built anew (see conn_wait_set, whose rules it follows:
 * SharedWes is set before anything is added, so an ERROR in between
 * leaves nothing that the next call does not free).
 */
static WaitEventSet *
shared_wait_set(List *conns)
{
	ListCell   *lc;
	int			nevents = 2;
	MemoryContext old;

	if (SharedWesValid && list_length(conns) == list_length(SharedWesConns))
	{
		bool		same = true;
		ListCell   *lc2;

		forboth(lc, conns, lc2, SharedWesConns)
		{
			if (lfirst(lc) != lfirst(lc2) ||
				((DwsConn *) lfirst(lc))->shared_changed)
				same = false;
		}
		if (same)
			return SharedWes;
	}
	SharedWesValid = false;
	if (SharedWes != NULL)
		FreeWaitEventSet(SharedWes);
	SharedWes = NULL;
	list_free(SharedWesConns);
	SharedWesConns = NIL;

	foreach(lc, conns)
		nevents += ((DwsConn *) lfirst(lc))->nsocks;
	SharedWes = dws_create_wait_event_set(TopMemoryContext, nevents);
	AddWaitEventToSet(SharedWes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(SharedWes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
					  NULL, NULL);
	foreach(lc, conns)
	{
		DwsConn    *conn = (DwsConn *) lfirst(lc);
		int			i;

		for (i = 0; i < conn->nsocks; i++)
		{
			int			events = sock_events(conn->socks[i].what);
			struct stat st;

			/* a descriptor no longer open is left out, as conn_wait_set does */
			if (events == 0 || fstat(conn->socks[i].fd, &st) != 0)
				continue;
			AddWaitEventToSet(SharedWes, events, conn->socks[i].fd, NULL, conn);
		}
		conn->shared_changed = false;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	SharedWesConns = list_copy(conns);
	MemoryContextSwitchTo(old);
	SharedWesValid = true;
	return SharedWes;
}

/*
 * The next request of the batch that is finished for good (answered, or
 * out of retries), or NULL when the batch has nothing left.
 *
 * While it waits, it drives every batch of the backend, not only its own
 * (ActiveBatches): their due calls start, their connections' transfers
 * move on, and their owners take what came in (advance_others).  The
 * scans of one query so proceed together, whichever of them the executor
 * is reading; an answer for another batch stays with that batch, so a
 * failure is reported by the scan it belongs to, when that scan is read.
 *
 * Waits on a WaitEventSet of the latch, postmaster death and the sockets
 * curl asked for (of one connection: conn_wait_set; of several:
 * shared_wait_set), with the wait event reported, for at most the time
 * curl wants to be called back in (its timeouts, of every connection) or
 * the next retry is due.  Every wake resets the latch before interrupts
 * are checked, so a signal that comes meanwhile sets it again and is not
 * lost.  curl is driven with curl_multi_socket_action: a timeout call
 * first (new transfers and expired timers), then each socket that is
 * ready.
 */
DwsRequest *
dws_batch_next(DwsBatch *batch)
{
	MemoryContext old = MemoryContextSwitchTo(batch->cxt);

	for (;;)
	{
		long		wait_ms = DWS_POLL_MS;
		long		due_ms;
		int			still;
		int			n;
		int			i;
		WaitEvent	events[16];
		WaitEventSet *wes;
		List	   *conns;
		ListCell   *lc;
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

		due_ms = start_all();
		conns = active_conns();
		foreach(lc, conns)
		{
			DwsConn    *c = (DwsConn *) lfirst(lc);

			curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &still);
			collect_done(c);
		}
		if (advance_others(batch) || batch->done != NIL)
		{
			list_free(conns);
			continue;
		}

		foreach(lc, conns)
		{
			long		curl_ms = -1;

			curl_multi_timeout(((DwsConn *) lfirst(lc))->multi, &curl_ms);
			if (curl_ms >= 0 && curl_ms < wait_ms)
				wait_ms = curl_ms;
		}
		if (due_ms >= 0 && due_ms < wait_ms)
			wait_ms = due_ms;
		if (wait_ms <= 0)
		{
			list_free(conns);
			continue;
		}

		/* the waiter's own connection is among them: it has work */
		if (list_length(conns) == 1)
			wes = conn_wait_set((DwsConn *) linitial(conns));
		else
			wes = shared_wait_set(conns);
		INSTR_TIME_SET_CURRENT(t0);
		n = WaitEventSetWait(wes, wait_ms, events, lengthof(events),
							 wait_event_now());
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		BUMP(batch, wait_ms, INSTR_TIME_GET_MILLISEC(t1));

		for (i = 0; i < n; i++)
		{
			DwsConn    *c;
			int			mask = 0;

			if (events[i].events & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				continue;
			}
			c = events[i].user_data ? (DwsConn *) events[i].user_data :
				(DwsConn *) linitial(conns);
			if (events[i].events & WL_SOCKET_READABLE)
				mask |= CURL_CSELECT_IN;
			if (events[i].events & WL_SOCKET_WRITEABLE)
				mask |= CURL_CSELECT_OUT;
			if (mask != 0)
				curl_multi_socket_action(c->multi, events[i].fd, mask, &still);
		}
		foreach(lc, conns)
			collect_done((DwsConn *) lfirst(lc));
		(void) advance_others(batch);
		list_free(conns);
	}
}
