/*-------------------------------------------------------------------------
 * schema.c
 *	  The one table of the API's fields and the columns they feed.
 *
 * The table drives IMPORT FOREIGN SCHEMA, the mapping of a foreign table's
 * columns to JSON paths of the canonical record (see record.h), the choice
 * of calls a scan needs, and the building of rows.  Nothing else lists
 * fields.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "msgtext.h"
#include "record.h"

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

/* Lengths of API text quoted in messages (bytes, cut at a character) */
#define MSG_ID_BYTES	100
#define MSG_VALUE_BYTES 200

/* What a record of the table is called in messages. */
static const char *
record_noun(DwsTableDesc *desc)
{
	return desc->resource == DWS_RES_EVENTS ? "event" : "DR task";
}

/* A task id from the API, fit for a message (see msgtext.c). */
static char *
task_label(const char *task_id)
{
	return task_id ? dws_msg_text(task_id, strlen(task_id), MSG_ID_BYTES) :
		pstrdup("?");
}

/*
 * The cluster object of a record for a side ("primary_cluster" or
 * "standby_cluster"); NULL when absent or null.  Any other type is a bad
 * answer from the API and an error.
 */
static json_t *
cluster_object(DwsTableDesc *desc, json_t *record, const char *key)
{
	json_t	   *c = json_object_get(record, key);

	if (c == NULL || json_is_null(c))
		return NULL;
	if (!json_is_object(c))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("DR task \"%s\" has a %s that is not an object",
						task_label(json_string_value(json_object_get(record, "id"))),
						key),
				 errdetail("Foreign table \"%s\" expects the API to return an object or null there.",
						   desc->relname)));
	return c;
}

static const char *const side_keys[2] = {"primary_cluster", "standby_cluster"};
static const char *const side_names[2] = {"primary", "standby"};

/*
 * The number of rows a record gives: one, or on dr_clusters one per cluster
 * object present, primary first.
 */
int
dws_record_rows(DwsTableDesc *desc, json_t *record)
{
	int			n = 0;
	int			s;

	if (desc->resource != DWS_RES_CLUSTERS)
		return 1;
	for (s = 0; s < 2; s++)
		if (cluster_object(desc, record, side_keys[s]) != NULL)
			n++;
	return n;
}

/* What the conversion error context reports. */
typedef struct ConvContext
{
	DwsTableDesc *desc;
	DwsColumn  *col;
	const char *task_id;
	const char *value;
} ConvContext;

static void
conversion_error_callback(void *arg)
{
	ConvContext *cc = (ConvContext *) arg;

	/* API text: cleaned and bounded, with lookups made beforehand */
	errcontext("column \"%s\" of foreign table \"%s\", %s \"%s\", value \"%s\"",
			   cc->col->name, cc->desc->relname, record_noun(cc->desc),
			   task_label(cc->task_id),
			   cc->value ? dws_msg_text(cc->value, strlen(cc->value),
										MSG_VALUE_BYTES) : "");
}

/*
 * A value of the API (UTF-8) in the database encoding: converted, or an
 * error naming the table, the column and the task (never mojibake, never
 * bytes the database cannot read back).  Returns s itself when nothing had
 * to change.
 */
