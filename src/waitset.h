/*-------------------------------------------------------------------------
 * waitset.h
 *	  The sockets libcurl asks to be watched (CURLMOPT_SOCKETFUNCTION) and
 *	  the WaitEventSets of the latch, postmaster death and those sockets.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_WAITSET_H
#define DWSDR_WAITSET_H

#include "nodes/pg_list.h"
#include "storage/latch.h"

#include <curl/curl.h>

/* The sockets of one multi handle, and the wait set kept for them. */
typedef struct DwsSockets
{
	MemoryContext cxt;			/* holds the tables below */
	void	   *owner;			/* user_data of its sockets in a shared set */
	struct DwsSock *socks;
	int			nsocks;
	int			socks_cap;
	bool		socks_changed;	/* curl changed socks since the last wait */
	bool		shared_changed; /* ... since the shared set was built */
	WaitEventSet *wes;			/* latch, postmaster death, socks */
	struct DwsWatched *watched; /* the sockets wes holds, nwatched of them */
	int			nwatched;
} DwsSockets;

/* CURLMOPT_SOCKETFUNCTION, with CURLMOPT_SOCKETDATA a DwsSockets */
extern int	dws_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
						  void *socketp);
extern WaitEventSet *dws_sockets_wait_set(DwsSockets *s);
extern WaitEventSet *dws_shared_wait_set(List *socks);
extern void dws_sockets_free(DwsSockets *s);

#endif							/* DWSDR_WAITSET_H */
