/*-------------------------------------------------------------------------
 * fetch.c
 *	  The calls one scan needs, and the records they give.
 *
 * Task ids from the WHERE clause become one per-task call (detail, or
 * show-progress for dr_progress) per distinct id and project.  Without ids,
 * the list call of each project runs first; its items are the records when
 * no column needs more, else each item's per-task call follows.  Per-task
 * calls run concurrently (http.c); records come back as calls complete.
 * A scan's calls also move on while another scan of the backend waits
 * (fetch_advance): its list taken, its per-task calls sent, ahead of the
 * executor reading it.
 * A task that does not exist is no record.  Any other failure is an ERROR:
 * never a partial answer.  This file is also the one place where an API
 * failure becomes an ereport.
 *
 * A server whose when_unreachable is 'skip' or 'stale' makes every call of
 * a scan before its first record (the records then come from the answers
 * collected), so that whether the API could be reached is known before any
 * row is returned: when one call cannot reach it (no answer, HTTP 5xx or
 * 429, after the retries), the scan returns no rows at all, with a WARNING,
 * or for 'stale' is made again from the answers kept for its calls (any
 * age); a call without a kept answer makes that a skip too.  Rows of one
 * region are all fresh, all stale or none: never part of an answer.
 *
 * Bodies arrive through a sink owned here (http.c only moves bytes), are
 * checked once the call's final answer is in, and only then kept in the
 * cache; list answers are read item by item by list.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"
#include "estimate.h"
#include "events.h"
#include "fetch.h"

#include "catalog/pg_type.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "list.h"
#include "record.h"

/*
 * A project's list, made only from its accepted answer (never from an
 * attempt still running): nothing here outlives a failed attempt.
 */
typedef struct ListResult
{
	char	   *project_id;
	TimestampTz fetched;		/* when its answer was received */
	bool		keep_items;		/* items are kept, not only their ids */
	char	   *body;			/* the answer, when items are read from it */
	DwsRange   *ranges;			/* each item's bytes in body */
	json_t	  **trees;			/* ... or the item, kept parsed, or NULL */
	char	  **ids;			/* or only the items' ids */
	size_t		nitems;
	size_t		cap;			/* entries allocated in the arrays */
	size_t		kept;			/* bytes of the items kept parsed */
	const char *bad;			/* what is wrong with item bad_index, or NULL */
	size_t		bad_index;
} ListResult;

/*
 * A list's items are read twice when kept as bytes: once to split the body
 * (list.c), once to make the row.  An item of at least LIST_TREE_MIN bytes
 * is kept parsed instead, so that a huge item is read once, up to
 * LIST_TREE_BUDGET bytes of such items per list: its tree costs about what
 * the second reading would have cost, and small items stay bytes (a tree
 * costs several times the bytes of a small item).
 */
#define LIST_TREE_MIN (64 * 1024)
#define LIST_TREE_BUDGET ((size_t) 64 * 1024 * 1024)

/*
 * Per-task answers a scan may hold unread, in windows (2 x max_concurrency
 * calls): enough for the scans of a query's other servers to fetch ahead
 * while one is read, bounded for a project of many tasks.
 */
#define DWS_HELD_WINDOWS 8


struct DwsFetch
{
	DwsConn    *conn;
	DwsFetchSpec *spec;
	DwsTableDesc *desc;
	DwsStats   *stats;
	DwsCallKind per_id_kind;
	bool		list;			/* the list calls are made */
	bool		per_id;			/* the per-task calls are made */
	MemoryContext cxt;			/* lives as long as the fetch */
	MemoryContext rowcxt;		/* the record last returned */
	char	   *held_body;		/* the answer it was read from, or NULL */
	MemoryContext netcxt;		/* holds batch: deleted to stop its calls */
	DwsBatch   *batch;			/* NULL once offline */
	DwsCache   *cache;			/* answers kept, or NULL */
	int64		cache_max_age_ms;	/* of a fresh answer in cache; < 0 any */
	DwsCache   *keep;			/* 'stale': the server's kept answers */
	List	   *ready;			/* DwsRequest * answered from the cache */
	int			window;			/* per-task calls queued or running, at most */
	int			held_max;		/* ... and with answers not yet read */
	bool		started;
	bool		busy;			/* in dws_fetch_next: advance leaves it be */
	bool		decided;		/* the first record was asked for: the calls
								 * are made, or the scan skipped */
	int			lists_left;		/* list calls whose answer is not taken */

