/*-------------------------------------------------------------------------
 * fuzz_record.c
 *	  libFuzzer target for src/record.c and src/list.c: response body
 *	  parsing, the detail/list/progress accessors, list splitting,
 *	  list-item canonicalization, merging, dotted-path lookup, value text
 *	  and sync periods (src/record.c, src/list.c, src/jsontext.c,
 *	  src/apitime.c; API times are PostgreSQL's to read).
 *
 * The input is a response body.  Everything reachable from it is run
 * through the functions the FDW uses on it, and every result is checked
 * against properties that must hold whatever the input (abort() on a
 * violation, which libFuzzer reports as a crash):
 *   - dws_parse_body accepts exactly what jansson accepts (DWS_JSON_FLAGS)
 *     with nesting depth <= DWS_MAX_JSON_DEPTH, and says why otherwise;
 *   - dws_json_text renders every value so that it reads back the same;
 *   - dws_list_item_canonical moves flat cluster fields into the nested
 *     objects and keeps everything else;
 *   - dws_merge_missing fills gaps only, is idempotent and shares nothing
 *     with its source;
 *   - dws_json_path agrees with json_object_get step by step;
 *   - dws_list_walk (list.c) splits a list body into exactly the
 *     items a whole parse finds, succeeds exactly when the whole parse
 *     finds the array (a body with a NUL byte may fail), and finds none in
 *     a malformed body;
 *   - no function changes the parsed tree it is given;
 *   - dws_sync_period_interval accepts exactly [0-9]+[mHd] in 1..3000.
 * A wrapping allocator is installed in jansson, as the FDW installs a
 * palloc-based one: a block freed by the wrong allocator aborts, and every
 * block must be released by the end of each input.
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE				/* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "list.h"
#include "record.h"

#define MAX_VISIT 512			/* values checked per input */
#define MAX_ITEMS 64			/* list items checked per input */
#define TIME_PREFIX_MAX 64		/* bytes of the raw input given to the period
								 * parser */

/* ----------------------------------------------------------------------
 * Failure reporting
 * ---------------------------------------------------------------------- */

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_record: invariant violated: %s\n", what);
	if (detail != NULL)
		fprintf(stderr, "fuzz_record:   detail: \"%s\"\n", detail);
	abort();
}

