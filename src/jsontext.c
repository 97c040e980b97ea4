/*-------------------------------------------------------------------------
 * jsontext.c
 *	  JSON values as the text a column reads.
 *
 * A scalar becomes its text (a string as is, a number in decimal), an
 * object or array compact JSON.  This is the text of a value as jansson
 * holds it, for the values that have no text of the API's own (an object
 * the FDW built: see jsonsource.c).  json_dumps is not enough: it prints
 * reals with 17 digits (0.1 as 0.10000000000000001, which jsonb keeps as
 * another number), where PostgreSQL's shortest decimal (the one float8out
 * prints, common/shortest_dec.h) reads back as the same double.  No other
 * PostgreSQL code: libpgcommon has that function for the unit tests and
 * fuzzers, the server for the extension.  Memory comes from jansson's
 * allocator.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/shortest_dec.h"
#include "dwsbuf.h"
#include "record.h"

/*
 * Shortest text of a double that reads back as the same double: 0.1 shows
 * as "0.1", not "0.10000000000000001"; 1e22 as "1e+22".  buf holds at least
 * DOUBLE_SHORTEST_DECIMAL_LEN bytes.
 */
static void
format_real(double d, char *buf)
{
	(void) double_to_shortest_decimal_buf(d, buf);
}

/* Appends a JSON string literal: quotes, and escapes where JSON needs them. */
static void
append_string(DwsBuf *buf, const char *s, size_t len)
{
	size_t		i;
	size_t		run = 0;

	dws_buf_append(buf, "\"", 1);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		dws_buf_append(buf, s + run, i - run);
		run = i + 1;
		switch (c)
		{
			case '"':
				dws_buf_append(buf, "\\\"", 2);
				break;
			case '\\':
				dws_buf_append(buf, "\\\\", 2);
				break;
			case '\n':
				dws_buf_append(buf, "\\n", 2);
				break;
			case '\r':
				dws_buf_append(buf, "\\r", 2);
				break;
			case '\t':
				dws_buf_append(buf, "\\t", 2);
				break;
			case '\b':
				dws_buf_append(buf, "\\b", 2);
				break;
			case '\f':
				dws_buf_append(buf, "\\f", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int) c);
				dws_buf_append(buf, esc, 6);
				break;
		}
	}
	dws_buf_append(buf, s + run, len - run);
	dws_buf_append(buf, "\"", 1);
}

/*
 * Appends v as compact JSON.  Unlike json_dumps, which prints reals with 17
 * digits (0.1 -> 0.10000000000000001), reals get their shortest form.
 * Parsed bodies are at most DWS_MAX_JSON_DEPTH deep;
 * anything deeper (a tree built by other code) is left to json_dumps so
 * that this recursion stays bounded.
 */
static void
append_json(DwsBuf *buf, json_t *v, int depth)
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
			dws_buf_append(buf, "null", 4);
			return;
		case JSON_TRUE:
			dws_buf_append(buf, "true", 4);
			return;
		case JSON_FALSE:
			dws_buf_append(buf, "false", 5);
			return;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
			dws_buf_append(buf, num, strlen(num));
			return;
		case JSON_REAL:
			format_real(json_real_value(v), num);
			dws_buf_append(buf, num, strlen(num));
			return;
		case JSON_STRING:
			append_string(buf, json_string_value(v), json_string_length(v));
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
			dws_buf_append(buf, dumped, strlen(dumped));
		dws_free(dumped);
		return;
	}

	if (json_is_object(v))
	{
		dws_buf_append(buf, "{", 1);
		json_object_keylen_foreach(v, key, keylen, member)
		{
			if (!first)
				dws_buf_append(buf, ",", 1);
			first = 0;
			append_string(buf, key, keylen);
			dws_buf_append(buf, ":", 1);
			append_json(buf, member, depth + 1);
			if (buf->oom)
				return;
		}
		dws_buf_append(buf, "}", 1);
	}
	else
	{
		dws_buf_append(buf, "[", 1);
		json_array_foreach(v, i, member)
		{
			if (i > 0)
				dws_buf_append(buf, ",", 1);
			append_json(buf, member, depth + 1);
			if (buf->oom)
				return;
		}
		dws_buf_append(buf, "]", 1);
	}
}

/* Renders a JSON value as the text a column of any type can be read from. */
char *
dws_json_text(json_t *v)
{
	char		buf[64];
	DwsBuf		jbuf;

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
			format_real(json_real_value(v), buf);
			return dws_strndup(buf, strlen(buf));
		case JSON_TRUE:
			return dws_strndup("true", 4);
		case JSON_FALSE:
			return dws_strndup("false", 5);
		case JSON_OBJECT:
		case JSON_ARRAY:
			break;
	}

	dws_buf_init(&jbuf, dws_alloc, dws_free);
	append_json(&jbuf, v, 0);
	return dws_buf_finish(&jbuf);
}

