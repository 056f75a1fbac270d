// SPDX-License-Identifier: MIT
/*
 * HTTP transfers of the repository client, with libcurl: GET into memory with a byte cap, GET
 * into a partial file with Range resume, and POST of a package (with "Expect: 100-continue", so
 * that a refusal arrives before the body is sent). Every transfer has a connect
 * timeout, a total timeout and a low-speed limit, so that a slow or endless server cannot hold
 * the client forever; the byte caps count what actually arrives, not what the server claims.
 * What the bytes mean is decided elsewhere (client_tuf.c).
 *
 * Progress: a package download (repo_http_download) draws one line on stderr when it is a
 * terminal, redrawn in place ("\r" + clear to end of line) at most ten times a second, naming
 * the file with bytes, percentage and rate, and replaced by a final "done" line at the end.
 * Metadata fetches draw nothing (they are small and many), and nothing at all is drawn when
 * stderr is not a terminal (a log gets no half-lines).
 */
#include "xdrv/repo_client.h"
#include "xdrv/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	uint8_t *buf; /* memory sink */
	size_t len, cap;
	FILE *f;       /* file sink */
	uint64_t base; /* bytes already in the file before this transfer */
	uint64_t max;  /* cap on base + received */
	uint64_t got;
	uint64_t total;	   /* base + what the server announced; 0: unknown */
	bool over;	   /* the cap was hit */
	bool progress;	   /* stderr is a terminal and a bar was asked for */
	bool drawn;	   /* a progress line is on the screen */
	const char *label; /* the file's name, for the progress line */
	uint64_t start_ns, last_bar_ns;
	long status; /* HTTP status of the last response header block */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	/* An error answer (e.g. a 404 page) is not part of the file; discard it, capped. */
	if (s->status >= 300) {
		s->got += n;
		return s->got > 65536 ? 0 : n;
	}
	if (s->base + s->got + n > s->max) {
		s->over = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (s->f) {
		if (fwrite(ptr, 1, n, s->f) != n)
			return 0;
	} else {
		if (s->len + n + 1 > s->cap) {
			size_t nc = s->cap ? s->cap : 4096;
			while (nc < s->len + n + 1)
				nc *= 2;
			uint8_t *nb = realloc(s->buf, nc);
			if (!nb)
				return 0;
			s->buf = nb;
			s->cap = nc;
		}
		memcpy(s->buf + s->len, ptr, n);
		s->len += n;
	}
	s->got += n;
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	int code;
	/* a new response (redirects, 100-continue) starts with its status line */
	if (n > 9 && memcmp(ptr, "HTTP/", 5) == 0) {
		const char *sp = memchr(ptr, ' ', n);
		if (sp && sscanf(sp + 1, "%3d", &code) == 1)
			s->status = code;
	}
	return n;
}

