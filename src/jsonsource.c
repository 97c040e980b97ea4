/*-------------------------------------------------------------------------
 * jsonsource.c
 *	  The API's own text of a value: raw, and numbers as they were written.
 *
 * jansson reads every record, but holds a number as a double, so 87.50,
 * 1e2 and 0.12345678901234567890123 come out of it as 87.5, 100 and
 * 0.12345678901234568.  A column gets the API's text instead: the bytes of
 * the value in the answer jansson was given (DwsSource), found by
 * PostgreSQL's JSON parser (common/jsonapi.h), a real parser that hands
 * over each token without converting it.  raw is the bytes of the answer's
 * record object; a number, object or array read by a column is the bytes
 * at its path, provided that they read (in jansson) as the value the
 * record holds there: a value the FDW built (a list item's cluster object,
 * a detail object completed from the list) has no such bytes and is
 * written from jansson's value instead (dws_json_text).
 *
 * The answer is parsed once more for a row that has such a column (raw,
 * or a number, object or array read), once for all of them, in UTF-8
 * whatever the database encoding:
 * nothing is converted here, the caller converts the text it gets, so a
 * value no column reads cannot fail a query.  pg_parse_json may throw
 * (check_stack_depth; the answer was found no deeper than 64 levels); it
 * runs outside libcurl, on an accepted answer, in the row's memory
 * context, which is reset with the row.
 *
 * The PG_VERSION_NUM tests of this file stay here, beside the one parser
 * they concern, rather than in compat.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "jsonsource.h"
#include "record.h"

/* PostgreSQL 16 made the semantic actions return an error code. */
#if PG_VERSION_NUM >= 160000
#define SEM_ACTION JsonParseErrorType
#define SEM_RETURN return JSON_SUCCESS
#else
#define SEM_ACTION void
#define SEM_RETURN return
#endif

#define MAX_KEYS 16				/* deeper paths are not looked up */
#define MAX_LOOKUPS 64			/* more are left to jansson's text */

/* One value looked for: where its path of keys has led so far. */
typedef struct Lookup
{
	const char *keys[MAX_KEYS];
	int			nkeys;
	int			matched;		/* keys[0..matched-1] lead to this level */
	bool		in_leaf;		/* inside the value at the path */
	bool		found;
	size_t		off;
	size_t		len;
} Lookup;

/* The search for several values in one pass of the parser. */
typedef struct FindState
{
	JsonLexContext *lex;
	Lookup	   *lookups;
	int			nlookups;
	int			level;			/* containers open around the token */
} FindState;

static SEM_ACTION
open_container(void *state)
{
	((FindState *) state)->level++;
	SEM_RETURN;
}

static SEM_ACTION
close_container(void *state)
{
	((FindState *) state)->level--;
	SEM_RETURN;
}

/*
 * A member starts; its value is the lexer's current token.  A member on a
 * path resets what an earlier member of the same name found: jansson keeps
 * the last of repeated keys, and so does this search.
 */
static SEM_ACTION
field_start(void *state, char *fname, bool isnull)
{
	FindState  *st = (FindState *) state;
	int			depth = st->level - 1;	/* index of the key at this level */
	int			i;

	for (i = 0; fname != NULL && i < st->nlookups; i++)
	{
		Lookup	   *lk = &st->lookups[i];

		if (depth != lk->matched || depth >= lk->nkeys ||
			strcmp(fname, lk->keys[depth]) != 0)
			continue;
		lk->found = false;
		if (depth + 1 == lk->nkeys)
		{
			lk->in_leaf = true;
			lk->off = st->lex->token_start - st->lex->input;
		}
		else
			lk->matched = depth + 1;
	}
	SEM_RETURN;
}

/* A member ends: the previous token was the last of its value. */
static SEM_ACTION
field_end(void *state, char *fname, bool isnull)
{
	FindState  *st = (FindState *) state;
	int			depth = st->level - 1;
	int			i;

	for (i = 0; i < st->nlookups; i++)
	{
		Lookup	   *lk = &st->lookups[i];

		if (lk->in_leaf && depth + 1 == lk->nkeys && depth == lk->matched)
		{
			lk->in_leaf = false;
			lk->found = true;
			lk->len = (st->lex->prev_token_terminator - st->lex->input) -
				lk->off;
		}
		else if (lk->matched > depth)
			lk->matched = depth;
	}
	SEM_RETURN;
}

/*
 * Finds, in one pass over a JSON text whose root is an object, the bytes
 * of the value at each lookup's keys[0].keys[1]...: the same value jansson
 * finds, repeated keys included.  false when the text is not JSON.
 */
