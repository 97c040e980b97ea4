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
#include <jansson.h>

/* Where one item lies in the body. */
typedef struct DwsRange
{
	size_t		off;
	size_t		len;
} DwsRange;

/*
 * Reads a list body's "disaster_recovery" array item by item with jansson,
 * so that no tree of the whole list is ever built, and hands each item to
 * fn: its index, its tree (borrowed: json_incref it to keep it) and its
 * bytes in the body.  fn returns 0, or -1 to stop the walk.  A repeated key
 * replaces the earlier array, as in a parse of the whole body: its items
 * come again from index 0, and the result counts the last array only.
 *
 * Accepts exactly the bodies that a parse of the whole body as one object
 * holding that array accepts (keys spelled with escapes, repeated keys),
 * with the nesting limit of dws_parse_body (DWS_MAX_JSON_DEPTH).  Returns
 * the number of items of the array, or -1 when the body is not such an
 * object, memory ran out or fn stopped the walk (parse the body whole to
 * say why).
 */
typedef int (*DwsListItemFn) (void *arg, size_t index, json_t *item,
							  size_t off, size_t len);

extern long dws_list_walk(const char *body, size_t len, DwsListItemFn fn,
						  void *arg);

#endif
