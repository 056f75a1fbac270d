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
