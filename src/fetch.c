/*-------------------------------------------------------------------------
 * fetch.c
 *	  The calls one scan needs, and the records they give.
 *
 * The scan's plan (plan.h) with the values it has now: task ids from the
 * WHERE clause become one per-task call (detail, or show-progress for
 * dr_progress) per distinct id and project.  Without ids, the list call of
 * each project runs first (fetchlist.c); its items are the records when no
 * column needs more, else each item's per-task call follows.  Per-task
 * calls run concurrently (the transport); records come back as calls
 * complete.  A scan's calls also move on while another scan of the backend
 * waits (fetch_advance): its list taken, its per-task calls sent, ahead of
 * the executor reading it.
 * A task that does not exist is no record.  Any other failure is an ERROR
 * (answer.c): never a partial answer.  when_unreachable: unreachable.c.
 *
 * Bodies arrive through a sink (answer.c; the transport only moves bytes),
 * are checked once the call's final answer is in, and only then kept in
 * the cache.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"
#include "estimate.h"
#include "events.h"
#include "fetch.h"
#include "fetch_int.h"

#include "catalog/pg_type.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "list.h"
#include "msgtext.h"
#include "record.h"


/*
 * Per-task answers a scan may hold unread, in windows (2 x max_concurrency
 * calls): enough for the scans of a query's other servers to fetch ahead
 * while one is read, bounded for a project of many tasks.
 */
#define DWS_HELD_WINDOWS 8





/* ---- calls, through the cache ---- */

static const char *
cache_id(DwsRequest *req)
{
	return req->kind == DWS_CALL_LIST ? req->list_filter_id : req->dr_id;
}

/*
 * Sets a text member of a record.  json_object_set_new fails quietly
 * (json_string gives NULL for text that is not UTF-8, or on no memory),
 * which would leave the id or project out of the row: make it an error.
 */
void
dws_fetch_set_text(json_t *rec, const char *key, const char *value)
{
	if (json_object_set_new(rec, key, json_string(value)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not store \"%s\" in a record", key)));
}

/*
 * Keeps an answer that was parsed and accepted (rows, or "no such task"),
 * for cache_ttl: called only at those points, never for an answer whose
 * body is still unchecked, so that a bad page never sticks.
 */
void
dws_fetch_keep_answer(DwsFetch *f, DwsRequest *req)
{
	DwsAnswer  *a = dws_answer_of(req);

	if (a->cached)
		return;
	dws_cache_store(f->cache, req->kind, req->project_id, cache_id(req),
					req->status, req->body ? req->body : "", req->body_len,
					a->fetched);
	/* 'stale': every accepted answer, whatever cache_ttl says */
	if (f->keep != f->cache)
		dws_cache_store(f->keep, req->kind, req->project_id, cache_id(req),
						req->status, req->body ? req->body : "",
						req->body_len, a->fetched);
}

/*
 * Sends a call, unless the cache has its answer already.  Offline, the
 * answer kept for the call is taken whatever its age, and a call without
 * one is noted (unkept) and not made.
 */
void
dws_fetch_submit(DwsFetch *f, DwsRequest *req)
{
	DwsAnswer  *a = dws_answer_of(req);

	if (f->offline)
	{
		if (!dws_cache_lookup(f->keep, req->kind, req->project_id,
							  cache_id(req), -1, &req->status, &req->body,
							  &req->body_len, &a->fetched))
		{
			f->unkept = true;
			return;
		}
		a->cached = true;
		if (f->oldest == 0 || a->fetched < f->oldest)
			f->oldest = a->fetched;
		f->ready = lappend(f->ready, req);
		return;
	}
	if (dws_cache_lookup(f->cache, req->kind, req->project_id, cache_id(req),
						 f->cache_max_age_ms, &req->status, &req->body,
						 &req->body_len, &a->fetched))
	{
		a->cached = true;
		f->stats->cache_hits++;
		dws_conn_stats(f->conn)->cache_hits++;
		f->ready = lappend(f->ready, req);
		return;
	}
	dws_batch_add(f->batch, req);
}

/* The next answered call, from the cache or the network; NULL when none. */
DwsRequest *
dws_fetch_next_answer(DwsFetch *f)
{
	DwsRequest *req;

	if (f->ready != NIL)
	{
		req = (DwsRequest *) linitial(f->ready);
		f->ready = list_delete_first(f->ready);
		return req;
	}
	if (f->batch == NULL)
		return NULL;			/* offline: only kept answers */
	req = dws_batch_next(f->batch);
	if (req)
	{
		dws_answer_check_sink(f->stats, dws_conn_stats(f->conn), req);
		(dws_answer_of(req))->fetched = GetCurrentTimestamp();
	}
	return req;
}

static int
outstanding(DwsFetch *f)
{
	return (f->batch ? dws_batch_outstanding(f->batch) : 0) +
		list_length(f->ready);
}

