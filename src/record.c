/*-------------------------------------------------------------------------
 * record.c
 *	  DWS DR API response bodies (jansson) -> canonical records and field
 *	  values.
 *
 * Parses response bodies with a nesting limit, recognises error bodies,
 * turns flat
 * list items into the nested shape of the detail call, merges records and
 * walks JSON paths.  No PostgreSQL headers; every allocation goes through jansson's
 * allocator (json_get_alloc_funcs), which the FDW replaces with a
 * palloc-based one, so that nothing leaks when an ERROR unwinds.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dwsbuf.h"
#include "record.h"

#define PRIMARY_PREFIX "primary_cluster_"
#define STANDBY_PREFIX "standby_cluster_"
#define CLUSTER_PREFIX_LEN 16	/* both prefixes have this length */

/* Allocates through jansson's current allocator. */
void *
dws_alloc(size_t size)
{
	json_malloc_t malloc_fn;
	json_free_t free_fn;

	json_get_alloc_funcs(&malloc_fn, &free_fn);
	return malloc_fn(size);
}

/* Releases what this module (or jansson) handed out. */
void
dws_free(void *p)
{
	json_malloc_t malloc_fn;
	json_free_t free_fn;

	if (p == NULL)
		return;
	json_get_alloc_funcs(&malloc_fn, &free_fn);
	free_fn(p);
}

/* Copies len bytes of s into a new NUL-terminated string. */
char *
dws_strndup(const char *s, size_t len)
{
	char	   *copy = dws_alloc(len + 1);

	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* snprintf into errbuf when there is one. */
static void
set_error(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", msg);
}

/*
 * True when the bytes nest arrays and objects no deeper than maxdepth.
 * A linear scan that skips string contents (with their escapes), run
 * before the parser so that a hostile body never makes anything recurse
 * deeply.  Unbalanced input is left for the parser to report.
 */
static int
nesting_within(const char *s, size_t len, int maxdepth)
{
	int			depth = 0;
	int			in_string = 0;
	int			escaped = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (in_string)
		{
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c)
		{
			case '"':
				in_string = 1;
				break;
			case '[':
			case '{':
				if (++depth > maxdepth)
					return 0;
				break;
			case ']':
			case '}':
				if (depth > 0)
					depth--;
				break;
			default:
				break;
		}
	}
	return 1;
}

/*
 * Parses a body.  Any JSON value is accepted as the root so that the
 * caller can tell "not an object" from "not JSON"; duplicate keys keep the
 * last value, as most JSON readers do.  Numbers are read as doubles
 * (DWS_JSON_FLAGS), so that an integer beyond 64 bits does not make
 * jansson refuse the whole body; what a number's digits were is read from
 * the body itself when a column needs them (jsonsource.c).
 */
json_t *
dws_parse_body(const char *body, size_t len, char *errbuf, size_t errlen)
{
	json_error_t jerr;
	json_t	   *root;
	size_t		i;
	char		msg[256];

	for (i = 0; body != NULL && i < len; i++)
	{
		char		c = body[i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
	}
	if (body == NULL || i == len)
	{
		set_error(errbuf, errlen, "empty body");
		return NULL;
	}

	if (!nesting_within(body, len, DWS_MAX_JSON_DEPTH))
	{
		snprintf(msg, sizeof(msg), "JSON nested deeper than %d levels",
				 DWS_MAX_JSON_DEPTH);
		set_error(errbuf, errlen, msg);
		return NULL;
	}

	root = json_loadb(body, len, DWS_JSON_FLAGS, &jerr);
	if (root == NULL)
	{
		snprintf(msg, sizeof(msg), "invalid JSON at line %d, column %d: %s",
				 jerr.line, jerr.column, jerr.text);
		set_error(errbuf, errlen, msg);
		return NULL;
	}
	return root;
}

/* A string member of an object, or NULL. */
static const char *
string_member(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * A JSON number that is a whole number, as an integer.  Every number is
 * read as a double (DWS_JSON_FLAGS), which holds each integer up to 2^53
 * exactly: enough for the counts and epoch milliseconds read this way.
 * False for anything else (a string, a fraction, a larger magnitude).
 */
int
dws_json_whole(json_t *v, long long *out)
{
	double		d;

	if (json_is_integer(v))
	{
		*out = (long long) json_integer_value(v);
		return 1;
	}
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) ||
		d != (double) (long long) d)
		return 0;
	*out = (long long) d;
	return 1;
}

/* Reads the error fields so that error reports can quote them. */
void
dws_error_fields(json_t *root, const char **code, const char **msg,
				 const char **request_id)
{
	const char *c = NULL;
	const char *m = NULL;
	const char *r = NULL;

	if (json_is_object(root))
	{
		c = string_member(root, "error_code");
		m = string_member(root, "error_msg");
		if (m == NULL)
			m = string_member(root, "message");
		r = string_member(root, "request_id");
	}
	if (code != NULL)
		*code = c;
	if (msg != NULL)
		*msg = m;
	if (request_id != NULL)
		*request_id = r;
}

/* An error body is recognised by its string error_code, whatever the status. */
int
dws_is_error_body(json_t *root)
{
	return json_is_object(root) &&
		json_is_string(json_object_get(root, "error_code"));
}

/* root[key] when root is an object and the member has the type given. */
json_t *
dws_body_member(json_t *root, const char *key, json_type type)
{
	json_t	   *v;

	if (!json_is_object(root))
		return NULL;
	v = json_object_get(root, key);
	return v != NULL && json_typeof(v) == type ? v : NULL;
}