static const char *
value_to_server(DwsTableDesc *desc, DwsColumn *col, const char *task_id,
				const char *s, size_t len, size_t *outlen)
{
	int32		bad;
	const char *conv = dws_text_to_server(s, len, outlen, &bad);

	if (conv != NULL)
		return conv;
	if (bad < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("value of column \"%s\" of foreign table \"%s\" is not valid UTF-8",
						col->name, desc->relname),
				 errdetail("%s \"%s\".",
						   desc->resource == DWS_RES_EVENTS ? "Event" : "DR task",
						   task_label(task_id))));
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("value of column \"%s\" of foreign table \"%s\" has a character that encoding \"%s\" cannot hold",
					col->name, desc->relname, GetDatabaseEncodingName()),
			 errdetail("%s \"%s\": character U+%04X has no equivalent in encoding \"%s\".",
					   desc->resource == DWS_RES_EVENTS ? "Event" : "DR task",
					   task_label(task_id), (unsigned int) bad,
					   GetDatabaseEncodingName()),
			 errhint("Read this column in a database whose encoding is UTF8, or leave it out of the query.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * An API time as a timestamptz, timestamp or date value.  PostgreSQL's own
 * timestamptz input reads it, with the session's time zone swapped for UTC
 * during the call: a time without a zone is UTC, one with a zone ("Z",
 * "+08:00") keeps it, and fractions round as PostgreSQL rounds them.  A
 * timestamp column gets the UTC wall time and a date column the UTC date,
 * so no value depends on the session's TimeZone.  The swap is undone
 * whatever the input function throws.  A domain over one of these types
 * reads as its base type, then has its constraints checked.
 */
static Datum
time_value(DwsColumn *col, char *text)
{
	static pg_tz *utc = NULL;
	pg_tz	   *session = session_timezone;
	volatile Datum d = (Datum) 0;
	int32		typmod = col->basetypmod;
	Oid			base = col->basetypid;

	if (utc == NULL)
	{
		utc = pg_tzset_offset(0);
		if (utc == NULL)
			elog(ERROR, "could not load the UTC time zone");
	}
	PG_TRY();
	{
		session_timezone = utc;
		d = DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
								ObjectIdGetDatum(InvalidOid),
								Int32GetDatum(base == TIMESTAMPTZOID ?
											  typmod : -1));
	}
	PG_FINALLY();
	{
		session_timezone = session;
	}
	PG_END_TRY();

	/* an instant's UTC wall time has the instant's representation */
	if (base == DATEOID)
		d = DirectFunctionCall1(timestamp_date, d);
	else if (base == TIMESTAMPOID && typmod >= 0)
		d = DirectFunctionCall2(timestamp_scale, d, Int32GetDatum(typmod));
	if (base != col->typid)
		domain_check(d, false, col->typid, NULL, NULL);
	return d;
}

/* Largest epoch millisecond read: 9999-12-31 23:59:59.999 UTC */
#define DWS_MAX_EPOCH_MS INT64CONST(253402300799999)
/* Milliseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 */
#define DWS_PG_EPOCH_MS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * \
						 SECS_PER_DAY * 1000)

/*
 * An API time given as epoch milliseconds (dr_events' occur_time) as a
 * timestamptz, timestamp or date, exactly: milliseconds become
 * microseconds, no text and no time zone in between (a timestamp column
 * gets the UTC wall time, a date column the UTC date, as time_value does).
 * Only a JSON integer from 0 (1970) to the end of year 9999 is a time: a
 * string, a real, a negative or a larger number is an error naming the
 * field, never a guess.
 */
