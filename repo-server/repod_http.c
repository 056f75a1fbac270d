// SPDX-License-Identifier: MIT
/*
 * xdrv-repod HTTP front: libmicrohttpd with an internal thread pool. Routes requests to the
 * repository (metadata, targets with ETag and Range, listing, search, publish, health, the HTML
 * index with search, the driver pages), caps upload sizes while reading (a refused upload is read
 * and dropped, within a bound, before it is answered, so the client sees the answer), writes one
 * logfmt access-log line per request, and re-signs expiring metadata from a background thread.
 * Stopping is graceful: stop accepting, let requests in flight finish (bounded), then stop.
 *
 * Slow and idle clients cannot starve the others: connections are multiplexed by epoll in a
 * small pool of threads (an idle connection costs a socket, not a thread), their number is
 * capped in all (max_connections) and per client address (max_connections_per_client, counted
 * here: libmicrohttpd's own per-IP limit says nothing of who hit it), and a watchdog thread ends
 * connections that do not complete their request headers within header_timeout or an upload's
 * body within body_timeout (libmicrohttpd only knows an idle timeout, which a client sending one
 * byte at a time never trips). Every refusal and cut is logged, rate-limited. Request paths with
 * control characters (a decoded %00 would cut the path short), backslashes or ".." segments are
 * refused with 400 before any route sees them.
 */
#include "repod.h"
#include "repod_html.h"
#include "xdrv/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One open connection, from libmicrohttpd's STARTED to its CLOSED notification. */
enum conn_phase { PH_HEADERS, PH_BODY, PH_ANSWER };
enum { RL_CLIENT, RL_TOTAL, RL_HEADER, RL_BODY };
static const char *const rl_what[] = {"refused: max_connections_per_client",
				      "refused: max_connections", "closed: header_timeout",
				      "closed: body_timeout"};
struct conn {
	struct conn *prev, *next;
	int fd;
	enum conn_phase phase;
	uint64_t since; /* ns, start of the phase */
	bool cut;	/* shut down by the watchdog */
	uint8_t alen;
	uint8_t addr[16];
	char addr_s[48];
};

/* Open connections per client address (a small chained hash table). */
#define IP_BUCKETS 1024
struct ipcount {
	struct ipcount *next;
	uint8_t alen;
	uint8_t addr[16];
	unsigned n;
};

/* A log line that an attacker could repeat: at most one a second, the rest counted (and the
 * count said by the watchdog a second later). */
struct ratelog { /* under cmu */
	uint64_t last;
	unsigned suppressed;
};

struct repo_server {
	struct repo *r;
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_t refresher, watchdog;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping, have_refresher, have_watchdog;
	/* connections: list, per-address counts, log rate limits; under cmu */
	pthread_mutex_t cmu;
	struct conn *conns;
	unsigned nconns;
	struct ipcount *ips[IP_BUCKETS];
	struct ratelog rl[4]; /* RL_* */
	/* the limits, copied at start (repo_config) */
	unsigned max_connections; /* after the open-file limit */
	unsigned per_client, header_timeout, body_timeout;
};

struct req {
	bool started;	 /* the handler has seen this request */
	const char *bad; /* why the request line is refused (400), or NULL */
	uint64_t t0;
	char method[8];
	char path[256];
	int status;
	uint64_t bytes;
	uint8_t *body;
	size_t len, cap;
	uint64_t dropped; /* body bytes read and thrown away (refused upload) */
	int refused;	  /* 401 or 413 decided before the body: answered once it is read */
	bool too_big;
};

/* ---- parsing helpers (also fuzzed) --------------------------------------------------------- */
int repo_parse_bearer(const char *hdr, const char **token, size_t *len)
{
	if (!hdr || strncasecmp(hdr, "Bearer ", 7) != 0)
		return -EACCES;
	const char *t = hdr + 7;
	size_t n = strlen(t);
	if (n == 0 || n > 4096)
		return -EACCES;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)t[i]))
			return -EACCES;
	*token = t;
	*len = n;
	return 0;
}

