/*-------------------------------------------------------------------------
 * activity.h
 *	  What each backend is calling, for dwsdr_activity(), and the wait
 *	  events of its waits.  See activity.c.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_ACTIVITY_H
#define DWSDR_ACTIVITY_H

/* the activity of this backend (dwsdr_activity()) */
extern void dws_activity_begin(Oid serverid, Oid userid);
extern void dws_activity_count(int total, int done, int in_flight);
extern void dws_activity_waiting(bool waiting);
extern void dws_activity_end(int total, int done);

/* wait events: the API answer, the budget */
extern uint32 dws_wait_event_api(void);
extern uint32 dws_wait_event_budget(void);

/* for shared.c: the activity slots' part of shared memory */
extern Size dws_activity_shmem_size(void);
extern void dws_activity_shmem_startup(void);

#endif							/* DWSDR_ACTIVITY_H */
