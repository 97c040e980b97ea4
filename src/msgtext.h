/*-------------------------------------------------------------------------
 * msgtext.h
 *	  Text from the API made fit for the database (msgtext.c): values in the
 *	  database encoding, pieces of messages safe to show.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_MSGTEXT_H
#define DWSDR_MSGTEXT_H

extern void dws_msg_prepare(void);
extern char *dws_msg_text(const char *s, size_t len, size_t maxbytes);
extern char *dws_text_to_server(const char *s, size_t len, size_t *outlen,
								int32 *badchar);

#endif							/* DWSDR_MSGTEXT_H */