/*
 * Whether another per-task call may be queued: at most window calls in
 * flight, and at most held_max in flight or answered but not yet read.
 * The second bound is what lets the calls of a scan run ahead while the
 * executor reads another scan (advance), without holding every answer of
 * a large project in memory.
 */
static bool
window_open(DwsFetch *f)
{
	int			flying = outstanding(f);

	return flying < f->window &&
		flying + (f->batch ? dws_batch_held(f->batch) : 0) < f->held_max;
}

/* ---- set-up ---- */


DwsFetch *
dws_fetch_begin(DwsConn *conn, DwsFetchSpec *spec, DwsTableDesc *desc,
				DwsStats *stats, DwsCache *query_cache)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dwsdr_fdw fetch",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	DwsFetch   *f = palloc0(sizeof(DwsFetch));

	f->conn = conn;
	f->spec = spec;
	f->desc = desc;
	f->stats = stats;
	f->cxt = cxt;
	f->rowcxt = AllocSetContextCreate(cxt, "dwsdr_fdw record",
									  ALLOCSET_DEFAULT_SIZES);
	f->per_id_kind = spec->plan->per_id_kind;
	/* the plan's calls; none when there is nothing to ask (no project, no id) */
	f->list = f->per_id = spec->projects != NIL &&
		(!spec->plan->ids_given || spec->ids != NIL);
	f->list &= spec->plan->list;
	f->per_id &= spec->plan->per_id;
	f->window = 2 * dws_conn_max_concurrency(conn);
	f->held_max = DWS_HELD_WINDOWS * f->window;
	f->netcxt = AllocSetContextCreate(cxt, "dwsdr_fdw calls",
									  ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(f->netcxt);
	f->batch = dws_batch_create(conn, stats);
	MemoryContextSwitchTo(cxt);
	f->mode = spec->unreachable_is_error ? DWS_UNREACHABLE_ERROR :
		dws_conn_options(conn)->when_unreachable;

	/*
	 * The server's cache for cache_ttl seconds when it has one; else, when
	 * ids come from the quals, the query's, so that an id asked again (a
	 * rescan, a repeated outer row) is not fetched twice.  A full scan asks
	 * each task once.  'stale' keeps every answer in the server's cache
	 * (keep), which serves as fresh only within cache_ttl.
	 */
	if (dws_conn_options(conn)->cache_ttl > 0)
	{
		f->cache = dws_conn_cache(conn);
		f->cache_max_age_ms = (int64) dws_conn_options(conn)->cache_ttl * 1000;
	}
	else if (spec->plan->ids_given)
	{
		f->cache = query_cache;
		f->cache_max_age_ms = -1;
	}
	if (f->mode == DWS_UNREACHABLE_STALE)
		f->keep = dws_conn_cache(conn);

	if (spec->plan->ids_given && f->list)
		dws_fetch_want_ids(f);
	if (spec->plan->resource == DWS_RES_EVENTS && f->list)
		f->events = dws_events_begin(f, spec, desc,
									 dws_conn_max_concurrency(conn));
	MemoryContextSwitchTo(old);
	return f;
}



/* ---- iteration ---- */

static DwsRequest *
per_id_request(DwsFetch *f, const char *project_id, const char *id,
			   json_t *list_record)
{
	DwsRequest *req = dws_answer_request(f->per_id_kind, (char *) project_id);

	req->dr_id = pstrdup(id);
	req->arg = list_record;
	if (f->list)
		(dws_answer_of(req))->named_at = f->item_fetched;
	return req;
}


/* Queues per-task calls until the window is full or the work runs out. */
void
dws_fetch_fill_window(DwsFetch *f)
{
	DwsFetchSpec *spec = f->spec;

	while (window_open(f))
	{
		if (f->list)
		{
			char	   *project_id,
					   *id;
			json_t	   *rec;

			if (!dws_fetch_next_item(f, spec->plan->list_fields, &project_id, &id, &rec,
								NULL))
				return;
			dws_fetch_submit(f, per_id_request(f, project_id, id, rec));
		}
		else
		{
			if (f->proj_cell == NULL)
				return;
			if (f->id_cell == NULL)
			{
				f->proj_cell = lnext(spec->projects, f->proj_cell);
				if (f->proj_cell == NULL)
					return;
				f->id_cell = list_head(spec->ids);
				if (f->id_cell == NULL)
					return;
			}
			dws_fetch_submit(f, per_id_request(f, (char *) lfirst(f->proj_cell),
									 (char *) lfirst(f->id_cell), NULL));
			f->id_cell = lnext(spec->ids, f->id_cell);
		}
	}
}

/*
 * The plan does not re-check the id condition on each row (pushdown.c):
 * the answer to a per-task call must be for the task asked, or the row
 * would break that condition.  The id is compared as sent (a uuid column
 * ignores case, as its type does).
 */