	/* ids x projects (no list call) */
	ListCell   *proj_cell;
	ListCell   *id_cell;

	/* list items */
	ListResult *lists;
	int			nlists;
	int			list_i;
	size_t		item_i;
	char	  **want_ids;		/* sorted ids from quals, for filtering */
	int			nwant;
	TimestampTz item_fetched;	/* the list of the last item taken */

	/* when_unreachable */
	DwsUnreachable mode;
	bool		offline;		/* answers only from keep, never the API */
	bool		unkept;			/* offline: a call had no kept answer */
	bool		skipped;		/* the scan returns no rows */
	TimestampTz oldest;			/* offline: the oldest answer served */
	char	   *cause;			/* why the API was unreachable */

	/* dr_events: its pages (events.c) */
	DwsEvents  *events;
};

/*
 * A call that could not reach the API, on a server whose when_unreachable
 * is not 'error': counted as a failure, its cause kept for the WARNING, and
 * true (the caller abandons the scan's calls).  false when the failure is
 * to be reported as an ERROR as usual.
 */
static bool
stop_unreachable(DwsFetch *f, DwsRequest *req)
{
	const char *rid;
	char	   *what;

	if (f->mode == DWS_UNREACHABLE_ERROR || !dws_answer_unreachable(req))
		return false;
	dws_answer_count_error(f->stats, dws_conn_stats(f->conn), req, false);
	dws_msg_prepare();
	if (req->status == 0)
		what = psprintf("no answer (%s)", dws_answer_clean(req->curl_error, 200));
	else
		what = psprintf("HTTP status %ld", req->status);
	rid = req->request_id[0] ? dws_answer_clean(req->request_id, 100) : "(none)";
	f->cause = MemoryContextStrdup(f->cxt,
								   psprintf("%s: %s, request id %s, after %d attempt%s",
											dws_answer_clean(dws_answer_label(req), 300),
											what, rid, req->attempts,
											req->attempts == 1 ? "" : "s"));
	return true;
}


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
static void
set_record_text(json_t *rec, const char *key, const char *value)
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
static void
keep_answer(DwsFetch *f, DwsRequest *req)
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
static void
submit(DwsFetch *f, DwsRequest *req)
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
static DwsRequest *
next_answer(DwsFetch *f)
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

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

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
	{
		ListCell   *lc;
		int			i = 0;

		f->nwant = list_length(spec->ids);
		f->want_ids = palloc(sizeof(char *) * Max(f->nwant, 1));
		foreach(lc, spec->ids)
			f->want_ids[i++] = (char *) lfirst(lc);
		qsort(f->want_ids, f->nwant, sizeof(char *), cmp_cstr);
	}
	if (spec->plan->resource == DWS_RES_EVENTS && f->list)
		f->events = dws_events_begin(f, spec, desc,
									 dws_conn_max_concurrency(conn));
	MemoryContextSwitchTo(old);
	return f;
}

static bool
wanted(DwsFetch *f, const char *id)
{
	if (!f->spec->plan->ids_given)
		return true;
	if (id == NULL)
		return false;
	return bsearch(&id, f->want_ids, f->nwant, sizeof(char *), cmp_cstr) != NULL;
}

/* Releases the items a list keeps parsed, from index from on. */
static void
drop_trees(ListResult *lr, size_t from)
{
	size_t		k;

	for (k = from; lr->trees && k < lr->nitems; k++)
	{
		json_decref(lr->trees[k]);
		lr->trees[k] = NULL;
	}
}

/* A JSON value's kind, for a message. */
static const char *
json_kind(json_t *v)
{
	if (json_is_number(v))
		return "a number";
	switch (json_typeof(v))
	{
		case JSON_OBJECT:
			return "an object";
		case JSON_ARRAY:
			return "an array";
		case JSON_STRING:
			return "a string";
		case JSON_TRUE:
		case JSON_FALSE:
			return "a boolean";
		default:
			return "null";
	}
}

