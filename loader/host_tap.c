// SPDX-License-Identifier: MIT
/*
 * Host TAP interface for `xdrv run --host-tap` (see host_tap.h): spec parsing, and creating the
 * TAP inside a network namespace by entering it with setns around the TUNSETIFF and the link
 * setup, then returning to the namespace we came from. The frame pump itself is in cmd_run.c.
 */
#define _GNU_SOURCE
#include "host_tap.h"

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

_Static_assert(sizeof(struct ldr_host_tap_vnet) == 10, "virtio_net_hdr layout");

static int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

static int set_field(struct ldr_host_tap_cfg *cfg, const char *key, size_t klen, const char *val,
		     size_t vlen, const char *spec, char **err)
{
	char v[80];
	if (vlen >= sizeof v)
		return xdrv_err(err, -EINVAL, "--host-tap %s: value too long", spec);
	memcpy(v, val, vlen);
	v[vlen] = 0;
	if (klen == 4 && !memcmp(key, "name", 4)) {
		if (!valid_name(v, 15))
			return xdrv_err(err, -EINVAL, "--host-tap %s: bad interface name \"%s\"",
					spec, v);
		snprintf(cfg->name, sizeof cfg->name, "%s", v);
	} else if (klen == 5 && !memcmp(key, "netns", 5)) {
		if (!valid_name(v, sizeof cfg->netns - 1))
			return xdrv_err(err, -EINVAL, "--host-tap %s: bad namespace name \"%s\"",
					spec, v);
		snprintf(cfg->netns, sizeof cfg->netns, "%s", v);
	} else if (klen == 3 && !memcmp(key, "mtu", 3)) {
		char *end = NULL;
		unsigned long m = strtoul(v, &end, 10);
		if (!*v || *end || m < 68 || m > 1500)
			return xdrv_err(err, -EINVAL,
					"--host-tap %s: mtu wants 68..1500, not \"%s\"", spec, v);
		cfg->mtu = (uint32_t)m;
	} else if (klen == 7 && !memcmp(key, "offload", 7)) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return xdrv_err(err, -EINVAL,
					"--host-tap %s: offload wants 0 or 1, not \"%s\"", spec, v);
		cfg->offload = v[0] == '1';
	} else {
		return xdrv_err(err, -EINVAL, "--host-tap %s: unknown key \"%.*s\"", spec,
				(int)klen, key);
	}
	return 0;
}

int ldr_host_tap_parse(const char *spec, struct ldr_host_tap_cfg *cfg, char **err)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->offload = 1;
	if (!spec || !*spec)
		return xdrv_err(err, -EINVAL, "--host-tap: empty");
	int rc = 0;
	if (!strchr(spec, '=')) { /* IFNAME[@NETNS] */
		const char *at = strchr(spec, '@');
		size_t n = at ? (size_t)(at - spec) : strlen(spec);
		rc = set_field(cfg, "name", 4, spec, n, spec, err);
		if (rc == 0 && at)
			rc = set_field(cfg, "netns", 5, at + 1, strlen(at + 1), spec, err);
		return rc;
	}
	for (const char *p = spec; rc == 0 && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq || eq == p)
			return xdrv_err(err, -EINVAL, "--host-tap %s: want key=value, not \"%.*s\"",
					spec, (int)len, p);
		rc = set_field(cfg, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1, spec,
			       err);
		p += len + (comma ? 1 : 0);
	}
	if (rc == 0 && !cfg->name[0])
		rc = xdrv_err(err, -EINVAL, "--host-tap %s: name= is required", spec);
	return rc;
}

/* In the current namespace: create the TAP, set its address and MTU, bring it up. */
static int tap_create(const struct ldr_host_tap_cfg *cfg, const uint8_t mac[6], char **err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return xdrv_err(err, -errno, "host TAP %s: /dev/net/tun: %s", cfg->name,
				strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (cfg->offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", cfg->name);
	int rc = 0;
	const char *step = "TUNSETIFF";
	int sock = -1;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto out_errno;
	int hsz = (int)sizeof(struct ldr_host_tap_vnet);
	step = "TUNSETVNETHDRSZ";
	if (cfg->offload && ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0)
		goto out_errno;
	step = "TUNSETOFFLOAD";
	if (cfg->offload && ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0)
		goto out_errno;
	step = "socket";
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		goto out_errno;
	step = "SIOCSIFHWADDR";
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
		goto out_errno;
	if (cfg->mtu) {
		step = "SIOCSIFMTU";
		ifr.ifr_mtu = (int)cfg->mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
			goto out_errno;
	}
	step = "SIOCSIFFLAGS";
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		goto out_errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		goto out_errno;
	close(sock);
	return fd;

out_errno:
	rc = xdrv_err(err, -errno, "host TAP %s: %s: %s", cfg->name, step, strerror(errno));
	if (sock >= 0)
		close(sock);
	close(fd);
	return rc;
}

int ldr_host_tap_open(const struct ldr_host_tap_cfg *cfg, const uint8_t mac[6], char **err)
{
	if (!cfg->netns[0])
		return tap_create(cfg, mac, err);
	char path[96];
	snprintf(path, sizeof path, "/run/netns/%s", cfg->netns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return xdrv_err(err, -errno, "host TAP %s: /proc/self/ns/net: %s", cfg->name,
				strerror(errno));
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		int e = errno;
		close(self);
		return xdrv_err(err, -e, "host TAP %s: network namespace %s: %s", cfg->name, path,
				strerror(e));
	}
	int rc;
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = xdrv_err(err, -errno, "host TAP %s: setns %s: %s", cfg->name, path,
			      strerror(errno));
	} else {
		rc = tap_create(cfg, mac, err);
		if (setns(self, CLONE_NEWNET) < 0) { /* cannot stay in the wrong namespace */
			if (rc >= 0)
				close(rc);
			if (err) {
				free(*err);
				*err = NULL;
			}
			rc = xdrv_err(err, -errno, "host TAP %s: returning from %s: %s", cfg->name,
				      path, strerror(errno));
		}
	}
	close(target);
	close(self);
	return rc;
}
