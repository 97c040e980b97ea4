/*-------------------------------------------------------------------------
 * schema.c
 *	  The one table of the API's fields and the columns they feed.
 *
 * The table drives IMPORT FOREIGN SCHEMA, the mapping of a foreign table's
 * columns to JSON paths of the canonical record (see record.h) and the
 * choice of calls a scan needs; row.c builds rows from the descriptions
 * made here.  Nothing else lists fields.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"
#include "options.h"

#include "access/sysattr.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "schema.h"

typedef struct DwsField
{
	DwsResource resource;
	const char *column;			/* column name created by IMPORT */
	const char *type;			/* its type */
	const char *path;			/* JSON path; "cluster." = the row's cluster */
	int			sources;		/* DWS_SRC_* providing it */
	DwsColKind	kind;
	bool		import_field;	/* IMPORT writes OPTIONS (field 'path') */
	bool		epoch_ms;		/* an integer of epoch milliseconds */
} DwsField;

#define L	DWS_SRC_LIST
#define D	DWS_SRC_DETAIL
#define P	DWS_SRC_PROGRESS
#define ANY DWS_SRC_ANY
#define C	DWS_RES_CLUSTERS
#define R	DWS_RES_RECOVERIES
#define G	DWS_RES_PROGRESS
#define E	DWS_RES_EVENTS
#define F(res, col, type, path, src) {res, col, type, path, src, DWS_COL_PATH}
#define CLUSTER_FIELDS(pfx, obj) \
	F(R, pfx "_id", "text", obj ".id", L | D), \
	F(R, pfx "_name", "text", obj ".name", L | D), \
	F(R, pfx "_project_id", "text", obj ".project_id", L), \
	F(R, pfx "_az", "text", obj ".cluster_az", D), \
	F(R, pfx "_role", "text", obj ".role", L | D), \
	F(R, pfx "_region", "text", obj ".region", L | D), \
	F(R, pfx "_status", "text", obj ".status", L | D), \
	F(R, pfx "_progress", "numeric", obj ".progress", D), \
	F(R, pfx "_last_success_time", "timestamptz", obj ".last_success_time", D), \
	F(R, pfx "_obs_bucket_name", "text", obj ".obs_bucket_name", D), \
	F(R, pfx "_datastore_type", "text", obj ".datastore_type", D), \
	F(R, pfx "_datastore_version", "text", obj ".datastore_version", D), \
	F(R, pfx "_disk_capacity", "text", obj ".disk_capacity", D), \
	F(R, pfx "_disk_used", "text", obj ".disk_used", D)
#define PROGRESS_FIELDS(pfx, obj) \
	F(G, pfx "_key", "text", obj ".key", P), \
	F(G, pfx "_action_type", "text", obj ".action_type", P), \
	F(G, pfx "_unrestore_keys", "text", obj ".unrestore_keys", P), \
	F(G, pfx "_action_start_time", "timestamptz", obj ".action_start_time", P), \
	F(G, pfx "_action_end_time", "timestamptz", obj ".action_end_time", P)

/*
 * Every column IMPORT creates, in order, per resource.  "project_id" is the
 * project the call was made in (set by fetch.c on every record);
 * "fetched_at" when the oldest answer the row was built from was received
 * (fetch.c, DwsSource.fetched_at).
 */
