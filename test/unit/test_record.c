/*-------------------------------------------------------------------------
 * test_record.c
 *	  Unit tests of src/record.c: body parsing and its limits, error
 *	  bodies, canonical records, value text, times and sync periods; and
 *	  of src/list.c: list answers split into items.
 *
 * A counting allocator is installed in jansson before anything else so that
 * the tests also prove every allocation of record.c goes through jansson's
 * allocator and is released by dws_free()/json_decref().
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dwsbuf.h"
#include "list.h"
#include "record.h"
#include "tap.h"

/* The published ShowDisasterDetail example response, as given. */
static const char detail_example[] =
"{\n"
"  \"disaster_recovery\" : {\n"
"    \"id\" : \"b303b78d-438c-41dd-aaf6-c98eea1fc2a6\",\n"
"    \"name\" : \"dws-it-02\",\n"
"    \"status\" : \"running\",\n"
"    \"dr_type\" : \"region\",\n"
"    \"primary_cluster\" : {\n"
"      \"id\" : \"3de21046-e65e-4fcf-86bf-583115b39c27\",\n"
"      \"name\" : \"dws-203-primary\",\n"
"      \"cluster_az\" : \"cn-north-7c\",\n"
"      \"role\" : \"primary\",\n"
"      \"region\" : \"cn-north-7\",\n"
"      \"status\" : \"waiting\",\n"
"      \"progress\" : \"100\",\n"
"      \"last_success_time\" : \"2023-04-29T06:39:56\",\n"
"      \"obs_bucket_name\" : null\n"
"    },\n"
"    \"standby_cluster\" : {\n"
"      \"id\" : \"5d946c51-9ffa-49e3-9129-2bea4d23d3fd\",\n"
"      \"name\" : \"dws-205-standby\",\n"
"      \"cluster_az\" : null,\n"
"      \"role\" : \"standby\",\n"
"      \"region\" : \"cn-north-208\",\n"
"      \"status\" : \"waiting\",\n"
"      \"progress\" : \"100\",\n"
"      \"last_success_time\" : \"2023-04-29T06:39:56\",\n"
"      \"obs_bucket_name\" : null\n"
"    },\n"
"    \"dr_sync_period\" : \"3H\",\n"
"    \"start_time\" : \"2023-04-28T09:23:38\",\n"
"    \"create_time\" : \"2023-04-28T08:51:54\"\n"
"  }\n"
"}\n";

/* A list response with one flat item (fields per the SDK model). */
static const char list_example[] =
"{\"disaster_recovery\":[{"
"\"id\":\"b303b78d-438c-41dd-aaf6-c98eea1fc2a6\","
"\"status\":\"running\",\"name\":\"dws-it-02\",\"dr_type\":\"region\","
"\"primary_cluster_id\":\"3de21046-e65e-4fcf-86bf-583115b39c27\","
"\"primary_cluster_name\":\"dws-203-primary\","
"\"standby_cluster_id\":null,\"standby_cluster_name\":null,"
"\"primary_cluster_role\":\"primary\",\"standby_cluster_role\":null,"
"\"primary_cluster_status\":\"waiting\",\"standby_cluster_status\":null,"
"\"primary_cluster_region\":\"cn-north-7\",\"standby_cluster_region\":null,"
"\"primary_cluster_project_id\":\"0536cdee2200d5912f7cc00b877980f1\","
"\"standby_cluster_project_id\":null,"
"\"last_disaster_time\":\"2023-04-28T10:00:00\","
"\"start_time\":\"2023-04-28T09:23:38\","
"\"create_time\":\"2023-04-28T08:51:54\","
"\"unknown_new_field\":{\"x\":[1,2]}}]}";

/* Counting allocator: live blocks = allocations - frees. */
static long live_blocks = 0;

static void *
count_malloc(size_t size)
{
	void	   *p = malloc(size);

	if (p != NULL)
		live_blocks++;
	return p;
}

static void
count_free(void *p)
{
	if (p != NULL)
		live_blocks--;
	free(p);
}

/* Parses a NUL-terminated body. */
static json_t *
parse(const char *body, char *err, size_t errlen)
{
	return dws_parse_body(body, strlen(body), err, errlen);
}

/* Checks the text of the value at path, releasing it. */
static void
check_path_text(json_t *root, const char *path, const char *want,
				const char *desc)
{
	char	   *got = dws_json_text(dws_json_path(root, path));

	tap_str(got, want, desc);
	dws_free(got);
}

/* Parses body and checks the text of its root value. */
static void
check_text(const char *body, const char *want, const char *desc)
{
	json_t	   *v = parse(body, NULL, 0);
	char	   *got = dws_json_text(v);

	tap_str(got, want, desc);
	dws_free(got);
	json_decref(v);
}

/* Checks that body is rejected and that the reason contains needle. */
static void
check_rejected(const char *body, size_t len, const char *needle,
			   const char *desc)
{
	char		err[256] = "";
	json_t	   *v = dws_parse_body(body, len, err, sizeof(err));

	if (!tap_ok(v == NULL && strstr(err, needle) != NULL, "%s", desc))
		printf("#   error: \"%s\"\n", err);
	json_decref(v);
}

