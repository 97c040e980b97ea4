/*-------------------------------------------------------------------------
 * fetchlist.c
 *	  The list answers of a scan: sent for each project, taken once
 *	  accepted (every item checked), and read item by item, filtered to
 *	  the ids a condition names (fetch.c drives them).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "answer.h"
#include "estimate.h"
#include "fetch.h"
#include "fetch_int.h"

#include "list.h"
#include "msgtext.h"
#include "record.h"

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

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The ids a condition names, sorted, for the list's items to be kept. */
void
dws_fetch_want_ids(DwsFetch *f)
{
	DwsFetchSpec *spec = f->spec;
	ListCell   *lc;
	int			i = 0;

	f->nwant = list_length(spec->ids);
	f->want_ids = palloc(sizeof(char *) * Max(f->nwant, 1));
	foreach(lc, spec->ids)
		f->want_ids[i++] = (char *) lfirst(lc);
	qsort(f->want_ids, f->nwant, sizeof(char *), cmp_cstr);
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
 * answers are taken one by one (dws_fetch_take_list).
 */
void
dws_fetch_start_lists(DwsFetch *f)
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
		dws_fetch_submit(f, req);
	}
}

/*
 * Takes the answer of a list call: keeps the items (or, when no column
 * needs list fields, only their ids).  A list is made from its final
 * answer only, once that answer is accepted.  false when the call could
 * not reach the API and the scan is to skip or go stale (dws_fetch_stop_unreachable).
 */
bool
dws_fetch_take_list(DwsFetch *f, DwsRequest *req)
{
	DwsFetchSpec *spec = f->spec;
	bool		keep_items = spec->plan->list_fields || !f->per_id;
	ListResult *lr = (ListResult *) req->arg;
	long		n;

	f->lists_left--;

	/*
	 * The list has no "missing" answer (dws_answer_missing): any other is an error,
	 * or, when the API could not be reached and the server's
	 * when_unreachable says so, the end of the scan's calls (false).
	 */
	if (req->status != 200)
	{
		if (dws_fetch_stop_unreachable(f, req))
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
	dws_fetch_keep_answer(f, req);
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

/*
 * The next item of the list results that the quals want; its canonical
 * form when with_record, and its bytes in src when src is not NULL.  false
 * when the lists are exhausted.
 */
bool
dws_fetch_next_item(DwsFetch *f, bool with_record, char **project_id, char **id,
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
				dws_fetch_set_text(*record, "project_id", lr->project_id);
			}
			json_decref(item);
			return true;
		}
		f->list_i++;
		f->item_i = 0;
	}
	return false;
}
