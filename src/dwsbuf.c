/*-------------------------------------------------------------------------
 * dwsbuf.c
 *	  The growable string of the PostgreSQL-free modules (see dwsbuf.h).
 *
 * Written here because those modules must link without PostgreSQL (so no
 * StringInfo) and must not throw on out-of-memory inside a backend; neither
 * libcurl's nor jansson's buffers are public API.
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwsbuf.h"

/* Starts an empty buffer using alloc/free (NULL for malloc/free). */
void
dws_buf_init(DwsBuf *buf, DwsAllocFn alloc_fn, DwsFreeFn free_fn)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->oom = 0;
	buf->secret = 0;
	buf->alloc_fn = alloc_fn;
	buf->free_fn = free_fn;
}

/*
 * Frees a block of the buffer (the current one, or the one a growth
 * copied from, while buf->cap is still its size); a secret buffer's block
 * is zeroed first, so that growing leaves no copy of it behind.
 */
static void
buf_release(DwsBuf *buf, void *p)
{
	if (p == NULL)
		return;
	if (buf->secret)
		explicit_bzero(p, buf->cap);
	if (buf->free_fn != NULL)
		buf->free_fn(p);
	else
		free(p);
}

/*
 * Makes room for extra more bytes plus a terminator, doubling the capacity
 * (jansson's allocator has no realloc, so growing copies); sets oom on
 * failure.
 */
static void
buf_reserve(DwsBuf *buf, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *newdata;

	if (buf->oom)
		return;
	if (extra > SIZE_MAX - buf->len - 1)
	{
		buf->oom = 1;
		return;
	}
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return;
	newcap = buf->cap ? buf->cap : 64;
	while (newcap < need)
	{
		if (newcap > SIZE_MAX / 2)
		{
			newcap = need;
			break;
		}
		newcap *= 2;
	}
	newdata = buf->alloc_fn != NULL ? buf->alloc_fn(newcap) : malloc(newcap);
	if (newdata == NULL)
	{
		buf->oom = 1;
		return;
	}
	if (buf->len > 0)
		memcpy(newdata, buf->data, buf->len);
	buf_release(buf, buf->data);
	buf->data = newdata;
	buf->cap = newcap;
}

/* Appends len bytes of s, keeping the buffer NUL-terminated. */
void
dws_buf_append(DwsBuf *buf, const char *s, size_t len)
{
	buf_reserve(buf, len);
	if (buf->oom)
		return;
	if (len > 0)
		memcpy(buf->data + buf->len, s, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* Appends a NUL-terminated string. */
void
dws_buf_append_str(DwsBuf *buf, const char *s)
{
	dws_buf_append(buf, s, strlen(s));
}

char *
dws_buf_finish(DwsBuf *buf)
{
	if (!buf->oom && buf->data == NULL)
		buf_reserve(buf, 0);
	if (buf->oom)
	{
		buf_release(buf, buf->data);
		buf->data = NULL;
		return NULL;
	}
	buf->data[buf->len] = '\0';
	return buf->data;
}
