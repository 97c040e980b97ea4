/*-------------------------------------------------------------------------
 * fetch_int.h
 *	  The state of one scan's fetch, shared by the files of the fetch
 *	  module: fetch.c (calls, records), fetchlist.c (list answers) and
 *	  unreachable.c (when_unreachable).  Nothing else includes it.
 *-------------------------------------------------------------------------
 */
#ifndef DWS_FETCH_INT_H
#define DWS_FETCH_INT_H

#include "fetch.h"
#include "events.h"
#include "list.h"

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

/* fetch.c */
extern void dws_fetch_submit(DwsFetch *f, DwsRequest *req);
extern DwsRequest *dws_fetch_next_answer(DwsFetch *f);
extern void dws_fetch_keep_answer(DwsFetch *f, DwsRequest *req);
extern void dws_fetch_fill_window(DwsFetch *f);
extern bool dws_fetch_start_calls(DwsFetch *f);
extern void dws_fetch_set_text(json_t *rec, const char *key,
							   const char *value);

/* fetchlist.c */
extern void dws_fetch_want_ids(DwsFetch *f);
extern void dws_fetch_start_lists(DwsFetch *f);
extern bool dws_fetch_take_list(DwsFetch *f, DwsRequest *req);
extern bool dws_fetch_next_item(DwsFetch *f, bool with_record,
								char **project_id, char **id,
								json_t **record, DwsSource *src);

/* unreachable.c */
extern bool dws_fetch_stop_unreachable(DwsFetch *f, DwsRequest *req);
extern void dws_fetch_decide_reachability(DwsFetch *f);

#endif							/* DWS_FETCH_INT_H */