/* Builds n nested arrays around 1, e.g. n = 2 -> "[[1]]"; caller frees. */
static char *
nested_arrays(int n)
{
	char	   *s = malloc((size_t) n * 2 + 2);
	int			i;

	for (i = 0; i < n; i++)
		s[i] = '[';
	s[n] = '1';
	for (i = 0; i < n; i++)
		s[n + 1 + i] = ']';
	s[2 * n + 1] = '\0';
	return s;
}

/* Checks dws_sync_period_interval; want NULL means it must fail. */
static void
check_period(const char *in, const char *want)
{
	char		out[32];
	int			rc;

	strcpy(out, "untouched");
	rc = dws_sync_period_interval(in, out, sizeof(out));
	if (want == NULL)
		tap_ok(rc == -1 && strcmp(out, "untouched") == 0,
			   "sync period \"%s\" rejected", in);
	else
	{
		char		desc[128];

		snprintf(desc, sizeof(desc), "sync period \"%s\" -> \"%s\"", in, want);
		tap_str(rc == 0 ? out : NULL, want, desc);
	}
}

static void
test_detail(void)
{
	char		err[256] = "";
	json_t	   *root = parse(detail_example, err, sizeof(err));
	json_t	   *rec;
	json_t	   *v;

	if (!tap_ok(root != NULL, "published detail example parses"))
	{
		printf("#   error: \"%s\"\n", err);
		return;
	}
	tap_ok(!dws_is_error_body(root), "detail example is not an error body");
	rec = dws_detail_object(root);
	tap_ok(json_is_object(rec), "detail object found");
	tap_ok(dws_list_array(root) == NULL, "detail body has no list array");
	tap_ok(dws_progress_object(root) == NULL, "detail body has no progress object");

	check_path_text(rec, "id", "b303b78d-438c-41dd-aaf6-c98eea1fc2a6", "id");
	check_path_text(rec, "dr_sync_period", "3H", "dr_sync_period");
	check_path_text(rec, "primary_cluster.progress", "100",
					"primary_cluster.progress");
	check_path_text(rec, "primary_cluster.cluster_az", "cn-north-7c",
					"primary_cluster.cluster_az");
	check_path_text(rec, "standby_cluster.region", "cn-north-208",
					"standby_cluster.region");
	check_path_text(root, "disaster_recovery.standby_cluster.name",
					"dws-205-standby", "three-step path from the root");

	v = dws_json_path(rec, "standby_cluster.cluster_az");
	tap_ok(v != NULL && json_is_null(v), "null field found as a JSON null");
	tap_ok(dws_json_text(v) == NULL, "text of a JSON null is NULL");
	v = dws_json_path(rec, "primary_cluster.obs_bucket_name");
	tap_ok(json_is_null(v), "primary obs_bucket_name is null");

	tap_ok(dws_json_path(rec, "primary_cluster.disk_used") == NULL,
		   "missing field -> NULL");
	tap_ok(dws_json_path(rec, "nope.id") == NULL, "missing step -> NULL");
	tap_ok(dws_json_path(rec, "id.x") == NULL, "step through a string -> NULL");
	tap_ok(dws_json_path(rec, "standby_cluster.cluster_az.x") == NULL,
		   "step through a null -> NULL");
	tap_ok(dws_json_path(NULL, "id") == NULL, "NULL root -> NULL");
	tap_ok(dws_json_path(rec, "primary_cluster") ==
		   json_object_get(rec, "primary_cluster"),
		   "one-step path returns the borrowed member");

	json_decref(root);
}

static void
test_progress(void)
{
	json_t	   *root = parse("{\"disaster_recovery_progress\":{"
							 "\"primary_cluster\":{\"key\":\"20230327_201637\","
							 "\"action_type\":\"Backup\"},"
							 "\"recovery_point_object\":42}}", NULL, 0);

	tap_ok(dws_progress_object(root) != NULL, "progress object found");
	tap_ok(dws_detail_object(root) == NULL, "progress body has no detail object");
	check_path_text(dws_progress_object(root), "recovery_point_object", "42",
					"progress integer as text");
	json_decref(root);
}

/* Compact text of containers reads back as an equal value. */
static void
test_text_roundtrip(void)
{
	static const char *const bodies[] = {
		"{\"a\":[1,-2,3.25,1e-300,true,false,null,\"x\\u0000y\"],\"b\":{}}",
		"[[[],[{}]],{\"\":\"\"},\"\\u001f\\u007f\"]",
		"{\"disaster_recovery\":{\"id\":\"a\",\"n\":123456789012345678}}",
	};
	int			i;

	for (i = 0; i < 3; i++)
	{
		json_error_t jerr;
		json_t	   *a = json_loads(bodies[i], JSON_ALLOW_NUL, &jerr);
		char	   *txt = dws_json_text(a);
		json_t	   *b = txt ? json_loads(txt, JSON_ALLOW_NUL, &jerr) : NULL;

		tap_ok(a != NULL && b != NULL && json_equal(a, b),
			   "compact text round-trips (%d)", i + 1);
		dws_free(txt);
		json_decref(a);
		json_decref(b);
	}
}

