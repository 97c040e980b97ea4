/*-------------------------------------------------------------------------
 * api.c
 *	  The DWS side of a call: its URL (paths and query of the DR calls),
 *	  its headers (X-Project-Id, X-Auth-Token or the SDK-HMAC-SHA256
 *	  signature of sign.c, the User-Agent), the names of the calls, and the
 *	  hooks a batch of the transport calls: the host check, the budget
 *	  (shared.c) and the figures (stats.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "utils/memutils.h"

#include <curl/curl.h>

#include "api.h"
#include "shared.h"
#include "sign.h"
#include "wipe.h"

/* Sent with every call: the extension and its version. */
#define DWS_USER_AGENT "dwsdr_fdw/1.2"

static const char *const call_names[] = {"list", "detail", "progress", "events"};

/* The name of a call kind, as EXPLAIN, messages and dwsdr_activity() say. */
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

/* Called once from _PG_init: curl's global state and jansson's allocator. */
void
dws_api_init(void)
{
	dws_transport_init();
	json_set_alloc_funcs(dws_json_malloc, dws_json_free);
}

/* ---- the URL ---- */

/*
 * One value as one path segment: escaped as signing escapes (sign.c), and
 * "." or ".." written as %2E so that no client, proxy or server folds it
 * into another path.
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

/* A canonical query (sign.c) of n parameters, palloc'd. */
static char *
request_query(const DwsKV *kv, int n)
{
	char	   *q = dws_canonical_query(kv, n);
	char	   *copy;

	if (q == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	copy = pstrdup(q);
	free(q);
	return copy;
}

/*
 * The wire path (after the endpoint's base path) and query of a request.
 * dr_id and project_id are escaped as single path segments: no value can
 * name another path.  The query is the one signed, and sent as signed.
 */
static char *
request_path(DwsRequest *req, char **query)
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

				*query = request_query(&kv, 1);
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

				snprintf(offset, sizeof(offset), INT64_FORMAT, req->page);
				snprintf(limit, sizeof(limit), "%d", req->page_size);
				*query = request_query(kv, 2);
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
 * The whole URL of a request, palloc'd: the endpoint's origin and base
 * path, the request's path and query.  Not libcurl's URL API: CURLU
 * writes percent-escapes in lowercase (%2e), so the bytes sent would not
 * be the ones signed.
 */
static char *
request_url(DwsConn *conn, DwsRequest *req)
{
	const DwsUrl *url = dws_conn_url(conn);
	char	   *query;
	char	   *relpath = request_path(req, &query);
	char	   *result;

	result = psprintf("%s%s%s%s%s", url->origin, url->base_path, relpath,
					  query ? "?" : "", query ? query : "");
	pfree(relpath);
	if (query)
		pfree(query);
	return result;
}

/* ---- the headers ---- */

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
	const DwsUserOptions *c = dws_conn_creds(conn);
	const char *host = dws_conn_url(conn)->host_header;

	h = slist_add(h, "Host", host);
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
		sh[n++] = (DwsKV) {"host", host};
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

/* ---- a batch of calls on a connection ---- */

/* The owner of a transport batch: its connection and figures. */
typedef struct ApiBatch
{
	DwsConn    *conn;
	DwsStats   *stats;			/* the scan's (EXPLAIN ANALYZE) */
	DwsConnChecked checked;		/* the last host check (dws_conn_check) */
} ApiBatch;

/* Adds n to a counter of the scan and of the server. */
#define BUMP(ab, field, n) \
	do { \
		(ab)->stats->field += (n); \
		dws_conn_stats((ab)->conn)->field += (n); \
	} while (0)

static void
hook_check(void *arg)
{
	ApiBatch   *ab = (ApiBatch *) arg;

	dws_conn_check(ab->conn, &ab->checked, false);
}

/*
 * The headers of one attempt, signed afresh (X-Sdk-Date is the time of
 * this attempt).
 */
static struct curl_slist *
hook_headers(void *arg, DwsHttpRequest *hreq)
{
	ApiBatch   *ab = (ApiBatch *) arg;
	DwsRequest *req = (DwsRequest *) hreq;
	char	   *query;
	char	   *relpath = request_path(req, &query);
	char	   *path = psprintf("%s%s", dws_conn_url(ab->conn)->base_path,
								relpath);
	struct curl_slist *h = build_headers(ab->conn, req, path, query);

	pfree(path);
	pfree(relpath);
	if (query)
		pfree(query);
	return h;
}

static long
hook_budget(void *arg)
{
	return dws_budget_take(dws_conn_shared(((ApiBatch *) arg)->conn));
}

static void
hook_started(void *arg, DwsHttpRequest *hreq, int running)
{
	ApiBatch   *ab = (ApiBatch *) arg;

	if (running > ab->stats->peak_in_flight)
		ab->stats->peak_in_flight = running;
	if (hreq->attempts > 1)
		BUMP(ab, retries, 1);
	else
		BUMP(ab, calls[((DwsRequest *) hreq)->kind], 1);
}

static void
hook_ended(void *arg, DwsHttpRequest *req, size_t bytes, long retry_after_s)
{
	ApiBatch   *ab = (ApiBatch *) arg;

	dws_budget_answer(dws_conn_shared(ab->conn), req->status, retry_after_s);
	BUMP(ab, bytes, bytes);
}

/* A handle is kept only by a connection that is still current. */
static bool
hook_reuse(void *arg)
{
	return dws_conn_current(((ApiBatch *) arg)->conn);
}

static void
hook_waited(void *arg, double ms)
{
	BUMP((ApiBatch *) arg, wait_ms, ms);
}

/*
 * A batch of calls on conn, owned by the current memory context: a scan's
 * calls, made anew at each rescan.  It checks the hosts before anything,
 * and holds the connection until the context goes.
 */
DwsBatch *
dws_batch_create(DwsConn *conn, DwsStats *stats)
{
	ApiBatch   *ab = palloc0(sizeof(ApiBatch));
	DwsBatchHooks hooks = {
		.check = hook_check,
		.headers = hook_headers,
		.budget = hook_budget,
		.started = hook_started,
		.ended = hook_ended,
		.reuse = hook_reuse,
		.waited = hook_waited,
		.arg = ab,
	};
	DwsBatch   *batch;

	ab->conn = conn;
	ab->stats = stats;
	dws_conn_pin(conn, CurrentMemoryContext);
	/* shared.c; ended when the batch goes */
	dws_activity_begin(dws_conn_serverid(conn), dws_conn_userid(conn));
	batch = dws_transport_batch(dws_conn_transport(conn), &hooks);
	dws_conn_check(conn, &ab->checked, true);
	return batch;
}

/* Queues a call; it goes out at the next wait of any batch. */
void
dws_batch_add(DwsBatch *batch, DwsRequest *req)
{
	ApiBatch   *ab = (ApiBatch *) dws_transport_owner(batch);

	req->url = request_url(ab->conn, req);
	req->what = dws_call_name(req->kind);
	dws_transport_add(batch, (DwsHttpRequest *) req);
}