static int parse_u64(const char **p, uint64_t *out)
{
	if (!isdigit((unsigned char)**p))
		return -1;
	uint64_t v = 0;
	while (isdigit((unsigned char)**p)) {
		unsigned d = (unsigned)(**p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		(*p)++;
	}
	*out = v;
	return 0;
}

int repo_parse_range(const char *hdr, uint64_t size, uint64_t *start, uint64_t *end)
{
	if (!hdr || strncmp(hdr, "bytes=", 6) != 0)
		return -EINVAL;
	const char *p = hdr + 6;
	uint64_t a, b;
	if (*p == '-') { /* suffix: the last N bytes */
		p++;
		if (parse_u64(&p, &b) != 0 || *p)
			return -EINVAL;
		if (b == 0 || size == 0)
			return -ERANGE;
		*start = b >= size ? 0 : size - b;
		*end = size - 1;
		return 0;
	}
	if (parse_u64(&p, &a) != 0 || *p != '-')
		return -EINVAL;
	p++;
	if (*p == '\0') {
		b = UINT64_MAX;
	} else if (parse_u64(&p, &b) != 0 || *p || b < a) {
		return -EINVAL; /* also multiple ranges: served whole, as RFC 9110 allows */
	}
	if (a >= size)
		return -ERANGE;
	*start = a;
	*end = b >= size ? size - 1 : b;
	return 0;
}

/* Decoded value of %XX at p, or -1. */
static int pct(const char *p)
{
	if (p[0] != '%' || !isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
		return -1;
	char h[3] = {p[1], p[2], 0};
	return (int)strtol(h, NULL, 16);
}

const char *repo_check_uri(const char *uri)
{
	if (!uri || uri[0] != '/')
		return "the request path must start with /";
	bool in_path = true;
	size_t seg_dots = 0, seg_len = 0; /* the current path segment, decoded */
	for (const char *p = uri;; p++) {
		int ch = (unsigned char)*p;
		size_t adv = 0;
		if (ch == '%') {
			ch = pct(p);
			if (ch < 0)
				return "bad percent escape in the request path";
			adv = 2;
		}
		if (*p && (ch < 0x20 || ch == 0x7f))
			return "control character (or %00) in the request";
		if (in_path && (*p == '?' || *p == 0 || ch == '/')) {
			if (seg_len && seg_dots == seg_len && seg_len <= 2)
				return "\".\" or \"..\" segment in the request path";
			seg_dots = seg_len = 0;
			if (*p == '?') /* libmicrohttpd splits there ('#' is no delimiter to it) */
				in_path = false;
		} else if (in_path) {
			if (ch == '\\')
				return "backslash in the request path";
			seg_len++;
			seg_dots += ch == '.';
		}
		if (!*p)
			break;
		p += adv;
	}
	return NULL;
}

/* ---- responses ----------------------------------------------------------------------------- */
static enum MHD_Result send_resp(struct MHD_Connection *c, struct req *q, int status,
				 struct MHD_Response *resp, const char *ctype)
{
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	q->status = status;
	enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, struct req *q, int status,
				const char *ctype, const void *buf, size_t len)
{
	q->bytes = len;
	return send_resp(c, q, status,
			 MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY),
			 ctype);
}

static enum MHD_Result send_error(struct MHD_Connection *c, struct req *q, int status,
				  const char *msg)
{
	json_t *j = json_pack("{s:i, s:s}", "status", status, "error", msg ? msg : "error");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum MHD_Result r =
		send_buf(c, q, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
	free(s);
	json_decref(j);
	return r;
}

/* A page: no inline script, nothing framed, no referrer leaked to other sites. */
static enum MHD_Result send_html(struct MHD_Connection *c, struct req *q, int status,
				 const char *html)
{
	q->bytes = strlen(html);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(html), (void *)html, MHD_RESPMEM_MUST_COPY);
	if (resp) {
		MHD_add_response_header(resp, "Content-Security-Policy", repod_web_csp);
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	}
	return send_resp(c, q, status, resp, "text/html; charset=utf-8");
}

/* The repository's URL as the client reached it, for the install snippet: scheme from our TLS
 * setting or X-Forwarded-Proto, host from the Host header if it looks like host[:port]
 * (anything else gives NULL, and the page shows a placeholder). */
static const char *base_url(struct repo_server *s, struct MHD_Connection *c, char *out, size_t n)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (!host || !host[0] || strlen(host) > 255)
		return NULL;
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-:[]_", *p))
			return NULL;
	/* behind a TLS-terminating proxy (docs/nginx-xdrv-repod.conf) the proxy says so; a client
	 * sending this itself only changes the snippet on its own page */
	const char *fp = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
	bool https = s->r->cfg.tls_cert || (fp && strcasecmp(fp, "https") == 0);
	if (xdrv_snprintf(out, n, "%s://%s", https ? "https" : "http", host) != 0)
		return NULL;
	return out;
}

/* ---- routes -------------------------------------------------------------------------------- */
/* A failed read: 503 when the database cannot be reached (clients and proxies retry that), else
 * 500. */
static int db_status(int rc)
{
	return rc == -ENOTCONN || rc == -EAGAIN || rc == -ETIMEDOUT ? 503 : 500;
}