/* A tree deeper than any parsed body is still rendered in full. */
static void
test_text_deep(void)
{
	json_t	   *root = json_array();
	json_t	   *cur = root;
	char	   *txt;
	int			i;

	for (i = 0; i < 299; i++)
	{
		json_t	   *next = json_array();

		json_array_append_new(cur, next);
		cur = next;
	}
	json_array_append_new(cur, json_real(0.5));
	txt = dws_json_text(root);
	tap_ok(txt != NULL && strlen(txt) == 300 * 2 + 3 &&
		   strncmp(txt + 300, "0.5", 3) == 0,
		   "300-deep built tree rendered in full");
	dws_free(txt);
	json_decref(root);
}

static void
test_text(void)
{
	json_t	   *v;
	char	   *s;

	check_text("\"plain\"", "plain", "string as is");
	check_text("\"caf\\u00e9 \\\"q\\\"\"", "caf\xc3\xa9 \"q\"",
			   "string escapes decoded");
	check_text("42", "42", "integer");
	check_text("-7", "-7", "negative integer");
	check_text("9007199254740993", "9.007199254740992e+15",
			   "an integer is a double: beyond its precision, rounded");
	check_text("0.1", "0.1", "real 0.1 shortest");
	check_text("1.5", "1.5", "real 1.5");
	check_text("100.0", "100", "real 100.0");
	check_text("0.30000000000000004", "0.30000000000000004",
			   "real needing 17 digits");
	check_text("1e300", "1e+300", "large real");
	check_text("-2.5e-7", "-2.5e-07", "small negative real");
	check_text("5e-324", "5e-324",
			   "the smallest double as its shortest decimal, not 15 digits");
	check_text("1.7976931348623157e308", "1.7976931348623157e+308",
			   "the largest double");
	check_text("true", "true", "true");
	check_text("false", "false", "false");
	check_text("{\"a\": 1, \"b\": [1, 2.5, null], \"c\": {\"d\": \"e\"}}",
			   "{\"a\":1,\"b\":[1,2.5,null],\"c\":{\"d\":\"e\"}}",
			   "object as compact JSON, order kept");
	check_text("[ ]", "[]", "empty array");
	check_text("{}", "{}", "empty object");
	check_text("[0.1, 100.0, 1e300, -0.0, 2.5e-7, 0.30000000000000004]",
			   "[0.1,100,1e+300,-0,2.5e-07,0.30000000000000004]",
			   "nested reals shortest");
	check_text("{\"k\\\"\\\\\\n\":\"a\\\"b\\\\c\\/d\\u0001\\t\\r\\b\\f\\u00e9\\ud83d\\ude00\"}",
			   "{\"k\\\"\\\\\\n\":\"a\\\"b\\\\c/d\\u0001\\t\\r\\b\\f\xc3\xa9\xf0\x9f\x98\x80\"}",
			   "strings and keys escaped as JSON needs, UTF-8 kept");
	test_text_roundtrip();
	test_text_deep();
	check_text("null", NULL, "null -> NULL");
	tap_ok(dws_json_text(NULL) == NULL, "NULL pointer -> NULL");

	v = json_real(0.1 + 0.2);
	s = dws_json_text(v);
	tap_ok(s != NULL && strtod(s, NULL) == 0.1 + 0.2, "real round-trips");
	dws_free(s);
	json_decref(v);
	dws_free(NULL);
	tap_ok(1, "dws_free(NULL) is harmless");
}

static void
test_errors(void)
{
	const char *code;
	const char *msg;
	const char *rid;
	json_t	   *root;

	root = parse("{\"error_code\":\"APIGW.0301\",\"error_msg\":\"Incorrect IAM "
				 "authentication information: verify aksk signature fail\","
				 "\"request_id\":\"4c1d1d4e9a8b5f0a1c2e3d4f5a6b7c8d\"}", NULL, 0);
	tap_ok(dws_is_error_body(root), "APIGW.0301 body is an error body");
	dws_error_fields(root, &code, &msg, &rid);
	tap_str(code, "APIGW.0301", "error_code");
	tap_str(msg, "Incorrect IAM authentication information: verify aksk "
			"signature fail", "error_msg");
	tap_str(rid, "4c1d1d4e9a8b5f0a1c2e3d4f5a6b7c8d", "request_id");
	json_decref(root);

	root = parse("{\"error_code\":\"DWS.10101\",\"message\":\"not found\"}",
				 NULL, 0);
	tap_ok(dws_is_error_body(root), "DWS.10101 body is an error body");
	dws_error_fields(root, &code, &msg, &rid);
	tap_str(code, "DWS.10101", "DWS error_code");
	tap_str(msg, "not found", "\"message\" used when error_msg absent");
	tap_ok(rid == NULL, "absent request_id -> NULL");
	json_decref(root);

	root = parse("{\"error_code\":401,\"error_msg\":[\"x\"]}", NULL, 0);
	tap_ok(!dws_is_error_body(root), "numeric error_code is not an error body");
	dws_error_fields(root, &code, &msg, &rid);
	tap_ok(code == NULL && msg == NULL && rid == NULL,
		   "non-string error fields -> NULL");
	json_decref(root);

	root = parse("{\"error_code\":\"DWS.9999\",\"error_msg\":\"x\","
				 "\"disaster_recovery\":{\"id\":\"a\"}}", NULL, 0);
	tap_ok(dws_is_error_body(root) && dws_detail_object(root) != NULL,
		   "error_code beside a record: both visible to the caller");
	json_decref(root);

	root = parse("\"just a string\"", NULL, 0);
	tap_ok(json_is_string(root), "bare string root parses");
	tap_ok(!dws_is_error_body(root), "bare string is not an error body");
	tap_ok(dws_detail_object(root) == NULL && dws_list_array(root) == NULL,
		   "bare string has no record");
	dws_error_fields(root, &code, &msg, &rid);
	tap_ok(code == NULL && msg == NULL && rid == NULL,
		   "non-object root: error fields NULL");
	json_decref(root);

	dws_error_fields(NULL, &code, &msg, &rid);
	tap_ok(code == NULL && msg == NULL && rid == NULL,
		   "NULL root: error fields NULL");
	tap_ok(!dws_is_error_body(NULL), "NULL root is not an error body");
}