static Datum
epoch_ms_value(DwsTableDesc *desc, DwsColumn *col, json_t *v,
			   const char *task_id)
{
	long long	ms = -1;
	Datum		d;
	Oid			base = col->basetypid;

	if (!dws_json_whole(v, &ms) || ms < 0 || ms > DWS_MAX_EPOCH_MS)
	{
		char	   *text = dws_json_text(v);
		char	   *shown;

		dws_msg_prepare();
		shown = text ? dws_msg_text(text, strlen(text), MSG_VALUE_BYTES) :
			pstrdup("?");
		dws_free(text);
		ereport(ERROR,
				(errcode(json_is_number(v) ?
						 ERRCODE_DATETIME_VALUE_OUT_OF_RANGE :
						 ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("field \"%s\" of %s \"%s\" is not a time in epoch milliseconds: %s",
						col->path, record_noun(desc), task_label(task_id), shown),
				 errdetail("Column \"%s\" of foreign table \"%s\" reads an integer from 0 to %lld (1970-01-01 to 9999-12-31 UTC).",
						   col->name, desc->relname,
						   (long long) DWS_MAX_EPOCH_MS)));
	}
	d = TimestampTzGetDatum((TimestampTz) ((int64) ms - DWS_PG_EPOCH_MS) * 1000);
	if (base == DATEOID)
		d = DirectFunctionCall1(timestamp_date, d);
	else if (base == TIMESTAMPOID && col->basetypmod >= 0)
		d = DirectFunctionCall2(timestamp_scale, d,
								Int32GetDatum(col->basetypmod));
	else if (base == TIMESTAMPTZOID && col->basetypmod >= 0)
		d = DirectFunctionCall2(timestamptz_scale, d,
								Int32GetDatum(col->basetypmod));
	if (base != col->typid)
		domain_check(d, false, col->typid, NULL, NULL);
	return d;
}

/*
 * Converts one JSON value to the column's type through the type's input
 * function.  Times go through time_value (UTC whatever the session); an
 * interval fed from the sync period reads "3H"; an empty string is NULL for
 * non-string types.  api_text, when not NULL, is the value as the API wrote
 * it (jsonsource.c: a number's digits, raw's object), read instead of
 * jansson's value; v is then only tested for NULL.
 */
static Datum
convert_value(DwsTableDesc *desc, DwsColumn *col, json_t *v,
			  char *api_text, const char *task_id, bool *isnull)
{
	char	   *text;
	char	   *owned;			/* the UTF-8 text read */
	size_t		textlen;
	char		buf[64];
	ConvContext cc;
	ErrorContextCallback errcb;
	Datum		d;
	Oid			base;
	bool		stringish = (col->typid == TEXTOID || col->typid == VARCHAROID ||
							 col->typid == BPCHAROID);

	if (v == NULL || json_is_null(v))
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (col->epoch_ms && (col->basetypid == TIMESTAMPTZOID ||
						  col->basetypid == TIMESTAMPOID ||
						  col->basetypid == DATEOID))
	{
		*isnull = false;
		return epoch_ms_value(desc, col, v, task_id);
	}
	if (json_is_string(v) && col->typid == TEXTOID && api_text == NULL)
	{
		size_t		len;
		const char *conv = value_to_server(desc, col, task_id,
										   json_string_value(v),
										   json_string_length(v), &len);

		*isnull = false;
		return PointerGetDatum(cstring_to_text_with_len(conv, len));
	}

	text = api_text ? api_text : dws_json_text(v);
	if (text == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("out of memory")));
	/* every other type (and raw) reads the text in the database encoding */
	owned = text;
	text = (char *) value_to_server(desc, col, task_id, owned, strlen(owned),
									&textlen);
	if (text[0] == '\0' && !stringish)
	{
		*isnull = true;
		return (Datum) 0;
	}

	cc.desc = desc;
	cc.col = col;
	cc.task_id = task_id;
	cc.value = owned;		/* UTF-8, as the API sent it */
	errcb.callback = conversion_error_callback;
	errcb.arg = &cc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	base = col->basetypid;
	if (base == TIMESTAMPTZOID || base == TIMESTAMPOID || base == DATEOID)
		d = time_value(col, text);
	else if (col->typid == INTERVALOID && col->path &&
			 strcmp(col->path, "dr_sync_period") == 0)
	{
		if (dws_sync_period_interval(text, buf, sizeof(buf)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("invalid DR sync period \"%s\"",
							dws_msg_text(text, strlen(text), MSG_VALUE_BYTES)),
					 errdetail("A sync period is a number from 1 to 3000 followed by m, H or d.")));
		d = InputFunctionCall(&col->typinput, buf, col->typioparam,
							  col->typmod);
	}
	else
		d = InputFunctionCall(&col->typinput, text, col->typioparam,
							  col->typmod);
	error_context_stack = errcb.previous;
	dws_free(owned);
	*isnull = false;
	return d;
}

/*
 * fetched_at as the column's type: a timestamptz as it is; any other type
 * (a domain over timestamptz included) through timestamptz's text and the
 * column's input function, so that a user's column of another type reads
 * what the session would print.
 */