static enum MHD_Result get_metadata(struct repo_server *s, struct MHD_Connection *c, struct req *q,
				    const char *file)
{
	uint8_t *buf;
	size_t len;
	char *err = NULL;
	int rc = repo_metadata_get(s->r, file, &buf, &len, &err);
	enum MHD_Result r;
	if (rc) {
		r = send_error(c, q, rc == -ENOENT ? 404 : db_status(rc), err);
	} else {
		struct MHD_Response *resp =
			MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		if (resp)
			MHD_add_response_header(resp, "Cache-Control", "no-cache");
		else
			free(buf);
		q->bytes = len;
		r = send_resp(c, q, 200, resp, "application/json");
	}
	free(err);
	return r;
}

static enum MHD_Result get_target(struct repo_server *s, struct MHD_Connection *c, struct req *q,
				  const char *file)
{
	char *blob = NULL, *err = NULL;
	uint64_t size;
	int rc = repo_target_lookup(s->r, file, &blob, &size, &err);
	if (rc) {
		enum MHD_Result r = send_error(c, q, rc == -ENOENT ? 404 : db_status(rc), err);
		free(err);
		return r;
	}
	char etag[70];
	const char *slash = strchr(file, '/');
	snprintf(etag, sizeof(etag), "\"%.64s\"", slash + 1);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		free(blob);
		struct MHD_Response *resp =
			MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "ETag", etag);
		return send_resp(c, q, 304, resp, NULL);
	}
	int fd = open(blob, O_RDONLY | O_CLOEXEC);
	free(blob);
	if (fd < 0)
		return send_error(c, q, 500, "target blob missing");
	uint64_t a = 0, b = size ? size - 1 : 0;
	int status = 200;
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
	if (range) {
		rc = repo_parse_range(range, size, &a, &b);
		if (rc == -ERANGE) {
			close(fd);
			char cr[64];
			snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
			struct MHD_Response *resp =
				MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
			if (resp)
				MHD_add_response_header(resp, "Content-Range", cr);
			return send_resp(c, q, 416, resp, NULL);
		}
		if (rc == 0)
			status = 206;
		else
			a = 0, b = size ? size - 1 : 0;
	}
	uint64_t n = size ? b - a + 1 : 0;
	struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(n, fd, (int64_t)a);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
	if (status == 206) {
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)a,
			 (unsigned long long)b, (unsigned long long)size);
		MHD_add_response_header(resp, "Content-Range", cr);
	}
	q->bytes = n;
	return send_resp(c, q, status, resp, "application/octet-stream");
}

/* 0, -EACCES for a missing or wrong token, or why the database could not say (logged). */
static int token_check(struct repo_server *s, struct MHD_Connection *c)
{
	const char *tok;
	size_t tlen;
	char vendor[80], *err = NULL;
	if (repo_parse_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
			      &tok, &tlen) != 0)
		return -EACCES;
	int rc = repod_vendor_by_token(s->r, tok, tlen, vendor, sizeof(vendor), &err);
	if (rc && rc != -EACCES)
		fprintf(stderr, "xdrv-repod: publish refused (503): %s\n", err ? err : "?");
	free(err);
	return rc;
}

static enum MHD_Result do_publish(struct repo_server *s, struct MHD_Connection *c, struct req *q)
{
	if (q->refused == 401)
		return send_error(c, q, 401, "publish: missing or wrong token");
	if (q->refused == 503) /* the reason is in the server's log */
		return send_error(c, q, 503, "publish: database unavailable, try again later");
	if (q->too_big) {
		char m[96];
		snprintf(m, sizeof(m), "publish: upload exceeds the limit %llu",
			 (unsigned long long)s->r->cfg.max_package);
		return send_error(c, q, 413, m);
	}
	const char *tok = NULL;
	size_t tlen = 0;
	char token[4100] = "";
	if (repo_parse_bearer(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
			      &tok, &tlen) == 0)
		snprintf(token, sizeof(token), "%.*s", (int)tlen, tok);
	const char *path = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "path");
	struct repo_publish_result res;
	char *err = NULL;
	int rc = repo_publish(s->r, token[0] ? token : NULL, q->body, q->len, path, &res, &err);
	OPENSSL_cleanse(token, sizeof(token));
	enum MHD_Result r;
	if (rc) {
		r = send_error(c, q, repo_status_for(rc), err);
	} else {
		char url[512];
		char file[400];
		repod_target_file(res.target, res.sha256, file, sizeof(file));
		snprintf(url, sizeof(url), "/targets/%s", file);
		json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I}", "status", res.status,
				      "name", res.name, "version", res.version, "target",
				      res.target, "sha256", res.sha256, "url", url,
				      "targets_version", (json_int_t)res.targets_version);
		char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		r = body ? send_buf(c, q, res.status, "application/json", body, strlen(body))
			 : send_error(c, q, 500, "out of memory");
		free(body);
		json_decref(j);
	}
	free(err);
	return r;
}