/* "12.0 KiB": sizes in binary units, one decimal (bytes as is below 1 KiB) */
static void human(char *b, size_t n, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(b, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* Draw the progress line (final: the "done" line, with its newline). The name comes from
 * repository metadata or the URL: only printable ASCII reaches the terminal, at most 80 bytes. */
static void draw(struct sink *s, bool final)
{
	char name[84];
	size_t o = 0;
	for (const char *p = s->label; p && *p && o < 80; p++)
		name[o++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
	name[o] = 0;
	uint64_t done = s->base + s->got, now = xdrv_now_ns();
	double secs = (double)(now - s->start_ns) / 1e9;
	char got[24], total[24], rate[24];
	human(got, sizeof got, (double)done);
	human(total, sizeof total, (double)s->total);
	/* the rate counts this transfer's bytes only, not a resumed part */
	human(rate, sizeof rate, secs > 0 ? (double)s->got / secs : 0.0);
	if (final)
		fprintf(stderr, "\r\033[K%s  %s  done in %.2f s (%s/s)\n", name, got, secs, rate);
	else if (s->total)
		fprintf(stderr, "\r\033[K%s  %s / %s  %3d%%  %s/s", name, got, total,
			(int)(done * 100 / s->total), rate);
	else
		fprintf(stderr, "\r\033[K%s  %s  %s/s", name, got, rate);
	fflush(stderr);
	s->drawn = !final;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct sink *s = ud;
	if (!s->progress || s->status >= 300)
		return 0;
	if (dltotal > 0)
		s->total = s->base + (uint64_t)dltotal;
	uint64_t now = xdrv_now_ns();
	if (s->drawn && now - s->last_bar_ns < 100000000ull) /* 10 redraws a second at most */
		return 0;
	if (dlnow == 0 && !s->drawn)
		return 0; /* nothing to show yet */
	s->last_bar_ns = now;
	draw(s, false);
	return 0;
}

static void apply_opts(CURL *c, const struct repo_http_opts *o)
{
	long ct = o && o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
	long tt = o && o->total_timeout_ms ? o->total_timeout_ms : 300000;
	long lb = o && o->low_speed_bytes ? o->low_speed_bytes : 1024;
	long ls = o && o->low_speed_secs ? o->low_speed_secs : 30;
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ct);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tt);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, lb);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, ls);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* mirrors serve files, not redirects */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xdrv/1");
}

/* One transfer into the sink; maps the outcome to an errno and message. */
static int perform(CURL *c, const char *url, struct sink *s, char **err)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	if (s->progress) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	CURLcode cc = curl_easy_perform(c);
	if (s->over)
		return xdrv_err(err, -EFBIG, "%s: more than the limit of %" PRIu64 " bytes", url,
				s->max);
	if (cc == CURLE_FILE_COULDNT_READ_FILE)
		return xdrv_err(err, -ENOENT, "%s: not found", url);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return xdrv_err(err, -ETIMEDOUT, "%s: timed out (%s)", url, ebuf);
	/* a resumed download whose server answered 200 (the whole file) instead of 206: libcurl
	 * refuses to append it ("HTTP server doesn't seem to support byte ranges. Cannot
	 * resume."); repo_http_download starts over from byte 0 */
	if (cc == CURLE_RANGE_ERROR)
		return xdrv_err(err, -ERANGE, "%s: %s", url,
				ebuf[0] ? ebuf : curl_easy_strerror(cc));
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && s->status >= 300))
		return xdrv_err(err, -EIO, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code == 404)
		return xdrv_err(err, -ENOENT, "%s: not found (HTTP 404)", url);
	/* S3-style stores answer 403 for an object that does not exist (when listing is not
	 * allowed); the caller decides whether that may mean "absent" (client_tuf.c: only for
	 * the next root version) */
	if (code == 403)
		return xdrv_err(err, -EACCES, "%s: forbidden (HTTP 403)", url);
	if (code >= 300)
		return xdrv_err(err, -EPROTO, "%s: HTTP %ld", url, code);
	return 0;
}

int repo_http_get(const char *url, uint64_t max, const struct repo_http_opts *opts, uint8_t **buf,
		  size_t *len, char **err)
{
	pthread_once(&curl_once, curl_init_once);
	CURL *c = curl_easy_init();
	if (!c)
		return xdrv_err(err, -ENOMEM, "%s: curl_easy_init failed", url);
	struct sink s = {.max = max}; /* metadata: no progress line (see the top of the file) */
	apply_opts(c, opts);
	int rc = perform(c, url, &s, err);
	curl_easy_cleanup(c);
	if (rc == 0 && !s.buf)
		s.buf = calloc(1, 1); /* an empty body */
	if (rc == 0 && !s.buf)
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", url);
	if (rc != 0) {
		free(s.buf);
		return rc;
	}
	s.buf[s.len] = 0; /* on_data always keeps one byte spare */
	*buf = s.buf;
	*len = s.len;
	return 0;
}

