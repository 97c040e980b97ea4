/*-------------------------------------------------------------------------
 * record.c
 *	  DWS DR API response bodies (jansson) -> canonical records and field
 *	  values.
 *
 * Parses response bodies with a nesting limit, recognises error bodies,
 * turns flat list items into the nested shape of the detail call, and
 * renders JSON values, API times and sync periods as text PostgreSQL can
 * read.  No PostgreSQL headers; every allocation goes through jansson's
 * allocator (json_get_alloc_funcs), which the FDW replaces with a
 * palloc-based one, so that nothing leaks when an ERROR unwinds.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record.h"

#define PRIMARY_PREFIX "primary_cluster_"
#define STANDBY_PREFIX "standby_cluster_"
#define CLUSTER_PREFIX_LEN 16	/* both prefixes have this length */

/* Allocates through jansson's current allocator. */
static void *
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
static char *
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
 * last value, as most JSON readers do.
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

	root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
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

/* The detail call's record. */
json_t *
dws_detail_object(json_t *root)
{
	json_t	   *v;

	if (!json_is_object(root))
		return NULL;
	v = json_object_get(root, "disaster_recovery");
	return json_is_object(v) ? v : NULL;
}

/* The list call's items. */
json_t *
dws_list_array(json_t *root)
{
	json_t	   *v;

	if (!json_is_object(root))
		return NULL;
	v = json_object_get(root, "disaster_recovery");
	return json_is_array(v) ? v : NULL;
}