static enum MHD_Result route(struct repo_server *s, struct MHD_Connection *c, struct req *q,
			     const char *url)
{
	bool get = strcmp(q->method, "GET") == 0 || strcmp(q->method, "HEAD") == 0;
	char *err = NULL, *out = NULL;
	enum MHD_Result r;
	if (strcmp(url, "/api/v1/publish") == 0)
		return strcmp(q->method, "POST") == 0 ? do_publish(s, c, q)
						      : send_error(c, q, 405, "use POST");
	if (!get)
		return send_error(c, q, 405, "method not allowed");
	if (strncmp(url, "/metadata/", 10) == 0)
		return get_metadata(s, c, q, url + 10);
	if (strncmp(url, "/targets/", 9) == 0)
		return get_target(s, c, q, url + 9);
	if (strcmp(url, "/health") == 0) {
		uint64_t tv = 0, rv = 0;
		int64_t exp = 0, rexp = 0;
		int rc = repod_meta_latest(s->r, "timestamp", &tv, &exp, NULL);
		if (rc == 0)
			rc = repod_meta_latest(s->r, "root", &rv, &rexp, NULL);
		char b[256], te[21], re[21];
		tuf_time_format(exp, te);
		tuf_time_format(rexp, re);
		/* degraded: clients refuse an expired timestamp or root (the root is re-signed
		 * offline, so say so well before: 30 days) */
		bool ok = rc == 0 && exp > repod_now() && rexp > repod_now() + 30 * 86400;
		snprintf(b, sizeof(b),
			 "{\"status\":\"%s\",\"timestamp_version\":%llu,\"timestamp_expires\":"
			 "\"%s\",\"root_version\":%llu,\"root_expires\":\"%s\"}",
			 ok ? "ok" : "degraded", (unsigned long long)tv, te, (unsigned long long)rv,
			 re);
		return send_buf(c, q, rc == 0 ? 200 : 503, "application/json", b, strlen(b));
	}
	if (strcmp(url, "/api/v1/packages") == 0 || strcmp(url, "/api/v1/search") == 0) {
		const char *qs =
			strcmp(url, "/api/v1/search") == 0
				? MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q")
				: NULL;
		if (strcmp(url, "/api/v1/search") == 0 && !qs)
			return send_error(c, q, 400, "search: missing q=");
		int rc = repo_packages_json(s->r, qs, &out, &err);
		r = rc ? send_error(c, q, db_status(rc), err)
		       : send_buf(c, q, 200, "application/json", out, strlen(out));
	} else if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 ||
		   strcmp(url, "/search") == 0) {
		const char *qs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
		int rc = repo_index_html(s->r, qs, &out, &err);
		r = rc ? send_error(c, q, db_status(rc), err) : send_html(c, q, 200, out);
	} else if (strncmp(url, "/drivers/", 9) == 0) {
		char name[128], base[300];
		/* "/drivers/NAME" and "/drivers/NAME/" (what a static mirror links to) */
		snprintf(name, sizeof(name), "%.127s", url + 9);
		size_t nl = strlen(name);
		if (nl && name[nl - 1] == '/')
			name[nl - 1] = 0;
		int rc = repo_driver_html(s->r, name, base_url(s, c, base, sizeof(base)), &out,
					  &err);
		r = rc == 0	    ? send_html(c, q, 200, out)
		    : rc == -ENOENT ? send_html(c, q, 404, out)
				    : send_error(c, q, db_status(rc), err);
	} else if (strcmp(url, "/static/repo.js") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_buffer(
			strlen(repod_web_js), (void *)repod_web_js, MHD_RESPMEM_PERSISTENT);
		if (resp)
			MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
		q->bytes = strlen(repod_web_js);
		r = send_resp(c, q, 200, resp, "text/javascript; charset=utf-8");
	} else {
		r = send_error(c, q, 404, "not found");
	}
	free(out);
	free(err);
	return r;
}

/* ---- connections: limits, timeouts, and what is logged of them ------------------------------ */
/* Write a line, unless one of this kind went out less than a second ago (then count it). */
__attribute__((format(printf, 2, 3))) static void rate_log(struct ratelog *rl, const char *fmt, ...)
{
	uint64_t now = xdrv_now_ns();
	if (rl->last && now - rl->last < 1000000000ull) {
		rl->suppressed++;
		return;
	}
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (rl->suppressed)
		fprintf(stderr, "%s (and %u more like it in the last %.1f s)\n", line,
			rl->suppressed, (double)(now - rl->last) / 1e9);
	else
		fprintf(stderr, "%s\n", line);
	rl->last = now;
	rl->suppressed = 0;
}

/* The address as a hash key; false for anything but IPv4/IPv6. */
static bool addr_key(const struct sockaddr *sa, uint8_t key[16], uint8_t *klen, char *text,
		     size_t tn)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		memcpy(key, &a->sin_addr, 4);
		*klen = 4;
		if (text)
			inet_ntop(AF_INET, &a->sin_addr, text, (socklen_t)tn);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		memcpy(key, &a->sin6_addr, 16);
		*klen = 16;
		if (text)
			inet_ntop(AF_INET6, &a->sin6_addr, text, (socklen_t)tn);
		return true;
	}
	return false;
}