static void
check_answer_id(DwsFetch *f, DwsRequest *req, json_t *root, const char *id)
{
	AttrNumber	a = f->desc->id_attnum;
	bool		ci = a > 0 && f->desc->columns[a - 1].typid == UUIDOID;

	if (ci ? pg_strcasecmp(id, req->dr_id) == 0 : strcmp(id, req->dr_id) == 0)
		return;
	dws_fetch_call_error(f, req, root,
					  psprintf("the answer is for DR task \"%s\", not \"%s\"",
							   dws_answer_clean(id, 100), req->dr_id));
}

/*
 * Turns a finished per-task call into a canonical record, or NULL when the
 * task does not exist; src gets the answer's bytes, which the fetch keeps
 * until the next record.  Runs in rowcxt.
 */
static json_t *
per_id_record(DwsFetch *f, DwsRequest *req, DwsSource *src)
{
	json_t	   *root;
	json_t	   *obj;
	json_t	   *rec;
	json_t	   *list_record = (json_t *) req->arg;

	if (req->status != 200)
	{
		root = dws_fetch_parse(f, req, false);
		if (dws_answer_missing(req, root))
		{
			dws_fetch_keep_answer(f, req);
			return NULL;
		}
		dws_fetch_call_error(f, req, root, NULL);
	}
	root = dws_fetch_parse(f, req, true);
	obj = req->kind == DWS_CALL_DETAIL ? dws_detail_object(root) :
		dws_progress_object(root);
	if (obj == NULL)
		dws_fetch_call_error(f, req, root, dws_is_error_body(root) ?
						  "the answer is an error object" :
						  req->kind == DWS_CALL_DETAIL ?
						  "the answer has no \"disaster_recovery\" object" :
						  "the answer has no \"disaster_recovery_progress\" object");

	/* the record is the answer itself (raw is read from its bytes) */
	rec = json_incref(obj);
	if (!json_is_string(json_object_get(rec, "id")))
		dws_fetch_set_text(rec, "id", req->dr_id);
	else
		check_answer_id(f, req, root, json_string_value(json_object_get(rec, "id")));
	dws_fetch_set_text(rec, "project_id", req->project_id);
	if (list_record && dws_merge_missing(rec, list_record) != 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	/* only an answer found to be for this task is kept for cache_ttl */
	dws_fetch_keep_answer(f, req);
	f->held_body = req->body;
	req->body = NULL;
	src->body = f->held_body;
	src->len = req->body_len;
	/* the older of the task's answer and the list that named it */
	src->fetched_at = (dws_answer_of(req))->fetched;
	if ((dws_answer_of(req))->named_at != 0 &&
		(dws_answer_of(req))->named_at < src->fetched_at)
		src->fetched_at = (dws_answer_of(req))->named_at;
	src->member = req->kind == DWS_CALL_DETAIL ? "disaster_recovery" :
		"disaster_recovery_progress";
	return rec;
}

/* Where the scan's calls start: the lists, or the first id and project. */
bool
dws_fetch_start_calls(DwsFetch *f)
{
	dws_fetch_start(f);
	/* every list first: the per-task calls follow their items in order */
	while (f->lists_left > 0)
	{
		DwsRequest *req = dws_fetch_next_answer(f);

		/* every list call ends with an answer: never a partial scan */
		if (req == NULL)
		{
			if (f->offline)
				return false;	/* a list with no kept answer (unkept) */
			elog(ERROR, "dwsdr_fdw: %d list answers never came", f->lists_left);
		}
		if (!dws_fetch_take_list(f, req))
			return false;
	}
	return true;
}


/*
 * What the batch calls when answers of this scan came in while another scan
 * waited (batch.c): the scan takes its list answers and starts its per-task
 * calls, or tops up its window, so that its next phase does not wait for
 * the executor to read it.  Only accepted list answers are taken here: a
 * failed call stays in the batch, and is reported where this scan is read
 * (dws_fetch_next), as if it had been read first; a scan never read (a
 * LIMIT met before it) reports nothing.  Never waits.
 */
static void
fetch_advance(void *arg)
{
	DwsFetch   *f = (DwsFetch *) arg;
	MemoryContext old;

	if (f->busy || !f->started)
		return;
	old = MemoryContextSwitchTo(f->cxt);
	f->busy = true;
	while (f->lists_left > 0)
	{
		DwsRequest *req;

		if (f->ready != NIL)
		{
			req = (DwsRequest *) linitial(f->ready);
			f->ready = list_delete_first(f->ready);
		}
		else
		{
			req = f->batch ? dws_batch_peek(f->batch) : NULL;
			if (req == NULL || req->status != 200 || req->sink_failed)
				break;
			(void) dws_batch_take(f->batch);
			(dws_answer_of(req))->fetched = GetCurrentTimestamp();
		}
		/* only good answers are taken here: the list is accepted or fails */
		(void) dws_fetch_take_list(f, req);
	}
	if (f->lists_left == 0 && f->per_id)
		dws_fetch_fill_window(f);
	f->busy = false;
	MemoryContextSwitchTo(old);
}

/*
 * Sends the first calls of the scan: its lists, or its first window of
 * per-task calls.  Called when the scan begins, when nothing it needs is
 * left to the executor's run time (dwsdr_fdw.c), else at its first row;
 * from then on the scan's calls move on whenever any scan of the backend
 * waits (fetch_advance).
 */
void
dws_fetch_start(DwsFetch *f)
{
	DwsFetchSpec *spec = f->spec;
	MemoryContext old;

	if (f->started || spec->plan->resource == DWS_RES_EVENTS)
		return;
	old = MemoryContextSwitchTo(f->cxt);
	f->started = true;
	if (f->list)
		dws_fetch_start_lists(f);
	else
	{
		f->proj_cell = list_head(spec->projects);
		f->id_cell = list_head(spec->ids);
	}
	if (f->batch)				/* offline (stale), kept answers only */
		dws_batch_set_advance(f->batch, fetch_advance, f);
	MemoryContextSwitchTo(old);
	/* answers from the cache are taken now, and the window filled */
	fetch_advance(f);
}

/*
 * The next record of the scan, or NULL at the end.  The record (and src,
 * the bytes it was read from) stay valid until the next call.
 */
json_t *
dws_fetch_next(DwsFetch *f, DwsSource *src)
{
	DwsFetchSpec *spec = f->spec;
	MemoryContext old;
	json_t	   *rec = NULL;

	MemoryContextReset(f->rowcxt);
	if (f->held_body)
		pfree(f->held_body);
	f->held_body = NULL;
	memset(src, 0, sizeof(*src));
	old = MemoryContextSwitchTo(f->cxt);

	if (spec->plan->resource == DWS_RES_EVENTS)
	{
		/*
		 * pages of events, read as rows are asked for (events.c); no
		 * source bytes: an event's values are written from jansson's.
		 * fetched_at is when the event's page was received.
		 */
		if (f->events)
			rec = dws_events_next(f->events, f->rowcxt, &src->fetched_at);
		MemoryContextSwitchTo(old);
		return rec;
	}

	f->busy = true;
	if (!f->decided)
	{
		f->decided = true;
		if (f->mode == DWS_UNREACHABLE_ERROR)
			(void) dws_fetch_start_calls(f);
		else
			dws_fetch_decide_reachability(f);
	}
	if (f->skipped)
	{
		MemoryContextSwitchTo(old);
		f->busy = false;
		return NULL;
	}

	if (!f->per_id)
	{
		char	   *project_id,
				   *id;

		/* the list items are the records */
		MemoryContextSwitchTo(f->rowcxt);
		(void) dws_fetch_next_item(f, true, &project_id, &id, &rec, src);
		MemoryContextSwitchTo(old);
		f->busy = false;
		return rec;
	}

	for (;;)
	{
		DwsRequest *req;

		dws_fetch_fill_window(f);
		req = dws_fetch_next_answer(f);
		if (req == NULL)
			break;
		MemoryContextSwitchTo(f->rowcxt);
		rec = per_id_record(f, req, src);
		MemoryContextSwitchTo(f->cxt);
		if (req->arg)
			json_decref((json_t *) req->arg);
		dws_answer_free(req);
		if (rec != NULL)
			break;
	}
	MemoryContextSwitchTo(old);
	f->busy = false;
	return rec;
}

/* ---- for events.c ---- */

/*
 * Sends a call on the scan's batch.  Not through the cache: pages of
 * events are read fresh, as one consistent pass (a page kept from an
 * earlier query beside a fresh one could hide an event between them).
 */
void
dws_fetch_send(DwsFetch *f, DwsRequest *req)
{
	dws_batch_add(f->batch, req);
}

/* The next answered call of the scan (waits), or NULL when none is out. */
DwsRequest *
dws_fetch_answer(DwsFetch *f)
{
	return dws_fetch_next_answer(f);
}

/* Parses a body; an unreadable one is an error when must_parse. */
json_t *
dws_fetch_parse(DwsFetch *f, DwsRequest *req, bool must_parse)
{
	return dws_answer_parse(f->stats, dws_conn_stats(f->conn), req,
							must_parse);
}

/* Reports a failed call (counted in the scan's and the server's figures). */
void
dws_fetch_call_error(DwsFetch *f, DwsRequest *req, json_t *root,
					 const char *problem)
{
	dws_answer_error(f->stats, dws_conn_stats(f->conn), req, root, problem);
}
