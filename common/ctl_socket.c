// SPDX-License-Identifier: MIT
/*
 * The control sockets of a running xdrv (`xdrv run --control`, cli/run/ctl.c; `xdrv boot
 * --serve`, loader/boot_serve.c): one unix stream socket, mode 0600, one request line a
 * connection from this user or root (xdrv/util.h).
 */
#define _GNU_SOURCE 1 /* struct ucred */
#include "xdrv/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int xdrv_ctl_listen(const char *path, int flags, char **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return xdrv_err(err, -ENAMETOOLONG, "path too long for a socket");
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		/* a socket file nobody answers on is stale: taken over; a live one is another's */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
		if (probe >= 0)
			close(probe);
		if (live)
			return xdrv_err(err, -EADDRINUSE, "another process answers there");
		if (!S_ISSOCK(st.st_mode))
			return xdrv_err(err, -EEXIST, "exists and is not a socket");
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return xdrv_err(err, -errno, "socket: %s", strerror(errno));
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc == 0)
		rc = listen(fd, 8);
	if (rc != 0) {
		rc = xdrv_err(err, -errno, "%s", strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

int xdrv_ctl_read_line(int cfd, const char *whose, char *req, size_t cap)
{
	struct ucred cr;
	socklen_t crl = sizeof cr;
	char m[96] = "";
	int rc = 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0 ||
	    (cr.uid != geteuid() && cr.uid != 0)) {
		snprintf(m, sizeof m, "error: not this %s's user\n", whose);
		rc = -EPERM;
	}
	struct timeval tv = {.tv_sec = 1}; /* a silent peer holds no one */
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	size_t n = 0;
	while (!rc && n < cap - 1) {
		ssize_t r = read(cfd, req + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = 0;
	char *nl = strchr(req, '\n');
	if (!rc && !nl) {
		snprintf(m, sizeof m, "error: a request is one line\n");
		rc = -EBADMSG;
	}
	if (rc) {
		ssize_t w = write(cfd, m, strlen(m));
		(void)w;
		return rc;
	}
	*nl = 0;
	return 0;
}