static Datum
fetched_value(DwsColumn *col, TimestampTz t)
{
	char	   *text;

	if (col->typid == TIMESTAMPTZOID)
		return TimestampTzGetDatum(t);
	text = DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(t)));
	return InputFunctionCall(&col->typinput, text, col->typioparam,
							 col->typmod);
}

/*
 * Fills values/nulls of row rowno of a record (see dws_record_rows).  src
 * holds the bytes the record was read from: raw's object, and the digits
 * of its numbers.  The values of the used columns are found first, so
 * that the API's text of every number, object and array among them (and
 * raw's) comes from one pass over those bytes (jsonsource.c); a string,
 * boolean or null is read from jansson's value as it is.
 */
void
dws_build_row(DwsTableDesc *desc, json_t *record, const DwsSource *src,
			  int rowno, Datum *values, bool *nulls)
{
	json_t	   *cluster = NULL;
	int			side = 0;
	const char *task_id = json_string_value(json_object_get(record,
															desc->resource == DWS_RES_EVENTS ?
															"event_id" : "id"));
	json_t	  **found = palloc0(sizeof(json_t *) * desc->ncolumns);
	int		   *wanted = palloc(sizeof(int) * desc->ncolumns);
	const char **paths = palloc(sizeof(char *) * desc->ncolumns);
	json_t	  **pvalues = palloc(sizeof(json_t *) * desc->ncolumns);
	char	  **texts = palloc(sizeof(char *) * desc->ncolumns);
	char	  **api = palloc0(sizeof(char *) * desc->ncolumns);
	int			nwanted = 0;
	int			i;

	/* what messages about this row need, looked up while lookups are safe */
	dws_msg_prepare();

	if (desc->resource == DWS_RES_CLUSTERS)
	{
		int			seen = -1;

		for (side = 0; side < 2; side++)
		{
			cluster = cluster_object(desc, record, side_keys[side]);
			if (cluster != NULL && ++seen == rowno)
				break;
		}
		Assert(side < 2);
	}

	/* the value of each used column, and which need the API's text */
	for (i = 0; i < desc->ncolumns; i++)
	{
		DwsColumn  *col = &desc->columns[i];
		json_t	   *v;

		if (col->unused)
			continue;
		if (col->kind == DWS_COL_RAW)
		{
			found[i] = record;
			paths[nwanted] = NULL;
		}
		else if (col->kind == DWS_COL_PATH && col->path != NULL)
		{
			v = dws_json_path(col->cluster_relative ? cluster : record,
							  col->path);
			found[i] = v;
			if (v == NULL || !(json_is_number(v) || json_is_object(v) ||
							   json_is_array(v)))
				continue;
			paths[nwanted] = col->cluster_relative ?
				psprintf("%s.%s", side_keys[side], col->path) : col->path;
		}
		else
			continue;
		pvalues[nwanted] = found[i];
		wanted[nwanted++] = i;
	}
	if (nwanted > 0)
	{
		dws_source_texts(src, nwanted, paths, pvalues, texts);
		for (i = 0; i < nwanted; i++)
			api[wanted[i]] = texts[i];
	}

	for (i = 0; i < desc->ncolumns; i++)
	{
		DwsColumn  *col = &desc->columns[i];
		json_t	   *v;

		nulls[i] = true;
		values[i] = (Datum) 0;
		if (col->unused)
			continue;
		switch (col->kind)
		{
			case DWS_COL_FETCHED:
				if (src != NULL && src->fetched_at != 0)
				{
					values[i] = fetched_value(col, src->fetched_at);
					nulls[i] = false;
				}
				break;
			case DWS_COL_SIDE:
				v = json_string(side_names[side]);
				values[i] = convert_value(desc, col, v, NULL, task_id,
										  &nulls[i]);
				json_decref(v);
				break;
			case DWS_COL_RAW:
			case DWS_COL_PATH:
				/* raw: the record's object as sent, else as jansson has it */
				if (col->kind == DWS_COL_PATH && col->path == NULL)
					break;		/* dropped column */
				values[i] = convert_value(desc, col, found[i], api[i],
										  task_id, &nulls[i]);
				break;
		}
	}
}
