// SPDX-License-Identifier: MIT
/*
 * Host-side helpers shared by all components (see xdrv/util.h). Nothing here knows about
 * packages, signatures or drivers.
 */
#include "xdrv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 1, 0))) static char *vfmt(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

void xdrv_err_set(char **err, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vfmt(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	if (*err) {
		/* keep the inner cause: "outer: inner" */
		size_t n = strlen(msg) + strlen(*err) + 3;
		char *both = malloc(n);
		if (both) {
			snprintf(both, n, "%s: %s", msg, *err);
			free(*err);
			*err = both;
		}
		free(msg);
	} else {
		*err = msg;
	}
}

void xdrv_err_prefix(char **err, const char *fmt, ...)
{
	if (!err || !*err)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *pre = vfmt(fmt, ap);
	va_end(ap);
	if (!pre)
		return;
	size_t n = strlen(pre) + strlen(*err) + 3;
	char *both = malloc(n);
	if (both) {
		snprintf(both, n, "%s: %s", pre, *err);
		free(*err);
		*err = both;
	}
	free(pre);
}

int xdrv_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char **err)
{
	int rc = 0;
	uint8_t *b = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = xdrv_err(err, -EINVAL, "%s: not a regular file", path);
		goto out_close;
	}
	if ((uint64_t)st.st_size > max) {
		rc = xdrv_err(err, -EFBIG, "%s: %lld bytes, over the limit of %zu", path,
			      (long long)st.st_size, max);
		goto out_close;
	}
	size_t cap = (size_t)st.st_size;
	b = malloc(cap + 1);
	if (!b) {
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = xdrv_err(err, -errno, "%s: read: %s", path, strerror(errno));
			goto out_free;
		}
		if (r == 0)
			break; /* file shrank under us: take what is there */
		n += (size_t)r;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	b = NULL;
out_free:
	free(b);
out_close:
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int xdrv_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode, char **err)
{
	int rc;
	char tmp[4096];
	if (xdrv_snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return xdrv_err(err, -errno, "%s: %s", tmp, strerror(errno));
	rc = write_all(fd, buf, len);
	if (rc == 0 && fchmod(fd, (mode_t)mode) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return xdrv_err(err, rc, "%s: write: %s", path, strerror(-rc));
	}
	/* make the rename itself durable */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int xdrv_mkdirs(const char *path, unsigned mode, char **err)
{
	char p[4096];
	if (xdrv_snprintf(p, sizeof p, "%s", path) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
			return xdrv_err(err, -errno, "mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
		return xdrv_err(err, -errno, "mkdir %s: %s", p, strerror(errno));
	return 0;
}

void xdrv_hex(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = 0;
}

uint64_t xdrv_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t xdrv_peak_rss_kib(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss;
}

int xdrv_parse_when(const char *s, int64_t *out)
{
	int y, m, d, n = 0;
	if (!s || !*s)
		return -EINVAL;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10) {
		struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
		time_t t = timegm(&tm);
		/* timegm normalises 2026-02-31 to March: refuse dates that moved */
		if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 ||
		    tm.tm_mday != d || t <= 0)
			return -EINVAL;
		*out = (int64_t)t;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int xdrv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* Length of the well-formed UTF-8 sequence at p (2..4), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

const char *xdrv_escape_text(const char *in, char *out, size_t cap)
{
	if (cap == 0)
		return out;
	if (!in)
		in = "(null)";
	size_t o = 0, mark = 0;
	const unsigned char *p = (const unsigned char *)in;
	while (*p) {
		char piece[8];
		size_t n = 1, w;
		if (*p == '\n')
			w = (size_t)snprintf(piece, sizeof piece, "\\n");
		else if (*p == '\r')
			w = (size_t)snprintf(piece, sizeof piece, "\\r");
		else if (*p == '\t')
			w = (size_t)snprintf(piece, sizeof piece, "\\t");
		else if (*p == '\\')
			w = (size_t)snprintf(piece, sizeof piece, "\\\\");
		else if (*p < 0x20 || *p == 0x7f)
			w = (size_t)snprintf(piece, sizeof piece, "\\x%02x", *p);
		else if (*p < 0x80) {
			piece[0] = (char)*p;
			w = 1;
		} else if ((n = utf8_len(p)) != 0 && !(p[0] == 0xc2 && p[1] < 0xa0)) {
			memcpy(piece, p, n); /* printable UTF-8 (U+0080..U+009F are C1 controls) */
			w = n;
		} else {
			n = 1; /* a stray byte, or the first byte of a C1 control */
			w = (size_t)snprintf(piece, sizeof piece, "\\x%02x", *p);
		}
		if (o + w + 1 > cap) {
			/* does not fit: cut at the last whole piece that leaves room for "..." */
			o = cap >= 4 ? mark : 0;
			size_t dots = cap - 1 - o < 3 ? cap - 1 - o : 3;
			memcpy(out + o, "...", dots);
			o += dots;
			break;
		}
		memcpy(out + o, piece, w);
		o += w;
		p += n;
		if (o + 4 <= cap)
			mark = o;
	}
	out[o] = 0;
	return out;
}

int xdrv_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
