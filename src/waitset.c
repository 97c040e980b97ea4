/*-------------------------------------------------------------------------
 * waitset.c
 *	  The sockets libcurl asks to be watched, and the WaitEventSets that
 *	  wait on them with the latch and postmaster death: one connection's,
 *	  kept from wait to wait, or several connections' at once.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"

#include <sys/stat.h>

#include "compat.h"
#include "waitset.h"

/* A socket of the multi handle and what curl waits for on it. */
typedef struct DwsSock
{
	curl_socket_t fd;
	int			what;			/* CURL_POLL_IN, _OUT, _INOUT */
} DwsSock;

/*
 * A socket in DwsSockets.wes: its position there, the events it waits for,
 * and which socket the descriptor was when it was added (a descriptor
 * number can be closed and given to a new socket in between).
 */
typedef struct DwsWatched
{
	curl_socket_t fd;
	dev_t		dev;
	ino_t		ino;
	int			pos;
	int			events;
} DwsWatched;

/*
 * The wait set of a wait that drives several connections (one DwsSockets
 * each).  Kept while the same connections wait on the same sockets; any
 * change of a socket (shared_changed) or of the connections, or a
 * connection freed, builds it anew.
 */
static WaitEventSet *SharedWes = NULL;
static List *SharedWesSocks = NIL;	/* in TopMemoryContext */
static bool SharedWesValid = false;


/*
 * CURLMOPT_SOCKETFUNCTION: curl tells which sockets to watch, and for what.
 * Runs inside libcurl, so it never throws: when the table cannot grow it
 * returns -1 and curl fails that transfer.
 *
 * Why the socket callback rather than curl_multi_fdset: an fd_set cannot
 * hold a descriptor past FD_SETSIZE, and curl then silently leaves it out,
 * so a backend with many files open would stop waiting on its sockets.
 * curl_multi_waitfds has no such limit but needs curl 8.8.  The callback
 * works with every libcurl this builds against and tells which socket is
 * ready, so only that one is handed back to curl.
 */
int
dws_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
			   void *socketp)
{
	DwsSockets *s = (DwsSockets *) userp;
	int			i;

	for (i = 0; i < s->nsocks; i++)
		if (s->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE)
	{
		if (i < s->nsocks)
		{
			s->socks[i] = s->socks[--s->nsocks];
			s->socks_changed = true;
			s->shared_changed = true;
		}
		return 0;
	}
	if (i == s->nsocks)
	{
		if (s->nsocks == s->socks_cap)
		{
			int			cap = Max(8, s->socks_cap * 2);
			DwsSock    *socks;

			socks = MemoryContextAllocExtended(s->cxt, cap * sizeof(DwsSock),
											   MCXT_ALLOC_NO_OOM);
			if (socks == NULL)
				return -1;
			if (s->nsocks > 0)
				memcpy(socks, s->socks, s->nsocks * sizeof(DwsSock));
			if (s->socks)
				pfree(s->socks);
			s->socks = socks;
			s->socks_cap = cap;
		}
		s->socks[i].fd = fd;
		s->socks[i].what = 0;
		s->nsocks++;
	}
	if (s->socks[i].what != what)
		s->socks_changed = s->shared_changed = true;
	s->socks[i].what = what;
	return 0;
}

/*
 * Postmaster death ends the backend while it waits, as WaitLatch's
 * WL_EXIT_ON_PM_DEATH does.  A single-user backend has no postmaster (and
 * nothing to watch: adding it fails), so it is left out there, as WaitLatch
 * leaves it out.
 */
static void
add_postmaster_death(WaitEventSet *wes)
{
	if (IsUnderPostmaster)
		AddWaitEventToSet(wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
						  NULL, NULL);
}

/* The wait events a socket curl watches for "what" needs. */
static int
sock_events(int what)
{
	int			events = 0;

	if (what & CURL_POLL_IN)
		events |= WL_SOCKET_READABLE;
	if (what & CURL_POLL_OUT)
		events |= WL_SOCKET_WRITEABLE;
	return events;
}

/*
 * Whether s->wes can serve the sockets curl now asks for, changing the
 * events of those it holds in place: true when it holds exactly the same
 * sockets, each still the same open socket.  That is the common case of
 * one kept-alive connection (curl drops its socket from the watch list at
 * the end of each call and adds it back at the next), and it saves
 * building a new set (an epoll descriptor and a system call per event) on
 * every call.  A socket that curl closed and whose number went to a new
 * socket is told apart by its inode, so a stale registration is never
 * reused; a set that holds a socket curl no longer watches is never
 * reused either (an idle socket would keep waking the wait).
 */