static struct ipcount **ip_slot(struct repo_server *s, const uint8_t *key, uint8_t klen)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (uint8_t i = 0; i < klen; i++)
		h = (h ^ key[i]) * 16777619u;
	struct ipcount **pp = &s->ips[h % IP_BUCKETS];
	while (*pp && ((*pp)->alen != klen || memcmp((*pp)->addr, key, klen) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Per-client counting is exact: the accept policy counts the connection it lets through (under
 * cmu, so racing pool threads cannot both take the last place), and the same thread then gets
 * the STARTED notification for it, which takes the count over into the connection. Should
 * libmicrohttpd give up on the connection in between (out of memory), no STARTED comes: the
 * thread's next accept gives the place back. */
static _Thread_local struct {
	struct repo_server *s;
	uint8_t alen;
	uint8_t key[16];
} pending;

static void ip_uncount(struct repo_server *s, const uint8_t *key, uint8_t klen)
{
	struct ipcount **pp = ip_slot(s, key, klen);
	if (*pp && --(*pp)->n == 0) {
		struct ipcount *dead = *pp;
		*pp = dead->next;
		free(dead);
	}
}

/* Accept policy: refuse a client already at max_connections_per_client. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct repo_server *s = cls;
	uint8_t key[16], klen;
	char text[48] = "?";
	(void)len;
	pthread_mutex_lock(&s->cmu);
	if (pending.s == s && pending.alen) /* the last one never started */
		ip_uncount(s, pending.key, pending.alen);
	pending.s = NULL;
	pending.alen = 0;
	if (!addr_key(sa, key, &klen, text, sizeof(text))) {
		pthread_mutex_unlock(&s->cmu);
		return MHD_YES; /* not IP: not counted */
	}
	struct ipcount **pp = ip_slot(s, key, klen);
	unsigned n = *pp ? (*pp)->n : 0;
	bool ok = n < s->per_client;
	if (!ok) {
		rate_log(&s->rl[RL_CLIENT],
			 "xdrv-repod: refused a connection from %s: it has %u open, the limit per "
			 "client (max_connections_per_client = %u)",
			 text, n, s->per_client);
	} else {
		if (!*pp && (*pp = calloc(1, sizeof(**pp)))) {
			(*pp)->alen = klen;
			memcpy((*pp)->addr, key, klen);
		}
		if (*pp) {
			(*pp)->n++;
			pending.s = s;
			pending.alen = klen;
			memcpy(pending.key, key, klen);
		}
	}
	pthread_mutex_unlock(&s->cmu);
	return ok ? MHD_YES : MHD_NO;
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct repo_server *s = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fi =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		struct conn *k = calloc(1, sizeof(*k));
		pthread_mutex_lock(&s->cmu);
		if (!k) { /* untracked: libmicrohttpd's idle timeout still holds */
			if (pending.s == s && pending.alen)
				ip_uncount(s, pending.key, pending.alen);
			pending.s = NULL;
			pending.alen = 0;
			pthread_mutex_unlock(&s->cmu);
			return;
		}
		k->fd = fi ? fi->connect_fd : -1;
		k->phase = PH_HEADERS;
		k->since = xdrv_now_ns();
		snprintf(k->addr_s, sizeof(k->addr_s), "?");
		uint8_t klen = 0;
		bool keyed = ai && addr_key(ai->client_addr, k->addr, &klen, k->addr_s,
					    sizeof(k->addr_s));
		/* take over the count accept_policy made for this address */
		if (keyed && pending.s == s && pending.alen == klen &&
		    memcmp(pending.key, k->addr, klen) == 0) {
			k->alen = klen;
		} else if (pending.s == s && pending.alen) { /* cannot happen; keep counts right */
			ip_uncount(s, pending.key, pending.alen);
		}
		pending.s = NULL;
		pending.alen = 0;
		k->next = s->conns;
		if (s->conns)
			s->conns->prev = k;
		s->conns = k;
		s->nconns++;
		pthread_mutex_unlock(&s->cmu);
		*socket_context = k;
		return;
	}
	struct conn *k = *socket_context;
	if (!k)
		return;
	/* CLOSED comes before libmicrohttpd closes the socket: once k is out of the list (under
	 * cmu), the watchdog cannot shut down a reused descriptor */
	pthread_mutex_lock(&s->cmu);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	s->nconns--;
	if (k->alen)
		ip_uncount(s, k->addr, k->alen);
	pthread_mutex_unlock(&s->cmu);
	free(k);
	*socket_context = NULL;
}

