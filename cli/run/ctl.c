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
 * "attach POS SPEC" (POS a number or "end"; SPEC as --ext takes it, its paths absolute),
 * "param list|status|set ..." or "patch list|apply PATH|revert" (code swaps: ctl_param.c in
 * process, ctl_swap.c in a driver domain), or "update PATH" (update.c; in a driver domain checked
 * and compiled by the supervisor, ctl_swap.c). The answer: lines of
 * text, the last "ok" or "error: MESSAGE".
 *
 * In a driver domain the supervisor owns the socket (the driver host may not accept
 * connections) and a thread of its relays each request over a SEQPACKET socket pair to the
 * driver host, where the run loop serves it the same way and answers in one message; requests
 * carry a number so that an answer that came too late (a host that was restarted) is never
 * taken for the next one's. Attach and replace there: the supervisor's relay thread parses the
 * spec, reads the table files, has the package verified (signature and chain with the run's
 * trust root, revocation with --ext-crl / --ext-deny-list, as --ext at the start) and compiled by
 * the compiler process (ldr_package_compile, eager, in a loader context of its own), refuses what
 * is not an extension, and sends the driver host one binary message (ctl_msg.h: hook, position or
 * id, policy, tables, the compiled record of ldr_compiled_wire_write); the host parses it strictly,
 * links the object (ldr_ext_load_compiled), fills the tables and swaps the chain between
 * dispatches, or answers the error and leaves the chain as it was. The supervisor logs each attach
 * with the package's payload digest and the object's digest (what it measured; the host linked
 * exactly that object or refused it). An extension attached live is the host's: a restarted driver
 * host starts with the --ext extensions only.
 *
 * Code swaps there (`xdrv param set`, `xdrv patch apply|revert`; ctl_swap.c): the relay serves
 * them itself. It checks the change against what runs and has the compiler process compile the
 * new generation (the loader's struct ldr_gen, made from the package bytes the run loaded; a
 * patch file is read and verified here, with --ext-crl / --ext-deny-list when given), then sends
 * the driver host one swap message (ctl_msg.h: seq, kind, change, the compiled record); the host
 * parses it strictly, links the object and stores every slot between dispatches
 * (ldr_image_swap_generation), and answers the generation and the object's SHA-256, or the error.
 * The supervisor takes the change as live only on that answer, logs it with the digest of the
 * object it handed over, and answers the client as the in-process path does; `param list|status`
 * and `patch list` are its own answers. A restarted driver host swaps in the generation that was
 * live before its first dispatch (run_swap_catch_up): live changes survive a restart. `update`
 * is served by the relay the same way (ctl_swap.c): checked and compiled there, sent in a swap
 * message of its own kind, the driver replaced by the host (update.c's run_update_host). With
 * `--tier auto` the relay's first job is tier 2 (run_swap_tier2); without --control the relay
 * then has no socket (run_ctl_open(NULL)) and ends after it.
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include "ctl.h"

#include "ctl_msg.h"
#include "run_ext.h"
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#include <xdrv/domain.h>
#include <xdrv/ext_host.h>
#include <xdrv/loader.h>
#include <xdrv/net.h>
#include <xdrv/net_ext.h>
#include <xdrv/runtime.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#define REQ_MAX 8192

#define MSG_MAX 65536

struct run_ctl {
	int fd;	   /* the listening socket, or (driver host) its end of the pair */
	bool host; /* a driver host's end: requests come from the supervisor's relay */
	int pair;  /* supervisor: its end of the pair to the driver host, -1 if none */
	pthread_t relay;
	bool relaying;
	volatile int stop;
	uint32_t seq;
	char path[108];
	struct ldr_ctx *ctx;
	struct ldr_netdev *nd;
	struct ldr_image *img;	/* the driver's image: in process (param requests), in a driver
				 * host (the supervisor's swap messages) */
	struct run_swap *swap;	/* supervisor: code swaps served by the relay; NULL: none */
	struct ldr_config ccfg; /* supervisor: the loader configuration to compile with */
	bool has_ccfg;
	struct ldr_ctx *cctx; /* supervisor: the relay thread's context, made at the first attach */
	uint32_t rounds;
	uint64_t served, refused;
	struct run_update *upd;	    /* in process: what "update PATH" acts on; NULL: not offered */
	struct ldr_domain_host *dh; /* driver host: its heartbeat (the test hold below beats) */
	uint64_t swap_at, swaps;    /* the test holds below; driver host: swaps served */
	bool held;		    /* in process: the test hold is over */
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
	if (!path) { /* a relay for tier 2 alone */
		struct run_ctl *c = calloc(1, sizeof *c);
		if (!c)
			return xdrv_err(err, -ENOMEM, "out of memory");
		c->fd = c->pair = -1;
		*out = c;
		return 0;
	}
	int fd = xdrv_ctl_listen(path, SOCK_NONBLOCK, err);
	if (fd < 0) {
		xdrv_err_prefix(err, "--control %s", path);
		return fd;
	}
	struct run_ctl *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		unlink(path);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	c->fd = fd;
	c->pair = -1;
	const char *at = getenv("XDRV_TEST_SWAP_AT"); /* the in-process test hold, below */
	c->swap_at = at ? strtoull(at, NULL, 10) : 0;
	snprintf(c->path, sizeof c->path, "%s", path);
	printf("control: %s (xdrv ext attach|detach|list|stats --control %s)\n", path, path);
	fflush(stdout);
	*out = c;
	return 0;
}

void run_ctl_set_compile(struct run_ctl *c, const struct ldr_config *cfg)
{
	if (c && cfg) {
		c->ccfg = *cfg;
		c->has_ccfg = true;
	}
}

void run_ctl_set(struct run_ctl *c, struct ldr_ctx *ctx, struct ldr_netdev *nd)
{
	if (c) {
		c->ctx = ctx;
		c->nd = nd;
	}
}

void run_ctl_set_image(struct run_ctl *c, struct ldr_image *img)
{
	if (c)
		c->img = img;
}

void run_ctl_set_swap(struct run_ctl *c, struct run_swap *s)
{
	if (c)
		c->swap = s;
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
			reply(f,
			      " class%u_sent=%" PRIu64 " class%u_dropped=%" PRIu64
			      " class%u_waiting=%" PRIu32,
			      i, k.class_sent[i], i, k.class_dropped[i], i, k.class_waiting[i]);
		reply(f, "\n");
	}
	reply(f, "ok\n");
}

