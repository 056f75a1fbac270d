// SPDX-License-Identifier: MIT
/*
 * The "tap" wire: a Linux TAP interface (IFF_TAP | IFF_NO_PI) as the other end of a NIC model's
 * cable, so real kernel traffic reaches the driver. Optionally created inside a named network
 * namespace (/run/netns/NAME, as `ip netns add` makes it): the thread enters the namespace with
 * setns(2) around the open, the TUNSETIFF and the interface configuration (a socket's
 * namespace is fixed when it is created, so the SIOCSIF* calls are made from inside too), then
 * returns. The file descriptor keeps the interface in that namespace; closing it deletes it.
 * Frames move non-blocking: a read that would block means nothing is waiting; a write that
 * would block drops the frame (counted as a wire TX error), as a full link would.
 */
#define _GNU_SOURCE
#include "wire_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdrv/util.h>

struct tap {
	int fd;
	char ifname[IFNAMSIZ];
	uint8_t *frame; /* read but not yet taken by the NIC */
	int frame_len;	/* 0: none held */
};

struct tap_opts {
	char name[IFNAMSIZ];
	char netns[64];
	char addr[32]; /* "A.B.C.D/N" */
	uint64_t mtu;
};

static int parse_opts(const char *options, struct tap_opts *o, char **err)
{
	char key[16], val[96];
	size_t pos = 0;
	int rc;
	memset(o, 0, sizeof *o);
	while ((rc = hvb_config_next(options, &pos, key, sizeof key, val, sizeof val, err)) == 1) {
		size_t n = strlen(val);
		if (strcmp(key, "name") == 0) {
			if (n == 0 || n >= sizeof o->name || strchr(val, '/') || strchr(val, ' '))
				return xdrv_err(
					err, -EINVAL,
					"option name=%s: expected an interface name of 1..15 "
					"bytes",
					val);
			memcpy(o->name, val, n + 1);
		} else if (strcmp(key, "netns") == 0) {
			if (n == 0 || n >= sizeof o->netns || strchr(val, '/') ||
			    strcmp(val, ".") == 0 || strcmp(val, "..") == 0)
				return xdrv_err(err, -EINVAL,
						"option netns=%s: expected a namespace name", val);
			memcpy(o->netns, val, n + 1);
		} else if (strcmp(key, "addr") == 0) {
			if (n >= sizeof o->addr || !strchr(val, '/'))
				return xdrv_err(err, -EINVAL, "option addr=%s: expected A.B.C.D/N",
						val);
			memcpy(o->addr, val, n + 1);
		} else if (strcmp(key, "mtu") == 0) {
			if (hvb_config_u64(val, 68, 9000, &o->mtu))
				return xdrv_err(err, -EINVAL, "option mtu=%s: expected 68..9000",
						val);
		} else {
			return xdrv_err(err, -EINVAL,
					"option '%s': unknown (known: name, netns, addr, mtu)",
					key);
		}
	}
	if (rc < 0)
		return rc;
	if (!o->name[0])
		return xdrv_err(err, -EINVAL, "option name=IFNAME is required");
	return 0;
}

/* Address, MTU and IFF_UP on the interface, from the current namespace. */
static int configure(const struct tap_opts *o, char **err)
{
	int rc = 0;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return xdrv_err(err, -errno, "interface %s: socket: %s", o->name, strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, o->name, sizeof ifr.ifr_name);
	if (o->mtu) {
		ifr.ifr_mtu = (int)o->mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
			rc = xdrv_err(err, -errno, "interface %s: set mtu %d: %s", o->name,
				      (int)o->mtu, strerror(errno));
			goto out_close;
		}
	}
	if (o->addr[0]) {
		char ip[32];
		unsigned prefix = 33;
		const char *slash = strchr(o->addr, '/');
		size_t iplen = (size_t)(slash - o->addr);
		memcpy(ip, o->addr, iplen);
		ip[iplen] = '\0';
		char tail;
		struct sockaddr_in sin = {.sin_family = AF_INET};
		if (sscanf(slash + 1, "%u%c", &prefix, &tail) != 1 || prefix > 32 ||
		    inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
			rc = xdrv_err(err, -EINVAL, "option addr=%s: expected A.B.C.D/N", o->addr);
			goto out_close;
		}
		memcpy(&ifr.ifr_addr, &sin, sizeof sin);
		if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
			rc = xdrv_err(err, -errno, "interface %s: set address %s: %s", o->name, ip,
				      strerror(errno));
			goto out_close;
		}
		sin.sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
		memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
		if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) {
			rc = xdrv_err(err, -errno, "interface %s: set netmask /%u: %s", o->name,
				      prefix, strerror(errno));
			goto out_close;
		}
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		rc = xdrv_err(err, -errno, "interface %s: get flags: %s", o->name, strerror(errno));
		goto out_close;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		rc = xdrv_err(err, -errno, "interface %s: bring up: %s", o->name, strerror(errno));
