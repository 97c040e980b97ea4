/*-------------------------------------------------------------------------
 * row.c
 *	  Rows from records: each used column of a table description (schema.c)
 *	  read from its JSON value and converted to the column's type.
 *
 * Values are converted to the database encoding (msgtext.c) and read by
 * the types' input functions; times are read as UTC whatever the session's
 * TimeZone, epoch milliseconds exactly, and a number's digits or raw's
 * object as the API wrote them (jsonsource.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "jsonsource.h"
#include "msgtext.h"
#include "record.h"
#include "row.h"

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
 * timestamptz input reads it with TimeZone set to UTC for the call, at a
 * GUC nest level as postgres_fdw sets its transmission modes: a time
 * without a zone is UTC, one with a zone ("Z", "+08:00") keeps it, and
 * fractions round as PostgreSQL rounds them.  A timestamp column gets the
 * UTC wall time and a date column the UTC date, so no value depends on the
 * session's TimeZone.  The setting is undone after the call, or by the
 * (sub)transaction's abort when the input throws.  A domain over one of
 * these types reads as its base type, then has its constraints checked.
 */
static Datum
time_value(DwsColumn *col, char *text)
{
	int32		typmod = col->basetypmod;
	Oid			base = col->basetypid;
	int			nestlevel = NewGUCNestLevel();
	Datum		d;

	(void) set_config_option("TimeZone", "UTC", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	d = DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
							ObjectIdGetDatum(InvalidOid),
							Int32GetDatum(base == TIMESTAMPTZOID ? typmod : -1));
	AtEOXact_GUC(true, nestlevel);

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
