// SPDX-License-Identifier: MIT
/*
 * The TAP interface itself (xdrv/tap.h): parsing a spec and creating the interface, optionally
 * inside a named network namespace. The thread enters the namespace with setns(2) around the
 * open, the TUNSETIFF and the interface configuration (a socket's namespace is fixed when it is
 * created, so the SIOCSIF* calls are made from inside too), then returns. The file descriptor
 * keeps the interface in that namespace; closing it deletes it. What is done with frames is
 * the caller's: the "tap" wire kind (tap.c), `xdrv run`'s host end, the bench's relay.
 */
#define _GNU_SOURCE /* setns */
#include "wire_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdrv/util.h>

_Static_assert(sizeof(struct hvb_tap_vnet) == 10, "virtio_net_hdr layout");

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* "A.B.C.D/N" with N in 0..32: the address and prefix, or false. */
static bool parse_addr(const char *s, struct in_addr *ip, unsigned *prefix)
{
	const char *slash = strchr(s, '/');
	char a[16], tail;
	if (!slash || (size_t)(slash - s) >= sizeof a)
		return false;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	return sscanf(slash + 1, "%u%c", prefix, &tail) == 1 && *prefix <= 32 &&
	       inet_pton(AF_INET, a, ip) == 1;
}

static int set_field(struct hvb_tap_cfg *cfg, const char *key, size_t klen, const char *val,
		     size_t vlen, bool allow_offload, const char *what, const char *spec,
		     char **err)
{
	char v[80];
	if (vlen >= sizeof v)
		return xdrv_err(err, -EINVAL, "%s %s: value too long", what, spec);
	memcpy(v, val, vlen);
	v[vlen] = 0;
	if (klen == 4 && !memcmp(key, "name", 4)) {
		if (!valid_name(v, sizeof cfg->name - 1))
			return xdrv_err(err, -EINVAL, "%s %s: bad interface name \"%s\"", what,
					spec, v);
		snprintf(cfg->name, sizeof cfg->name, "%s", v);
	} else if (klen == 5 && !memcmp(key, "netns", 5)) {
		if (!valid_name(v, sizeof cfg->netns - 1))
			return xdrv_err(err, -EINVAL, "%s %s: bad namespace name \"%s\"", what,
					spec, v);
		snprintf(cfg->netns, sizeof cfg->netns, "%s", v);
	} else if (klen == 4 && !memcmp(key, "addr", 4)) {
		struct in_addr ip;
		unsigned prefix;
		if (vlen >= sizeof cfg->addr || !parse_addr(v, &ip, &prefix))
			return xdrv_err(err, -EINVAL, "%s %s: addr wants A.B.C.D/N, not \"%s\"",
					what, spec, v);
		snprintf(cfg->addr, sizeof cfg->addr, "%s", v);
	} else if (klen == 3 && !memcmp(key, "mtu", 3)) {
		char *end = NULL;
		unsigned long m = strtoul(v, &end, 10);
		if (!*v || *v == '-' || *end || m < HVB_TAP_MTU_MIN || m > HVB_TAP_MTU_MAX)
			return xdrv_err(err, -EINVAL, "%s %s: mtu wants %u..%u, not \"%s\"", what,
					spec, HVB_TAP_MTU_MIN, HVB_TAP_MTU_MAX, v);
		cfg->mtu = (uint32_t)m;
	} else if (klen == 7 && !memcmp(key, "offload", 7)) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return xdrv_err(err, -EINVAL, "%s %s: offload wants 0 or 1, not \"%s\"",
					what, spec, v);
		if (v[0] == '1' && !allow_offload)
			return xdrv_err(err, -EINVAL,
					"%s %s: offload=1 is not available here (the device "
					"model takes complete frames)",
					what, spec);
		cfg->offload = v[0] == '1';
	} else if (klen == 2 && !memcmp(key, "io", 2)) {
		if (!strcmp(v, "auto"))
			cfg->io = HVB_TAP_IO_AUTO;
		else if (!strcmp(v, "ring"))
			cfg->io = HVB_TAP_IO_RING;
		else if (!strcmp(v, "tap"))
			cfg->io = HVB_TAP_IO_TAP;
		else
			return xdrv_err(err, -EINVAL,
					"%s %s: io wants auto, ring or tap, not \"%s\"", what, spec,
					v);
	} else {
		return xdrv_err(err, -EINVAL,
				"%s %s: unknown key \"%.*s\" (known: name, netns, addr, mtu, "
				"offload, io)",
				what, spec, (int)klen, key);
	}
	return 0;
}

