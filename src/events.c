/*-------------------------------------------------------------------------
 * events.c
 *	  dr_events: the pages of GET /v2/{project_id}/events, read as the scan
 *	  asks for rows.
 *
 * The API filters nothing: it answers {"events": [...], "count": N} for a
 * page (offset, a page INDEX, and limit, the page size), and the rows of
 * dr_events are its events whose source_type is "disaster-recovery".
 *
 * How the pages are read:
 *   - page 0 first, alone, and only when the scan asks for its first row:
 *     its "count" says how many pages there are (ceil(count / limit));
 *   - each page's events become rows one by one; the next pages are asked
 *     for only when the rows of the page in hand are used up, so that a
 *     LIMIT satisfied by the first page reads no other;
 *   - then up to max_concurrency pages at a time, concurrently, and their
 *     events are read in the order the pages complete;
 *   - reading stops after the last page the count needs, after a short
 *     page, once the distinct events read reach the count, or at a page
 *     that brings no event not read before (an API that ignores offset);
 *   - pages are checked like every answer (fetch.c reports the failures),
 *     and an answer without an "events" array and an integer "count" is an
 *     error, never an empty page.
 *
 * when_unreachable: pages are read as rows are returned, so whether the
 * API can be reached is known for the scan's first page only.  When that
 * page cannot reach it (no answer, HTTP 429 or 5xx, after the retries), a
 * server whose when_unreachable is 'skip' or 'stale' skips the scan: no
 * rows, the WARNING of every skipped scan (fetch.c).  Pages are never kept,
 * so 'stale' has nothing to serve and skips.  A later page that cannot
 * reach the API, once rows have been returned, is an ERROR whatever the
 * option says: rows given cannot be taken back, and a part of the events
 * is never passed off as all of them.  fetched_at of a row is when its
 * page's answer was received.
 *
 * Whether offset counts from 0 or from 1 has changed over the API's life:
 * page 1 tells.  When page 1 brings mostly events that page 0 gave, the API
 * counts from 1 (page 0 was read as page 1) and the last page is
 * ceil(count / limit) rather than one less; an empty page 0 with a count
 * above 0 means the same.  Events are also de-duplicated by event_id (an
 * event without one by its whole text), so a page repeating part of
 * another, as happens when events arrive while paging, never gives a row
 * twice.
 *
 * Memory: the page in hand is parsed in its own context, reset before the
 * next page is parsed; at most max_concurrency pages are out (running, or
 * answered and waiting) at a time.  What grows with the project is the set
 * of event ids read, kept for de-duplication (under 200 bytes an event).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"
#include "estimate.h"
#include "events.h"

#include <math.h>

#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "msgtext.h"
#include "record.h"

#define SOURCE_TYPE_DR "disaster-recovery"

/* Bytes of a de-duplication key; a longer id is kept as a prefix + hash */
#define EVENT_KEY_BYTES 128

typedef struct SeenEvent
{
	char		key[EVENT_KEY_BYTES];
} SeenEvent;

struct DwsEvents
{
	DwsFetch   *f;
	DwsTableDesc *desc;
	MemoryContext cxt;			/* the scan's: ids read, this struct */
	MemoryContext pagecxt;		/* the page in hand */
	Oid			serverid;
	int			page_size;
	int			window;			/* pages out at most */

	List	   *projects;
	ListCell   *proj_cell;		/* the project being read, NULL at start */
	bool		started;		/* its page 0 was sent */

	/* the project being read */
	int64		count;			/* from page 0; -1 until it is in */
	int64		npages;			/* pages the count needs */
	int			base;			/* first page index: 0, 1, or -1 unknown */
	int64		next_page;		/* the next page index to send */
	bool		stop;			/* send no more pages */
	int			out;			/* pages sent, not yet read */
	HTAB	   *seen;			/* SeenEvent: ids read in this project */
	int64		distinct;		/* events read, all source types */

	/* the page in hand */
	json_t	   *events;			/* its array, in pagecxt, or NULL */
	size_t		item_i;
	int64		page;
	bool		fresh;			/* it held an event not read before */
	TimestampTz page_fetched;	/* when its answer was received */

	bool		answered;		/* a page was taken: no skip any more */
	bool		done;			/* skipped (when_unreachable): no rows */
};

