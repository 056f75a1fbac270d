// SPDX-License-Identifier: MIT
/*
 * `xdrv run --control[=PATH]`: a unix socket through which `xdrv ext attach|detach|list|stats`
 * (cli/cmd_ext_ctl.c) changes and reads the NIC's extension chains while traffic flows.
 *
 * The socket is one more end of the run loop (loop.c): it is looked at between dispatches
 * (every round while idle, every 256th round while busy, so that a busy NIC pays one accept
 * call per 256 rounds), and a request is served there, on the driver's thread, between two
 * dispatches: the chain swap is the runtime's atomic one (xdrv/net_ext.h), and traffic waits
 * while an attach loads its extension. The peer must be this user or root (SO_PEERCRED); the
 * socket file is 0600.
 *
 * Protocol: one request a connection, one line: "list", "stats", "detach ID", or
 * "attach POS SPEC" (POS a number or "end"; SPEC as --ext takes it, its paths absolute). The
 * answer: lines of text, the last "ok" or "error: MESSAGE".
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include "ctl.h"

#include "ext.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <xdrv/ext.h>
#include <xdrv/ext_host.h>
#include <xdrv/net_ext.h>
#include <xdrv/util.h>

#define REQ_MAX 8192

struct run_ctl {
	int fd;
	char path[108];
	struct ldr_ctx *ctx;
	struct ldr_netdev *nd;
	uint32_t rounds;
	uint64_t served, refused;
};

int run_ctl_default_path(char *buf, size_t cap)
{
	const char *dir = getenv("XDRV_RUN_DIR");
	if (!dir || !*dir)
		dir = getenv("XDG_RUNTIME_DIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int n = snprintf(buf, cap, "%s/xdrv-run.sock", dir);
	return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

int run_ctl_open(const char *path, struct run_ctl **out, char **err)
{
	*out = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return xdrv_err(err, -ENAMETOOLONG, "--control %s: path too long for a socket",
				path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xdrv_err(err, -errno, "--control %s: socket: %s", path, strerror(errno));
	/* a socket file nobody answers on is stale: take its place; a live one is another run's */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		return xdrv_err(err, -EADDRINUSE,
				"--control %s: another run answers there (give another path)",
				path);
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xdrv_err(err, -errno, "--control %s: socket: %s", path, strerror(errno));
	unlink(path);
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc == 0)
		rc = listen(fd, 8);
	if (rc != 0) {
		rc = -errno;
		close(fd);
		return xdrv_err(err, rc, "--control %s: %s", path, strerror(-rc));
	}
	struct run_ctl *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		unlink(path);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	c->fd = fd;
	snprintf(c->path, sizeof c->path, "%s", path);
	printf("control: %s (xdrv ext attach|detach|list|stats --control %s)\n", path, path);
	fflush(stdout);
	*out = c;
	return 0;
}

void run_ctl_set(struct run_ctl *c, struct ldr_ctx *ctx, struct ldr_netdev *nd)
{
	if (c) {
		c->ctx = ctx;
		c->nd = nd;
	}
}

