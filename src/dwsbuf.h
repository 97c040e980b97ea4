/*-------------------------------------------------------------------------
 * dwsbuf.h
 *	  The growable string of the PostgreSQL-free modules (sign.c,
 *	  jsontext.c, record.c).
 *
 * The PostgreSQL side uses StringInfo; the modules that the unit tests and
 * the fuzzers link without a server use this one.  Its memory comes from a
 * given allocator (malloc when none is given; jansson's allocator for JSON
 * text, which inside the server is palloc-based), and an allocation failure
 * never throws: "oom" is set, later appends do nothing, and the caller
 * checks once, in dws_buf_finish.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_DWSBUF_H
#define DWSDR_DWSBUF_H

#include <stddef.h>

typedef void *(*DwsAllocFn) (size_t size);
typedef void (*DwsFreeFn) (void *p);

typedef struct DwsBuf
{
	char	   *data;			/* NUL-terminated once anything is added */
	size_t		len;
	size_t		cap;
	int			oom;			/* an allocation failed */
	DwsAllocFn	alloc_fn;		/* NULL: malloc */
	DwsFreeFn	free_fn;		/* NULL: free */
	int			secret;			/* zero every block before it is freed */
} DwsBuf;

/* An empty buffer in malloc'd memory. */
#define DWS_BUF_MALLOC {NULL, 0, 0, 0, NULL, NULL, 0}
/* The same for text that holds a secret: no copy is freed unwiped. */
#define DWS_BUF_MALLOC_SECRET {NULL, 0, 0, 0, NULL, NULL, 1}

extern void dws_buf_init(DwsBuf *buf, DwsAllocFn alloc_fn, DwsFreeFn free_fn);
extern void dws_buf_append(DwsBuf *buf, const char *s, size_t len);
extern void dws_buf_append_str(DwsBuf *buf, const char *s);

/*
 * The buffer's string, handed to the caller (an empty string when nothing
 * was added), or NULL after an allocation failure, the memory then freed.
 */
extern char *dws_buf_finish(DwsBuf *buf);

#endif
