/*
 * kept_alive: GETs each URL read from stdin (one a line) with one libcurl
 * easy handle, so every request after the first reuses the connection the
 * first one opened.  Prints the mean wall time of those later requests in
 * microseconds.  Exits non-zero on a failed request or a status other than
 * 200.  bench/run builds it with: gcc -O2 -o kept_alive kept_alive.c -lcurl
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	(void) data;
	(void) arg;
	return size * n;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
main(void)
{
	char		url[4096];
	long		status;
	long		n = 0;
	double		t0 = 0;
	CURL	   *h;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	while (fgets(url, sizeof(url), stdin))
	{
		url[strcspn(url, "\r\n")] = '\0';
		if (url[0] == '\0')
			continue;
		curl_easy_setopt(h, CURLOPT_URL, url);
		if (curl_easy_perform(h) != CURLE_OK ||
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
			status != 200)
		{
			fprintf(stderr, "kept_alive: %s failed\n", url);
			return 1;
		}
		/* the clock starts once the first request (and its connect) is done */
		if (n++ == 0)
			t0 = now_us();
	}
	if (n < 2)
	{
		fprintf(stderr, "kept_alive: needs at least two URLs\n");
		return 1;
	}
	printf("%.1f\n", (now_us() - t0) / (n - 1));
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