static void
test_invalid(void)
{
	char	   *s;
	char		err[256];
	json_t	   *v;
	size_t		half = strlen(detail_example) / 2;
	static const char strbrackets[] =
		"{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[[[\\\"[[[{{{{\",\"b\":[1]}";

	check_rejected("", 0, "empty body", "empty body rejected");
	check_rejected(" \r\n\t ", 5, "empty body", "whitespace-only body rejected");
	check_rejected(NULL, 0, "empty body", "NULL body rejected");
	check_rejected("{", 1, "invalid JSON at line 1", "lone '{' rejected");
	check_rejected(detail_example, half, "invalid JSON",
				   "truncated detail example rejected");
	check_rejected("<html><body>502 Bad Gateway</body></html>", 41,
				   "invalid JSON", "HTML body rejected");
	check_rejected("{\"a\":1} x", 9, "invalid JSON", "trailing garbage rejected");
	check_rejected("{\"a\":\"\\u0000\"}", 14, "invalid JSON",
				   "\\u0000 in a string rejected");
	check_rejected("{\"a\":1", 6, "invalid JSON", "unterminated object");

	/* the length is honoured: a valid prefix of a longer buffer */
	v = dws_parse_body("{\"a\":1}garbage", 7, NULL, 0);
	tap_ok(json_is_object(v), "len bounds the body");
	json_decref(v);

	s = nested_arrays(100);
	check_rejected(s, strlen(s), "JSON nested deeper than 64 levels",
				   "100 nested arrays rejected");
	free(s);
	s = nested_arrays(100000);
	check_rejected(s, strlen(s), "deeper than", "100000 nested arrays rejected");
	free(s);
	s = nested_arrays(65);
	check_rejected(s, strlen(s), "deeper than", "65 nested arrays rejected");
	free(s);

	s = nested_arrays(64);
	v = dws_parse_body(s, strlen(s), err, sizeof(err));
	tap_ok(json_is_array(v), "64 nested arrays accepted");
	json_decref(v);
	free(s);

	s = nested_arrays(10);
	v = dws_parse_body(s, strlen(s), err, sizeof(err));
	tap_ok(json_is_array(v), "10 nested arrays accepted");
	json_decref(v);
	free(s);

	v = parse(strbrackets, err, sizeof(err));
	tap_ok(json_is_object(v), "brackets and escaped quotes inside strings "
		   "do not count as nesting");
	json_decref(v);

	/* "\\" is an escaped backslash: the string ends at the next quote */
	s = nested_arrays(70);
	snprintf(err, sizeof(err), "{\"a\":\"\\\\\",\"b\":%s}", s);
	free(s);
	check_rejected(err, strlen(err), "deeper than",
				   "escaped backslash ends the string: nesting after it counts");

	v = parse("{\"a\":1,\"a\":2}", err, sizeof(err));
	tap_ok(json_number_value(json_object_get(v, "a")) == 2,
		   "duplicate keys allowed, last wins");
	json_decref(v);
}