static void set_phase(struct repo_server *s, struct MHD_Connection *c, enum conn_phase ph)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci ? ci->socket_context : NULL;
	if (!k)
		return;
	pthread_mutex_lock(&s->cmu);
	k->phase = ph;
	k->since = xdrv_now_ns();
	pthread_mutex_unlock(&s->cmu);
}

/* Ends connections past header_timeout (waiting for a complete request) or body_timeout
 * (reading an upload): shutdown() makes libmicrohttpd see the end of the stream and close the
 * connection in its own thread, as if the client had gone. */
static void *watchdog(void *arg)
{
	struct repo_server *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->mu);
		uint64_t hdr = (uint64_t)s->header_timeout * 1000000000ull;
		uint64_t body = (uint64_t)s->body_timeout * 1000000000ull;
		pthread_mutex_lock(&s->cmu);
		/* read under cmu, which set_phase holds to write `since`: no `since` is later than
		 * `now`. Read before it, a phase started meanwhile made `now - since` wrap around
		 * to a huge age, and a busy kept-alive connection was cut as if it had sent no
		 * headers for header_timeout (a few per minute under wrk's 256 connections). */
		uint64_t now = xdrv_now_ns();
		for (size_t i = 0; i < sizeof(s->rl) / sizeof(s->rl[0]); i++) {
			struct ratelog *rl = &s->rl[i];
			if (rl->suppressed && now - rl->last >= 1000000000ull) {
				fprintf(stderr,
					"xdrv-repod: %u more connections %s in the last %.1f s\n",
					rl->suppressed, rl_what[i], (double)(now - rl->last) / 1e9);
				rl->suppressed = 0;
				rl->last = now;
			}
		}
		for (struct conn *k = s->conns; k; k = k->next) {
			if (k->cut || k->fd < 0)
				continue;
			if (k->phase == PH_HEADERS && now - k->since > hdr)
				rate_log(&s->rl[RL_HEADER],
					 "xdrv-repod: closed a connection from %s: "
					 "no complete request headers within %u s "
					 "(header_timeout)",
					 k->addr_s, s->header_timeout);
			else if (k->phase == PH_BODY && now - k->since > body)
				rate_log(&s->rl[RL_BODY],
					 "xdrv-repod: closed a connection from %s: "
					 "the request body did not arrive within %u s "
					 "(body_timeout)",
					 k->addr_s, s->body_timeout);
			else
				continue;
			shutdown(k->fd, SHUT_RDWR);
			k->cut = true;
		}
		pthread_mutex_unlock(&s->cmu);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* libmicrohttpd's own messages; the one about its connection limit (ours per client is in
 * accept_policy, so this is the total) is said in our words and rate-limited. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct repo_server *s = cls;
	char m[400];
	vsnprintf(m, sizeof(m), fmt, ap);
	size_t n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		m[--n] = 0;
	if (strstr(m, "reached connection limit")) {
		pthread_mutex_lock(&s->cmu);
		rate_log(&s->rl[RL_TOTAL],
			 "xdrv-repod: refused a connection: %u connections open, the total limit "
			 "(max_connections = %u)",
			 s->nconns, s->max_connections);
		pthread_mutex_unlock(&s->cmu);
		return;
	}
	fprintf(stderr, "xdrv-repod: libmicrohttpd: %s\n", m);
}

/* The request line is in (headers may still be coming): the request's state starts here, and
 * the raw target is checked before libmicrohttpd decodes it (a %00 would end the path). */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct req *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->t0 = xdrv_now_ns();
	q->bad = repo_check_uri(uri);
	snprintf(q->path, sizeof(q->path), "%s", uri ? uri : "");
	char *qm = strchr(q->path, '?');
	if (qm)
		*qm = 0;
	return q;
}

/* Bytes of a refused upload worth reading to deliver the answer (see REPO_DRAIN_EXTRA). */
static uint64_t drain_max(const struct repo_server *s)
{
	return s->r->cfg.max_package + REPO_DRAIN_EXTRA;
}

/* The client waits for "100 Continue" before it sends the body (libmicrohttpd sends that for us
 * when the first call queues no answer). */
static bool expects_continue(struct MHD_Connection *c, const char *version)
{
	const char *e = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
	return e && strcasecmp(e, "100-continue") == 0 && strcmp(version, "HTTP/1.1") == 0;
}

/* First call for a publish, before any of the body is read: a wrong token (so nobody
 * unauthenticated makes us buffer max_package bytes), then a declared oversize upload. An
 * answer queued now makes libmicrohttpd stop reading and close after it; that is right when the
 * client waits for 100 Continue (it sends nothing more), or when the body is too large to be
 * worth reading. Otherwise the client is already sending: closing on an unread body would
 * reset the connection under it and it would never see the answer, so the body is read and
 * dropped first, and the answer comes at its end. */
