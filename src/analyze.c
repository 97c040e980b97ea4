/*-------------------------------------------------------------------------
 * analyze.c
 *	  ANALYZE of a foreign table: a sample of its rows, made with the
 *	  plans of plan.c (dws_plan_analyze) and the calls of fetch.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "analyze.h"
#include "fetch.h"
#include "plan.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "msgtext.h"

/* at most this many per-task calls for the sample */
#define DWS_ANALYZE_MAX_CALLS 300

/* A reservoir sample (Vitter's algorithm, utils/sampling.h) of n slots. */
typedef struct Reservoir
{
	ReservoirStateData rs;
	void	  **items;
	int			size;			/* slots */
	int			n;				/* filled */
	double		seen;			/* items offered */
	double		skip;			/* items still to skip, -1: draw anew */
} Reservoir;

static void
reservoir_start(Reservoir *r, void **slots, int size)
{
	reservoir_init_selection_state(&r->rs, size);
	r->items = slots;
	r->size = size;
	r->n = 0;
	r->seen = 0;
	r->skip = -1;
}

/*
 * Offers an item; returns the slot it takes (the caller frees what was
 * there when it returns a filled slot), or -1 when it is not kept.
 */
static int
reservoir_offer(Reservoir *r)
{
	int			k = -1;

	if (r->n < r->size)
		k = r->n++;
	else
	{
		if (r->skip < 0)
			r->skip = reservoir_get_next_S(&r->rs, r->seen, r->size);
		if (r->skip <= 0)
			k = (int) (r->size * sampler_random_fract(&r->rs.randstate));
		r->skip -= 1;
	}
	r->seen += 1;
	return k;
}