/*
 * Sets up the reading of the projects of spec; nothing is sent until the
 * first row is asked for.  window: pages out at most (max_concurrency).
 */
DwsEvents *
dws_events_begin(DwsFetch *f, DwsFetchSpec *spec, DwsTableDesc *desc,
				 int window)
{
	DwsEvents  *ev = palloc0(sizeof(DwsEvents));

	ev->f = f;
	ev->desc = desc;
	ev->cxt = CurrentMemoryContext;
	ev->pagecxt = AllocSetContextCreate(CurrentMemoryContext,
										"dwsdr_fdw events page",
										ALLOCSET_DEFAULT_SIZES);
	ev->serverid = spec->serverid;
	ev->page_size = spec->plan->page_size > 0 ? spec->plan->page_size :
		DWS_EVENTS_PAGE_SIZE;
	ev->window = Max(window, 1);
	ev->projects = spec->projects;
	return ev;
}

/* The key the planner's memory of a project's event count is kept under. */
static char *
events_key(const char *project_id)
{
	return psprintf("%s/events", project_id);
}

/*
 * The events (of every source type) this backend last counted in the
 * project, or -1: the planner's size of a scan that was not analyzed.
 */
double
dws_events_known(Oid serverid, const char *project_id)
{
	return project_id ?
		dws_estimate_get(serverid, events_key(project_id)) : -1;
}

/*
 * What EXPLAIN says of the calls: pages of page_size read until one is
 * short, with the number of pages when this backend has read the
 * project's count before.
 */
char *
dws_events_describe(Oid serverid, const char *project_id, int page_size)
{
	double		known = dws_events_known(serverid, project_id);

	if (known >= 0)
	{
		double		pages = Max(ceil(known / page_size), 1);

		return psprintf("events, pages of %d read until short (%.0f page%s for the %.0f events last counted)",
						page_size, pages, pages == 1 ? "" : "s", known);
	}
	return psprintf("events, pages of %d read until short", page_size);
}

/* Starts reading a project: no ids read, page 0 not yet sent. */
static void
project_reset(DwsEvents *ev)
{
	HASHCTL		ctl;

	if (ev->seen)
		hash_destroy(ev->seen);
	ctl.keysize = EVENT_KEY_BYTES;
	ctl.entrysize = sizeof(SeenEvent);
	ctl.hcxt = ev->cxt;
	ev->seen = hash_create("dwsdr_fdw events read", 1024, &ctl,
						   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	ev->count = -1;
	ev->npages = -1;
	ev->base = -1;
	ev->next_page = 0;
	ev->stop = false;
	ev->out = 0;
	ev->distinct = 0;
	ev->started = false;
}

/* Sends page index page of the project being read. */
static void
send_page(DwsEvents *ev, int64 page)
{
	MemoryContext old = MemoryContextSwitchTo(ev->cxt);
	DwsRequest *req = dws_answer_request(DWS_CALL_EVENTS,
											(char *) lfirst(ev->proj_cell));

	req->page = page;
	req->page_size = ev->page_size;
	dws_fetch_send(ev->f, req);
	ev->out++;
	MemoryContextSwitchTo(old);
}

/*
 * Sends the pages still needed, up to the window.  Until page 1 has told
 * where offset starts, the pages sent are those both ways need (1 to
 * npages - 1); the last one (npages) only when it counts from 1.
 */
static void
send_more(DwsEvents *ev)
{
	if (!ev->started)
	{
		ev->started = true;
		send_page(ev, 0);
		ev->next_page = 1;
		return;
	}
	while (!ev->stop && ev->count >= 0 && ev->out < ev->window)
	{
		int64		last = ev->base < 0 ? ev->npages - 1 :
			ev->npages - 1 + ev->base;

		if (ev->distinct >= ev->count || ev->next_page > last)
			return;
		send_page(ev, ev->next_page++);
	}
}

/*
 * The de-duplication key of an event: its event_id, or its whole text
 * (keys sorted) when it has none; a key too long for the table becomes a
 * prefix and a 128-bit hash of the whole.
 */
static void
event_key(json_t *event, char *key)
{
	json_t	   *idv = json_object_get(event, "event_id");
	const char *id;
	char	   *dumped = NULL;
	size_t		len;

	if (json_is_string(idv))
	{
		id = json_string_value(idv);
		len = json_string_length(idv);
		key[0] = 'i';
	}
	else
	{
		dumped = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
		if (dumped == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
							errmsg("out of memory")));
		id = dumped;
		len = strlen(dumped);
		key[0] = 't';
	}
	if (len < EVENT_KEY_BYTES - 1 && memchr(id, '\0', len) == NULL)
	{
		memcpy(key + 1, id, len);
		key[len + 1] = '\0';
	}
	else
	{
		uint64		h1 = hash_bytes_extended((const unsigned char *) id, (int) len, 0);
		uint64		h2 = hash_bytes_extended((const unsigned char *) id, (int) len,
											 UINT64CONST(0x9e3779b97f4a7c15));
		char		prefix[64];
		size_t		i;

		/* a prefix without NUL bytes, then both hashes */
		for (i = 0; i < 60 && i < len; i++)
			prefix[i] = id[i] ? id[i] : '?';
		prefix[i] = '\0';
		snprintf(key + 1, EVENT_KEY_BYTES - 1, "%s#%016llx%016llx#%zu", prefix,
				 (unsigned long long) h1, (unsigned long long) h2, len);
	}
	if (dumped)
		dws_free(dumped);
}

