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
 * each value's tree is checked and dropped at once, and only the items'
 * byte ranges are kept.  Every string, number and literal is read by
 * jansson; what this file reads itself are the six structural characters
 * between those values ({ } [ ] : ,) and the whitespace around them, so
 * what it accepts is what a parse of the whole body accepts: escaped keys,
 * repeated keys (the last one counts, as in json_loadb), any valid item.
 * Time is linear in the body: each byte is read by jansson once here and
 * once more when the caller parses the item it wants.
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
	v = json_loadb(c->body + c->pos, c->len - c->pos,
				   JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
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

/* Appends one range, doubling the array as it fills; 0 on no memory. */
static int
add_range(DwsRange **ranges, size_t *n, size_t *cap, size_t off, size_t len)
{
	if (*n == *cap)
	{
		json_malloc_t m;
		json_free_t f;
		size_t		newcap = *cap ? *cap * 2 : 64;
		DwsRange   *nr;

		json_get_alloc_funcs(&m, &f);
		nr = m(newcap * sizeof(DwsRange));
		if (nr == NULL)
			return 0;
		if (*n)
			memcpy(nr, *ranges, *n * sizeof(DwsRange));
		if (*ranges)
			f(*ranges);
		*ranges = nr;
		*cap = newcap;
	}
	(*ranges)[*n].off = off;
	(*ranges)[*n].len = len;
	(*n)++;
	return 1;
}

/*
 * Reads the array of the list key at the cursor (just past the ':'),
 * keeping each item's range.  Items sit two levels down in the body.
 */
static int
read_items(Cursor *c, DwsRange **ranges, size_t *n, size_t *cap)
{
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
			add_range(ranges, n, cap, start, c->pos - start);
		json_decref(item);
		if (!ok)
			return 0;
		if (expect(c, ']'))
			return 1;
		if (!expect(c, ','))
			return 0;
	}
}

long
dws_list_item_ranges(const char *body, size_t len, DwsRange **ranges)
{
	Cursor		c = {body, len, 0};
	DwsRange   *r = NULL;
	size_t		n = 0,
				cap = 0;
	int			found = 0;
	int			ok = 0;

	*ranges = NULL;
	if (body == NULL || len > (size_t) LONG_MAX || !expect(&c, '{'))
		return -1;
	if (expect(&c, '}'))
		goto end;
	for (;;)
	{
		json_t	   *key = read_value(&c);
		int			is_list;

		if (!json_is_string(key))
		{
			json_decref(key);
			goto done;
		}
		/* compared as jansson decoded it: "\u0064isaster_recovery" counts */
		is_list = json_string_length(key) == strlen(LIST_KEY) &&
			memcmp(json_string_value(key), LIST_KEY, strlen(LIST_KEY)) == 0;
		json_decref(key);
		if (!expect(&c, ':'))
			goto done;
		if (is_list && peek(&c) == '[')
		{
			/* a repeated key replaces the earlier value, as in json_loadb */
			n = 0;
			found = 1;
			if (!read_items(&c, &r, &n, &cap))
				goto done;
		}
		else
		{
			json_t	   *v = read_value(&c);
			int			deep_ok = v != NULL &&
				depth_within(v, DWS_MAX_JSON_DEPTH - 1);

			json_decref(v);
			if (!deep_ok)
				goto done;
			if (is_list)
				found = 0;		/* the key now holds something else */
		}
		if (expect(&c, '}'))
			break;
		if (!expect(&c, ','))
			goto done;
	}
end:
	/* nothing but whitespace may follow */
	ok = found && peek(&c) < 0;
done:
	if (!ok)
	{
		dws_free(r);
		return -1;
	}
	if (n == 0)
	{
		dws_free(r);
		r = NULL;
	}
	*ranges = r;
	return (long) n;
}