/* True when an object has at least one non-null member. */
static int
has_nonnull_member(json_t *obj)
{
	const char *key;
	json_t	   *v;

	json_object_foreach(obj, key, v)
	{
		if (!json_is_null(v))
			return 1;
	}
	return 0;
}

/* Stores a deep copy of v under key; -1 on out-of-memory. */
static int
set_copy(json_t *obj, const char *key, size_t keylen, json_t *v)
{
	/* json_object_setn_new releases the value itself when it fails */
	return json_object_setn_new(obj, key, keylen, json_deep_copy(v));
}

/*
 * Seeds a cluster object from a nested "primary_cluster"/"standby_cluster"
 * object that a list item might carry in a future API version.
 */
static int
seed_cluster(json_t *cluster, json_t *item, const char *name)
{
	json_t	   *nested = json_object_get(item, name);
	const char *key;
	size_t		keylen;
	json_t	   *v;

	if (!json_is_object(nested))
		return 0;
	json_object_keylen_foreach(nested, key, keylen, v)
	{
		if (set_copy(cluster, key, keylen, v) != 0)
			return -1;
	}
	return 0;
}

/*
 * Attaches a cluster object built from flat keys when it holds something;
 * otherwise keeps whatever non-object value the item itself had under the
 * name.
 */
static int
attach_cluster(json_t *out, json_t *item, const char *name, json_t *cluster)
{
	json_t	   *orig;

	if (has_nonnull_member(cluster))
		return json_object_set(out, name, cluster);
	orig = json_object_get(item, name);
	if (orig != NULL && !json_is_object(orig))
		return set_copy(out, name, strlen(name), orig);
	return 0;
}

/*
 * An empty object.  Not json_object(): inside a PostgreSQL backend that
 * name resolves to PostgreSQL's own SQL function json_object, which the
 * server binary exports, so jansson's constructor is reached through
 * json_pack (whose internal call stays within libjansson).
 */
static json_t *
new_object(void)
{
	return json_pack("{}");
}

/*
 * Brings a flat list item into the detail record's shape, so that one
 * table definition fits both calls.  Flat cluster fields override a nested
 * object of the same name, should an item carry both.
 */
json_t *
dws_list_item_canonical(json_t *item)
{
	json_t	   *out;
	json_t	   *primary;
	json_t	   *standby;
	const char *key;
	size_t		keylen;
	json_t	   *v;
	int			failed = 0;

	if (!json_is_object(item))
		return NULL;

	out = new_object();
	primary = new_object();
	standby = new_object();
	if (out == NULL || primary == NULL || standby == NULL)
		goto fail;

	if (seed_cluster(primary, item, "primary_cluster") != 0 ||
		seed_cluster(standby, item, "standby_cluster") != 0)
		goto fail;

	json_object_keylen_foreach(item, key, keylen, v)
	{
		if (keylen > CLUSTER_PREFIX_LEN &&
			memcmp(key, PRIMARY_PREFIX, CLUSTER_PREFIX_LEN) == 0)
			failed = set_copy(primary, key + CLUSTER_PREFIX_LEN,
							  keylen - CLUSTER_PREFIX_LEN, v);
		else if (keylen > CLUSTER_PREFIX_LEN &&
				 memcmp(key, STANDBY_PREFIX, CLUSTER_PREFIX_LEN) == 0)
			failed = set_copy(standby, key + CLUSTER_PREFIX_LEN,
							  keylen - CLUSTER_PREFIX_LEN, v);
		else if ((keylen == 15 && memcmp(key, "primary_cluster", 15) == 0) ||
				 (keylen == 15 && memcmp(key, "standby_cluster", 15) == 0))
			continue;			/* handled by seed/attach_cluster */
		else
			failed = set_copy(out, key, keylen, v);
		if (failed)
			goto fail;
	}

	if (attach_cluster(out, item, "primary_cluster", primary) != 0 ||
		attach_cluster(out, item, "standby_cluster", standby) != 0)
		goto fail;

	json_decref(primary);
	json_decref(standby);
	return out;

fail:
	json_decref(out);
	json_decref(primary);
	json_decref(standby);
	return NULL;
}

/* dws_merge_missing at a given depth; stops descending at the limit. */
static int
merge_missing_at(json_t *dst, json_t *src, int depth)
{
	const char *key;
	size_t		keylen;
	json_t	   *sv;

	if (!json_is_object(dst) || !json_is_object(src) || dst == src)
		return 0;
	if (depth >= DWS_MAX_JSON_DEPTH)
		return 0;

	json_object_keylen_foreach(src, key, keylen, sv)
	{
		json_t	   *dv = json_object_getn(dst, key, keylen);

		if (dv == NULL || (json_is_null(dv) && !json_is_null(sv)))
		{
			if (set_copy(dst, key, keylen, sv) != 0)
				return -1;
		}
		else if (json_is_object(dv) && json_is_object(sv))
		{
			if (merge_missing_at(dv, sv, depth + 1) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * Fills the gaps of a detail record with what only the list call returns.
 * Values are deep-copied so that dst never shares mutable parts with src.
 */
int
dws_merge_missing(json_t *dst, json_t *src)
{
	return merge_missing_at(dst, src, 0);
}

/* Walks a dotted path through nested objects, without allocating. */
json_t *
dws_json_path(json_t *root, const char *path)
{
	json_t	   *cur = root;
	const char *p = path;

	if (root == NULL || path == NULL)
		return NULL;
	for (;;)
	{
		const char *dot = strchr(p, '.');
		size_t		len = dot ? (size_t) (dot - p) : strlen(p);

		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, p, len);
		if (cur == NULL || dot == NULL)
			return cur;
		p = dot + 1;
	}
}