static void reply(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

static void do_list(struct run_ctl *c, FILE *f, bool stats)
{
	struct ldr_net_ext_info info[LDR_NET_EXT_CHAIN_MAX * 2 + LDR_NET_EXT_HISTORY];
	size_t n = ldr_net_ext_list(c->nd, info, sizeof info / sizeof info[0]);
	if (n > sizeof info / sizeof info[0])
		n = sizeof info / sizeof info[0];
	for (size_t i = 0; i < n; i++) {
		const struct ldr_net_ext_info *x = &info[i];
		const char *hook = x->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx";
		if (!stats) {
			if (x->attached)
				reply(f, "%u %s %u %s %s policy=%s\n", x->id, hook, x->pos, x->name,
				      x->version, x->policy == LDR_NET_EXT_DROP ? "drop" : "pass");
			else
				reply(f, "%u %s - %s %s detached: %s\n", x->id, hook, x->name,
				      x->version, x->failure);
			continue;
		}
		reply(f,
		      "%u %s %s runs=%" PRIu64 " pass=%" PRIu64 " drop=%" PRIu64 " tx=%" PRIu64
		      " class=%" PRIu64 " failed=%" PRIu64 " table_full=%" PRIu64 " run_ns=%" PRIu64
		      "\n",
		      x->id, hook, x->name, x->st.runs, x->st.pass, x->st.drop, x->st.tx,
		      x->st.classed, x->st.failed, x->st.table_full, x->st.run_ns);
	}
	if (stats) {
		struct ldr_net_ext_counts k;
		ldr_net_ext_counts(c->nd, &k);
		reply(f,
		      "frames rx_dropped=%" PRIu64 " rx_bounced=%" PRIu64 " tx_dropped=%" PRIu64
		      " failures=%" PRIu64 " policy_dropped=%" PRIu64,
		      k.rx_dropped, k.rx_bounced, k.tx_dropped, k.failures, k.policy_dropped);
		for (unsigned i = 0; i < XDRV_EXT_CLASSES; i++)
			reply(f, " class%u_sent=%" PRIu64 " class%u_dropped=%" PRIu64, i,
			      k.class_sent[i], i, k.class_dropped[i]);
		reply(f, "\n");
	}
	reply(f, "ok\n");
}

static void do_attach(struct run_ctl *c, FILE *f, char *args)
{
	char *sp = strchr(args, ' ');
	if (!sp) {
		reply(f, "error: attach wants POS SPEC\n");
		return;
	}
	*sp = 0;
	uint32_t pos = LDR_NET_EXT_END;
	if (strcmp(args, "end") != 0) {
		char *end = NULL;
		unsigned long v = strtoul(args, &end, 10);
		if (!*args || *end || v > LDR_NET_EXT_CHAIN_MAX) {
			reply(f, "error: attach: position '%s' is not a number or 'end'\n", args);
			return;
		}
		pos = (uint32_t)v;
	}
	struct run_ext_spec *s = calloc(1, sizeof *s);
	char *err = NULL;
	int rc = s ? run_ext_parse(sp + 1, s, &err) : -ENOMEM;
	struct ldr_ext *e = NULL;
	if (rc == 0)
		rc = ldr_ext_load_file(c->ctx, s->pkg, NULL, 0, NULL, &e, &err);
	if (rc == 0)
		rc = run_ext_fill_tables(e, s, &err);
	if (rc == 0) {
		char name[64];
		snprintf(name, sizeof name, "%s", ldr_ext_name(e));
		rc = ldr_net_ext_attach(c->nd, s->hook, pos, e, s->policy, &err);
		e = NULL; /* the runtime's now */
		if (rc > 0) {
			reply(f, "%d %s attached to the %s hook\nok\n", rc, name,
			      s->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx");
			printf("control: extension %s attached to the %s hook (id %d)\n", name,
			       s->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx", rc);
			fflush(stdout);
		}
	}
	ldr_ext_unload(e);
	if (rc < 0)
		reply(f, "error: %s\n", err ? err : strerror(-rc));
	free(err);
	if (s)
		run_ext_free(s, 1);
	free(s);
}

static void do_detach(struct run_ctl *c, FILE *f, const char *arg)
{
	char *end = NULL;
	unsigned long id = strtoul(arg, &end, 10);
	if (!*arg || *end || id == 0 || id > UINT32_MAX) {
		reply(f, "error: detach wants an attachment id (xdrv ext list), not '%s'\n", arg);
		return;
	}
	char *err = NULL;
	if (ldr_net_ext_detach(c->nd, (uint32_t)id, &err) == 0) {
		reply(f, "ok\n");
		printf("control: extension %lu detached\n", id);
		fflush(stdout);
	} else {
		reply(f, "error: %s\n", err ? err : "detach failed");
	}
	free(err);
}

static void serve(struct run_ctl *c, int cfd)
{
	struct ucred cr;
	socklen_t crl = sizeof cr;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0 ||
	    (cr.uid != geteuid() && cr.uid != 0)) {
		c->refused++;
		const char *m = "error: not this run's user\n";
		ssize_t w = write(cfd, m, strlen(m));
		(void)w;
		return;
	}
	/* the client sends its line at once: a short deadline keeps a silent peer from holding
	 * the driver */
	struct timeval tv = {.tv_sec = 1};
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char req[REQ_MAX];
	size_t n = 0;
	while (n < sizeof req - 1) {
		ssize_t r = read(cfd, req + n, sizeof req - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = 0;
	char *nl = strchr(req, '\n');
	FILE *f = fdopen(dup(cfd), "w");
	if (!f)
		return;
	c->served++;
	if (!nl) {
		reply(f, "error: a request is one line\n");
	} else {
		*nl = 0;
		if (!c->nd)
			reply(f, "error: the run has no network interface yet\n");
		else if (!strcmp(req, "list"))
			do_list(c, f, false);
		else if (!strcmp(req, "stats"))
			do_list(c, f, true);
		else if (!strncmp(req, "detach ", 7))
			do_detach(c, f, req + 7);
		else if (!strncmp(req, "attach ", 7))
			do_attach(c, f, req + 7);
		else
			reply(f,
			      "error: unknown request (list, stats, detach ID, attach POS SPEC)\n");
	}
	fclose(f);
}

static bool ctl_pump(void *ctx, bool busy)
{
	struct run_ctl *c = ctx;
	if (busy && (++c->rounds & 255u))
		return false;
	int cfd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return false;
	serve(c, cfd);
	close(cfd);
	return true;
}

struct run_end run_ctl_end(struct run_ctl *c)
{
	return (struct run_end){.pump = ctl_pump, .more = NULL, .fd = c->fd, .ctx = c};
}

void run_ctl_close(struct run_ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}