#define CHECK(cond, detail) \
	do { if (!(cond)) fail(#cond, (detail)); } while (0)

/* ----------------------------------------------------------------------
 * Wrapping allocator for jansson (and so for record.c)
 * ---------------------------------------------------------------------- */

#define ALLOC_MAGIC 0x44575344524a534eULL	/* "DWSDRJSN" */
#define ALLOC_HEADER 16

static long live_blocks = 0;

static void *
fuzz_malloc(size_t size)
{
	unsigned char *p;

	if (size > SIZE_MAX - ALLOC_HEADER)
		return NULL;
	p = malloc(size + ALLOC_HEADER);
	if (p == NULL)
		return NULL;
	*(uint64_t *) p = ALLOC_MAGIC;
	live_blocks++;
	return p + ALLOC_HEADER;
}

static void
fuzz_free(void *ptr)
{
	unsigned char *p;

	if (ptr == NULL)
		return;
	p = (unsigned char *) ptr - ALLOC_HEADER;
	if (*(uint64_t *) p != ALLOC_MAGIC)
		fail("block freed through jansson's allocator was not allocated by it",
			 NULL);
	*(uint64_t *) p = 0;
	live_blocks--;
	free(p);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	json_set_alloc_funcs(fuzz_malloc, fuzz_free);
	return 0;
}

/* ----------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* Nesting depth of a tree: scalars 0, {} and [] 1. */
static int
tree_depth(json_t *v)
{
	const char *key;
	json_t	   *m;
	size_t		i;
	int			d = 0;

	if (json_is_object(v))
	{
		json_object_foreach(v, key, m)
		{
			int			c = tree_depth(m);

			if (c > d)
				d = c;
		}
		return d + 1;
	}
	if (json_is_array(v))
	{
		json_array_foreach(v, i, m)
		{
			int			c = tree_depth(m);

			if (c > d)
				d = c;
		}
		return d + 1;
	}
	return 0;
}

/* Empties every container of a tree, deepest first. */
static void
clear_tree(json_t *v)
{
	const char *key;
	json_t	   *m;
	size_t		i;

	if (json_is_object(v))
	{
		json_object_foreach(v, key, m)
			clear_tree(m);
		json_object_clear(v);
	}
	else if (json_is_array(v))
	{
		json_array_foreach(v, i, m)
			clear_tree(m);
		json_array_clear(v);
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ----------------------------------------------------------------------
 * dws_sync_period_interval
 * ---------------------------------------------------------------------- */

static void
check_period(const char *s)
{
	char		out[64];
	char		want[64];
	const char *p = s;
	long		value = 0;
	int			ok = 1;
	const char *unit = NULL;
	int			r;

	/* reference: [0-9]+ then exactly one of m H d, value 1..3000 */
	if (!is_digit(*p))
		ok = 0;
	while (is_digit(*p))
	{
		if (value <= 3000)
			value = value * 10 + (*p - '0');
		p++;
	}
	if (*p == 'm')
		unit = "minutes";
	else if (*p == 'H')
		unit = "hours";
	else if (*p == 'd')
		unit = "days";
	if (ok && (unit == NULL || p[1] != '\0' || value < 1 || value > 3000))
		ok = 0;

	memset(out, 'X', sizeof(out));
	r = dws_sync_period_interval(s, out, 32);
	CHECK(r == 0 || r == -1, s);
	CHECK((r == 0) == ok, s);
	if (!ok)
	{
		CHECK(out[0] == 'X', s);
		return;
	}
	snprintf(want, sizeof(want), "%ld %s", value, unit);
	CHECK(strcmp(out, want) == 0, s);
	/* a buffer one byte short is refused */
	memset(out, 'X', sizeof(out));
	CHECK(dws_sync_period_interval(s, out, strlen(want)) == -1 &&
		  out[0] == 'X', s);
}

/* ----------------------------------------------------------------------
 * dws_json_text
 * ---------------------------------------------------------------------- */

static void
check_text(json_t *v)
{
	char	   *text = dws_json_text(v);
	char	   *end;

	if (v == NULL || json_is_null(v))
	{
		CHECK(text == NULL, text);
		return;
	}
	CHECK(text != NULL, NULL);

	switch (json_typeof(v))
	{
		case JSON_STRING:
			CHECK(strlen(text) == json_string_length(v) &&
				  strcmp(text, json_string_value(v)) == 0, text);
			break;
		case JSON_INTEGER:
			{
				long long	n = strtoll(text, &end, 10);

				CHECK(*end == '\0' && end != text &&
					  n == (long long) json_integer_value(v), text);
				break;
			}
		case JSON_REAL:
			{
				double		d = strtod(text, &end);

				CHECK(*end == '\0' && end != text &&
					  d == json_real_value(v), text);
				CHECK(strlen(text) <= 24, text);
				break;
			}
		case JSON_TRUE:
			CHECK(strcmp(text, "true") == 0, text);
			break;
		case JSON_FALSE:
			CHECK(strcmp(text, "false") == 0, text);
			break;
		case JSON_OBJECT:
		case JSON_ARRAY:
			{
				/* compact JSON that reads back equal, type for type */
				json_error_t jerr;
				json_t	   *back = json_loads(text, DWS_JSON_FLAGS, &jerr);

				CHECK(back != NULL, text);
				CHECK(json_typeof(back) == json_typeof(v), text);
				CHECK(json_equal(back, v), text);
				json_decref(back);
				CHECK(text[0] == (json_is_object(v) ? '{' : '['), text);
				break;
			}
		case JSON_NULL:
			break;
	}
	dws_free(text);
}

/* Checks every value of a tree (up to a budget), and every string as a
 * period. */
static void
visit_values(json_t *v, int *budget)
{
	const char *key;
	json_t	   *m;
	size_t		i;

	if (v == NULL || *budget <= 0)
		return;
	(*budget)--;
	check_text(v);
	if (json_is_string(v))
	{
		check_period(json_string_value(v));
	}
	else if (json_is_object(v))
	{
		json_object_foreach(v, key, m)
			visit_values(m, budget);
	}
	else if (json_is_array(v))
	{
		json_array_foreach(v, i, m)
			visit_values(m, budget);
	}
}

/* ----------------------------------------------------------------------
 * dws_json_path
 * ---------------------------------------------------------------------- */

static const char *const fixed_paths[] = {
	"disaster_recovery",
	"disaster_recovery.id",
	"disaster_recovery.primary_cluster.progress",
	"disaster_recovery_progress.primary_cluster.action_start_time",
	"id",
	"name",
	"status",
	"start_time",
	"dr_sync_period",
	"primary_cluster",
	"primary_cluster.id",
	"primary_cluster.progress",
	"primary_cluster.last_success_time",
	"standby_cluster.status",
	"standby_cluster.obs_bucket_name",
	"recovery_point_object",
	"error_code",
	"",
	".",
	"..",
	"id.",
	".id",
	"primary_cluster..id",
};

/* Walks path with json_object_get, splitting on '.' by hand. */
static json_t *
reference_path(json_t *root, const char *path)
{
	char		step[256];
	json_t	   *cur = root;
	const char *p = path;

	if (root == NULL)
		return NULL;
	for (;;)
	{
		const char *dot = strchr(p, '.');
		size_t		len = dot ? (size_t) (dot - p) : strlen(p);

		if (len >= sizeof(step))
			return (json_t *) -1;	/* not checked */
		memcpy(step, p, len);
		step[len] = '\0';
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_get(cur, step);
		if (cur == NULL || dot == NULL)
			return cur;
		p = dot + 1;
	}
}

static void
check_path(json_t *root, const char *path)
{
	json_t	   *got = dws_json_path(root, path);
	json_t	   *want = reference_path(root, path);

	if (want != (json_t *) -1)
		CHECK(got == want, path);
	check_text(got);
}

/*
 * Paths into root: the fixed ones, the raw input up to its first NUL (and
 * newline), and paths made of the keys found walking down from root, which
 * must lead to exactly the value they name.
 */
static void
check_paths(json_t *root, const char *raw)
{
	size_t		i;
	char		path[1024];
	size_t		plen = 0;
	json_t	   *cur = root;
	int			depth;

	if (root == NULL)
		return;
	CHECK(dws_json_path(root, NULL) == NULL, NULL);
	for (i = 0; i < sizeof(fixed_paths) / sizeof(fixed_paths[0]); i++)
		check_path(root, fixed_paths[i]);
	check_path(root, raw);

	/* descend through the last key of each object */
	for (depth = 0; depth < 8 && json_is_object(cur); depth++)
	{
		const char *key;
		const char *last = NULL;
		json_t	   *m;
		json_t	   *next = NULL;
		size_t		klen;

		json_object_foreach(cur, key, m)
		{
			last = key;
			next = m;
		}
		if (last == NULL || strchr(last, '.') != NULL)
			break;
		klen = strlen(last);
		if (plen + klen + 2 > sizeof(path))
			break;
		if (depth > 0)
			path[plen++] = '.';
		memcpy(path + plen, last, klen);
		plen += klen;
		path[plen] = '\0';
		cur = next;
		CHECK(dws_json_path(root, path) == cur, path);
	}
}

/* ----------------------------------------------------------------------
 * dws_list_item_canonical
 * ---------------------------------------------------------------------- */

static void
check_canonical(json_t *item, json_t *out)
{
	const char *key;
	json_t	   *v;
	json_t	   *pc;
	json_t	   *sc;

	if (!json_is_object(item))
	{
		CHECK(out == NULL, NULL);
		return;
	}
	CHECK(json_is_object(out), NULL);
	CHECK(out != item, NULL);
	pc = json_object_get(out, "primary_cluster");
	sc = json_object_get(out, "standby_cluster");

	json_object_foreach(item, key, v)
	{
		size_t		klen = strlen(key);

		if (klen > 16 && strncmp(key, "primary_cluster_", 16) == 0)
		{
			/* a non-null flat field lands in the nested object */
			if (!json_is_null(v))
				CHECK(json_is_object(pc) &&
					  json_equal(json_object_get(pc, key + 16), v), key);
		}
		else if (klen > 16 && strncmp(key, "standby_cluster_", 16) == 0)
		{
			if (!json_is_null(v))
				CHECK(json_is_object(sc) &&
					  json_equal(json_object_get(sc, key + 16), v), key);
		}
		else if (strcmp(key, "primary_cluster") == 0 ||
				 strcmp(key, "standby_cluster") == 0)
		{
			json_t	   *o = json_object_get(out, key);

			if (!json_is_object(v))
			{
				/* kept as is unless flat fields built an object */
				CHECK(json_is_object(o) || json_equal(o, v), key);
			}
			else
			{
				/* nested members seed the object; flat fields override */
				const char *mkey;
				json_t	   *mv;
				char		flat[1024];

				CHECK(o == NULL || json_is_object(o), key);
				json_object_foreach(v, mkey, mv)
				{
					if (strlen(mkey) == 0 ||
						strlen(mkey) + 17 > sizeof(flat))
						continue;
					snprintf(flat, sizeof(flat), "%s_%s", key, mkey);
					if (json_object_get(item, flat) != NULL ||
						json_is_null(mv))
						continue;
					CHECK(json_is_object(o) &&
						  json_equal(json_object_get(o, mkey), mv), mkey);
				}
			}
		}
		else
			CHECK(json_equal(json_object_get(out, key), v), key);
	}

	/* nothing invented: every top-level key of out comes from item */
	json_object_foreach(out, key, v)
	{
		if (strcmp(key, "primary_cluster") != 0 &&
			strcmp(key, "standby_cluster") != 0)
			CHECK(json_object_get(item, key) != NULL, key);
	}
	/* the cluster objects exist only when they hold something */
	if (json_is_object(pc))
	{
		int			nonnull = 0;

		json_object_foreach(pc, key, v)
			nonnull |= !json_is_null(v);
		CHECK(nonnull, "primary_cluster");
	}
	if (json_is_object(sc))
	{
		int			nonnull = 0;

		json_object_foreach(sc, key, v)
			nonnull |= !json_is_null(v);
		CHECK(nonnull, "standby_cluster");
	}
}

/* ----------------------------------------------------------------------
 * dws_merge_missing
 * ---------------------------------------------------------------------- */

/* after = merge(before, src): gaps filled, nothing else changed. */
static void
check_merged(json_t *before, json_t *after, json_t *src, int depth)
{
	const char *key;
	json_t	   *bv;
	json_t	   *sv;

	CHECK(json_is_object(before) && json_is_object(after), NULL);
	if (!json_is_object(src) || depth >= DWS_MAX_JSON_DEPTH)
	{
		CHECK(json_equal(before, after), NULL);
		return;
	}
	json_object_foreach(src, key, sv)
	{
		json_t	   *av = json_object_get(after, key);

		bv = json_object_get(before, key);
		CHECK(av != NULL, key);
		if (bv == NULL || (json_is_null(bv) && !json_is_null(sv)))
			CHECK(json_equal(av, sv), key);
		else if (json_is_object(bv) && json_is_object(sv))
			check_merged(bv, av, sv, depth + 1);
		else
			CHECK(json_equal(av, bv), key);
	}
	json_object_foreach(before, key, bv)
	{
		if (json_object_get(src, key) == NULL)
			CHECK(json_equal(json_object_get(after, key), bv), key);
	}
	CHECK(json_object_size(after) >= json_object_size(before), NULL);
}

/*
 * Merges src (a canonical list item, which this consumes by clearing it)
 * into a copy of base and checks the result.
 */
static void
check_merge(json_t *base, json_t *src)
{
	json_t	   *dst = json_is_object(base) ? json_deep_copy(base) : json_object();
	json_t	   *before;
	json_t	   *after;

	CHECK(dst != NULL, NULL);
	before = json_deep_copy(dst);
	CHECK(before != NULL, NULL);
	CHECK(dws_merge_missing(dst, src) == 0, NULL);
	check_merged(before, dst, src, 0);

	/* idempotent */
	after = json_deep_copy(dst);
	CHECK(after != NULL, NULL);
	CHECK(dws_merge_missing(dst, src) == 0, NULL);
	CHECK(json_equal(dst, after), NULL);

	/* merging into itself is a no-op */
	CHECK(dws_merge_missing(dst, dst) == 0, NULL);
	CHECK(json_equal(dst, after), NULL);

	/* dst shares nothing mutable with src */
	clear_tree(src);
	CHECK(json_equal(dst, after), NULL);

	check_text(dst);
	check_paths(dst, "primary_cluster.id");
	json_decref(after);
	json_decref(before);
	json_decref(dst);
}

/* ----------------------------------------------------------------------
 * dws_list_walk
 * ---------------------------------------------------------------------- */

/*
 * The item ranges that list.c finds must be exactly the items of the
 * "disaster_recovery" array that a whole parse finds (list == NULL when the
 * whole parse finds none, body_ok == 0 when it fails), and a body that
 * does not parse whole must not yield items that all parse (the FDW would
 * then read rows out of a malformed body).  Every valid list body is
 * split, escaped and repeated keys included; the one exception is a body
 * with a NUL byte: jansson's buffer reader skips a NUL between tokens (and
 * leaves it out of json_error_t.position), the split refuses such a body
 * (not JSON), which fails closed.
 */
/*
 * What dws_list_walk hands over, checked against the body as it comes, and
 * each item's range kept (as fetch.c keeps them) for the checks after.
 */
typedef struct WalkCheck
{
	const char *body;
	size_t		size;
	size_t		next;			/* the index expected next */
	DwsRange   *ranges;			/* jansson's allocator */
	size_t		cap;
} WalkCheck;

static int
walk_item(void *arg, size_t index, json_t *item, size_t off, size_t len)
{
	WalkCheck  *wc = (WalkCheck *) arg;
	json_t	   *again;

	CHECK(index == wc->next || index == 0, "walk indexes out of order");
	CHECK(off <= wc->size && len <= wc->size - off && len > 0,
		  "walk item outside the body");
	again = dws_parse_body(wc->body + off, len, NULL, 0);
	CHECK(again != NULL && json_equal(again, item),
		  "walk item differs from its bytes");
	json_decref(again);
	wc->next = index + 1;
	if (index >= wc->cap)
	{
		size_t		cap = wc->cap ? wc->cap * 2 : 8;
		DwsRange   *grown = dws_alloc(cap * sizeof(DwsRange));

		if (grown == NULL)
			return -1;
		if (wc->ranges)
			memcpy(grown, wc->ranges, wc->cap * sizeof(DwsRange));
		dws_free(wc->ranges);
		wc->ranges = grown;
		wc->cap = cap;
	}
	wc->ranges[index].off = off;	/* a repeated key starts again at 0 */
	wc->ranges[index].len = len;
	return 0;
}

static void
check_list_ranges(const char *body, size_t size, int body_ok, json_t *list)
{
	WalkCheck	wc = {body, size, 0, NULL, 0};
	DwsRange   *ranges;
	long		n;
	long		k;
	int			all_items_parse = 1;

	n = dws_list_walk(body, size, walk_item, &wc);
	CHECK(n >= -1, NULL);
	ranges = wc.ranges;
	if (n < 0)
	{
		dws_free(ranges);
		/* a body that parses whole to a list is split (NUL bytes aside) */
		if (memchr(body, '\0', size) == NULL)
			CHECK(list == NULL, "valid list body not split into items");
		return;
	}
	CHECK(n == 0 || ranges != NULL, NULL);
	for (k = 0; k < n; k++)
	{
		char		err[128];
		json_t	   *item;

		CHECK(ranges[k].off <= size && ranges[k].len <= size - ranges[k].off,
			  "range outside the body");
		CHECK(ranges[k].len > 0, "empty range");
		if (k > 0)
			CHECK(ranges[k].off >= ranges[k - 1].off + ranges[k - 1].len,
				  "ranges overlap or are out of order");
		item = dws_parse_body(body + ranges[k].off, ranges[k].len,
							  err, sizeof(err));
		if (item == NULL)
			all_items_parse = 0;
		if (list != NULL)
		{
			CHECK(item != NULL, "an item of a valid list does not parse");
			CHECK(json_equal(item, json_array_get(list, (size_t) k)),
				  "an item range differs from the parsed item");
		}
		json_decref(item);
	}
	if (list != NULL)
		CHECK((size_t) n == json_array_size(list),
			  "item count differs from the parsed list");
	else if (body_ok)
		CHECK(0, "items found in a valid body without a list array");
	else
		CHECK(!all_items_parse, "items read out of a malformed body");
	dws_free(ranges);
}

/* ----------------------------------------------------------------------
 * Error bodies
 * ---------------------------------------------------------------------- */

static const char *
str_member(json_t *root, const char *key)
{
	json_t	   *v = json_is_object(root) ? json_object_get(root, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
check_error_fields(json_t *root)
{
	const char *code = (const char *) 1;
	const char *msg = (const char *) 1;
	const char *rid = (const char *) 1;
	const char *want_msg;

	dws_error_fields(root, &code, &msg, &rid);
	want_msg = str_member(root, "error_msg");
	if (want_msg == NULL)
		want_msg = str_member(root, "message");
	CHECK(code == str_member(root, "error_code"), NULL);
	CHECK(msg == want_msg, NULL);
	CHECK(rid == str_member(root, "request_id"), NULL);
	CHECK(dws_is_error_body(root) == (code != NULL), NULL);
	/* NULL out-pointers are allowed */
	dws_error_fields(root, NULL, NULL, NULL);
}

/* ----------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	char		err[256];
	char		tiny[6];
	json_t	   *root;
	json_t	   *ref;
	json_t	   *snapshot = NULL;
	json_error_t jerr;
	char		prefix[TIME_PREFIX_MAX + 1];
	size_t		plen;
	size_t		i;
	int			budget = MAX_VISIT;

	CHECK(live_blocks == 0, NULL);

	/* the raw input, up to its first NUL or newline, as a period and a
	 * path */
	for (plen = 0; plen < size && plen < TIME_PREFIX_MAX; plen++)
	{
		if (data[plen] == '\0' || data[plen] == '\n')
			break;
	}
	memcpy(prefix, data, plen);
	prefix[plen] = '\0';
	check_period(prefix);

	/* parse, and compare with jansson itself */
	err[0] = '\0';
	root = dws_parse_body(body, size, err, sizeof(err));
	ref = size > 0 ? json_loadb(body, size, DWS_JSON_FLAGS, &jerr) : NULL;

	if (root == NULL)
	{
		int			blank = 1;

		for (i = 0; i < size; i++)
			if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n' &&
				body[i] != '\r')
				blank = 0;
		CHECK(memchr(err, '\0', sizeof(err)) != NULL, NULL);
		if (blank)
			CHECK(strcmp(err, "empty body") == 0, err);
		else if (strncmp(err, "JSON nested deeper than", 23) == 0)
			CHECK(ref == NULL || tree_depth(ref) > DWS_MAX_JSON_DEPTH, err);
		else
		{
			CHECK(strncmp(err, "invalid JSON at line ", 21) == 0, err);
			CHECK(ref == NULL, err);
		}
		/* a short error buffer is cut, not overrun; no buffer is fine */
		memset(tiny, 'Z', sizeof(tiny));
		CHECK(dws_parse_body(body, size, tiny, sizeof(tiny) - 1) == NULL,
			  NULL);
		CHECK(tiny[sizeof(tiny) - 1] == 'Z' &&
			  strlen(tiny) == sizeof(tiny) - 2, tiny);
		CHECK(dws_parse_body(body, size, NULL, 0) == NULL, NULL);
		json_decref(ref);
		check_list_ranges(body, size, 0, NULL);
		dws_error_fields(NULL, NULL, NULL, NULL);
		CHECK(!dws_is_error_body(NULL), NULL);
		CHECK(dws_detail_object(NULL) == NULL, NULL);
		CHECK(live_blocks == 0, NULL);
		return 0;
	}

	CHECK(ref != NULL, NULL);
	CHECK(json_equal(root, ref), NULL);
	CHECK(tree_depth(root) <= DWS_MAX_JSON_DEPTH, NULL);
	json_decref(ref);
	snapshot = json_deep_copy(root);
	CHECK(snapshot != NULL, NULL);

	/* error bodies */
	check_error_fields(root);

	/* every value, as text; every string as a period */
	visit_values(root, &budget);
	check_paths(root, prefix);

	/* the three record accessors */
	{
		json_t	   *detail = dws_detail_object(root);
		json_t	   *list = dws_list_array(root);
		json_t	   *progress = dws_progress_object(root);
		json_t	   *dr = json_is_object(root) ?
			json_object_get(root, "disaster_recovery") : NULL;
		json_t	   *pr = json_is_object(root) ?
			json_object_get(root, "disaster_recovery_progress") : NULL;
		json_t	   *item;

		CHECK(detail == (json_is_object(dr) ? dr : NULL), NULL);
		CHECK(list == (json_is_array(dr) ? dr : NULL), NULL);
		CHECK(progress == (json_is_object(pr) ? pr : NULL), NULL);
		check_list_ranges(body, size, 1, list);

		if (detail != NULL)
			check_paths(detail, prefix);
		if (progress != NULL)
			check_paths(progress, prefix);

		/* list items: canonical form, then merged into the detail */
		if (list != NULL)
		{
			json_array_foreach(list, i, item)
			{
				json_t	   *canon;

				if (i >= MAX_ITEMS)
					break;
				canon = dws_list_item_canonical(item);
				check_canonical(item, canon);
				if (canon == NULL)
					continue;
				check_paths(canon, prefix);
				budget = MAX_VISIT / 4;
				visit_values(canon, &budget);
				check_merge(detail, canon);
				json_decref(canon);
			}
		}

		/* the whole body seen as a list item and as a merge source */
		{
			json_t	   *canon = dws_list_item_canonical(root);

			check_canonical(root, canon);
			if (canon != NULL)
			{
				check_merge(detail, canon);
				json_decref(canon);
			}
		}
	}

	/* nothing above changed the parsed tree */
	CHECK(json_equal(root, snapshot), NULL);
	json_decref(snapshot);
	json_decref(root);
	CHECK(live_blocks == 0, NULL);
	return 0;
}