static enum MHD_Result publish_headers(struct repo_server *s, struct MHD_Connection *c,
				       struct req *q, const char *version)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	uint64_t declared = cl ? strtoull(cl, NULL, 10) : 0;
	int tc = token_check(s, c);
	if (tc)
		q->refused = tc == -EACCES ? 401 : 503;
	else if (declared > s->r->cfg.max_package)
		q->refused = 413, q->too_big = true;
	if (!q->refused)
		return MHD_YES;
	if (expects_continue(c, version) || declared > drain_max(s))
		return do_publish(s, c, q);
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct repo_server *s = cls;
	struct req *q = *con_cls;
	if (!q)
		return MHD_NO; /* uri_log could not allocate: the path is unchecked, close */
	if (!q->started) {
		q->started = true;
		snprintf(q->method, sizeof(q->method), "%s", method);
		if (q->bad) {
			char m[160];
			snprintf(m, sizeof(m), "bad request: %s", q->bad);
			set_phase(s, c, PH_ANSWER);
			return send_error(c, q, 400, m);
		}
		bool publish = strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/publish") == 0;
		/* a body is read for any method that sends one (and dropped if not a publish) */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		const char *te =
			MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
		set_phase(s, c, (cl && strcmp(cl, "0") != 0) || te ? PH_BODY : PH_ANSWER);
		if (!publish)
			return MHD_YES;
		return publish_headers(s, c, q, version);
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (q->refused || q->len + n > s->r->cfg.max_package) {
			if (!q->refused) { /* grew past the limit: what we kept is not needed */
				q->too_big = true, q->refused = 413;
				q->dropped = q->len;
				free(q->body);
				q->body = NULL;
				q->len = q->cap = 0;
			}
			/* read and drop, answer at the end; but not without bound */
			q->dropped += n;
			return q->dropped > drain_max(s) ? MHD_NO : MHD_YES;
		}
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap : 65536;
			while (cap < q->len + n)
				cap *= 2;
			uint8_t *nb = realloc(q->body, cap);
			if (!nb)
				return MHD_NO;
			q->body = nb;
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		return MHD_YES;
	}
	set_phase(s, c, PH_ANSWER);
	if (q->status)
		return MHD_YES; /* already answered (oversize) */
	return route(s, c, q, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct repo_server *s = cls;
	struct req *q = *con_cls;
	set_phase(s, c, PH_HEADERS); /* the next request on this connection, if any */
	if (!q)
		return;
	if (s->r->cfg.access_log) {
		char ts[21], addr[64] = "-", method[32];
		uint8_t key[16], klen;
		tuf_time_format(repod_now(), ts);
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci)
			addr_key(ci->client_addr, key, &klen, addr, sizeof(addr));
		/* the path (as sent, still percent-encoded) and method are logged escaped: a
		 * client cannot forge log lines or send escape sequences to a terminal */
		char path[300];
		repod_esc(q->path, path, sizeof(path));
		repod_esc(q->method[0] ? q->method : "-", method, sizeof(method));
		fprintf(stderr,
			"ts=%s remote=%s method=%s path=\"%s\" status=%d bytes=%llu in=%llu"
			" dur_us=%llu%s\n",
			ts, addr, method, path, q->status, (unsigned long long)q->bytes,
			(unsigned long long)q->len + q->dropped,
			(unsigned long long)((xdrv_now_ns() - q->t0) / 1000),
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	}
	free(q->body);
	free(q);
	*con_cls = NULL;
}

static void *refresher(void *arg)
{
	struct repo_server *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* often enough for the shortest period (timestamp, >= 60 s) */
		int64_t step = s->r->cfg.expiry_timestamp / 8;
		ts.tv_sec += step < 5 ? 5 : step > 60 ? 60 : step;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->mu);
		char *err = NULL;
		if (repo_refresh(s->r, repod_now(), NULL, &err) != 0)
			fprintf(stderr, "xdrv-repod: refresh: %s\n", err ? err : "?");
		free(err);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Each connection is a descriptor: raise the soft open-file limit to fit max_connections (plus
 * a margin for the database, blobs being served and the listener), up to the hard limit; if it
 * still does not fit, serve fewer connections and say so. */
static unsigned fd_budget(unsigned want)
{
	const rlim_t margin = 128;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	rlim_t need = (rlim_t)want + margin;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit nl = rl;
		nl.rlim_cur =
			rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
			rl = nl;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	unsigned got = rl.rlim_cur > 2 * margin ? (unsigned)(rl.rlim_cur - margin) : 16;
	fprintf(stderr,
		"xdrv-repod: max_connections %u lowered to %u: the open-file limit is %llu (raise "
		"it: ulimit -n, or LimitNOFILE= in the systemd unit)\n",
		want, got, (unsigned long long)rl.rlim_cur);
	return got;
}