static const DwsField dws_fields[] = {
	/* dr_clusters: one row per cluster object of a task */
	F(C, "project_id", "text", "project_id", ANY),
	F(C, "dr_id", "text", "id", L | D),
	F(C, "dr_name", "text", "name", L | D),
	F(C, "dr_type", "text", "dr_type", L | D),
	F(C, "dr_status", "text", "status", L | D),
	F(C, "dr_sync_period", "text", "dr_sync_period", D),
	F(C, "dr_start_time", "timestamptz", "start_time", L | D),
	F(C, "dr_create_time", "timestamptz", "create_time", L | D),
	{C, "side", "text", NULL, ANY, DWS_COL_SIDE},
	F(C, "cluster_id", "text", "cluster.id", L | D),
	F(C, "cluster_name", "text", "cluster.name", L | D),
	F(C, "cluster_az", "text", "cluster.cluster_az", D),
	F(C, "role", "text", "cluster.role", L | D),
	F(C, "region", "text", "cluster.region", L | D),
	F(C, "status", "text", "cluster.status", L | D),
	F(C, "progress", "numeric", "cluster.progress", D),
	F(C, "last_success_time", "timestamptz", "cluster.last_success_time", D),
	F(C, "obs_bucket_name", "text", "cluster.obs_bucket_name", D),
	F(C, "datastore_type", "text", "cluster.datastore_type", D),
	F(C, "datastore_version", "text", "cluster.datastore_version", D),
	F(C, "disk_capacity", "text", "cluster.disk_capacity", D),
	F(C, "disk_used", "text", "cluster.disk_used", D),
	{C, "dr_sync_interval", "interval", "dr_sync_period", D, DWS_COL_PATH, true},
	{C, "fetched_at", "timestamptz", NULL, ANY, DWS_COL_FETCHED},
	/* not created by IMPORT, but known: */
	F(C, "cluster_project_id", "-", "cluster.project_id", L),
	F(C, "last_disaster_time", "-", "last_disaster_time", L),

	/* disaster_recoveries: one row per task */
	F(R, "project_id", "text", "project_id", ANY),
	F(R, "dr_id", "text", "id", L | D),
	F(R, "name", "text", "name", L | D),
	F(R, "dr_type", "text", "dr_type", L | D),
	F(R, "status", "text", "status", L | D),
	F(R, "dr_sync_period", "text", "dr_sync_period", D),
	F(R, "start_time", "timestamptz", "start_time", L | D),
	F(R, "create_time", "timestamptz", "create_time", L | D),
	F(R, "last_disaster_time", "timestamptz", "last_disaster_time", L),
	CLUSTER_FIELDS("primary", "primary_cluster"),
	CLUSTER_FIELDS("standby", "standby_cluster"),
	{R, "raw", "jsonb", NULL, D, DWS_COL_RAW},
	{R, "sync_interval", "interval", "dr_sync_period", D, DWS_COL_PATH, true},
	{R, "fetched_at", "timestamptz", NULL, ANY, DWS_COL_FETCHED},

	/* dr_progress: one row per task, from show-progress */
	F(G, "project_id", "text", "project_id", ANY),
	F(G, "dr_id", "text", "id", ANY),
	F(G, "latest_barrier_time", "timestamptz", "latest_barrier_time", P),
	F(G, "last_recovery_spend", "integer", "last_recovery_spend", P),
	F(G, "recovery_point_object", "integer", "recovery_point_object", P),
	F(G, "recovery_time_object", "integer", "recovery_time_object", P),
	PROGRESS_FIELDS("primary", "primary_cluster"),
	PROGRESS_FIELDS("standby", "standby_cluster"),
	{G, "raw", "-", NULL, P, DWS_COL_RAW},
	{G, "fetched_at", "timestamptz", NULL, ANY, DWS_COL_FETCHED},

	/*
	 * dr_events: one row per event of source type disaster-recovery, from
	 * the pages of GET /v2/{p}/events (events.c; "the list" of this
	 * resource).  name_space (always "dws") is known but not imported.
	 */
	F(E, "event_id", "text", "event_id", L),
	{E, "occur_time", "timestamptz", "occur_time", L, DWS_COL_PATH, false, true},
	F(E, "name", "text", "name", L),
	F(E, "display_name", "text", "display_name", L),
	F(E, "category", "text", "category", L),
	F(E, "severity", "text", "severity", L),
	F(E, "source_type", "text", "source_type", L),
	F(E, "source_id", "text", "source_id", L),
	F(E, "source_name", "text", "source_name", L),
	F(E, "context", "text", "context", L),
	F(E, "description", "text", "description", L),
	F(E, "subject", "text", "subject", L),
	F(E, "status", "integer", "status", L),
	F(E, "project_id", "text", "project_id", ANY),
	{E, "raw", "jsonb", NULL, L, DWS_COL_RAW},
	{E, "fetched_at", "timestamptz", NULL, ANY, DWS_COL_FETCHED},
	F(E, "name_space", "-", "name_space", L),
};

#undef L
#undef D
#undef P
#undef ANY
#undef C
#undef R
#undef G
#undef E
#undef F

/* The resources, by the names of their tables */
static const char *const dws_resource_names[DWS_NUM_RESOURCES] = {
	"dr_clusters", "disaster_recoveries", "dr_progress", "dr_events"
};

