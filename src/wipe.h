/*-------------------------------------------------------------------------
 * wipe.h
 *	  Freeing libcurl header lists that hold secrets, overwritten first.
 *	  No PostgreSQL headers: test/unit/test_wipe.c tests it directly.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_WIPE_H
#define DWSDR_WIPE_H

#include <curl/curl.h>

extern void dws_slist_free_wiped(struct curl_slist *list);

#endif							/* DWSDR_WIPE_H */