/* True the first time an event is seen in this project. */
static bool
first_sight(DwsEvents *ev, json_t *event)
{
	char		key[EVENT_KEY_BYTES];
	bool		found;

	event_key(event, key);
	(void) hash_search(ev->seen, key, HASH_ENTER, &found);
	if (!found)
		ev->distinct++;
	return !found;
}

/* Whether an event was seen already (page 1's test of where offset starts). */
static bool
seen_before(DwsEvents *ev, json_t *event)
{
	char		key[EVENT_KEY_BYTES];

	event_key(event, key);
	return hash_search(ev->seen, key, HASH_FIND, NULL) != NULL;
}

/*
 * Takes the answer to a page: checked like any answer, its events kept in
 * pagecxt as the page in hand, its body freed.  Page 0 gives the count;
 * page 1 (before base is known) tells where offset starts.
 */
static void
take_page(DwsEvents *ev, DwsRequest *req)
{
	MemoryContext old;
	json_t	   *root;
	json_t	   *events;
	json_t	   *count;
	long long	total = -1;
	size_t		n,
				k,
				repeated = 0;

	ev->out--;
	if (req->status != 200 && !ev->answered &&
		dws_fetch_skip_unreachable(ev->f, req))
	{
		/* the scan's first page: skipped, its calls abandoned */
		ev->done = true;
		dws_answer_free(req);
		return;
	}
	if (req->status != 200)
	{
		/* no "missing" here: a page that is not an answer is an error */
		old = MemoryContextSwitchTo(ev->pagecxt);
		root = dws_fetch_parse(ev->f, req, false);
		dws_fetch_call_error(ev->f, req, root, NULL);
	}

	MemoryContextReset(ev->pagecxt);
	old = MemoryContextSwitchTo(ev->pagecxt);
	root = dws_fetch_parse(ev->f, req, true);
	if (!json_is_object(root) || dws_is_error_body(root))
		dws_fetch_call_error(ev->f, req, root, dws_is_error_body(root) ?
							 "the answer is an error object" :
							 "the answer is not a JSON object");
	events = json_object_get(root, "events");
	count = json_object_get(root, "count");
	if (!json_is_array(events))
		dws_fetch_call_error(ev->f, req, root,
							 "the answer has no \"events\" array");
	if (!dws_json_whole(count, &total) || total < 0)
		dws_fetch_call_error(ev->f, req, root,
							 "the answer has no \"count\" of events (a non-negative integer)");
	n = json_array_size(events);
	for (k = 0; k < n; k++)
	{
		json_t	   *e = json_array_get(events, k);

		if (!json_is_object(e))
			dws_fetch_call_error(ev->f, req, root,
								 psprintf("event %zu of the page is not an object",
										  k));
		if (ev->base < 0 && req->page == 1 && seen_before(ev, e))
			repeated++;
	}
	MemoryContextSwitchTo(old);

	if (req->page == 0 && ev->count < 0)
	{
		int64		c = (int64) total;

		ev->count = c;
		ev->npages = c / ev->page_size + (c % ev->page_size ? 1 : 0);
		dws_estimate_note(ev->serverid,
						  events_key((char *) lfirst(ev->proj_cell)),
						  (double) c);
		/* an API counting from 1 may give nothing for page 0 */
		if (n == 0 && c > 0)
			ev->base = 1;
	}
	else if (req->page == 1 && ev->base < 0)
		ev->base = (n > 0 && repeated * 2 > n) ? 1 : 0;

	/* a short page is the last one (page 0 of an API counting from 1 aside) */
	if (n < (size_t) ev->page_size && !(req->page == 0 && ev->base == 1))
		ev->stop = true;

	ev->events = events;
	ev->item_i = 0;
	ev->page = req->page;
	ev->fresh = false;
	ev->page_fetched = dws_answer_of(req)->fetched;
	ev->answered = true;
	dws_answer_free(req);
}