out_close:
	close(sock);
	return rc;
}

/* Open the TAP and configure it in the current namespace: the fd, or -errno with *err. */
static int open_tap(const struct tap_opts *o, char **err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return xdrv_err(err, -errno, "interface %s: open /dev/net/tun: %s", o->name,
				strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, o->name, sizeof ifr.ifr_name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return xdrv_err(err, -e, "interface %s: TUNSETIFF: %s", o->name, strerror(e));
	}
	int rc = configure(o, err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* open_tap inside /run/netns/<netns>, returning to the caller's namespace after. */
static int open_tap_in(const struct tap_opts *o, char **err)
{
	char path[96];
	snprintf(path, sizeof path, "/run/netns/%s", o->netns); /* netns fits: parse_opts */
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return xdrv_err(err, -errno, "netns: open /proc/self/ns/net: %s", strerror(errno));
	int rc;
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		rc = xdrv_err(err, -errno, "netns %s: open %s: %s", o->netns, path,
			      strerror(errno));
		goto out_self;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = xdrv_err(err, -errno, "netns %s: setns: %s", o->netns, strerror(errno));
		goto out_target;
	}
	rc = open_tap(o, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* staying in the wrong namespace would be worse than failing loudly */
		int e = errno;
		if (rc >= 0)
			close(rc);
		free(*err);
		*err = NULL;
		rc = xdrv_err(err, -e, "netns %s: returning to the original namespace: %s",
			      o->netns, strerror(e));
	}
out_target:
	close(target);
out_self:
	close(self);
	return rc;
}

static int tap_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	(void)w;
	struct tap_opts o;
	int rc = parse_opts(options, &o, err);
	if (rc < 0)
		return rc;
	struct tap *t = calloc(1, sizeof *t);
	if (!t || !(t->frame = malloc(HVB_WIRE_MAX_FRAME))) {
		free(t);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	int fd = o.netns[0] ? open_tap_in(&o, err) : open_tap(&o, err);
	if (fd < 0) {
		free(t->frame);
		free(t);
		return fd;
	}
	t->fd = fd;
	memcpy(t->ifname, o.name, sizeof t->ifname);
	*priv = t;
	return 0;
}

static void tap_destroy(void *priv)
{
	struct tap *t = priv;
	if (!t)
		return;
	close(t->fd); /* deletes the (non-persistent) interface */
	free(t->frame);
	free(t);
}

static int tap_tx(void *priv, const void *frame, size_t len)
{
	struct tap *t = priv;
	ssize_t n = write(t->fd, frame, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int tap_peek(void *priv, uint8_t *buf, size_t cap)
{
	struct tap *t = priv;
	if (!t->frame_len) {
		ssize_t n = read(t->fd, t->frame, HVB_WIRE_MAX_FRAME);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n < 14)
			return 0; /* nothing Ethernet-shaped: skip */
		t->frame_len = (int)n;
	}
	if ((size_t)t->frame_len > cap)
		return -EMSGSIZE;
	memcpy(buf, t->frame, (size_t)t->frame_len);
	return t->frame_len;
}

static void tap_consumed(void *priv)
{
	((struct tap *)priv)->frame_len = 0;
}

const struct hvb_wire_ops hvb_wire_tap_ops = {
	.name = "tap",
	.description = "Linux TAP interface, optionally in a named network namespace",
	.create = tap_create,
	.destroy = tap_destroy,
	.tx = tap_tx,
	.peek = tap_peek,
	.consumed = tap_consumed,
};