int hvb_tap_parse(const char *spec, const char *what, bool offload_default, bool allow_offload,
		  struct hvb_tap_cfg *cfg, char **err)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->offload = offload_default && allow_offload;
	if (!spec || !*spec)
		return xdrv_err(err, -EINVAL,
				"%s: no interface given (IFNAME[@NETNS] or name=IFNAME,...)", what);
	int rc = 0;
	if (!strchr(spec, '=')) { /* IFNAME[@NETNS] */
		const char *at = strchr(spec, '@');
		size_t n = at ? (size_t)(at - spec) : strlen(spec);
		rc = set_field(cfg, "name", 4, spec, n, allow_offload, what, spec, err);
		if (rc == 0 && at)
			rc = set_field(cfg, "netns", 5, at + 1, strlen(at + 1), allow_offload, what,
				       spec, err);
		return rc;
	}
	for (const char *p = spec; rc == 0 && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq || eq == p)
			return xdrv_err(err, -EINVAL, "%s %s: want key=value, not \"%.*s\"", what,
					spec, (int)len, p);
		rc = set_field(cfg, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1,
			       allow_offload, what, spec, err);
		p += len + (comma ? 1 : 0);
	}
	if (rc == 0 && !cfg->name[0])
		rc = xdrv_err(err, -EINVAL, "%s %s: name= is required", what, spec);
	if (rc == 0 && cfg->io == HVB_TAP_IO_RING && cfg->offload)
		rc = xdrv_err(err, -EINVAL,
			      "%s %s: io=ring carries plain frames: it does not go with offload=1",
			      what, spec);
	return rc;
}

/* MAC, MTU, address and IFF_UP through a socket of the current namespace. */
int hvb_tap_configure(const struct hvb_tap_cfg *cfg, char **err)
{
	struct ifreq ifr;
	const char *step = "socket";
	int rc = 0, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		goto out_errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", cfg->name);
	if (cfg->has_mac) {
		step = "set MAC address (SIOCSIFHWADDR)";
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, cfg->mac, 6);
		if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
			goto out_errno;
	}
	if (cfg->mtu) {
		step = "set mtu (SIOCSIFMTU)";
		ifr.ifr_mtu = (int)cfg->mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
			goto out_errno;
	}
	if (cfg->addr[0]) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		unsigned prefix = 0;
		(void)parse_addr(cfg->addr, &sin.sin_addr, &prefix); /* checked by the parser */
		step = "set address (SIOCSIFADDR)";
		memcpy(&ifr.ifr_addr, &sin, sizeof sin);
		if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
			goto out_errno;
		step = "set netmask (SIOCSIFNETMASK)";
		sin.sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
		memcpy(&ifr.ifr_netmask, &sin, sizeof sin);
		if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
			goto out_errno;
	}
	step = "bring up (SIOCSIFFLAGS)";
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		goto out_errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		goto out_errno;
	close(sock);
	return 0;

out_errno:
	rc = xdrv_err(err, -errno, "TAP %s: %s: %s", cfg->name, step, strerror(errno));
	if (sock >= 0)
		close(sock);
	return rc;
}

/* Create and configure the TAP in the current namespace: the fd, or -errno with *err. */
static int create_here(const struct hvb_tap_cfg *cfg, char **err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return xdrv_err(err, -errno, "TAP %s: /dev/net/tun: %s", cfg->name,
				strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (cfg->offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", cfg->name);
	int rc, hsz = (int)sizeof(struct hvb_tap_vnet);
	const char *step = "TUNSETIFF";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto out_errno;
	step = "TUNSETVNETHDRSZ";
	if (cfg->offload && ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0)
		goto out_errno;
	step = "TUNSETOFFLOAD";
	if (cfg->offload && ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0)
		goto out_errno;
	rc = hvb_tap_configure(cfg, err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;

out_errno:
	rc = xdrv_err(err, -errno, "TAP %s: %s: %s", cfg->name, step, strerror(errno));
	close(fd);
	return rc;
}

int hvb_in_netns(const char *netns, const char *ifname, int (*fn)(void *arg, char **err), void *arg,
		 char **err)
{
	if (!netns[0])
		return fn(arg, err);
	char path[96];
	snprintf(path, sizeof path, "/run/netns/%s", netns); /* fits: the parser's cap */
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return xdrv_err(err, -errno, "%s: /proc/self/ns/net: %s", ifname, strerror(errno));
	int rc, target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		rc = xdrv_err(err, -errno, "%s: network namespace %s: %s", ifname, path,
			      strerror(errno));
		goto out_self;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = xdrv_err(err, -errno, "%s: setns %s: %s", ifname, path, strerror(errno));
		goto out_target;
	}
	rc = fn(arg, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* staying in the wrong namespace would be worse than failing loudly: the caller
		 * undoes what fn made (rc < 0 tells it) */
		int e = errno;
		if (err) {
			free(*err);
			*err = NULL;
		}
		rc = xdrv_err(err, -e, "%s: returning from %s: %s", ifname, path, strerror(e));
	}
out_target:
	close(target);
out_self:
	close(self);
	return rc;
}

struct tap_open_arg {
	const struct hvb_tap_cfg *cfg;
	int fd;
};

static int tap_open_here(void *arg, char **err)
{
	struct tap_open_arg *a = arg;
	a->fd = create_here(a->cfg, err);
	return a->fd < 0 ? a->fd : 0;
}

int hvb_tap_open(const struct hvb_tap_cfg *cfg, char **err)
{
	struct tap_open_arg a = {cfg, -1};
	char what[40];
	snprintf(what, sizeof what, "TAP %s", cfg->name);
	int rc = hvb_in_netns(cfg->netns, what, tap_open_here, &a, err);
	if (rc < 0) {
		if (a.fd >= 0)
			close(a.fd);
		return rc;
	}
	return a.fd;
}

int hvb_tap_set_mac(int fd, const char *name, const uint8_t mac[6], char **err)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
		return xdrv_err(err, -errno, "TAP %s: set MAC address (SIOCSIFHWADDR): %s", name,
				strerror(errno));
	return 0;
}