static void
test_list_and_merge(void)
{
	json_t	   *list_root = parse(list_example, NULL, 0);
	json_t	   *detail_root = parse(detail_example, NULL, 0);
	json_t	   *arr = dws_list_array(list_root);
	json_t	   *item;
	json_t	   *canon;
	json_t	   *rec;
	json_t	   *flat;
	char	   *txt;

	tap_ok(json_is_array(arr) && json_array_size(arr) == 1, "list array found");
	tap_ok(dws_detail_object(list_root) == NULL, "list body has no detail object");
	item = json_array_get(arr, 0);

	canon = dws_list_item_canonical(item);
	tap_ok(json_is_object(canon), "list item canonicalised");
	check_path_text(canon, "primary_cluster.id",
					"3de21046-e65e-4fcf-86bf-583115b39c27", "primary_cluster.id");
	check_path_text(canon, "primary_cluster.project_id",
					"0536cdee2200d5912f7cc00b877980f1",
					"primary_cluster.project_id");
	check_path_text(canon, "primary_cluster.role", "primary",
					"primary_cluster.role");
	check_path_text(canon, "last_disaster_time", "2023-04-28T10:00:00",
					"last_disaster_time stays at the top");
	check_path_text(canon, "unknown_new_field", "{\"x\":[1,2]}",
					"unknown keys copied at the top");
	tap_ok(json_object_get(canon, "primary_cluster_id") == NULL,
		   "flat primary_cluster_id removed from the top");
	tap_ok(json_object_get(canon, "standby_cluster") == NULL,
		   "all-null standby fields: no standby_cluster object");
	tap_ok(json_object_get(canon, "standby_cluster_id") == NULL,
		   "flat standby_cluster_id removed from the top");
	tap_ok(json_object_size(canon) == 9, "top level has 9 keys (got %zu)",
		   json_object_size(canon));
	tap_ok(json_object_size(json_object_get(canon, "primary_cluster")) == 6,
		   "primary_cluster has 6 fields");
	flat = json_string("x");
	tap_ok(dws_list_item_canonical(flat) == NULL, "non-object item -> NULL");
	json_decref(flat);
	tap_ok(dws_list_item_canonical(NULL) == NULL, "NULL item -> NULL");

	/* a standby cluster with a single non-null field appears */
	flat = parse("{\"id\":\"t\",\"standby_cluster_id\":null,"
				 "\"standby_cluster_status\":\"abnormal\",\"primary_cluster_\":1}",
				 NULL, 0);
	rec = dws_list_item_canonical(flat);
	txt = dws_json_text(rec);
	tap_str(txt, "{\"id\":\"t\",\"primary_cluster_\":1,\"standby_cluster\":"
			"{\"id\":null,\"status\":\"abnormal\"}}",
			"one non-null field makes the cluster object; bare prefix stays");
	dws_free(txt);
	json_decref(rec);
	json_decref(flat);

	/* merge the list-only fields into the detail record */
	rec = dws_detail_object(detail_root);
	json_object_set_new(rec, "name", json_null());
	tap_ok(dws_merge_missing(rec, canon) == 0, "merge succeeds");
	check_path_text(rec, "last_disaster_time", "2023-04-28T10:00:00",
					"merge adds last_disaster_time");
	check_path_text(rec, "primary_cluster.project_id",
					"0536cdee2200d5912f7cc00b877980f1",
					"merge recurses into primary_cluster");
	check_path_text(rec, "primary_cluster.cluster_az", "cn-north-7c",
					"merge keeps existing values");
	check_path_text(rec, "status", "running", "merge does not overwrite");
	check_path_text(rec, "name", "dws-it-02", "merge replaces a null");
	check_path_text(rec, "dr_sync_period", "3H", "detail-only field kept");
	tap_ok(json_is_null(dws_json_path(rec, "standby_cluster.cluster_az")),
		   "null kept when src lacks the key");
	tap_ok(json_object_get(rec, "unknown_new_field") !=
		   json_object_get(canon, "unknown_new_field"),
		   "merged containers are copies, not shared");
	tap_ok(dws_merge_missing(rec, NULL) == 0 && dws_merge_missing(NULL, canon) == 0,
		   "merge with a NULL side is a no-op");
	tap_ok(dws_merge_missing(rec, rec) == 0, "merge into itself is a no-op");

	json_decref(canon);
	json_decref(list_root);
	json_decref(detail_root);

	/* null in dst stays null when src is null too; absent keys get null */
	rec = parse("{\"a\":null}", NULL, 0);
	flat = parse("{\"a\":null,\"b\":null,\"c\":{\"d\":1}}", NULL, 0);
	dws_merge_missing(rec, flat);
	txt = dws_json_text(rec);
	tap_str(txt, "{\"a\":null,\"b\":null,\"c\":{\"d\":1}}",
			"merge copies absent keys, nulls included");
	dws_free(txt);
	json_decref(rec);
	json_decref(flat);
}

/*
 * Numbers are read as doubles (DWS_JSON_FLAGS): an integer beyond 64 bits
 * no longer makes jansson refuse the body, a real beyond a double still
 * does, and the text of a number as jansson holds it is the shortest
 * decimal of its double (the API's digits are the PostgreSQL side's, read
 * from the bytes: jsonsource.c).
 */
static void
test_big_numbers(void)
{
	const char *body = "{\"disaster_recovery\": {\"id\": \"x\", "
		"\"disk_used\": 18446744073709551616, \"n\": 5, "
		"\"r\": [87.50, 1e2, 0.5], \"s\": \"18446744073709551616\"}}";
	const char *huge = "{\"a\": 1, \"r\": 1e400}";
	char		err[200];
	json_t	   *root;
	char	   *txt;

	err[0] = '\0';
	root = dws_parse_body(body, strlen(body), err, sizeof(err));
	tap_ok(root != NULL, "an integer beyond 64 bits does not refuse the body (%s)", err);
	tap_ok(json_is_real(dws_json_path(root, "disaster_recovery.n")),
		   "integers are read as reals");
	check_path_text(root, "disaster_recovery.disk_used",
					"1.8446744073709552e+19", "2^64 as jansson holds it");
	check_path_text(root, "disaster_recovery.n", "5", "5 as 5");
	check_path_text(root, "disaster_recovery.s", "18446744073709551616",
					"a string of digits as itself");
	txt = dws_json_text(dws_detail_object(root));
	tap_str(txt, "{\"id\":\"x\",\"disk_used\":1.8446744073709552e+19,"
			"\"n\":5,\"r\":[87.5,100,0.5],\"s\":\"18446744073709551616\"}",
			"the writer prints each double's shortest decimal");
	dws_free(txt);
	json_decref(root);

	root = dws_parse_body(huge, strlen(huge), err, sizeof(err));
	tap_ok(root == NULL && strstr(err, "real number overflow") != NULL,
		   "a real beyond a double is refused (%s)", err);
}

