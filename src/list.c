/*-------------------------------------------------------------------------
 * list.c
 *	  The items of the list call's answer, found with jansson.
 *
 * The list call has no pagination: its answer is one object whose
 * "disaster_recovery" array holds every task of the project, tens of
 * megabytes for a large one.  A tree of all of it would cost several times
 * its bytes, so the body is read one member and one item at a time:
 * json_loadb with JSON_DISABLE_EOF_CHECK reads exactly one value where it
 * is told to start and says how many bytes it used (json_error_t.position),
 * each value's tree is checked and dropped at once, and each item goes to
 * the caller as it is read (fetch.c keeps its byte range, or its tree).  Every string, number and literal is read by
 * jansson; what this file reads itself are the six structural characters
 * between those values ({ } [ ] : ,) and the whitespace around them, so
 * what it accepts is what a parse of the whole body accepts: escaped keys,
 * repeated keys (the last one counts, as in json_loadb), any valid item.
 * Time is linear in the body: each byte is read by jansson once here, and
 * once more when a caller parses an item again from its range.
 *
 * The whole body is in memory (the caller receives it first): a streaming
 * split would save that memory only at the price of a tokenizer of our own,
 * and the body of a 20,000-task project is about 20 MB.
 *
 * No PostgreSQL headers: the unit tests and the fuzzer link this file alone.
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <string.h>

#include <jansson.h>

#include "list.h"
#include "record.h"

#define LIST_KEY "disaster_recovery"

/* A cursor over the body. */
typedef struct Cursor
{
	const char *body;
	size_t		len;
	size_t		pos;
} Cursor;

/* Skips JSON whitespace; returns the next byte, or -1 at the end. */
static int
peek(Cursor *c)
{
	while (c->pos < c->len &&
		   (c->body[c->pos] == ' ' || c->body[c->pos] == '\t' ||
			c->body[c->pos] == '\n' || c->body[c->pos] == '\r'))
		c->pos++;
	return c->pos < c->len ? (unsigned char) c->body[c->pos] : -1;
}

/* Consumes the structural character ch, if it is next. */
static int
expect(Cursor *c, int ch)
{
	if (peek(c) != ch)
		return 0;
	c->pos++;
	return 1;
}

/*
 * True when v nests arrays and objects no deeper than maxdepth (a scalar
 * is 0 deep).  jansson bounds the recursion of its own parse; this only
 * applies the project's lower limit (DWS_MAX_JSON_DEPTH) to the whole body.
 */
static int
depth_within(json_t *v, int maxdepth)
{
	const char *key;
	json_t	   *child;
	size_t		i;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (maxdepth < 1)
		return 0;
	if (json_is_object(v))
	{
		json_object_foreach(v, key, child)
			if (!depth_within(child, maxdepth - 1))
			return 0;
	}
	else
	{
		json_array_foreach(v, i, child)
			if (!depth_within(child, maxdepth - 1))
			return 0;
	}
	return 1;
}

/*
 * Reads the one value at the cursor with jansson and moves past it.  NULL
 * when there is no valid value there.  The caller releases the result.
 */
static json_t *
read_value(Cursor *c)
{
	json_error_t jerr;
	json_t	   *v;

	if (peek(c) < 0)
		return NULL;
	/* as dws_parse_body reads a body, one value at a time */
	v = json_loadb(c->body + c->pos, c->len - c->pos,
				   DWS_JSON_FLAGS | JSON_DISABLE_EOF_CHECK, &jerr);
	if (v == NULL)
		return NULL;
	/* position is an int: a value that long cannot be placed, refuse it */
	if (jerr.position <= 0 || (size_t) jerr.position > c->len - c->pos)
	{
		json_decref(v);
		return NULL;
	}
	c->pos += (size_t) jerr.position;
	return v;
}

/*
 * Reads the array of the list key at the cursor (just past the ':'),
 * handing each item to fn.  Items sit two levels down in the body.
 */
static int
read_items(Cursor *c, DwsListItemFn fn, void *arg, size_t *count)
{
	size_t		index = 0;

	*count = 0;
	if (!expect(c, '['))
		return 0;
	if (expect(c, ']'))
		return 1;
	for (;;)
	{
		size_t		start;
		json_t	   *item;
		int			ok;

		(void) peek(c);
		start = c->pos;
		item = read_value(c);
		if (item == NULL)
			return 0;
		ok = depth_within(item, DWS_MAX_JSON_DEPTH - 2) &&
			fn(arg, index, item, start, c->pos - start) == 0;
		json_decref(item);
		if (!ok)
			return 0;
		*count = ++index;
		if (expect(c, ']'))
			return 1;
		if (!expect(c, ','))
			return 0;
	}
}

long
dws_list_walk(const char *body, size_t len, DwsListItemFn fn, void *arg)
{
	Cursor		c = {body, len, 0};
	int			found = 0;
	size_t		count = 0;

	/*
	 * A NUL byte is not JSON anywhere, and jansson's buffer reader skips it
	 * without counting it in json_error_t.position, which would put the
	 * cursor off the value's end: such a body is refused whole.
	 */
	if (body == NULL || len > (size_t) LONG_MAX ||
		memchr(body, '\0', len) != NULL || !expect(&c, '{'))
		return -1;
	if (expect(&c, '}'))
		return -1;				/* no array */
	for (;;)
	{
		json_t	   *key = read_value(&c);
		int			is_list;

		if (!json_is_string(key))
		{
			json_decref(key);
			return -1;
		}
		/* compared as jansson decoded it: "\u0064isaster_recovery" counts */
		is_list = json_string_length(key) == strlen(LIST_KEY) &&
			memcmp(json_string_value(key), LIST_KEY, strlen(LIST_KEY)) == 0;
		json_decref(key);
		if (!expect(&c, ':'))
			return -1;
		if (is_list && peek(&c) == '[')
		{
			/* a repeated key replaces the earlier value: indexes restart */
			found = 1;
			if (!read_items(&c, fn, arg, &count))
				return -1;
		}
		else
		{
			json_t	   *v = read_value(&c);
			int			deep_ok = v != NULL &&
				depth_within(v, DWS_MAX_JSON_DEPTH - 1);

			json_decref(v);
			if (!deep_ok)
				return -1;
			if (is_list)
				found = 0;		/* the key now holds something else */
		}
		if (expect(&c, '}'))
			break;
		if (!expect(&c, ','))
			return -1;
	}
	/* the array, and nothing but whitespace after the object */
	return found && peek(&c) < 0 ? (long) count : -1;
}
