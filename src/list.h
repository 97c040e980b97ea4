/*-------------------------------------------------------------------------
 * list.h
 *	  Splitting the list call's answer into its items.
 *
 * Free of PostgreSQL headers, like record.h, so that the unit tests and the
 * fuzzers link it alone.  Allocations go through jansson's allocator
 * (json_get_alloc_funcs); release them with dws_free().
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_LIST_H
#define DWSDR_LIST_H

#include <stddef.h>

/* Where one item lies in the body. */
typedef struct DwsRange
{
	size_t		off;
	size_t		len;
} DwsRange;

/*
 * The byte ranges of the items of a list body's "disaster_recovery" array,
 * read with jansson one member and one item at a time, so that no tree of
 * the whole list is ever built.  Accepts exactly the bodies that a parse of
 * the whole body as one object holding that array accepts (escaped keys,
 * repeated keys: the last one counts), with the nesting limit of
 * dws_parse_body.  Returns the number of items, with *ranges allocated by
 * jansson's allocator (dws_free it; NULL when there are none); or -1 when
 * the body is not such an object or memory ran out (*ranges is then NULL;
 * parse the body whole to say why).
 */
extern long dws_list_item_ranges(const char *body, size_t len,
								 DwsRange **ranges);

#endif