static void
test_periods(void)
{
	char		small[4];

	check_period("20m", "20 minutes");
	check_period("3H", "3 hours");
	check_period("1d", "1 days");
	check_period("3000d", "3000 days");
	check_period("1m", "1 minutes");
	check_period("3000m", "3000 minutes");
	check_period("020m", "20 minutes");

	check_period("0m", NULL);
	check_period("3001m", NULL);
	check_period("99999999999999999999m", NULL);
	check_period("3h", NULL);
	check_period("3M", NULL);
	check_period("3D", NULL);
	check_period("-1m", NULL);
	check_period("+1m", NULL);
	check_period("", NULL);
	check_period("m", NULL);
	check_period("3", NULL);
	check_period("3 H", NULL);
	check_period(" 3H", NULL);
	check_period("3H ", NULL);
	check_period("3Hx", NULL);
	check_period("3HH", NULL);
	check_period("1.5H", NULL);

	tap_ok(dws_sync_period_interval(NULL, small, sizeof(small)) == -1,
		   "NULL period rejected");
	tap_ok(dws_sync_period_interval("20m", small, sizeof(small)) == -1,
		   "output buffer too small -> -1");
}

/*
 * Each item's byte range, collected from dws_list_walk as the FDW collects
 * them (fetch.c), in a DwsBuf: the item count, with *ranges from jansson's
 * allocator (dws_free it; NULL when there are none), or -1 with *ranges
 * NULL.
 */
static int
keep_range(void *arg, size_t index, json_t *item, size_t off, size_t len)
{
	DwsBuf	   *buf = (DwsBuf *) arg;
	DwsRange	r;

	(void) item;
	r.off = off;
	r.len = len;
	buf->len = index * sizeof(DwsRange);	/* a repeated key starts again */
	dws_buf_append(buf, (const char *) &r, sizeof(r));
	return buf->oom ? -1 : 0;
}

static long
list_ranges(const char *body, size_t len, DwsRange **ranges)
{
	json_malloc_t m;
	json_free_t f;
	DwsBuf		buf;
	long		n;
	char	   *data;

	json_get_alloc_funcs(&m, &f);
	dws_buf_init(&buf, m, f);
	n = dws_list_walk(body, len, keep_range, &buf);
	data = dws_buf_finish(&buf);
	*ranges = NULL;
	if (n <= 0 || data == NULL)
	{
		dws_free(data);
		return n <= 0 ? n : -1;
	}
	*ranges = (DwsRange *) data;	/* the allocator's alignment suffices */
	return n;
}

/* One range check: the item's bytes as given, compared as text. */
static void
check_item(const char *body, DwsRange *r, const char *want, const char *what)
{
	tap_ok(r->len == strlen(want) && memcmp(body + r->off, want, r->len) == 0,
		   "%s: item is %s", what, want);
}

/* Splitting a list answer into items without a tree. */
static void
test_list_ranges(void)
{
	DwsRange   *r = NULL;
	const char *b;
	long		n;

	b = "{\"disaster_recovery\": [{\"id\": \"a\"}, {\"id\": \"b]}\\\"\"} ,\n {\"x\":[1,{\"y\":2}]}]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 3, "three items found (%ld)", n);
	if (n == 3)
	{
		check_item(b, &r[0], "{\"id\": \"a\"}", "first");
		check_item(b, &r[1], "{\"id\": \"b]}\\\"\"}", "string with ] } and an escaped quote");
		check_item(b, &r[2], "{\"x\":[1,{\"y\":2}]}", "nested");
	}
	dws_free(r);

	b = " {\"count\": 2, \"disaster_recovery\": [] } ";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 0 && r == NULL, "empty array: no items");

	b = "{\"disaster_recovery\": [1], \"disaster_recovery\": [{\"id\":\"z\"}, 2]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 2, "repeated array key: the last one counts, as in a whole parse (%ld)", n);
	if (n == 2)
		check_item(b, &r[0], "{\"id\":\"z\"}", "repeated key");
	dws_free(r);

	b = "{\"disaster_recovery\": [1], \"disaster_recovery\": null}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1 && r == NULL,
		   "repeated key ending on null: no array");
	b = "{\"error_code\": \"DWS.9999\", \"error_msg\": \"x\"}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "error body: -1");
	b = "[{\"id\": \"a\"}]";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "bare array: -1");
	b = "{\"disaster_recovery\": [{\"id\": \"a\"}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1 && r == NULL,
		   "truncated body: -1, nothing to free");
	b = "{\"disaster_recovery\": [{\"id\": \"a\"}]} x";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "trailing garbage: -1");
	b = "{\"disaster_recovery\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "nesting past the limit: -1");
	b = "{\"disaster_recovery\": [\"unterminated]}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "unterminated string: -1");
	/* findings of fuzz_record: each must end in -1, never loop or guess */
	{
		static const char nul_in_array[] = "{\"\":[\0";
		static const char nul_in_item[] = "{\"disaster_recovery\":[[\0]]}";

		tap_ok(list_ranges(nul_in_array, sizeof(nul_in_array) - 1, &r) == -1,
			   "NUL byte in a member's array: -1 (no endless loop)");
		tap_ok(list_ranges(nul_in_item, sizeof(nul_in_item) - 1, &r) == -1,
			   "NUL byte in an item: -1 (no endless loop)");
	}
	b = "{\"disaster_recovery\":[1],\"disaster\\u005frecovery\":[2, 3]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 2, "an escaped key spelling the array's is the array's (the last) (%ld)", n);
	dws_free(r);
	b = "{\"disaster_recover\\u0079\": [{\"id\": \"e\"}]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 1, "a \\u-escaped top-level key is read (%ld)", n);
	if (n == 1)
		check_item(b, &r[0], "{\"id\": \"e\"}", "escaped key");
	dws_free(r);
	b = "{\"disaster_recovery\":[],\"\":x}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "bare token x: -1");
	b = "{\"disaster_recovery\":[{\"id\":\"a\"}],\"next\":nul}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "bare token nul: -1");
	b = "{\"disaster_recovery\":[],\"k\\u0001\":1,\"a\x01\":1}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "raw control byte in a key: -1");
	b = "{\"disaster_recovery\": [true, false, null, -1.5e+3], \"n\": 0}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 4, "bare tokens true, false, null and numbers pass (%ld)", n);
	dws_free(r);
	b = "{\"disaster_recovery\":[1],\"disaste00u\\r5frecovery\":[2]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 1, "a key with other escapes is just another key (%ld)", n);
	dws_free(r);
	b = "{\"disaster_recovery\": [], \"n\": 1-2}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "not a number (1-2): -1");
	b = "{\"disaster_recovery\": [{\"id\": \"a\"}], \"do\xf4" "ery\": 1}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1,
		   "invalid UTF-8 in a key outside the items: -1 (jansson checks the rest)");
	b = "{\"disaster_recovery\": [], \"n\": 01}";
	tap_ok(list_ranges(b, strlen(b), &r) == -1, "leading zero (01): -1");
	b = "{\"disaster_recovery\": [12, 3]}";
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 2 && r[0].len == 2, "scalar items whole (%ld)", n);
	dws_free(r);
}