bool
dws_resource_from_name(const char *name, DwsResource *res)
{
	int			i;

	for (i = 0; i < DWS_NUM_RESOURCES; i++)
		if (strcmp(name, dws_resource_names[i]) == 0)
		{
			*res = (DwsResource) i;
			return true;
		}
	return false;
}

const char *
dws_resource_name(DwsResource res)
{
	return dws_resource_names[res];
}

/* The call that gives a task's per-id fields for each resource. */
DwsCallKind
dws_per_id_call(DwsResource res)
{
	return res == DWS_RES_PROGRESS ? DWS_CALL_PROGRESS : DWS_CALL_DETAIL;
}

static int
per_id_source(DwsResource res)
{
	return res == DWS_RES_PROGRESS ? DWS_SRC_PROGRESS : DWS_SRC_DETAIL;
}

static const DwsField *
field_by_column(DwsResource res, const char *column)
{
	int			i;

	for (i = 0; i < lengthof(dws_fields); i++)
		if (dws_fields[i].resource == res &&
			strcmp(dws_fields[i].column, column) == 0)
			return &dws_fields[i];
	return NULL;
}

/*
 * The field of a path given by a column's field option, or NULL: it says
 * which calls provide the path (a path the table does not know is assumed
 * to come from the per-task call, the richer one; on dr_events from the
 * events call) and how it reads.  On dr_clusters, "primary_cluster.x" and
 * "standby_cluster.x" are looked up as "cluster.x".
 */
static const DwsField *
field_by_path(DwsResource res, const char *path)
{
	const char *lookup = path;
	int			i;

	if (res == DWS_RES_CLUSTERS)
	{
		if (strncmp(path, "primary_cluster.", 16) == 0)
			lookup = psprintf("cluster.%s", path + 16);
		else if (strncmp(path, "standby_cluster.", 16) == 0)
			lookup = psprintf("cluster.%s", path + 16);
	}
	for (i = 0; i < lengthof(dws_fields); i++)
		if (dws_fields[i].resource == res && dws_fields[i].path &&
			strcmp(dws_fields[i].path, lookup) == 0)
			return &dws_fields[i];
	return NULL;
}

/*
 * Resolves every attribute of a foreign table to the way it is filled.  A
 * column neither named like a field of its resource nor given a field
 * option is an error: a typo should not silently read NULL.
 */
DwsTableDesc *
dws_table_desc(Relation rel, DwsResource res)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	DwsTableDesc *desc = palloc0(sizeof(DwsTableDesc));
	int			i;

	desc->relid = RelationGetRelid(rel);
	desc->relname = pstrdup(RelationGetRelationName(rel));
	desc->resource = res;
	desc->ncolumns = tupdesc->natts;
	desc->columns = palloc0(sizeof(DwsColumn) * Max(tupdesc->natts, 1));

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		DwsColumn  *col = &desc->columns[i];
		char	   *field;
		Oid			infunc;

		col->attnum = att->attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		if (att->attisdropped)
			continue;

		/*
		 * The input function, looked up once with the description (which
		 * the session keeps, see table_facts) rather than at every scan; a
		 * domain over a time type reads as its base type (time_value).
		 */
		getTypeInputInfo(col->typid, &infunc, &col->typioparam);
		fmgr_info(infunc, &col->typinput);
		col->basetypmod = col->typmod;
		col->basetypid = getBaseTypeAndTypmod(col->typid, &col->basetypmod);

		field = dws_column_field(desc->relid, att->attnum);
		if (field != NULL)
		{
			const DwsField *f = field_by_path(res, field);

			col->kind = DWS_COL_PATH;
			col->path = field;
			col->sources = f ? f->sources : res == DWS_RES_EVENTS ?
				DWS_SRC_LIST : per_id_source(res);
			col->epoch_ms = f ? f->epoch_ms : false;
		}
		else
		{
			const DwsField *f = field_by_column(res, col->name);

			if (f == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
						 errmsg("column \"%s\" of foreign table \"%s\" matches no field of resource \"%s\"",
								col->name, desc->relname,
								dws_resource_name(res)),
						 errhint("Rename the column after a documented column, or map it with ALTER FOREIGN TABLE %s ALTER COLUMN %s OPTIONS (ADD field 'json.path').",
								 quote_identifier(desc->relname),
								 quote_identifier(col->name))));
			col->kind = f->kind;
			col->path = (char *) f->path;
			col->sources = f->sources;
			col->epoch_ms = f->epoch_ms;
		}

		if (col->kind == DWS_COL_PATH)
		{
			if (res == DWS_RES_CLUSTERS && strncmp(col->path, "cluster.", 8) == 0)
			{
				col->cluster_relative = true;
				col->path += 8;
			}
			if (!col->cluster_relative && strcmp(col->path, "id") == 0 &&
				desc->id_attnum == 0)
				desc->id_attnum = col->attnum;
			if (!col->cluster_relative && strcmp(col->path, "project_id") == 0 &&
				desc->project_attnum == 0)
				desc->project_attnum = col->attnum;
		}
	}
	return desc;
}