/* The progress call's record. */
json_t *
dws_progress_object(json_t *root)
{
	json_t	   *v;

	if (!json_is_object(root))
		return NULL;
	v = json_object_get(root, "disaster_recovery_progress");
	return json_is_object(v) ? v : NULL;
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

/*
 * Shortest text of a double that reads back as the same double: 0.1 shows
 * as "0.1", not "0.10000000000000001".
 */
static void
format_real(double d, char *buf, size_t buflen)
{
	int			prec;

	for (prec = 15; prec <= 17; prec++)
	{
		snprintf(buf, buflen, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/*
 * A growable string in jansson's allocator, for the compact serializer.
 * jansson offers no realloc, so growing copies.  After a failed allocation
 * "oom" is set and appends do nothing.
 */
typedef struct JsonTextBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	int			oom;
} JsonTextBuf;

/* Appends len bytes, growing by doubling. */
static void
jbuf_append(JsonTextBuf *buf, const char *s, size_t len)
{
	if (buf->oom)
		return;
	if (len >= buf->cap - buf->len)
	{
		size_t		newcap = buf->cap;
		char	   *newdata;

		while (len >= newcap - buf->len)
		{
			if (newcap > ((size_t) -1) / 2)
			{
				buf->oom = 1;
				return;
			}
			newcap *= 2;
		}
		newdata = dws_alloc(newcap);
		if (newdata == NULL)
		{
			buf->oom = 1;
			return;
		}
		memcpy(newdata, buf->data, buf->len);
		dws_free(buf->data);
		buf->data = newdata;
		buf->cap = newcap;
	}
	memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* Appends a JSON string literal: quotes, and escapes where JSON needs them. */
static void
jbuf_append_string(JsonTextBuf *buf, const char *s, size_t len)
{
	size_t		i;
	size_t		run = 0;

	jbuf_append(buf, "\"", 1);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jbuf_append(buf, s + run, i - run);
		run = i + 1;
		switch (c)
		{
			case '"':
				jbuf_append(buf, "\\\"", 2);
				break;
			case '\\':
				jbuf_append(buf, "\\\\", 2);
				break;
			case '\n':
				jbuf_append(buf, "\\n", 2);
				break;
			case '\r':
				jbuf_append(buf, "\\r", 2);
				break;
			case '\t':
				jbuf_append(buf, "\\t", 2);
				break;
			case '\b':
				jbuf_append(buf, "\\b", 2);
				break;
			case '\f':
				jbuf_append(buf, "\\f", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int) c);
				jbuf_append(buf, esc, 6);
				break;
		}
	}
	jbuf_append(buf, s + run, len - run);
	jbuf_append(buf, "\"", 1);
}

/*
 * Appends v as compact JSON.  Unlike json_dumps, which prints reals with 17
 * digits (0.1 -> 0.10000000000000001), reals get their shortest form, with
 * ".0" added when that form looks like an integer so that the type
 * survives a re-read.  Parsed bodies are at most DWS_MAX_JSON_DEPTH deep;
 * anything deeper (a tree built by other code) is left to json_dumps so
 * that this recursion stays bounded.
 */
static void
jbuf_append_json(JsonTextBuf *buf, json_t *v, int depth)
{
	char		num[64];
	const char *key;
	size_t		keylen;
	json_t	   *member;
	size_t		i;
	int			first = 1;
	char	   *dumped;

	switch (json_typeof(v))
	{
		case JSON_NULL:
			jbuf_append(buf, "null", 4);
			return;
		case JSON_TRUE:
			jbuf_append(buf, "true", 4);
			return;
		case JSON_FALSE:
			jbuf_append(buf, "false", 5);
			return;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
			jbuf_append(buf, num, strlen(num));
			return;
		case JSON_REAL:
			format_real(json_real_value(v), num, sizeof(num) - 2);
			if (strpbrk(num, ".eE") == NULL)
				strcat(num, ".0");
			jbuf_append(buf, num, strlen(num));
			return;
		case JSON_STRING:
			jbuf_append_string(buf, json_string_value(v), json_string_length(v));
			return;
		case JSON_OBJECT:
		case JSON_ARRAY:
			break;
	}

	if (depth >= 4 * DWS_MAX_JSON_DEPTH)
	{
		dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dumped == NULL)
			buf->oom = 1;
		else
			jbuf_append(buf, dumped, strlen(dumped));
		dws_free(dumped);
		return;
	}

	if (json_is_object(v))
	{
		jbuf_append(buf, "{", 1);
		json_object_keylen_foreach(v, key, keylen, member)
		{
			if (!first)
				jbuf_append(buf, ",", 1);
			first = 0;
			jbuf_append_string(buf, key, keylen);
			jbuf_append(buf, ":", 1);
			jbuf_append_json(buf, member, depth + 1);
			if (buf->oom)
				return;
		}
		jbuf_append(buf, "}", 1);
	}
	else
	{
		jbuf_append(buf, "[", 1);
		json_array_foreach(v, i, member)
		{
			if (i > 0)
				jbuf_append(buf, ",", 1);
			jbuf_append_json(buf, member, depth + 1);
			if (buf->oom)
				return;
		}
		jbuf_append(buf, "]", 1);
	}
}

/* Renders a JSON value as the text a column of any type can be read from. */
char *
dws_json_text(json_t *v)
{
	char		buf[64];
	JsonTextBuf jbuf;

	if (v == NULL)
		return NULL;
	switch (json_typeof(v))
	{
		case JSON_NULL:
			return NULL;
		case JSON_STRING:
			return dws_strndup(json_string_value(v), strlen(json_string_value(v)));
		case JSON_INTEGER:
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
			return dws_strndup(buf, strlen(buf));
		case JSON_REAL:
			format_real(json_real_value(v), buf, sizeof(buf));
			return dws_strndup(buf, strlen(buf));
		case JSON_TRUE:
			return dws_strndup("true", 4);
		case JSON_FALSE:
			return dws_strndup("false", 5);
		case JSON_OBJECT:
		case JSON_ARRAY:
			break;
	}

	jbuf.cap = 64;
	jbuf.len = 0;
	jbuf.oom = 0;
	jbuf.data = dws_alloc(jbuf.cap);
	if (jbuf.data == NULL)
		return NULL;
	jbuf.data[0] = '\0';
	jbuf_append_json(&jbuf, v, 0);
	if (jbuf.oom)
	{
		dws_free(jbuf.data);
		return NULL;
	}
	return jbuf.data;
}

/* Reads exactly n ASCII digits at s into *val; 0 if any is not a digit. */
static int
read_digits(const char *s, int n, int *val)
{
	int			i;
	int			r = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return 0;
		r = r * 10 + (s[i] - '0');
	}
	*val = r;
	return 1;
}

static int
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap_year(y))
		return 29;
	return mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long
days_from_civil(int y, int m, int d)
{
	long long	yy = y - (m <= 2 ? 1 : 0);
	long long	era = (yy >= 0 ? yy : yy - 399) / 400;
	long long	yoe = yy - era * 400;
	long long	mp = (m + 9) % 12;
	long long	doy = (153 * mp + 2) / 5 + d - 1;
	long long	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The proleptic Gregorian date of a day count since 1970-01-01. */
static void
civil_from_days(long long days, int *y, int *m, int *d)
{
	long long	z = days + 719468;
	long long	era = (z >= 0 ? z : z - 146096) / 146097;
	long long	doe = z - era * 146097;
	long long	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long	mp = (5 * doy + 2) / 153;
	long long	yy = yoe + era * 400;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yy + (*m <= 2 ? 1 : 0));
}