int repo_server_start(struct repo *r, struct repo_server **out, char **err)
{
	*out = NULL;
	struct repo_server *s = calloc(1, sizeof(*s));
	if (!s)
		return xdrv_err(err, -ENOMEM, "server: out of memory");
	s->r = r;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_mutex_init(&s->cmu, NULL);
	s->max_connections = fd_budget(r->cfg.max_connections);
	s->per_client = r->cfg.max_connections_per_client;
	s->header_timeout = r->cfg.header_timeout;
	s->body_timeout = r->cfg.body_timeout;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(r->cfg.port)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(r->cfg.port)};
	bool v6 = strchr(r->cfg.listen, ':') != NULL;
	if ((v6 ? inet_pton(AF_INET6, r->cfg.listen, &sin6.sin6_addr)
		: inet_pton(AF_INET, r->cfg.listen, &sin.sin_addr)) != 1) {
		repo_server_stop(s, 0);
		return xdrv_err(err, -EINVAL, "server: listen address %.64s is not an IP address",
				r->cfg.listen);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	uint8_t *cert = NULL, *key = NULL;
	size_t cl = 0, kl = 0;
	if (r->cfg.tls_cert) {
		int rc = xdrv_read_file(r->cfg.tls_cert, 1u << 20, &cert, &cl, err);
		if (rc == 0)
			rc = xdrv_read_file(r->cfg.tls_key, 1u << 20, &key, &kl, err);
		if (rc == 0 && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			rc = xdrv_err(err, -EOPNOTSUPP, "server: this libmicrohttpd has no TLS");
		if (rc) {
			free(cert);
			free(key);
			repo_server_stop(s, 0);
			return rc;
		}
		flags |= MHD_USE_TLS;
	}
	s->d = MHD_start_daemon(
		flags, 0, accept_policy, s, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_SOCK_ADDR, v6 ? (struct sockaddr *)&sin6 : (struct sockaddr *)&sin,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)r->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED,
		completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, s, MHD_OPTION_CONNECTION_TIMEOUT,
		r->cfg.idle_timeout, MHD_OPTION_CONNECTION_LIMIT, s->max_connections,
		/* without TLS the list ends here */
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, (const char *)cert,
		MHD_OPTION_HTTPS_MEM_KEY, (const char *)key, MHD_OPTION_END);
	if (key) {
		OPENSSL_cleanse(key, kl);
		free(key);
	}
	free(cert);
	if (!s->d) {
		repo_server_stop(s, 0);
		return xdrv_err(err, -EADDRINUSE, "server: cannot listen on %s:%u%s", r->cfg.listen,
				r->cfg.port,
				flags & MHD_USE_TLS ? " (or bad TLS key/certificate)" : "");
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : r->cfg.port;
	if (pthread_create(&s->refresher, NULL, refresher, s) == 0)
		s->have_refresher = true;
	if (pthread_create(&s->watchdog, NULL, watchdog, s) != 0) {
		repo_server_stop(s, 0);
		return xdrv_err(err, -EAGAIN,
				"server: cannot start the connection watchdog thread");
	}
	s->have_watchdog = true;
	*out = s;
	return 0;
}

uint16_t repo_server_port(const struct repo_server *s)
{
	return s->port;
}

void repo_server_stop(struct repo_server *s, unsigned grace_ms)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->have_refresher)
		pthread_join(s->refresher, NULL);
	if (s->have_watchdog)
		pthread_join(s->watchdog, NULL);
	if (s->d) {
		MHD_socket ls = MHD_quiesce_daemon(s->d);
		if (ls != MHD_INVALID_SOCKET)
			close(ls);
		for (unsigned waited = 0; waited < grace_ms; waited += 10) {
			const union MHD_DaemonInfo *di =
				MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
			if (!di || di->num_connections == 0)
				break;
			usleep(10000);
		}
		MHD_stop_daemon(s->d);
	}
	for (size_t i = 0; i < IP_BUCKETS; i++) /* empty once the daemon is gone; to be sure */
		while (s->ips[i]) {
			struct ipcount *n = s->ips[i]->next;
			free(s->ips[i]);
			s->ips[i] = n;
		}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->cmu);
	free(s);
}

unsigned repo_server_client_connections(struct repo_server *s, const char *ipv4)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	uint8_t key[16], klen = 0;
	char text[48];
	if (inet_pton(AF_INET, ipv4, &a.sin_addr) != 1 ||
	    !addr_key((const struct sockaddr *)&a, key, &klen, text, sizeof(text)))
		return 0;
	pthread_mutex_lock(&s->cmu);
	struct ipcount **pp = ip_slot(s, key, klen);
	unsigned n = *pp ? (*pp)->n : 0;
	pthread_mutex_unlock(&s->cmu);
	return n;
}