/*
 * What is wrong with a list item, or NULL when it is an object whose "id"
 * is a non-empty string: a task id that the per-task call's path and the
 * row need.  Such an item is the list's error, never skipped: skipped, a
 * task would be silently left out.  A string holding a NUL byte is no id
 * either.
 */
static const char *
item_problem(json_t *item)
{
	json_t	   *id;

	if (!json_is_object(item))
		return psprintf("is not an object but %s", json_kind(item));
	id = json_object_get(item, "id");
	if (id == NULL || json_is_null(id))
		return "has no \"id\"";
	if (!json_is_string(id))
		return psprintf("has an \"id\" that is %s, not a string",
						json_kind(id));
	if (json_string_length(id) == 0)
		return "has an empty \"id\"";
	if (strlen(json_string_value(id)) != json_string_length(id))
		return "has an \"id\" holding a NUL character";
	return NULL;
}

/*
 * Item callback of dws_list_walk: keeps the item's range (and a large item
 * parsed), or only its id.  It may throw (out of memory): the walk's tree
 * is palloc'd in the scan's context and goes with it.
 */
static int
collect_item(void *arg, size_t index, json_t *item, size_t off, size_t len)
{
	ListResult *lr = (ListResult *) arg;

	if (index == 0)
	{
		/* a repeated key: its array replaces the earlier one */
		drop_trees(lr, 0);
		lr->kept = 0;
		lr->bad = NULL;
	}
	if (lr->bad == NULL && (lr->bad = item_problem(item)) != NULL)
		lr->bad_index = index;
	if (index >= lr->cap)
	{
		size_t		cap = Max(lr->cap * 2, 64);

		if (lr->keep_items)
		{
			lr->ranges = lr->ranges ?
				repalloc_huge(lr->ranges, cap * sizeof(DwsRange)) :
				palloc_extended(cap * sizeof(DwsRange), MCXT_ALLOC_HUGE);
			lr->trees = lr->trees ?
				repalloc_huge(lr->trees, cap * sizeof(json_t *)) :
				palloc_extended(cap * sizeof(json_t *), MCXT_ALLOC_HUGE);
		}
		else
			lr->ids = lr->ids ?
				repalloc_huge(lr->ids, cap * sizeof(char *)) :
				palloc_extended(cap * sizeof(char *), MCXT_ALLOC_HUGE);
		lr->cap = cap;
	}
	if (lr->keep_items)
	{
		lr->ranges[index].off = off;
		lr->ranges[index].len = len;
		lr->trees[index] = NULL;
		if (len == 0 ||			/* no bytes of its own: a whole parse's */
			(len >= LIST_TREE_MIN && lr->kept + len <= LIST_TREE_BUDGET))
		{
			lr->trees[index] = json_incref(item);
			lr->kept += len;
		}
	}
	else
	{
		const char *id = json_string_value(json_object_get(item, "id"));

		lr->ids[index] = id ? pstrdup(id) : NULL;
	}
	lr->nitems = index + 1;
	return 0;
}

/*
 * Sends the list call of every project (they run concurrently); their
 * answers are taken one by one (take_list).
 */
static void
start_lists(DwsFetch *f)
{
	DwsFetchSpec *spec = f->spec;
	ListCell   *lc;
	int			i = 0;
	bool		keep_items = spec->plan->list_fields || !f->per_id;

	f->nlists = list_length(spec->projects);
	f->lists = palloc0(sizeof(ListResult) * f->nlists);
	f->lists_left = f->nlists;
	foreach(lc, spec->projects)
	{
		DwsRequest *req = dws_answer_request(DWS_CALL_LIST, (char *) lfirst(lc));

		if (spec->plan->ids_given && list_length(spec->ids) == 1)
			req->list_filter_id = linitial(spec->ids);
		req->arg = &f->lists[i];
		f->lists[i].project_id = req->project_id;
		f->lists[i].keep_items = keep_items;
		i++;
		submit(f, req);
	}
}