/*
 * The split agrees with a parse of the whole body: a list exactly when the
 * whole parse finds the array, and then the same items, in order.
 */
static void
test_list_agrees(void)
{
	const char *bodies[] = {
		"{\"a\": {\"b\": [1, \"x]\"]}, \"disaster_recovery\": [{\"id\": \"a\"}, 12345, \"s\\\"t\", {\"id\": \"b\", \"n\": null}], \"z\": true}",
		"  {\"disaster_recovery\":[]}  ",
		"{\"disaster_recovery\": [[1,[2,[3]]], {}, -1.5e3]}",
		"{\"\\u0064isaster_recovery\": [{\"id\": \"\\u00e9\"}], \"k\": \"\\ud83d\\ude00\"}",
		"{\"disaster_recovery\": [1], \"x\": 2, \"disaster_recovery\": [3, 4]}",
		"{\"disaster_recovery\": [1], \"disaster_recovery\": {}}",
		"{\"disaster_recovery\": {}, \"disaster_recovery\": [5]}",
		"{\"disaster_recovery\": [1]",
		"{\"disaster_recovery\": [1]} {}",
		"{\"disaster_recovery\": [1,]}",
		"{\"disaster_recovery\" [1]}",
		"<html>502</html>",
		"[1, 2]",
		"",
		"{}",
	};
	int			i;

	for (i = 0; i < (int) (sizeof(bodies) / sizeof(bodies[0])); i++)
	{
		const char *b = bodies[i];
		json_t	   *whole = json_loadb(b, strlen(b), JSON_DECODE_ANY, NULL);
		json_t	   *arr = dws_list_array(whole);
		DwsRange   *r = NULL;
		long		n = list_ranges(b, strlen(b), &r);
		int			same = arr ? n == (long) json_array_size(arr) : n == -1;
		long		k;

		for (k = 0; same && arr && k < n; k++)
		{
			json_t	   *item = json_loadb(b + r[k].off, r[k].len,
										  JSON_DECODE_ANY, NULL);

			same = item && json_equal(item, json_array_get(arr, (size_t) k));
			json_decref(item);
		}
		tap_ok(same, "body %d: the split and a whole parse agree (%ld items)", i, n);
		dws_free(r);
		json_decref(whole);
	}
}

/* Walk callback: keeps item 1 (a new reference). */
static int
keep_second(void *arg, size_t index, json_t *item, size_t off, size_t len)
{
	json_t	  **kept = (json_t **) arg;

	(void) off;
	(void) len;
	if (index == 1)
	{
		json_decref(*kept);
		*kept = json_incref(item);
	}
	return 0;
}

/* Walk callback that stops at the second item. */
static int
stop_second(void *arg, size_t index, json_t *item, size_t off, size_t len)
{
	(void) arg;
	(void) item;
	(void) off;
	(void) len;
	return index == 1 ? -1 : 0;
}