/* "POS SPEC" (attach) or "ID SPEC" (replace): POS or ID into *where, SPEC returned; NULL after
 * answering an error. */
static char *where_spec(FILE *f, char *args, bool replace, uint32_t *where)
{
	char *sp = strchr(args, ' ');
	if (!sp) {
		reply(f, "error: %s\n",
		      replace ? "replace wants ID SPEC" : "attach wants POS SPEC");
		return NULL;
	}
	*sp = 0;
	*where = LDR_NET_EXT_END;
	if (replace || strcmp(args, "end") != 0) {
		char *end = NULL;
		unsigned long v = strtoul(args, &end, 10);
		if (replace && (!*args || *end || v == 0 || v > INT32_MAX)) {
			reply(f, "error: replace: '%s' is not an attachment id (xdrv ext list)\n",
			      args);
			return NULL;
		}
		if (!replace && (!*args || *end || v > LDR_NET_EXT_CHAIN_MAX)) {
			reply(f, "error: attach: position '%s' is not a number or 'end'\n", args);
			return NULL;
		}
		*where = (uint32_t)v;
	}
	return sp + 1;
}

static void do_attach(struct run_ctl *c, FILE *f, char *args, bool replace)
{
	uint32_t pos = LDR_NET_EXT_END;
	char *spec = where_spec(f, args, replace, &pos);
	if (!spec)
		return;
	struct run_ext_spec *s = calloc(1, sizeof *s);
	char *err = NULL;
	int rc = s ? run_ext_parse(spec, s, &err) : -ENOMEM;
	struct ldr_ext *e = NULL;
	if (rc == 0)
		rc = run_ext_load(c->ctx, s->pkg, &e, &err);
	if (rc == 0)
		rc = run_ext_fill_tables(e, s, &err);
	if (rc == 0) {
		char name[64];
		snprintf(name, sizeof name, "%s", ldr_ext_name(e));
		rc = replace ? ldr_net_ext_replace(c->nd, pos, e, s->policy, &err)
			     : ldr_net_ext_attach(c->nd, s->hook, pos, e, s->policy, &err);
		e = NULL; /* the runtime's now */
		if (rc > 0) {
			reply(f, "%d %s %s the %s hook\nok\n", rc, name,
			      replace ? "replaced its attachment on" : "attached to",
			      s->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx");
			printf("control: extension %s %s the %s hook (id %d)\n", name,
			       replace ? "replaced its attachment on" : "attached to",
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

void run_ctl_set_update(struct run_ctl *c, struct run_update *u)
{
	if (c)
		c->upd = u;
}

/* "update PATH": the running driver replaced by a newer version of itself (update.c). */
static void do_update(struct run_ctl *c, FILE *f, const char *path)
{
	if (!c->upd || c->host) { /* a driver host: only from its supervisor's message */
		reply(f, "error: %s\n",
		      c->host ? "a driver host takes an update only from its supervisor"
			      : "this run takes no live update");
		return;
	}
	run_update_serve(c->upd, path, f);
	if (c->upd->img)
		c->img = *c->upd->img; /* the new version's (the old image is gone) */
}

/* One request line (without its newline) answered into f. */
static void serve_line(struct run_ctl *c, char *req, FILE *f)
{
	c->served++;
	/* a driver host swaps code only from its supervisor's swap message */
	if (!strncmp(req, "param ", 6))
		run_ctl_param(c->host ? NULL : c->img, f, req + 6);
	else if (!strncmp(req, "patch ", 6))
		run_ctl_patch(c->host ? NULL : c->img, f, req + 6);
	else if (!strncmp(req, "update ", 7)) /* a disk run has no interface */
		do_update(c, f, req + 7);
	else if (!c->nd)
		reply(f, "error: the run has no network interface yet\n");
	else if (!strcmp(req, "list"))
		do_list(c, f, false);
	else if (!strcmp(req, "stats"))
		do_list(c, f, true);
	else if (!strncmp(req, "detach ", 7))
		do_detach(c, f, req + 7);
	else if ((!strncmp(req, "attach ", 7) || !strncmp(req, "replace ", 8)) && c->host)
		reply(f, "error: a driver host takes an extension only from its supervisor's "
			 "attach message\n");
	else if (!strncmp(req, "attach ", 7))
		do_attach(c, f, req + 7, false);
	else if (!strncmp(req, "replace ", 8))
		do_attach(c, f, req + 8, true);
	else
		reply(f, "error: unknown request (list, stats, detach ID, attach POS SPEC, "
			 "replace ID SPEC, param list|status|set, patch list|apply|revert)\n");
}

/* A client: its peer credentials checked, its line read (a short deadline keeps a silent peer
 * from holding anyone). 1 with the line (no newline) in req, 0 after answering it an error. */
static int read_request(struct run_ctl *c, int cfd, char *req, size_t cap)
{
	int rc = xdrv_ctl_read_line(cfd, "run", req, cap);
	if (rc == -EPERM)
		c->refused++;
	return rc == 0;
}

static void serve(struct run_ctl *c, int cfd)
{
	char req[REQ_MAX];
	if (!read_request(c, cfd, req, sizeof req))
		return;
	FILE *f = fdopen(dup(cfd), "w");
	if (!f)
		return;
	serve_line(c, req, f);
	fclose(f);
}

/* Driver host: the supervisor's attach message (ctl_msg.h), answered "#SEQ\nANSWER" into f.
 * Anything that fails leaves the chain as it was. */
static void host_attach(struct run_ctl *c, const uint8_t *msg, size_t n, FILE *f)
{
	struct run_ctl_attach a;
	struct ldr_compiled *rec = NULL;
	struct ldr_ext *e = NULL;
	char *err = NULL;
	c->served++;
	int rc = run_ctl_attach_parse(msg, n, &a, &err);
	fprintf(f, "#%u\n", a.seq);
	if (rc == 0 && !c->nd)
		rc = xdrv_err(&err, -ENODEV, "the run has no network interface yet");
	if (rc == 0)
		rc = ldr_compiled_wire_read(a.record, a.record_len, &rec, &err);
	if (rc == 0)
		rc = ldr_ext_load_compiled(c->ctx, rec, NULL, &e, &err);
	if (rc == 0)
		rc = run_ext_fill_tables(e, &a.spec, &err);
	if (rc == 0) {
		char name[64], ver[32];
		snprintf(name, sizeof name, "%s", ldr_ext_name(e));
		snprintf(ver, sizeof ver, "%s", ldr_ext_version(e));
		bool replace = a.op == RUN_CTL_OP_REPLACE;
		/* the runtime owns e from here, also on failure */
		rc = replace ? ldr_net_ext_replace(c->nd, a.where, e, a.policy, &err)
			     : ldr_net_ext_attach(c->nd, a.hook, a.where, e, a.policy, &err);
		e = NULL;
		if (rc > 0) {
			const char *hook = a.hook == XDRV_EXT_HOOK_RX ? "rx" : "tx";
			reply(f, "%d %s %s %s the %s hook\nok\n", rc, name, ver,
			      replace ? "replaced its attachment on" : "attached to", hook);
			printf("control: extension %s %s %s the %s hook in the driver host (id "
			       "%d)\n",
			       name, ver, replace ? "replaced its attachment on" : "attached to",
			       hook, rc);
			fflush(stdout);
		}
	}
	ldr_ext_unload(e);
	ldr_compiled_free(rec);
	if (rc < 0) {
		c->refused++;
		reply(f, "error: %s\n", err ? err : strerror(-rc));
	}
	free(err);
	run_ctl_attach_free(&a);
}

/* Tests only (tests/e2e/domain_swaps.sh): XDRV_TEST_SWAP_AT=N makes a driver host leave
 * the supervisor's swap messages waiting until its driver has received N frames (its
 * get_stats: a count of the work done, not of time or rounds, which batching makes depend on
 * the machine's speed), and wait at its first look at the pair after them (no dispatch, its
 * heartbeat beaten) until one came and was served: the swap happens at that point of the run,
 * under traffic, however busy the machine is. 1 once the hold is over (or there is none) and a
 * message may be read. */
static int test_hold(struct run_ctl *c, uint8_t *peek, ssize_t n)
{
	if (!c->swap_at || c->swaps)
		return 1;
	struct xdrv_net_stats st;
	memset(&st, 0, sizeof st);
	if (!c->nd || ldr_net_stats(c->nd, &st) != 0)
		return 1;		/* nothing to count: no hold */
	if (st.rx_packets < c->swap_at) /* before the point: a swap message waits */
		return n <= 0 || !run_ctl_swap_is(peek, (size_t)n < 16 ? (size_t)n : 16);
	while (n <= 0) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		poll(&p, 1, 50);
		ldr_domain_beat(c->dh);
		n = recv(c->fd, peek, 16, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
	}
	return 1;
}

/* Driver host: one request from the supervisor's relay, "#SEQ LINE", an attach or a swap
 * message, answered in one message "#SEQ\nANSWER". */
static bool host_pump(struct run_ctl *c)
{
	char req[REQ_MAX + 16];
	uint8_t peek[16];
	ssize_t n = recv(c->fd, peek, sizeof peek, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
	if (!test_hold(c, peek, n))
		return false;
	if (n <= 0)
		n = recv(c->fd, peek, sizeof peek, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
	if (n <= 0)
		return false;
	uint8_t *big = NULL;
	size_t pn = (size_t)n < sizeof peek ? (size_t)n : sizeof peek;
	bool swap = run_ctl_swap_is(peek, pn);
	if (swap || run_ctl_attach_is(peek, pn)) {
		/* at most RUN_CTL_ATTACH_MAX is taken; a longer message is cut, and refused */
		size_t cap =
			(size_t)n < RUN_CTL_ATTACH_MAX + 1 ? (size_t)n : RUN_CTL_ATTACH_MAX + 1;
		big = malloc(cap);
		n = big ? recv(c->fd, big, cap, MSG_DONTWAIT) : recv(c->fd, req, 1, MSG_DONTWAIT);
	} else {
		n = recv(c->fd, req, sizeof req - 1, MSG_DONTWAIT);
	}
	if (n <= 0) {
		free(big);
		return false;
	}
	char *ans = NULL;
	size_t alen = 0;
	FILE *f = open_memstream(&ans, &alen);
	if (!f) {
		free(big);
		return true;
	}
	if (big) {
		if (swap) {
			c->served++;
			c->swaps++;
			if (run_swap_host(c->img, c->upd, big, (size_t)n, f) != 0)
				c->refused++;
			if (c->upd && *c->upd->img)
				c->img = *c->upd->img; /* an update's (the old image is gone) */
		} else {
			host_attach(c, big, (size_t)n, f);
		}
		free(big);
		fclose(f);
		if (ans && send(c->fd, ans, alen < MSG_MAX ? alen : MSG_MAX, MSG_DONTWAIT) < 0)
			c->refused++;
		free(ans);
		if (c->upd && !*c->upd->drv) { /* an update that failed and could not roll back */
			printf("domain: driver host %d: neither version of the driver is bound: it "
			       "ends\n",
			       (int)getpid());
			fflush(stdout);
			_exit(1); /* the supervisor restarts it from the version it knows runs */
		}
		return true;
	}
	req[n] = 0;
	char *sp = strchr(req, ' ');
	if (req[0] != '#' || !sp) {
		fprintf(f, "#0\nerror: bad relay message\n");
	} else {
		*sp = 0;
		fprintf(f, "%s\n", req);
		serve_line(c, sp + 1, f);
	}
	fclose(f);
	if (ans && send(c->fd, ans, alen < MSG_MAX ? alen : MSG_MAX, MSG_DONTWAIT) < 0)
		c->refused++;
	free(ans);
	return true;
}

/* Supervisor: what the log says of an attached package. */
struct relay_note {
	char name[64], version[32], pkg[72], obj[65];
	const char *hook;
	bool replace;
};

/* Supervisor: "attach POS SPEC" or "replace ID SPEC" turned into the attach message for the
 * driver host: the spec parsed, its table files read, the package verified and compiled (as
 * --ext at the start), only an extension taken. 0 with *msg (malloc'd), or -errno after
 * writing the error to the client. */
static int relay_attach_msg(struct run_ctl *c, int cfd, char *req, uint32_t seq, uint8_t **msg,
			    size_t *len, struct relay_note *note)
{
	bool replace = !strncmp(req, "replace ", 8);
	char *args = req + (replace ? 8 : 7);
	char *ebuf = NULL;
	size_t elen = 0;
	FILE *ef = open_memstream(&ebuf, &elen);
	if (!ef)
		return -ENOMEM;
	uint32_t where = LDR_NET_EXT_END;
	char *spec = where_spec(ef, args, replace, &where);
	int rc = spec ? 0 : -EINVAL;
	struct run_ext_spec *s = spec ? calloc(1, sizeof *s) : NULL;
	struct ldr_compiled *rec = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	char *err = NULL;
	if (rc == 0 && !s)
		rc = xdrv_err(&err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = run_ext_parse(spec, s, &err);
	if (rc == 0 && !c->has_ccfg)
		rc = xdrv_err(&err, -ENOTSUP,
			      "the run has no loader configuration to compile with");
	if (rc == 0 && !c->cctx) {
		struct ldr_config cfg = c->ccfg; /* an extension is compiled whole */
		cfg.jit_mode = LDR_JIT_EAGER;
		rc = ldr_ctx_create(&cfg, &c->cctx, &err);
	}
	if (rc == 0)
		rc = run_ext_compile_one(c->cctx, s->pkg, &rec, &err);
	/* a driver was refused from its manifest before the compile (run_ext_compile_one) */
	const struct sdk_manifest *m = rc == 0 ? ldr_compiled_manifest(rec) : NULL;
	if (rc == 0)
		rc = ldr_compiled_wire_write(rec, &wire, &wlen, &err);
	if (rc == 0)
		rc = run_ctl_attach_write(seq, replace ? RUN_CTL_OP_REPLACE : RUN_CTL_OP_ATTACH,
					  where, s, wire, wlen, msg, len, &err);
	if (rc == 0) {
		const struct sig_info *si = ldr_compiled_signature(rec);
		uint8_t d[32];
		ldr_compiled_sha256(rec, d);
		xdrv_hex(d, sizeof d, note->obj);
		snprintf(note->name, sizeof note->name, "%s", m && m->name ? m->name : "?");
		snprintf(note->version, sizeof note->version, "%s",
			 m && m->version ? m->version : "?");
		snprintf(note->pkg, sizeof note->pkg, "%s", si ? si->digest_hex : "unsigned");
		note->hook = s->hook == XDRV_EXT_HOOK_RX ? "rx" : "tx";
		note->replace = replace;
	} else if (spec) {
		fprintf(ef, "error: %s\n", err ? err : strerror(-rc));
	}
	fclose(ef);
	if (rc != 0 && ebuf) {
		ssize_t w = write(cfd, ebuf, elen);
		(void)w;
		printf("control: attach refused: %s", ebuf + (elen > 7 ? 7 : 0));
		fflush(stdout);
	}
	free(ebuf);
	free(err);
	free(wire);
	ldr_compiled_free(rec);
	if (s)
		run_ext_free(s, 1);
	free(s);
	return rc;
}

/* Supervisor: relay one client's request to the driver host and its answer back. */
static void relay_one(struct run_ctl *c, int cfd)
{
	char req[REQ_MAX];
	if (!read_request(c, cfd, req, sizeof req))
		return;
	char msg[REQ_MAX + 16];
	uint32_t seq = ++c->seq;
	if (!c->swap && !strncmp(req, "update ", 7)) {
		static const char e[] = "error: live update in a driver domain needs the driver "
					"compiled eagerly (not --lazy)\n";
		ssize_t w = write(cfd, e, sizeof e - 1);
		(void)w;
		return;
	}
	if (c->swap && (!strncmp(req, "param ", 6) || !strncmp(req, "patch ", 6) ||
			!strncmp(req, "update ", 7))) {
		FILE *f = fdopen(dup(cfd), "w");
		if (f) { /* served here: checked, compiled, handed over (ctl_swap.c) */
			run_swap_serve(c->swap, c->pair, seq, req, f);
			fclose(f);
		}
		return;
	}
	const char *xerr = NULL;
	uint8_t *bin = NULL;
	size_t blen = 0;
	struct relay_note note = {.hook = NULL};
	bool attach = !strncmp(req, "attach ", 7) || !strncmp(req, "replace ", 8);
	if (attach && relay_attach_msg(c, cfd, req, seq, &bin, &blen, &note) != 0)
		return; /* answered */
	int n = attach ? 0 : snprintf(msg, sizeof msg, "#%u %s", seq, req);
	static char ans[MSG_MAX + 1];
	int rc = -1;
	if (attach || (n > 0 && (size_t)n < sizeof msg))
		/* an attach links in the host: give a loaded machine time */
		rc = run_ctl_exchange(
			c->pair, seq, attach ? (const void *)bin : msg, attach ? blen : (size_t)n,
			attach ? 60000000000ull : 3000000000ull, ans, sizeof ans, &xerr);
	free(bin);
	if (rc != 0) {
		char e[160];
		snprintf(e, sizeof e, "error: %s\n",
			 !xerr ? "the request is too long"
			 : attach && strstr(xerr, "too large")
				 ? "the extension is too large to hand to the driver host"
				 : xerr);
		ssize_t w = write(cfd, e, strlen(e));
		(void)w;
		return;
	}
	const char *body = ans;
	ssize_t w = write(cfd, body, strlen(body));
	(void)w;
	if (attach && strncmp(body, "error: ", 7) != 0)
		printf("control: extension %s %s (package sha256 %s, object sha256 %s, "
		       "compiled by the supervisor) %s the %s hook in the driver host "
		       "(id %d)\n",
		       note.name, note.version, note.pkg, note.obj,
		       note.replace ? "replaced its attachment on" : "attached to", note.hook,
		       atoi(body));
	else if (attach)
		printf("control: attach refused by the driver host: %s", body + 7);
	fflush(stdout);
}

/* glibc reads /proc/sys/vm/overcommit_memory the first time it shrinks the heap of a thread's
 * arena, and keeps the answer. A compiler process forked from this thread (which has such an
 * arena) would read it under its sandbox, which denies the open: have glibc read it here,
 * where the answer is cached before any fork. */
static void prime_arena_trim(void)
{
	enum { N = 64 };
	void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = malloc(32 * 1024); /* below the mmap threshold: from this thread's heap */
	for (int i = N - 1; i >= 0; i--)
		free(p[i]);
}

static void *relay_main(void *arg)
{
	struct run_ctl *c = arg;
	prime_arena_trim();
	/* a client gone before its answer (a swap compiles for seconds) is an EPIPE on this
	 * thread, not the supervisor's death */
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	/* --tier auto: tier 2 first (requests wait for it), again after an update */
	run_swap_tier2(c->swap, c->pair, ++c->seq, &c->stop);
	while (!c->stop && c->fd >= 0) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		int cfd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		relay_one(c, cfd);
		close(cfd);
		run_swap_tier2(c->swap, c->pair, ++c->seq, &c->stop);
	}
	return NULL;
}

int run_ctl_relay_start(struct run_ctl *c, int pair, char **err)
{
	c->pair = pair;
	int rc = pthread_create(&c->relay, NULL, relay_main, c);
	if (rc)
		return xdrv_err(err, -rc, "--control: relay thread: %s", strerror(rc));
	c->relaying = true;
	return 0;
}

struct run_ctl *run_ctl_host(int pair, struct ldr_domain_host *h)
{
	struct run_ctl *c = calloc(1, sizeof *c);
	if (c) {
		c->fd = pair;
		c->host = true;
		c->pair = -1;
		c->dh = h;
		const char *at = getenv("XDRV_TEST_SWAP_AT");
		c->swap_at = at ? strtoull(at, NULL, 10) : 0;
	}
	return c;
}

#define HOLD_MAX_NS (120ull * 1000000000u) /* a test hold that sees no swap ends after this */

/* Tests only (tests/e2e/respec.sh): XDRV_TEST_SWAP_AT=N in process. Once the driver has received
 * N frames while its code is still the load's (generation 0), the run loop stays here: no
 * dispatch, the control socket served, until a swap is live or has failed (a signal, or 120 s
 * without one, ends the hold too, said on stderr). A `param set` or `patch apply` then lands at
 * that point of a finite run, with frames before and after it, however fast or busy the
 * machine is; as in the driver host's hold above, the point is a count of work, not a time. */
static void test_hold_in_process(struct run_ctl *c)
{
	if (!c->swap_at || c->held || !c->nd || !c->img || c->swap)
		return;
	struct xdrv_net_stats st;
	memset(&st, 0, sizeof st);
	if (ldr_net_stats(c->nd, &st) != 0 || st.rx_packets < c->swap_at)
		return;
	c->held = true;
	fprintf(stderr, "xdrv run: XDRV_TEST_SWAP_AT: held at %" PRIu64 " frames received\n",
		st.rx_packets);
	uint64_t end = xdrv_now_ns() + HOLD_MAX_NS;
	for (;;) {
		struct ldr_tier_info ti;
		ldr_image_tier_info(c->img, &ti);
		if (ti.generation > 0 || ti.state == LDR_TIER_FAILED) {
			fprintf(stderr, "xdrv run: XDRV_TEST_SWAP_AT: released at generation %u\n",
				ti.generation);
			return;
		}
		if (xdrv_now_ns() >= end)
			break;
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, 50) < 0 && errno == EINTR)
			break;
		int cfd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd >= 0) {
			serve(c, cfd);
			close(cfd);
		}
	}
	fprintf(stderr, "xdrv run: XDRV_TEST_SWAP_AT=%" PRIu64 ": the hold ended without a swap\n",
		c->swap_at);
}

static bool ctl_pump(void *ctx, bool busy)
{
	struct run_ctl *c = ctx;
	if (busy && (++c->rounds & 255u))
		return false;
	if (c->host)
		return host_pump(c);
	test_hold_in_process(c);
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
	if (c->relaying) {
		c->stop = 1;
		/* the driver host is gone: a relay waiting for its answer stops at once */
		shutdown(c->pair, SHUT_RDWR);
		pthread_join(c->relay, NULL);
	}
	ldr_ctx_destroy(c->cctx);
	if (!c->host && c->fd >= 0) { /* a driver host's end of the pair is the supervisor's */
		close(c->fd);
		unlink(c->path);
	}
	free(c);
}
