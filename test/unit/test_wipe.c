/*-------------------------------------------------------------------------
 * test_wipe.c
 *	  Unit test of src/wipe.c: the header lines libcurl copies into a
 *	  curl_slist are all zeros when libcurl frees them; and of a secret
 *	  DwsBuf (src/dwsbuf.c, the signer's): no block it outgrows is freed
 *	  unwiped.
 *
 * libcurl's allocator is replaced (curl_global_init_mem) by one that
 * remembers each block curl_slist_append copies a line into and, when
 * libcurl frees such a block, whether every byte of it was zero.  A plain
 * curl_slist_free_all is checked too, and must be seen as not wiped: that
 * shows the check can tell the two apart.
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "dwsbuf.h"
#include "tap.h"
#include "wipe.h"

#define MAX_BLOCKS 64

/* The line copies libcurl made, and what their bytes were when freed. */
static struct
{
	void	   *ptr;
	size_t		len;			/* with the terminating zero */
	int			freed;
	int			zero;			/* every byte zero when freed */
}			blocks[MAX_BLOCKS];
static int	nblocks = 0;

static void *
t_malloc(size_t n)
{
	return malloc(n);
}

static void *
t_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void *
t_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

/* curl_slist_append's copy of a line: remembered. */
static char *
t_strdup(const char *s)
{
	char	   *p = strdup(s);

	if (p != NULL && nblocks < MAX_BLOCKS)
	{
		blocks[nblocks].ptr = p;
		blocks[nblocks].len = strlen(s) + 1;
		blocks[nblocks].freed = 0;
		blocks[nblocks].zero = 0;
		nblocks++;
	}
	return p;
}

/* Before a remembered block goes, whether all its bytes are zero. */
static void
t_free(void *p)
{
	int			i;

	for (i = 0; p != NULL && i < nblocks; i++)
	{
		if (blocks[i].ptr == p && !blocks[i].freed)
		{
			size_t		k;

			blocks[i].freed = 1;
			blocks[i].zero = 1;
			for (k = 0; k < blocks[i].len; k++)
				if (((unsigned char *) p)[k] != 0)
					blocks[i].zero = 0;
			break;
		}
	}
	free(p);
}

/* A list like build_headers' for a signed call with a token. */
static struct curl_slist *
secret_list(void)
{
	struct curl_slist *h = NULL;

	nblocks = 0;
	h = curl_slist_append(h, "Host: 127.0.0.1:18931");
	h = curl_slist_append(h, "X-Security-Token: demo-security-token-0002");
	h = curl_slist_append(h, "X-Auth-Token: demo-iam-token-0003");
	h = curl_slist_append(h, "Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0123456789abcdef");
	return h;
}

/* How many of the remembered blocks were freed, and freed all zero. */
static void
tally(int *freed, int *zero)
{
	int			i;

	*freed = *zero = 0;
	for (i = 0; i < nblocks; i++)
	{
		*freed += blocks[i].freed;
		*zero += blocks[i].freed && blocks[i].zero;
	}
}

/* Blocks a DwsBuf gave back: how many, and how many were all zero. */
static int	buf_freed = 0;
static int	buf_freed_zero = 0;
static size_t buf_sizes[MAX_BLOCKS];
static void *buf_ptrs[MAX_BLOCKS];
static int	buf_nptrs = 0;

static void *
buf_alloc(size_t n)
{
	void	   *p = malloc(n);

	if (p != NULL && buf_nptrs < MAX_BLOCKS)
	{
		buf_ptrs[buf_nptrs] = p;
		buf_sizes[buf_nptrs++] = n;
	}
	return p;
}

/* Before a block of the buffer goes, whether all its bytes are zero. */
static void
buf_free(void *p)
{
	int			i;

	for (i = 0; i < buf_nptrs; i++)
	{
		if (buf_ptrs[i] == p)
		{
			size_t		k;
			int			zero = 1;

			for (k = 0; k < buf_sizes[i]; k++)
				if (((unsigned char *) p)[k] != 0)
					zero = 0;
			buf_freed++;
			buf_freed_zero += zero;
			buf_ptrs[i] = NULL;
			break;
		}
	}
	free(p);
}

/* Builds 1000 bytes of a token in a DwsBuf, which grows from 64 bytes. */
static char *
grow_token(int secret)
{
	DwsBuf		buf;
	int			i;

	buf_freed = buf_freed_zero = buf_nptrs = 0;
	dws_buf_init(&buf, buf_alloc, buf_free);
	buf.secret = secret;
	for (i = 0; i < 100; i++)
		dws_buf_append_str(&buf, "token-0123");
	return dws_buf_finish(&buf);
}

int
main(void)
{
	char	   *s;
	struct curl_slist *h;
	int			freed;
	int			zero;

	if (curl_global_init_mem(CURL_GLOBAL_ALL, t_malloc, t_free, t_realloc,
							 t_strdup, t_calloc) != CURLE_OK)
	{
		tap_ok(0, "curl_global_init_mem");
		return tap_done();
	}

	h = secret_list();
	tap_ok(h != NULL && nblocks == 4,
		   "the allocator sees curl_slist_append copy each of 4 lines (saw %d)",
		   nblocks);
	tap_str(h ? h->data : NULL, "Host: 127.0.0.1:18931",
			"the list holds its first line as given");
	curl_slist_free_all(h);
	tally(&freed, &zero);
	tap_ok(freed == 4 && zero == 0,
		   "control: curl_slist_free_all frees the copies unwiped (%d freed, %d zero)",
		   freed, zero);

	h = secret_list();
	dws_slist_free_wiped(h);
	tally(&freed, &zero);
	tap_ok(freed == 4 && zero == 4,
		   "dws_slist_free_wiped: every line, secrets included, is zero when freed (%d freed, %d zero)",
		   freed, zero);

	dws_slist_free_wiped(NULL);
	tap_ok(1, "dws_slist_free_wiped(NULL) is an empty list");

	curl_global_cleanup();

	s = grow_token(0);
	tap_ok(s != NULL && strlen(s) == 1000 && buf_freed >= 3 && buf_freed_zero == 0,
		   "control: a plain DwsBuf frees the blocks it outgrows as they were (%d freed, %d zero)",
		   buf_freed, buf_freed_zero);
	free(s);
	s = grow_token(1);
	tap_ok(s != NULL && strlen(s) == 1000 && strncmp(s, "token-0123token", 15) == 0,
		   "a secret DwsBuf keeps its text");
	tap_ok(buf_freed >= 3 && buf_freed_zero == buf_freed,
		   "a secret DwsBuf zeroes every block it outgrows (%d freed, %d zero)",
		   buf_freed, buf_freed_zero);
	free(s);
	return tap_done();
}
