/*-------------------------------------------------------------------------
 * hosts.h
 *	  Where a foreign server connects (hosts.c): region endpoints, base
 *	  URLs, and host matching for dwsdr_fdw.allowed_hosts.
 *-------------------------------------------------------------------------
 */
#ifndef DWSDR_HOSTS_H
#define DWSDR_HOSTS_H

/* a base URL (endpoint, proxy) as libcurl reads it; see dws_parse_url */
typedef struct DwsUrl
{
	char	   *scheme;			/* "http" or "https" */
	char	   *host;			/* as libcurl connects to it */
	char	   *port;			/* as written, or NULL */
	char	   *origin;			/* scheme://host[:port] */
	char	   *host_header;	/* host[:port], as sent and signed */
	char	   *base_path;		/* the path without trailing '/' ("" for none) */
} DwsUrl;

extern char *dws_region_endpoint(const char *region);
extern const char *dws_parse_url(const char *value, DwsUrl *url, bool *secret);
extern bool dws_valid_host_entry(const char *entry);
extern bool dws_url_host_allowed(const char *url, const char *allowed,
								 char **host);

#endif							/* DWSDR_HOSTS_H */
