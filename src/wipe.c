/*-------------------------------------------------------------------------
 * wipe.c
 *	  Freeing libcurl header lists that hold secrets, overwritten first.
 *
 * curl_slist_append keeps its own copy of each header line, and
 * curl_slist_free_all frees those copies as they are: the Authorization
 * header (with its signature), X-Auth-Token and X-Security-Token would stay
 * in freed memory until something reuses it.  No PostgreSQL headers, so the
 * unit tests can check it against libcurl's own allocator.
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "wipe.h"

/*
 * Overwrites every line of list with zeros, then frees the list.  Every
 * line, not only the secret ones: the lists are a dozen short lines, and
 * no list of secret header names has to be kept in step with the code
 * that builds them.  explicit_bzero, which the compiler may not drop as a
 * store to memory about to be freed.  NULL is an empty list.
 */
void
dws_slist_free_wiped(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l != NULL; l = l->next)
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}