/*
 * Normalizes an API time to a UTC timestamp literal.  Parsed by hand so the
 * result depends neither on TZ nor on the C library's date functions.
 */
int
dws_time_to_utc(const char *in, int with_offset, char *out, size_t outlen)
{
	const char *p = in;
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	int			usec = 0;
	int			offsign = 0;
	int			offh = 0;
	int			offm = 0;
	long long	days;
	long long	secs;
	char		buf[64];
	size_t		len;

	if (in == NULL || out == NULL)
		return -1;

	/* YYYY-MM-DD */
	if (!read_digits(p, 4, &year) || p[4] != '-' ||
		!read_digits(p + 5, 2, &month) || p[7] != '-' ||
		!read_digits(p + 8, 2, &day))
		return -1;
	p += 10;

	/* T or space, then HH:MM:SS */
	if (*p != 'T' && *p != ' ')
		return -1;
	p++;
	if (!read_digits(p, 2, &hour) || p[2] != ':' ||
		!read_digits(p + 3, 2, &minute) || p[5] != ':' ||
		!read_digits(p + 6, 2, &second))
		return -1;
	p += 8;

	/* fraction: 1 to 9 digits, truncated to microseconds */
	if (*p == '.')
	{
		int			ndigits = 0;

		p++;
		while (*p >= '0' && *p <= '9')
		{
			if (ndigits < 6)
				usec = usec * 10 + (*p - '0');
			ndigits++;
			p++;
		}
		if (ndigits == 0 || ndigits > 9)
			return -1;
		for (; ndigits < 6; ndigits++)
			usec *= 10;
	}

	/* offset */
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		offsign = (*p == '+') ? 1 : -1;
		p++;
		if (!read_digits(p, 2, &offh))
			return -1;
		p += 2;
		if (*p == ':')
		{
			if (!read_digits(p + 1, 2, &offm))
				return -1;
			p += 3;
		}
		else if (*p >= '0' && *p <= '9')
		{
			if (!read_digits(p, 2, &offm))
				return -1;
			p += 2;
		}
		if (offh > 23 || offm > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;

	if (year < 1 || month < 1 || month > 12 ||
		day < 1 || day > days_in_month(year, month) ||
		hour > 23 || minute > 59 || second > 59)
		return -1;

	/* shift to UTC */
	days = days_from_civil(year, month, day);
	secs = days * 86400 + hour * 3600 + minute * 60 + second;
	secs -= (long long) offsign * (offh * 3600 + offm * 60);
	days = secs / 86400;
	secs %= 86400;
	if (secs < 0)
	{
		secs += 86400;
		days--;
	}
	civil_from_days(days, &year, &month, &day);
	if (year < 1 || year > 9999)
		return -1;			/* not representable as YYYY */

	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d",
			 year, month, day,
			 (int) (secs / 3600), (int) (secs % 3600 / 60), (int) (secs % 60));
	len = strlen(buf);
	if (usec != 0)
	{
		char		frac[8];
		size_t		flen;

		snprintf(frac, sizeof(frac), ".%06d", usec);
		flen = 7;
		while (frac[flen - 1] == '0')
			flen--;
		memcpy(buf + len, frac, flen);
		len += flen;
		buf[len] = '\0';
	}
	if (with_offset)
	{
		memcpy(buf + len, "+00", 4);
		len += 3;
	}
	if (len + 1 > outlen)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}

/*
 * Turns a DR sync period into an interval literal.  Strict: digits then
 * one unit letter (m, H or d, case-sensitive as documented), nothing else.
 */
int
dws_sync_period_interval(const char *in, char *out, size_t outlen)
{
	const char *p = in;
	int			value = 0;
	const char *unit;
	char		buf[32];
	size_t		len;

	if (in == NULL || out == NULL)
		return -1;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
	{
		value = value * 10 + (*p - '0');
		if (value > 3000)
			return -1;
		p++;
	}
	switch (*p)
	{
		case 'm':
			unit = "minutes";
			break;
		case 'H':
			unit = "hours";
			break;
		case 'd':
			unit = "days";
			break;
		default:
			return -1;
	}
	if (p[1] != '\0' || value < 1)
		return -1;

	snprintf(buf, sizeof(buf), "%d %s", value, unit);
	len = strlen(buf);
	if (len + 1 > outlen)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}