int repo_http_download(const char *url, const char *part, uint64_t max,
		       const struct repo_http_opts *opts, char **err)
{
	pthread_once(&curl_once, curl_init_once);
	struct stat st;
	uint64_t have = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (have > max) {
		unlink(part);
		have = 0;
	}
	if (have == max && max > 0)
		return 0; /* complete already; the caller checks the hash */
	FILE *f = fopen(part, "ab");
	if (!f)
		return xdrv_err(err, -errno, "%s: %s", part, strerror(errno));
	CURL *c = curl_easy_init();
	if (!c) {
		fclose(f);
		return xdrv_err(err, -ENOMEM, "%s: curl_easy_init failed", url);
	}
	const char *slash = strrchr(url, '/');
	struct sink s = {.f = f,
			 .base = have,
			 .max = max,
			 .progress = opts && opts->progress && isatty(2),
			 .label = opts && opts->label ? opts->label
				  : slash && slash[1] ? slash + 1
						      : url,
			 .start_ns = xdrv_now_ns()};
	apply_opts(c, opts);
	if (have > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
	int rc = perform(c, url, &s, err);
	if (s.progress && rc == 0 && s.status < 300)
		draw(&s, true);
	else if (s.drawn)
		fputs("\r\033[K", stderr); /* the error message gets a clean line */
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (fclose(f) != 0 && rc == 0)
		rc = xdrv_err(err, -EIO, "%s: write failed", part);
	/* The partial file cannot be resumed from this server: it ignored Range (200 with the
	 * whole file, which libcurl refuses to append: -ERANGE; a file:// or other answer that
	 * got through: rc 0 with code 200), or it found the range unsatisfiable (416: the part
	 * file is not a prefix of what it serves). Start over from byte 0, once: without a
	 * Range request neither can happen again. A partial file left by a cut connection or a
	 * slow-retrieval abort must not make every later download fail. */
	if (have > 0 &&
	    (rc == -ERANGE || (rc == 0 && code == 200) || (rc == -EPROTO && code == 416))) {
		if (unlink(part) != 0 && errno != ENOENT)
			return xdrv_err(err, -errno, "%s: %s", part, strerror(errno));
		if (err) {
			free(*err);
			*err = NULL;
		}
		return repo_http_download(url, part, max, opts, err);
	}
	if (rc == -EFBIG || rc == -ENOENT || rc == -ERANGE)
		unlink(part);
	return rc;
}

int repo_http_post(const char *url, const char *token, const uint8_t *data, size_t len,
		   long *status, char **body, char **err)
{
	pthread_once(&curl_once, curl_init_once);
	CURL *c = curl_easy_init();
	if (!c)
		return xdrv_err(err, -ENOMEM, "%s: curl_easy_init failed", url);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	char auth[1024];
	if (token && xdrv_snprintf(auth, sizeof auth, "Authorization: Bearer %s", token) == 0)
		h = curl_slist_append(h, auth);
	/* Ask first, send the body only after "100 Continue": a server that refuses the upload
	 * from its headers alone (wrong token, too large) answers at once and closes, and a body
	 * already under way would meet a reset instead of that answer ("Send failure: Broken
	 * pipe"). libcurl asks by itself only above 1 MiB. */
	h = curl_slist_append(h, "Expect: 100-continue");
	struct sink s = {.max = 65536};
	char ebuf[CURL_ERROR_SIZE] = "";
	apply_opts(c, NULL);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	/* a server that ignores Expect gets the body after this long (libcurl's default is 1 s,
	 * short enough for a busy server's answer to arrive after the body started) */
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	CURLcode cc = curl_easy_perform(c);
	int rc = 0;
	if (cc != CURLE_OK && !s.over) {
		rc = xdrv_err(err, -EIO, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		char *b = malloc(s.len + 1);
		if (b) {
			if (s.len)
				memcpy(b, s.buf, s.len);
			b[s.len] = 0;
		}
		*body = b;
	}
	free(s.buf);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}