static bool
find_spans(const char *json, size_t len, Lookup *lookups, int nlookups)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	FindState	st;
	JsonParseErrorType rc;

	if (len > (size_t) INT_MAX)
		return false;
#if PG_VERSION_NUM >= 170000
	lex = makeJsonLexContextCstringLen(NULL, (char *) json, (int) len,
									   PG_UTF8, true);
#else
	lex = makeJsonLexContextCstringLen((char *) json, (int) len, PG_UTF8,
									   true);
#endif

	st.lex = lex;
	st.lookups = lookups;
	st.nlookups = nlookups;
	st.level = 0;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &st;
	sem.object_start = open_container;
	sem.object_end = close_container;
	sem.array_start = open_container;
	sem.array_end = close_container;
	sem.object_field_start = field_start;
	sem.object_field_end = field_end;

	rc = pg_parse_json(lex, &sem);
#if PG_VERSION_NUM >= 170000
	freeJsonLexContext(lex);
#endif
	return rc == JSON_SUCCESS;
}

/*
 * A lookup of the keys of a dotted path, after member when that is given;
 * false when there are more than MAX_KEYS.  The keys point into a copy of
 * path.
 */
static bool
make_lookup(Lookup *lk, const char *member, const char *path)
{
	char	   *p = pstrdup(path);

	memset(lk, 0, sizeof(*lk));
	if (member != NULL)
		lk->keys[lk->nkeys++] = member;
	for (;;)
	{
		char	   *dot = strchr(p, '.');

		if (lk->nkeys == MAX_KEYS)
			return false;
		if (dot != NULL)
			*dot = '\0';
		lk->keys[lk->nkeys++] = p;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return true;
}

/*
 * True when the span reads, as jansson reads a body, as v: then it is the
 * API's spelling of the value the record holds.
 */
static bool
span_holds(const char *s, size_t len, json_t *v)
{
	json_t	   *read = json_loadb(s, len, DWS_JSON_FLAGS, NULL);
	bool		same = read != NULL && json_equal(read, v);

	json_decref(read);
	return same;
}

/*
 * The API's text of n values of the record read from src, in one pass
 * over its bytes: texts[i] gets (palloc'd) the text of values[i], the
 * value at paths[i] of the record, or of the record's object itself (raw)
 * when paths[i] is NULL; NULL when src's bytes do not hold it there.  A
 * list item holds primary_cluster.X.rest under its flat key
 * primary_cluster_X first (see dws_list_item_canonical), everything else
 * at the same path; a per-task answer holds its record under src->member.
 */
void
dws_source_texts(const DwsSource *src, int n, const char *const *paths,
				 json_t *const *values, char **texts)
{
	Lookup	   *lookups = palloc(sizeof(Lookup) * Min(n * 2, MAX_LOOKUPS));
	int		   *owner = palloc(sizeof(int) * Min(n * 2, MAX_LOOKUPS));
	int			nl = 0;
	int			i;

	for (i = 0; i < n; i++)
		texts[i] = NULL;
	if (src == NULL || src->body == NULL)
		return;

	for (i = 0; i < n && nl + 2 <= MAX_LOOKUPS; i++)
	{
		const char *path = paths[i];

		if (path == NULL)
		{
			/* raw: the member, or the whole of the bytes */
			if (src->member == NULL)
				texts[i] = pnstrdup(src->body, src->len);
			else
			{
				memset(&lookups[nl], 0, sizeof(Lookup));
				lookups[nl].keys[0] = src->member;
				lookups[nl].nkeys = 1;
				owner[nl++] = i;
			}
			continue;
		}
		if (src->list_item &&
			(strncmp(path, "primary_cluster.", 16) == 0 ||
			 strncmp(path, "standby_cluster.", 16) == 0))
		{
			/* "primary_cluster.X.rest" as "primary_cluster_X.rest" */
			char	   *flat = pstrdup(path);

			flat[15] = '_';
			if (make_lookup(&lookups[nl], NULL, flat))
				owner[nl++] = i;
		}
		if (make_lookup(&lookups[nl], src->member, path))
			owner[nl++] = i;
	}
	if (nl == 0 || !find_spans(src->body, src->len, lookups, nl))
		return;

	/* the first lookup of a value that holds it gives its text */
	for (i = 0; i < nl; i++)
	{
		Lookup	   *lk = &lookups[i];
		int			k = owner[i];

		if (texts[k] != NULL || !lk->found)
			continue;
		if (paths[k] == NULL || span_holds(src->body + lk->off, lk->len,
										   values[k]))
			texts[k] = pnstrdup(src->body + lk->off, lk->len);
	}
}