/*
 * Marks the columns the plan uses; the others are left NULL by
 * dws_build_row, so a value no one asked for can never fail a query (nor
 * cost a conversion).
 */
void
dws_table_desc_restrict(DwsTableDesc *desc, List *used_attnums)
{
	int			i;

	for (i = 0; i < desc->ncolumns; i++)
	{
		DwsColumn  *col = &desc->columns[i];

		col->unused = !list_member_int(used_attnums, col->attnum);
	}
}

/*
 * What the used columns need (attnums offset as in pull_varattnos; a
 * whole-row reference uses them all): list_fields when one is given only
 * by the list call, per_id_fields when one is given only by the per-task
 * call.
 */
void
dws_columns_needs(DwsTableDesc *desc, Bitmapset *attrs_used,
				  bool *list_fields, bool *per_id_fields)
{
	int			per_id = per_id_source(desc->resource);
	bool		whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber,
										  attrs_used);
	int			i;

	*list_fields = false;
	*per_id_fields = false;
	for (i = 0; i < desc->ncolumns; i++)
	{
		DwsColumn  *col = &desc->columns[i];

		if (col->path == NULL && col->kind == DWS_COL_PATH)
			continue;			/* dropped */
		if (!whole_row &&
			!bms_is_member(col->attnum - FirstLowInvalidHeapAttributeNumber,
						   attrs_used))
			continue;
		if (!(col->sources & per_id))
			*list_fields = true;
		if (!(col->sources & DWS_SRC_LIST))
			*per_id_fields = true;
	}
}

/*
 * IMPORT FOREIGN SCHEMA dwsdr: one CREATE FOREIGN TABLE per resource, with
 * the columns of the field table in order.  LIMIT TO and EXCEPT are applied
 * here (and again by PostgreSQL).
 */
List *
dws_import_statements(ImportForeignSchemaStmt *stmt, ForeignServer *server)
{
	List	   *cmds = NIL;
	int			r;

	if (strcmp(stmt->remote_schema, "dwsdr") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available from the DWS DR API",
						stmt->remote_schema),
				 errhint("Use IMPORT FOREIGN SCHEMA dwsdr FROM SERVER %s INTO ...;",
						 quote_identifier(server->servername))));
	if (stmt->options != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"",
						((DefElem *) linitial(stmt->options))->defname),
				 errhint("IMPORT FOREIGN SCHEMA dwsdr takes no options.")));

	for (r = 0; r < DWS_NUM_RESOURCES; r++)
	{
		const char *table = dws_resource_name((DwsResource) r);
		StringInfoData buf;
		bool		first = true;
		bool		wanted = (stmt->list_type != FDW_IMPORT_SCHEMA_LIMIT_TO);
		ListCell   *lc;
		int			i;

		foreach(lc, stmt->table_list)
		{
			RangeVar   *rv = (RangeVar *) lfirst(lc);

			if (strcmp(rv->relname, table) == 0)
				wanted = (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO);
		}
		if (!wanted)
			continue;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s.%s (\n",
						 quote_identifier(stmt->local_schema),
						 quote_identifier(table));
		for (i = 0; i < lengthof(dws_fields); i++)
		{
			const DwsField *f = &dws_fields[i];

			if (f->resource != (DwsResource) r || f->type[0] == '-')
				continue;
			appendStringInfo(&buf, "%s  %s %s", first ? "" : ",\n",
							 quote_identifier(f->column), f->type);
			if (f->import_field)
				appendStringInfo(&buf, " OPTIONS (field %s)",
								 quote_literal_cstr(f->path));
			first = false;
		}
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (resource %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(table));
		cmds = lappend(cmds, buf.data);
	}
	return cmds;
}
