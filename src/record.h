/*-------------------------------------------------------------------------
 * record.h
 *	  DWS DR API response bodies (jansson) -> canonical records and field
 *	  values.
 *
 * The PostgreSQL-free side: record.c (bodies and records), jsontext.c
 * (JSON values as text) and apitime.c (sync periods), free of PostgreSQL
 * headers so that the unit tests and the fuzzers can link them alone.
 * Every allocation goes through jansson's allocator (json_get_alloc_funcs);
 * inside PostgreSQL that allocator is palloc-based, so nothing leaks when
 * an ERROR unwinds.  Strings returned must be released with dws_free().
 *
 * The canonical record of a task has the shape of the detail call's
 * "disaster_recovery" object:
 *   { id, name, dr_type, status, dr_sync_period, start_time, create_time,
 *     last_disaster_time, project_id,
 *     primary_cluster: { id, name, cluster_az, role, region, status,
 *                        progress, last_success_time, obs_bucket_name,
 *                        datastore_type, datastore_version, disk_capacity,
 *                        disk_used, project_id },
 *     standby_cluster: { ... } }
 * A list item (flat: primary_cluster_id, ...) is turned into this shape.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_RECORD_H
#define DWSDR_RECORD_H

#include <stddef.h>
#include <jansson.h>

#define DWS_MAX_JSON_DEPTH 64	/* deeper bodies are rejected */

/*
 * How every body is read: any value as the root (callers check), and every
 * number as a double, so that an integer beyond 64 bits is not refused
 * (jansson refuses a whole body for one).  A number's double only tells
 * that it is a number; its digits are read from the bytes (jsonsource.c).
 * A real beyond a double's range (1e400) is refused, whole body and all.
 */
#define DWS_JSON_FLAGS (JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL)

/*
 * Parses a response body.  Returns a new reference to the root value, or
 * NULL with a short reason in errbuf ("invalid JSON at line 1, column 5:
 * ...", "JSON nested deeper than 64 levels", "empty body").  Bodies that are
 * not JSON objects are returned as parsed: callers check.
 */
extern json_t *dws_parse_body(const char *body, size_t len,
							  char *errbuf, size_t errlen);

/* A number that is a whole number (up to 2^53), as an integer: 1, or 0. */
extern int	dws_json_whole(json_t *v, long long *out);

/*
 * The error fields of a body, borrowed from root: error_code, error_msg
 * (also "message"), request_id.  Non-string or absent -> NULL.  Accepts a
 * NULL or non-object root (all NULL).
 */
extern void dws_error_fields(json_t *root, const char **code,
							 const char **msg, const char **request_id);

/* True when root is an object with a string error_code (an error body). */
extern int	dws_is_error_body(json_t *root);

/*
 * root[key] when root is an object and the member has the type given;
 * borrowed, NULL otherwise.  The three calls' members: root
 * ["disaster_recovery"] as an object (detail call), as an array (list
 * call), root["disaster_recovery_progress"] as an object (progress call).
 */
extern json_t *dws_body_member(json_t *root, const char *key,
							   json_type type);

static inline json_t *
dws_detail_object(json_t *root)
{
	return dws_body_member(root, "disaster_recovery", JSON_OBJECT);
}

static inline json_t *
dws_list_array(json_t *root)
{
	return dws_body_member(root, "disaster_recovery", JSON_ARRAY);
}

static inline json_t *
dws_progress_object(json_t *root)
{
	return dws_body_member(root, "disaster_recovery_progress", JSON_OBJECT);
}

/*
 * A list item turned into the canonical shape: keys "primary_cluster_X"
 * become primary_cluster.X, "standby_cluster_X" standby_cluster.X, the rest
 * stay at the top.  The cluster objects exist only when at least one of
 * their fields is non-null.  New reference; NULL if item is not an object.
 */
extern json_t *dws_list_item_canonical(json_t *item);

/*
 * Copies into dst every key of src that dst lacks or holds null, recursing
 * into objects both have.  Used to add the list-only fields to a detail
 * record.  0 on success, -1 on out-of-memory.
 */
extern int	dws_merge_missing(json_t *dst, json_t *src);

/*
 * The value at a dotted path ("primary_cluster.progress") of root; NULL when
 * a step is missing or not an object.  Borrowed.
 */
extern json_t *dws_json_path(json_t *root, const char *path);

/*
 * (jsontext.c) Text of a JSON value as jansson holds it: a string as is,
 * a number as the shortest decimal that reads back as the same double
 * (0.1 -> "0.1"), true/false, objects and arrays as compact JSON.  NULL
 * for a JSON null or a NULL pointer (or out of memory).  Free with
 * dws_free().  Where the API's own text of a value is at hand, the FDW
 * uses that instead (jsonsource.c).
 */
extern char *dws_json_text(json_t *v);

/* Memory from jansson's current allocator (NULL when it fails). */
extern void *dws_alloc(size_t size);
extern char *dws_strndup(const char *s, size_t len);
extern void dws_free(void *p);

/*
 * (apitime.c) A DR sync period ("20m", "3H", "1d": 1 to 3000, units m, H, d) as a
 * PostgreSQL interval literal ("20 minutes", "3 hours", "1 day(s)").
 * Returns 0, or -1 when in is not a valid period.  outlen >= 32 suffices.
 */
extern int	dws_sync_period_interval(const char *in, char *out, size_t outlen);

#endif