static bool
wait_set_reuse(DwsSockets *s)
{
	int			nwatched = s->nwatched;
	int			nactive = 0;
	int			i;

	/* until the end: if a change throws, the next wait builds a new set */
	s->nwatched = -1;
	for (i = 0; i < s->nsocks; i++)
	{
		int			events = sock_events(s->socks[i].what);
		DwsWatched *w = NULL;
		struct stat st;
		int			j;

		if (events == 0)
			continue;
		nactive++;
		for (j = 0; j < nwatched && w == NULL; j++)
			if (s->watched[j].fd == s->socks[i].fd)
				w = &s->watched[j];
		if (w == NULL || fstat(w->fd, &st) != 0 ||
			st.st_dev != w->dev || st.st_ino != w->ino)
			return false;
		if (w->events != events)
		{
			ModifyWaitEvent(s->wes, w->pos, events, NULL);
			w->events = events;
		}
	}
	if (nactive != nwatched)
		return false;
	s->nwatched = nwatched;
	return true;
}

/*
 * The set a wait of one connection sleeps on: this backend's latch
 * (signals such as cancel, statement_timeout and terminate set it),
 * postmaster death (the backend exits at once, never outliving its
 * postmaster), and the sockets curl asked for.  Kept from one wait to the
 * next while it holds the same sockets (wait_set_reuse), else built anew:
 * a set cannot drop an event.  s->wes is set before the sockets are added,
 * so an ERROR in between leaves nothing behind that the next call or
 * dws_sockets_free does not free.
 */
WaitEventSet *
dws_sockets_wait_set(DwsSockets *s)
{
	int			i;

	if (s->wes != NULL && !s->socks_changed)
		return s->wes;
	if (s->wes != NULL && wait_set_reuse(s))
	{
		s->socks_changed = false;
		return s->wes;
	}
	if (s->wes != NULL)
		FreeWaitEventSet(s->wes);
	s->wes = NULL;
	s->nwatched = 0;
	if (s->watched)
		pfree(s->watched);
	s->watched = NULL;
	s->socks_changed = true;
	s->watched = MemoryContextAlloc(s->cxt,
									   Max(s->nsocks, 1) * sizeof(DwsWatched));
	s->wes = dws_create_wait_event_set(s->cxt, s->nsocks + 2);
	AddWaitEventToSet(s->wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	add_postmaster_death(s->wes);
	for (i = 0; i < s->nsocks; i++)
	{
		int			events = sock_events(s->socks[i].what);
		DwsWatched *w;
		struct stat st;

		if (events == 0)
			continue;
		/*
		 * A descriptor that is no longer open (curl closed it without
		 * telling) cannot be watched: left out rather than failing the
		 * wait.
		 */
		if (fstat(s->socks[i].fd, &st) != 0)
			continue;
		w = &s->watched[s->nwatched];
		w->fd = s->socks[i].fd;
		w->events = events;
		w->dev = st.st_dev;
		w->ino = st.st_ino;
		w->pos = AddWaitEventToSet(s->wes, events, s->socks[i].fd,
								   NULL, NULL);
		s->nwatched++;
	}
	s->socks_changed = false;
	return s->wes;
}

/*
 * The wait set of a wait that drives several connections: the latch,
 * postmaster death, and each one's sockets with its owner as their
 * user_data.  Kept while the same connections wait on the same sockets,
 * else built anew (see dws_sockets_wait_set, whose rules it follows:
 * SharedWes is set before anything is added, so an ERROR in between leaves
 * nothing that the next call does not free).
 */
WaitEventSet *
dws_shared_wait_set(List *socks)
{
	ListCell   *lc;
	int			nevents = 2;
	MemoryContext old;

	if (SharedWesValid && list_length(socks) == list_length(SharedWesSocks))
	{
		bool		same = true;
		ListCell   *lc2;

		forboth(lc, socks, lc2, SharedWesSocks)
		{
			if (lfirst(lc) != lfirst(lc2) ||
				((DwsSockets *) lfirst(lc))->shared_changed)
				same = false;
		}
		if (same)
			return SharedWes;
	}
	SharedWesValid = false;
	if (SharedWes != NULL)
		FreeWaitEventSet(SharedWes);
	SharedWes = NULL;
	list_free(SharedWesSocks);
	SharedWesSocks = NIL;

	foreach(lc, socks)
		nevents += ((DwsSockets *) lfirst(lc))->nsocks;
	SharedWes = dws_create_wait_event_set(TopMemoryContext, nevents);
	AddWaitEventToSet(SharedWes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	add_postmaster_death(SharedWes);
	foreach(lc, socks)
	{
		DwsSockets *s = (DwsSockets *) lfirst(lc);
		int			i;

		for (i = 0; i < s->nsocks; i++)
		{
			int			events = sock_events(s->socks[i].what);
			struct stat st;

			/* a descriptor no longer open is left out, as above */
			if (events == 0 || fstat(s->socks[i].fd, &st) != 0)
				continue;
			AddWaitEventToSet(SharedWes, events, s->socks[i].fd, NULL,
							  s->owner);
		}
		s->shared_changed = false;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	SharedWesSocks = list_copy(socks);
	MemoryContextSwitchTo(old);
	SharedWesValid = true;
	return SharedWes;
}

/* Frees the wait set of s; a shared set may hold its sockets or address. */
void
dws_sockets_free(DwsSockets *s)
{
	if (s->wes)
		FreeWaitEventSet(s->wes);
	s->wes = NULL;
	SharedWesValid = false;
}
