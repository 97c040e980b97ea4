/*-------------------------------------------------------------------------
 * msgtext.c
 *	  Text from the API, made fit for the database: values converted to the
 *	  database encoding, and message pieces made safe to show.
 *
 * The API speaks UTF-8; the database and the client may not.  A value is
 * converted or refused (never stored as bytes the database cannot read
 * back).  A piece of API text quoted in a message (error_code, error_msg,
 * request id, task id, body excerpt, Location) is rewritten: control
 * characters and invalid UTF-8 become '?', a character the database or the
 * client encoding cannot hold becomes \uXXXX, and the piece is cut at a
 * character boundary to a bounded length.  Otherwise a hostile or broken
 * endpoint could paint the user's terminal, make the message as large as
 * its answer, or make a LATIN1 client lose the real error to an encoding
 * error.
 *
 * The conversions are PostgreSQL's own (the default conversion procs),
 * called with noError so that a message can be built without throwing,
 * even from an error context callback, where no catalog lookup may happen:
 * dws_msg_prepare() looks them up beforehand.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "dwsdr.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/string.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "msgtext.h"

/* The conversion from UTF-8 to one encoding, looked up once. */
typedef struct Utf8Conv
{
	int			encoding;		/* -1: not looked up yet */
	bool		usable;			/* flinfo is set */
	FmgrInfo	flinfo;
} Utf8Conv;

static Utf8Conv server_conv = {-1};
static Utf8Conv client_conv = {-1};

/*
 * Looks up the conversion to enc, when it changed.  Needs a transaction
 * (catalog lookup); without one the conversion stays unusable and callers
 * fall back to ASCII.
 */
static void
prepare_conv(Utf8Conv *c, int enc)
{
	Oid			proc;

	if (c->encoding == enc)
		return;
	c->usable = false;
	c->encoding = -1;
	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
	{
		c->encoding = enc;		/* no conversion needed */
		return;
	}
	if (!IsTransactionState())
		return;
	proc = FindDefaultConversionProc(PG_UTF8, enc);
	if (OidIsValid(proc))
	{
		fmgr_info_cxt(proc, &c->flinfo, TopMemoryContext);
		c->usable = true;
	}
	c->encoding = enc;
}

/*
 * Looks up what messages and values need.  Call it where catalog access
 * is allowed, before anything that may build a message from an error
 * context callback.
 */
void
dws_msg_prepare(void)
{
	prepare_conv(&server_conv, GetDatabaseEncoding());
	prepare_conv(&client_conv, pg_get_client_encoding());
}

/*
 * Converts len bytes of UTF-8 to c's encoding into dst (room for len *
 * MAX_CONVERSION_GROWTH + 1 bytes).  Returns the number of source bytes
 * converted (all of them unless a character has no equivalent), or -1
 * when the conversion is not available.  Never throws.
 *
 * The call pg_do_encoding_conversion_buf (14+) makes, with noError; not
 * that function, which looks the proc up (a catalog read) on every call,
 * and messages are built in error context callbacks and outside
 * transactions, where no catalog read may happen.
 */
static int
convert_noerror(Utf8Conv *c, const char *src, int len, char *dst)
{
	if (c->encoding == PG_UTF8 || c->encoding == PG_SQL_ASCII)
	{
		memcpy(dst, src, len);
		dst[len] = '\0';
		return len;
	}
	if (!c->usable)
		return -1;
	dst[0] = '\0';
	return DatumGetInt32(FunctionCall6(&c->flinfo,
									   Int32GetDatum(PG_UTF8),
									   Int32GetDatum(c->encoding),
									   CStringGetDatum(src),
									   CStringGetDatum(dst),
									   Int32GetDatum(len),
									   BoolGetDatum(true)));
}