/*
 * Takes the answer of a list call: keeps the items (or, when no column
 * needs list fields, only their ids).  A list is made from its final
 * answer only, once that answer is accepted.  false when the call could
 * not reach the API and the scan is to skip or go stale (stop_unreachable).
 */
static bool
take_list(DwsFetch *f, DwsRequest *req)
{
	DwsFetchSpec *spec = f->spec;
	bool		keep_items = spec->plan->list_fields || !f->per_id;
	ListResult *lr = (ListResult *) req->arg;
	long		n;

	f->lists_left--;

	/*
	 * The list has no "missing" answer (is_missing): any other is an error,
	 * or, when the API could not be reached and the server's
	 * when_unreachable says so, the end of the scan's calls (false).
	 */
	if (req->status != 200)
	{
		if (stop_unreachable(f, req))
			return false;
		dws_fetch_call_error(f, req, dws_fetch_parse(f, req, false), NULL);
	}
	lr->fetched = (dws_answer_of(req))->fetched;

	/*
	 * The list has no pagination: its body can be large.  Read the items
	 * without building a tree of all of them (list.c); when no column
	 * needs more than the ids, keep only those.
	 */
	n = dws_list_walk(req->body, req->body_len, collect_item, lr);
	if (n < 0)
	{
		json_t	   *root = dws_fetch_parse(f, req, true);
		json_t	   *arr = dws_list_array(root);
		size_t		k;

		if (dws_is_error_body(root) || arr == NULL)
			dws_fetch_call_error(f, req, root, dws_is_error_body(root) ?
							  "the answer is an error object" :
							  "the answer has no \"disaster_recovery\" array");

		/*
		 * A list that reads whole but not value by value (none is known:
		 * the walk reads values as a whole parse does).  Its items are
		 * taken from that tree, each kept parsed.
		 */
		for (k = 0; k < json_array_size(arr); k++)
			(void) collect_item(lr, k, json_array_get(arr, k), 0, 0);
		n = (long) json_array_size(arr);
		json_decref(root);
	}
	/* the last array counts (a repeated key, perhaps empty at last) */
	if (lr->bad && lr->bad_index < (size_t) n)
		dws_fetch_call_error(f, req, NULL,
						  psprintf("the item at index %zu (counting from 0) %s",
								   lr->bad_index, lr->bad));
	keep_answer(f, req);
	drop_trees(lr, (size_t) n);
	lr->nitems = (size_t) n;
	/* a whole project's list sizes later plans (estimate.c) */
	if (req->list_filter_id == NULL)
		dws_estimate_note(f->spec->serverid, lr->project_id,
						  (double) lr->nitems);
	if (keep_items)
	{
		/* the body moves to the list */
		lr->body = req->body;
		req->body = NULL;
	}
	dws_answer_free(req);
	return true;
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

/*
 * The next item of the list results that the quals want; its canonical
 * form when with_record, and its bytes in src when src is not NULL.  false
 * when the lists are exhausted.
 */
static bool
next_list_item(DwsFetch *f, bool with_record, char **project_id, char **id,
			   json_t **record, DwsSource *src)
{
	while (f->list_i < f->nlists)
	{
		ListResult *lr = &f->lists[f->list_i];

		while (f->item_i < lr->nitems)
		{
			size_t		k = f->item_i++;
			const char *item_id;
			json_t	   *item = NULL;

			if (lr->keep_items && lr->trees[k])
			{
				/* kept parsed: handed over */
				item = lr->trees[k];
				lr->trees[k] = NULL;
				item_id = json_string_value(json_object_get(item, "id"));
			}
			else if (lr->keep_items)
			{
				item = dws_parse_body(lr->body + lr->ranges[k].off,
									  lr->ranges[k].len, NULL, 0);
				if (item == NULL)
				{
					dws_msg_prepare();
					ereport(ERROR,
							(errcode(ERRCODE_FDW_REPLY_HANDLE),
							 errmsg("list call for project \"%s\" failed: an item of the list is not valid JSON",
									dws_answer_clean(lr->project_id, 100))));
				}
				item_id = json_string_value(json_object_get(item, "id"));
			}
			else
				item_id = lr->ids[k];
			/* every item has an id (item_problem); keep the wanted ones */
			if (item_id == NULL || !wanted(f, item_id))
			{
				json_decref(item);
				continue;
			}
			*project_id = lr->project_id;
			*id = pstrdup(item_id);
			*record = NULL;
			f->item_fetched = lr->fetched;
			if (src != NULL)
				src->fetched_at = lr->fetched;
			if (src != NULL && lr->keep_items && lr->ranges[k].len > 0)
			{
				src->body = lr->body + lr->ranges[k].off;
				src->len = lr->ranges[k].len;
				src->list_item = true;
			}
			if (with_record && item)
			{
				/* an object (item_problem): NULL only when memory ran out */
				*record = dws_list_item_canonical(item);
				if (*record == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_OUT_OF_MEMORY),
							 errmsg("out of memory")));
				set_record_text(*record, "project_id", lr->project_id);
			}
			json_decref(item);
			return true;
		}
		f->list_i++;
		f->item_i = 0;
	}
	return false;
}