/* dws_list_walk: items handed over as read; repeated keys; stopping. */
static void
test_list_walk(void)
{
	const char *b;
	json_t	   *kept = NULL;
	DwsRange   *r = (DwsRange *) 1;
	long		n;

	b = "{\"disaster_recovery\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}";
	n = dws_list_walk(b, strlen(b), keep_second, &kept);
	tap_ok(n == 2 && kept &&
		   strcmp(json_string_value(json_object_get(kept, "id")), "b") == 0,
		   "walk: two items, the second kept as a tree (%ld)", n);
	json_decref(kept);
	kept = NULL;
	tap_ok(dws_list_walk(b, strlen(b), stop_second, NULL) == -1,
		   "walk: a callback that stops makes the walk fail");
	b = "{\"disaster_recovery\": [1, 2, 3], \"disaster_recovery\": []}";
	n = dws_list_walk(b, strlen(b), keep_second, &kept);
	tap_ok(n == 0, "walk: a repeated key ending on an empty array counts 0 (%ld)", n);
	json_decref(kept);
	n = list_ranges(b, strlen(b), &r);
	tap_ok(n == 0 && r == NULL, "ranges: the same, nothing to free (%ld)", n);

	/* numbers read as dws_parse_body reads them */
	b = "{\"disaster_recovery\": [{\"id\": \"a\"}, "
		"{\"id\": \"b\", \"disk_used\": 18446744073709551616}], \"n\": 18446744073709551616}";
	kept = NULL;
	n = dws_list_walk(b, strlen(b), keep_second, &kept);
	tap_ok(n == 2 && json_is_real(json_object_get(kept, "disk_used")),
		   "walk: an item's 2^64 is read, as a real (%ld)", n);
	json_decref(kept);
	kept = NULL;
	b = "{\"disaster_recovery\": [{\"id\": \"a\", \"r\": 1e400}]}";
	tap_ok(dws_list_walk(b, strlen(b), keep_second, &kept) == -1 &&
		   dws_parse_body(b, strlen(b), NULL, 0) == NULL,
		   "walk: a real beyond a double is refused, as by a whole parse");
}

/*
 * CPU seconds of this process, for the timings printed below (CPU time, so
 * that a busy machine does not blur them).
 */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A list holding one huge item among small ones, and a detail answer of
 * the same size, are read whole.  Times are printed (a diagnostic, not an
 * assertion): they grow linearly with the size.
 */
static void
test_list_large(void)
{
	static const int sizes_mb[] = {6, 12, 24};
	int			i;

	for (i = 0; i < 3; i++)
	{
		size_t		big = (size_t) sizes_mb[i] << 20;
		const char *head = "{\"count\": 3, \"disaster_recovery\": [{\"id\": \"s1\"}, {\"id\": \"big\", \"name\": \"";
		const char *tail = "\"}, {\"id\": \"s2\"}]}";
		size_t		hl = strlen(head),
					tl = strlen(tail);
		char	   *body = malloc(hl + big + tl);
		DwsRange   *r = NULL;
		long		n;
		json_t	   *item = NULL;
		json_t	   *kept = NULL;
		double		t0,
					t_list,
					t_walk,
					t_detail;
		json_t	   *root;
		const char *dhead = "{\"disaster_recovery\": {\"id\": \"big\", \"name\": \"";
		size_t		dhl = strlen(dhead);
		char	   *dbody = malloc(dhl + big + 3);

		if (body == NULL || dbody == NULL)
		{
			tap_ok(0, "%d MB: memory for the test", sizes_mb[i]);
			free(body);
			free(dbody);
			continue;
		}
		memcpy(body, head, hl);
		memset(body + hl, 'x', big);
		memcpy(body + hl + big, tail, tl);

		t0 = now_s();
		n = list_ranges(body, hl + big + tl, &r);
		if (n == 3)
			item = dws_parse_body(body + r[1].off, r[1].len, NULL, 0);
		t_list = now_s() - t0;
		tap_ok(n == 3 && item &&
			   json_string_length(json_object_get(item, "name")) == big &&
			   strcmp(json_string_value(json_object_get(item, "id")), "big") == 0,
			   "list with a %d MB item: three items, the big one whole", sizes_mb[i]);
		json_decref(item);
		dws_free(r);

		/* the FDW's way with a large item: read once, kept as a tree */
		t0 = now_s();
		n = dws_list_walk(body, hl + big + tl, keep_second, &kept);
		t_walk = now_s() - t0;
		tap_ok(n == 3 && json_string_length(json_object_get(kept, "name")) == big,
			   "walk with a %d MB item: the big one kept whole", sizes_mb[i]);
		json_decref(kept);

		memcpy(dbody, dhead, dhl);
		memset(dbody + dhl, 'x', big);
		memcpy(dbody + dhl + big, "\"}}", 3);
		t0 = now_s();
		root = dws_parse_body(dbody, dhl + big + 3, NULL, 0);
		t_detail = now_s() - t0;
		tap_ok(json_string_length(json_object_get(dws_detail_object(root), "name")) == big,
			   "detail answer of %d MB read", sizes_mb[i]);
		json_decref(root);
		printf("# %d MB item: list walk (item kept) %.3f, split + item parse %.3f, detail parse %.3f CPU s\n",
			   sizes_mb[i], t_walk, t_list, t_detail);
		free(body);
		free(dbody);
	}
}

int
main(void)
{
	json_set_alloc_funcs(count_malloc, count_free);

	test_detail();
	test_progress();
	test_text();
	test_errors();
	test_invalid();
	test_list_and_merge();
	test_list_ranges();
	test_list_agrees();
	test_list_walk();
	test_list_large();
	test_big_numbers();
	test_periods();

	tap_ok(live_blocks == 0,
		   "every jansson-allocated block released (live: %ld)", live_blocks);
	return tap_done();
}