/* Characters that move or hide text on a terminal, beyond C0 and DEL. */
static bool
is_control_codepoint(pg_wchar cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||	/* C1 */
		cp == 0x200e || cp == 0x200f ||	/* directional marks */
		(cp >= 0x202a && cp <= 0x202e) ||	/* bidi embeddings, overrides */
		(cp >= 0x2066 && cp <= 0x2069) ||	/* bidi isolates */
		cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

/*
 * Rewrites len bytes of API text (meant to be UTF-8) for a message, in the
 * database encoding: see the file header.  The result has at most maxbytes
 * bytes plus "..." when it was cut.  Never throws (but palloc).
 */
char *
dws_msg_text(const char *s, size_t len, size_t maxbytes)
{
	StringInfoData buf;
	size_t		i = 0;

	initStringInfo(&buf);
	if (s == NULL)
		return buf.data;
	while (i < len)
	{
		const unsigned char *c = (const unsigned char *) s + i;
		char		piece[4 * MAX_CONVERSION_GROWTH + 16];
		char		scratch[4 * MAX_CONVERSION_GROWTH + 1];
		char		src[5];
		int			clen = 1;

		if (*c >= 0x20 && *c < 0x7f)
		{
			piece[0] = (char) *c;
			piece[1] = '\0';
		}
		else if (*c == '\t' || *c == '\n' || *c == '\r')
			strcpy(piece, " ");
		else if (*c < 0x80)
			strcpy(piece, "?");
		else
		{
			clen = pg_utf_mblen(c);
			if (clen < 2 || clen > 4 || i + clen > len ||
				!pg_utf8_islegal(c, clen))
			{
				clen = 1;
				strcpy(piece, "?");
			}
			else
			{
				pg_wchar	cp = utf8_to_unicode(c);

				memcpy(src, c, clen);
				src[clen] = '\0';
				if (is_control_codepoint(cp))
					strcpy(piece, "?");
				else if (convert_noerror(&client_conv, src, clen, scratch) == clen &&
						 convert_noerror(&server_conv, src, clen, piece) == clen)
					 /* piece holds the character in the database encoding */ ;
				else if (cp > 0xffff)
					snprintf(piece, sizeof(piece), "\\U%08X", (unsigned int) cp);
				else
					snprintf(piece, sizeof(piece), "\\u%04X", (unsigned int) cp);
			}
		}
		if ((size_t) buf.len + strlen(piece) > maxbytes)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		appendStringInfoString(&buf, piece);
		i += clen;
	}
	return buf.data;
}

/*
 * Converts a value of the API (UTF-8) to the database encoding.  Returns
 * the text to give the type's input function (s itself when nothing had
 * to change) and its length in *outlen; NULL when it cannot be: *badchar
 * is then the code point the database encoding has no equivalent for, or
 * -1 when the text is not valid UTF-8 (or holds a NUL).
 */
char *
dws_text_to_server(const char *s, size_t len, size_t *outlen, int32 *badchar)
{
	int			enc = GetDatabaseEncoding();
	char	   *dst;
	int			done;

	*outlen = len;
	*badchar = -1;
	if (len == 0)
		return (char *) s;
	if (!pg_verify_mbstr(PG_UTF8, s, (int) len, true))
		return NULL;
	if (enc == PG_UTF8 || enc == PG_SQL_ASCII || pg_is_ascii(s))
		return (char *) s;

	prepare_conv(&server_conv, enc);
	if (!server_conv.usable)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("no conversion from UTF8 to the database encoding \"%s\"",
						GetDatabaseEncodingName())));
	if (len >= (MaxAllocSize / MAX_CONVERSION_GROWTH) - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("value too long to convert to the database encoding")));
	dst = palloc(len * MAX_CONVERSION_GROWTH + 1);
	done = convert_noerror(&server_conv, s, (int) len, dst);
	if (done < 0 || (size_t) done < len)
	{
		if (done >= 0)
			*badchar = (int32) utf8_to_unicode((const unsigned char *) s + done);
		pfree(dst);
		return NULL;
	}
	*outlen = strlen(dst);
	return dst;
}