/* Queues per-task calls until the window is full or the work runs out. */
static void
fill_window(DwsFetch *f)
{
	DwsFetchSpec *spec = f->spec;

	while (window_open(f))
	{
		if (f->list)
		{
			char	   *project_id,
					   *id;
			json_t	   *rec;

			if (!next_list_item(f, spec->plan->list_fields, &project_id, &id, &rec,
								NULL))
				return;
			submit(f, per_id_request(f, project_id, id, rec));
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
			submit(f, per_id_request(f, (char *) lfirst(f->proj_cell),
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
			keep_answer(f, req);
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
		set_record_text(rec, "id", req->dr_id);
	else
		check_answer_id(f, req, root, json_string_value(json_object_get(rec, "id")));
	set_record_text(rec, "project_id", req->project_id);
	if (list_record && dws_merge_missing(rec, list_record) != 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	/* only an answer found to be for this task is kept for cache_ttl */
	keep_answer(f, req);
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
static bool
start_calls(DwsFetch *f)
{
	dws_fetch_start(f);
	/* every list first: the per-task calls follow their items in order */
	while (f->lists_left > 0)
	{
		DwsRequest *req = next_answer(f);

		/* every list call ends with an answer: never a partial scan */
		if (req == NULL)
		{
			if (f->offline)
				return false;	/* a list with no kept answer (unkept) */
			elog(ERROR, "dwsdr_fdw: %d list answers never came", f->lists_left);
		}
		if (!take_list(f, req))
			return false;
	}
	return true;
}

/*
 * 'skip' and 'stale': makes every call of the scan before its first record
 * and queues the answers (ready), which dws_fetch_next then reads as it
 * reads answers from the cache.  false as soon as one call could not reach
 * the API, or, offline, had no kept answer.
 */
static bool
collect_all(DwsFetch *f)
{
	List	   *done = NIL;
	DwsRequest *req;

	if (!start_calls(f) || f->unkept)
		return false;
	if (!f->per_id)
		return true;
	for (;;)
	{
		fill_window(f);
		if (f->unkept)
			return false;
		req = next_answer(f);
		if (req == NULL)
			break;
		if (req->status != 200 && stop_unreachable(f, req))
			return false;
		done = lappend(done, req);
	}
	f->ready = done;
	return true;
}

/*
 * Abandons the scan's calls: those still running or waiting are stopped
 * (their batch goes with its context) and nothing more is sent.  With
 * offline, the scan starts again from the answers kept for its calls.
 */
static void
abandon_calls(DwsFetch *f, bool offline)
{
	if (f->netcxt != NULL)
		MemoryContextDelete(f->netcxt);
	f->netcxt = NULL;
	f->batch = NULL;
	f->ready = NIL;
	f->lists = NULL;
	f->nlists = 0;
	f->list_i = 0;
	f->item_i = 0;
	f->proj_cell = NULL;
	f->id_cell = NULL;
	f->lists_left = 0;
	f->started = false;		/* offline, dws_fetch_start sends them anew */
	f->offline = offline;
}

/* The foreign server's name, for the WARNINGs. */
static char *
server_name(DwsFetch *f)
{
	ForeignServer *server = GetForeignServerExtended(dws_conn_serverid(f->conn),
													 FSV_MISSING_OK);

	return server ? server->servername : "?";
}

/*
 * Abandons the scan's calls and makes it return no rows, with the WARNING
 * that names the server, its endpoint, the call that failed and why (in
 * f->cause, from stop_unreachable).
 */
static void
skip_scan(DwsFetch *f)
{
	char	   *endpoint;

	dws_msg_prepare();
	endpoint = dws_answer_clean(dws_conn_options(f->conn)->endpoint, 300);
	abandon_calls(f, false);
	f->skipped = true;
	ereport(WARNING,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("foreign server \"%s\" is unreachable: its rows are left out",
					server_name(f)),
			 errdetail("Endpoint %s; %s%s.", endpoint, f->cause,
					   f->mode == DWS_UNREACHABLE_STALE ?
					   "; and a call the scan needs has no kept answer" : ""),
			 errhint(f->mode == DWS_UNREACHABLE_STALE ?
					 "The server's when_unreachable is 'stale': a scan is served from kept answers only when every call it needs has one." :
					 "The server's when_unreachable is 'skip'; set it to 'error' to make this an error.")));
}

/*
 * The decision of a scan on a server whose when_unreachable is not 'error',
 * taken before its first record: every call made (collect_all); when one
 * could not reach the API, 'stale' serves the kept answers of every call
 * the scan needs, and otherwise (or when one has none) the scan returns no
 * rows.  Either way a WARNING names the server, its endpoint, the call that
 * failed and why.
 */
static void
decide_reachability(DwsFetch *f)
{
	const DwsServerOptions *opts = dws_conn_options(f->conn);
	char	   *endpoint;
	char	   *age;

	if (collect_all(f))
		return;
	dws_msg_prepare();
	endpoint = dws_answer_clean(opts->endpoint, 300);
	if (f->mode == DWS_UNREACHABLE_STALE && !f->offline)
	{
		abandon_calls(f, true);
		if (collect_all(f))
		{
			TimestampTz now = GetCurrentTimestamp();

			if (f->oldest == 0 || f->oldest > now)
				f->oldest = now;
			/* whole seconds: a figure that reads the same in every style */
			age = psprintf(INT64_FORMAT " second%s",
						   (int64) ((now - f->oldest) / USECS_PER_SEC),
						   (now - f->oldest) / USECS_PER_SEC == 1 ? "" : "s");
			ereport(WARNING,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("foreign server \"%s\" is unreachable: its rows are served from kept answers",
							server_name(f)),
					 errdetail("The oldest answer served is %s old (received %s). Endpoint %s; %s.",
							   age,
							   timestamptz_to_str(f->oldest),
							   endpoint, f->cause),
					 errhint("The server's when_unreachable is 'stale'; column fetched_at tells each row's age.")));
			return;
		}
	}
	skip_scan(f);
}

/*
 * For events.c: a page that failed before the scan returned any row.  true
 * when the server's when_unreachable makes the failure a skipped scan (the
 * WARNING given, every call abandoned: the caller sends no more); false
 * when it is to be reported as an ERROR as usual.  Pages of events are
 * never kept, so 'stale' has nothing to serve them from and skips too.
 */
bool
dws_fetch_skip_unreachable(DwsFetch *f, DwsRequest *req)
{
	if (!stop_unreachable(f, req))
		return false;
	skip_scan(f);
	return true;
}

/*
 * What the batch calls when answers of this scan came in while another scan
 * waited (http.c): the scan takes its list answers and starts its per-task
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
		(void) take_list(f, req);
	}
	if (f->lists_left == 0 && f->per_id)
		fill_window(f);
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
		start_lists(f);
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
			(void) start_calls(f);
		else
			decide_reachability(f);
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
		(void) next_list_item(f, true, &project_id, &id, &rec, src);
		MemoryContextSwitchTo(old);
		f->busy = false;
		return rec;
	}

	for (;;)
	{
		DwsRequest *req;

		fill_window(f);
		req = next_answer(f);
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
	return next_answer(f);
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