/* The rows of a record as heap tuples of rel, into the sample. */
static void
sample_record(Relation rel, DwsTableDesc *desc, json_t *rec,
			  const DwsSource *src, Reservoir *r, MemoryContext rowcxt)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	int			nrows = dws_record_rows(desc, rec);
	int			i;

	for (i = 0; i < nrows; i++)
	{
		int			k = reservoir_offer(r);
		MemoryContext old;

		if (k < 0)
			continue;
		old = MemoryContextSwitchTo(rowcxt);
		dws_build_row(desc, rec, src, i, values, nulls);
		MemoryContextSwitchTo(old);
		if (r->items[k] != NULL)
			heap_freetuple((HeapTuple) r->items[k]);
		r->items[k] = heap_form_tuple(tupdesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	pfree(values);
	pfree(nulls);
}

/*
 * ANALYZE's sample of a table: the list call of its project gives the
 * number of tasks.  When every column comes from the list, its items are
 * the sample.  Otherwise a sample of at most DWS_ANALYZE_MAX_CALLS tasks,
 * drawn from the list, gets its per-task calls (as a query naming those
 * ids would), so the figures of every column come from real values;
 * the table's row count is the number of tasks times the rows per task
 * seen.
 */
static int
dws_acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows,
						int targrows, double *totalrows, double *totaldeadrows)
{
	Oid			relid = RelationGetRelid(rel);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dwsdr_fdw analyze",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext rowcxt = AllocSetContextCreate(cxt, "dwsdr_fdw analyze row",
												 ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	ForeignServer *server = GetForeignServer(GetForeignTable(relid)->serverid);
	DwsTableOptions topts;
	DwsTableDesc *desc;
	DwsConn    *conn;
	DwsStats	stats = {0};
	DwsFetchSpec *spec;
	DwsFetch   *fetch;
	DwsScanPlan *whole;
	List	   *used = NIL;
	Reservoir	sample;
	json_t	   *rec;
	DwsSource	src;
	double		ntasks = 0;
	double		nrecords = 0;
	int			i;

	dws_table_options(relid, &topts);
	desc = dws_table_desc(rel, topts.resource);
	for (i = 0; i < desc->ncolumns; i++)
		used = lappend_int(used, desc->columns[i].attnum);
	dws_table_desc_restrict(desc, used);
	whole = dws_plan_analyze(desc, topts.page_size, false);

	conn = dws_get_conn(server, GetUserMapping(GetUserId(), server->serverid));
	dws_conn_pin(conn, cxt);

	/* the list: every task once */
	old = MemoryContextSwitchTo(cxt);
	spec = palloc0(sizeof(DwsFetchSpec));
	spec->plan = dws_plan_analyze(desc, topts.page_size, true);
	spec->serverid = server->serverid;
	spec->projects = list_make1(pstrdup(dws_default_project(server, &topts)));
	spec->unreachable_is_error = true;	/* no statistics of an empty table */
	fetch = dws_fetch_begin(conn, spec, desc, &stats, NULL);
	MemoryContextSwitchTo(old);

	if (!whole->per_id)
		reservoir_start(&sample, (void **) rows, targrows);
	else
		reservoir_start(&sample,
						MemoryContextAllocZero(cxt, sizeof(char *) *
											   Min(targrows, DWS_ANALYZE_MAX_CALLS)),
						Min(targrows, DWS_ANALYZE_MAX_CALLS));
	memset(sample.items, 0, sizeof(void *) * sample.size);
	while ((rec = dws_fetch_next(fetch, &src)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		ntasks += 1;
		if (!whole->per_id)
		{
			nrecords += 1;
			sample_record(rel, desc, rec, &src, &sample, rowcxt);
		}
		else
		{
			int			k = reservoir_offer(&sample);
			const char *id = json_string_value(json_object_get(rec, "id"));

			if (k >= 0)
				sample.items[k] = MemoryContextStrdup(cxt, id ? id : "");
		}
	}

	if (whole->per_id && sample.n > 0)
	{
		Reservoir	rowsample;

		/* the sampled tasks, as "dr_id = ANY(...)" would fetch them */
		old = MemoryContextSwitchTo(cxt);
		spec = palloc0(sizeof(DwsFetchSpec));
		spec->plan = whole;
		spec->serverid = server->serverid;
		spec->projects = list_make1(pstrdup(dws_default_project(server, &topts)));
		for (i = 0; i < sample.n; i++)
			if (((char *) sample.items[i])[0] != '\0')
				spec->ids = lappend(spec->ids, sample.items[i]);
		spec->unreachable_is_error = true;
		fetch = dws_fetch_begin(conn, spec, desc, &stats, NULL);
		MemoryContextSwitchTo(old);

		reservoir_start(&rowsample, (void **) rows, targrows);
		memset(rows, 0, sizeof(HeapTuple) * targrows);
		while ((rec = dws_fetch_next(fetch, &src)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			nrecords += 1;
			sample_record(rel, desc, rec, &src, &rowsample, rowcxt);
		}
		sample = rowsample;
	}

	/* rows per task as sampled (dr_clusters: one per cluster) */
	*totalrows = nrecords > 0 ? rint(ntasks * sample.seen / nrecords) : 0;
	*totaldeadrows = 0;
	dws_msg_prepare();
	ereport(elevel,
			(errmsg("\"%s\": %.0f DR tasks in project \"%s\", %d rows sampled from %s",
					RelationGetRelationName(rel), ntasks,
					dws_msg_text(linitial(spec->projects),
								 strlen(linitial(spec->projects)), 100),
					sample.n,
					whole->per_id ? "per-task calls" : "the list"),
			 errdetail("%lld list and %lld per-task calls.",
					   (long long) stats.calls[DWS_CALL_LIST],
					   (long long) (stats.calls[DWS_CALL_DETAIL] +
									stats.calls[DWS_CALL_PROGRESS]))));
	MemoryContextDelete(cxt);
	return sample.n;
}

/*
 * ANALYZE works on a table whose project is known (the table's or the
 * server's): the planner then sizes a full scan from reltuples.
 */
bool
dws_analyze_foreign_table(Relation relation, AcquireSampleRowsFunc *func,
					   BlockNumber *totalpages)
{
	Oid			relid = RelationGetRelid(relation);
	DwsTableOptions topts;

	dws_table_options(relid, &topts);
	/* only whether there is one: no conversion that could throw here */
	if (dws_project_option(GetForeignServer(GetForeignTable(relid)->serverid),
					   &topts) == NULL)
		return false;
	*func = dws_acquire_sample_rows;
	*totalpages = 1;
	return true;
}