/*
 * The next row's record of the scan, made in rowcxt (a copy of the event
 * with project_id set to the project asked), and in *fetched_at when its
 * page was received; NULL at the end (or when the scan was skipped).  It
 * stays valid until the next call.
 */
json_t *
dws_events_next(DwsEvents *ev, MemoryContext rowcxt, TimestampTz *fetched_at)
{
	for (;;)
	{
		if (ev->done)
			return NULL;
		if (ev->events != NULL)
		{
			size_t		n = json_array_size(ev->events);

			while (ev->item_i < n)
			{
				json_t	   *e = json_array_get(ev->events, ev->item_i++);
				const char *type;
				MemoryContext old;
				json_t	   *rec;

				CHECK_FOR_INTERRUPTS();
				if (!first_sight(ev, e))
					continue;
				ev->fresh = true;
				type = json_string_value(json_object_get(e, "source_type"));
				if (type == NULL || strcmp(type, SOURCE_TYPE_DR) != 0)
					continue;

				old = MemoryContextSwitchTo(rowcxt);
				rec = json_deep_copy(e);
				if (rec == NULL ||
					json_object_set_new(rec, "project_id",
										json_string((char *) lfirst(ev->proj_cell))) != 0)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
									errmsg("out of memory")));
				MemoryContextSwitchTo(old);
				*fetched_at = ev->page_fetched;
				return rec;
			}

			/*
			 * A page past page 1 with nothing new: the API repeats itself
			 * (ignores offset), and what the count promises never comes.
			 * Not a short answer passed off as complete: an error.
			 */
			if (!ev->fresh && n > 0 && ev->page > 1)
			{
				dws_msg_prepare();
				ereport(ERROR,
						(errcode(ERRCODE_FDW_REPLY_HANDLE),
						 errmsg("events call for project \"%s\" (page " INT64_FORMAT ") failed: the page holds only events of earlier pages",
								dws_msg_text(lfirst(ev->proj_cell),
											 strlen(lfirst(ev->proj_cell)), 100),
								ev->page),
						 errdetail("The answers counted " INT64_FORMAT " events, " INT64_FORMAT " were read; the API seems to ignore offset.",
								   ev->count, ev->distinct)));
			}
			ev->events = NULL;
			MemoryContextReset(ev->pagecxt);
		}

		/* the page in hand is used up: the next one */
		if (ev->proj_cell == NULL)
		{
			ev->proj_cell = list_head(ev->projects);
			if (ev->proj_cell == NULL)
				return NULL;
			project_reset(ev);
		}
		send_more(ev);
		if (ev->out == 0)
		{
			/* this project is read: the next one */
			ev->proj_cell = lnext(ev->projects, ev->proj_cell);
			if (ev->proj_cell == NULL)
			{
				ev->projects = NIL;
				return NULL;
			}
			project_reset(ev);
			continue;
		}
		{
			DwsRequest *req = dws_fetch_answer(ev->f);

			if (req == NULL)
				elog(ERROR, "dwsdr_fdw: %d event pages sent but none answered",
					 ev->out);
			take_page(ev, req);
			if (ev->done)
				return NULL;
		}
	}
}
