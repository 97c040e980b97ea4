/*-------------------------------------------------------------------------
 * jsonpg.c
 *	  Where jansson cannot hold a number, PostgreSQL's JSON parser finds it.
 *
 * jansson refuses a whole body for one integer beyond 64 bits or one real
 * beyond a double, even in a field no query reads.  record.c then asks the
 * function here for the byte spans of every such number, and keeps each as
 * its exact text (see dws_set_number_spans in record.h).  The spans come
 * from PostgreSQL's own JSON parser (common/jsonapi.h), which hands over
 * each token without converting it: a real parser rather than a scan of
 * our own, and linear in the body however many such numbers it holds.
 *
 * Bodies are parsed after their transfer ends, never inside a libcurl
 * callback.  pg_parse_json may still throw (it calls check_stack_depth on
 * deep nesting); nothing is left behind then: the lexer context lives on
 * the stack, strings are not de-escaped (no allocation, no encoding
 * conversion), and the spans come from jansson's allocator, which in the
 * extension is palloc in the current memory context (NULL rather than an
 * ERROR when memory runs out).
 *
 * The PG_VERSION_NUM tests of this file stay here, beside the one parser
 * they concern, rather than in compat.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <limits.h>
#include <math.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "record.h"

/* PostgreSQL 16 made the semantic actions return an error code. */
#if PG_VERSION_NUM >= 160000
#define SEM_ACTION JsonParseErrorType
#define SEM_RETURN return JSON_SUCCESS
#else
#define SEM_ACTION void
#define SEM_RETURN return
#endif

typedef struct SpanState
{
	JsonLexContext *lex;
	DwsSpan    *spans;
	long		n;
	long		cap;
	bool		oom;
} SpanState;

/*
 * True when jansson would refuse this number token: an integer (no '.',
 * 'e' or 'E') outside long long, or a real whose magnitude overflows a
 * double, the two tests jansson's own lexer makes.
 */
static bool
jansson_cannot_hold(const char *tok, size_t len, bool *oom)
{
	char		local[64];
	char	   *s = local;
	bool		result;

	if (len >= sizeof(local))
	{
		s = dws_alloc(len + 1);
		if (s == NULL)
		{
			*oom = true;
			return false;
		}
	}
	memcpy(s, tok, len);
	s[len] = '\0';

	errno = 0;
	if (strpbrk(s, ".eE") == NULL)
	{
		(void) strtoll(s, NULL, 10);
		result = (errno == ERANGE);
	}
	else
	{
		double		d = strtod(s, NULL);

		result = (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
	}
	if (s != local)
		dws_free(s);
	return result;
}

/*
 * Called before each member value and array element, while the value is
 * the lexer's current token: a number token is examined in place.
 */
static void
note_value(SpanState *st)
{
	JsonLexContext *lex = st->lex;
	size_t		off;
	size_t		len;

	if (st->oom || lex->token_type != JSON_TOKEN_NUMBER)
		return;
	off = lex->token_start - lex->input;
	len = lex->token_terminator - lex->token_start;
	if (!jansson_cannot_hold(lex->token_start, len, &st->oom))
		return;
	if (st->n == st->cap)
	{
		long		newcap = st->cap ? st->cap * 2 : 8;
		DwsSpan    *grown = dws_alloc(sizeof(DwsSpan) * newcap);

		if (grown == NULL)
		{
			st->oom = true;
			return;
		}
		if (st->n > 0)
			memcpy(grown, st->spans, sizeof(DwsSpan) * st->n);
		dws_free(st->spans);
		st->spans = grown;
		st->cap = newcap;
	}
	st->spans[st->n].off = off;
	st->spans[st->n].len = len;
	st->n++;
}

static SEM_ACTION
field_start(void *state, char *fname, bool isnull)
{
	note_value((SpanState *) state);
	SEM_RETURN;
}

static SEM_ACTION
element_start(void *state, bool isnull)
{
	note_value((SpanState *) state);
	SEM_RETURN;
}

/*
 * The DwsNumberSpansFn of record.h.  A body whose only value is such a
 * number yields no span (it is no object, and is refused anyway).
 */
long
dws_pg_number_spans(const char *body, size_t len, DwsSpan **spans)
{
	JsonLexContext lex;
	JsonSemAction sem;
	SpanState	st;
	JsonParseErrorType rc;

	*spans = NULL;
	if (len > (size_t) INT_MAX)
		return -1;

#if PG_VERSION_NUM >= 170000
	makeJsonLexContextCstringLen(&lex, body, len, PG_UTF8, false);
#else
	/* what makeJsonLexContextCstringLen does, without its palloc */
	memset(&lex, 0, sizeof(lex));
	lex.input = lex.token_terminator = lex.line_start = (char *) body;
	lex.line_number = 1;
	lex.input_length = (int) len;
	lex.input_encoding = PG_UTF8;
#endif

	memset(&st, 0, sizeof(st));
	st.lex = &lex;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &st;
	sem.object_field_start = field_start;
	sem.array_element_start = element_start;

	rc = pg_parse_json(&lex, &sem);
#if PG_VERSION_NUM >= 170000
	freeJsonLexContext(&lex);
#endif
	if (rc != JSON_SUCCESS || st.oom)
	{
		dws_free(st.spans);
		return -1;
	}
	*spans = st.spans;
	return st.n;
}
