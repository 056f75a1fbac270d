// SPDX-License-Identifier: MIT
/*
 * The xen transport (xt.h), frontend side: pages shared with libxengnttab's gntshr (grant
 * references the backend domain maps, writable), one event channel from libxenevtchn (an
 * unbound port the backend domain binds), keys and states in xenstore through libxenstore
 * (a watch on the backend directory; xs_fileno is the control fd).
 *
 * Toolstack mode (xt_cfg.toolstack) writes both directories the way xl would for a frontend
 * in domain 0: the frontend directory (backend, backend-id, state) and the backend directory
 * (frontend, frontend-id=0, online=1, state=1, cfg->tool_keys) in one transaction, and
 * cfg->tool_keys_initwait once the backend is in InitWait (xt_wait_peer_state). Whatever a
 * killed run left at the same paths is removed first. A reaper child forked at open holds the
 * read end of a pipe: if the pipe ends without the "closed cleanly" byte (the process crashed
 * or was killed), it removes both directories with its own xenstore connection, so the
 * kernel's backend tears the vif or vbd down.
 *
 * Without libxen (XDRV_HAVE_LIBXEN unset: cross builds), opening fails with a message.
 * Exercised inside a Xen dom0 by the real-Xen stage; this host has no Xen.
 */
#define _GNU_SOURCE
#include "xt_priv.h"

#include <errno.h>
#include <xdrv/util.h>

#ifndef XDRV_HAVE_LIBXEN

int xt_xen_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	*out = NULL;
	return xdrv_err(err, -ENOTSUP,
			"%s: transport xen: this xdrv was built without libxen (libxen-dev); use "
			"transport=loop",
			cfg->name ? cfg->name : cfg->type);
}

#else

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#define XEN_PATH_MAX	  256
#define XEN_CLOSE_WAIT_MS 2000u /* per step of xt_close: the kernel backends take < 1 s */
#define XEN_WATCH_TOKEN	  "xdrv-xt"
#define XEN_TXN_RETRIES	  8

struct xen_share {
	void *addr;
	uint32_t n;
};

struct xen {
	struct xt xt; /* first */
	struct xs_handle *xs;
	xenevtchn_handle *xce;
	xengntshr_handle *xgs;
	evtchn_port_t port;
	bool port_bound, watching, toolstack, initwait_done;
	uint32_t backend_domid;
	char fe[XEN_PATH_MAX], be[XEN_PATH_MAX];
	struct xt_kv initwait_keys[XT_TOOL_KEYS_MAX];
	char *initwait_store; /* the copied strings of initwait_keys */
	struct xen_share *shares;
	size_t nshares, cshares;
	pid_t reaper;
	int reaper_fd; /* write end; the reaper cleans up when it closes without 'c' */
};

static struct xen *X(const struct xt *t)
{
	return (struct xen *)t;
}

static int path_join(char *out, const char *dir, const char *key)
{
	return xdrv_snprintf(out, XEN_PATH_MAX, "%s/%s", dir, key) < 0 ? -ENAMETOOLONG : 0;
}

static int xs_put(struct xen *x, xs_transaction_t txn, const char *dir, const char *key,
		  const char *val)
{
	char p[XEN_PATH_MAX];
	if (path_join(p, dir, key) < 0)
		return -ENAMETOOLONG;
	if (!xs_write(x->xs, txn, p, val, (unsigned)strlen(val)))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- the reaper ------------------------------------------------------------------------------ */

static void reaper_main(int rfd, const char *fe, const char *be)
{
	struct xs_handle *xs;
	long max = sysconf(_SC_OPEN_MAX);
	ssize_t n;
	char c = 0;
	/* outlive a Ctrl-C or SIGTERM aimed at the process group: that is when we are needed */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setsid();
	/* hold nothing of the parent's (TAPs, sockets, the parent's xenstore connection) */
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (fd != rfd)
			close(fd);
	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && c == 'c')
		_exit(0);
	xs = xs_open(0);
	if (!xs) {
		fprintf(stderr,
			"xdrv: xen reaper: frontend process gone, but xenstore: %s; %s "
			"and %s are left\n",
			strerror(errno), fe, be);
		_exit(1);
	}
	xs_rm(xs, XBT_NULL, be);
	xs_rm(xs, XBT_NULL, fe);
	xs_close(xs);
	fprintf(stderr, "xdrv: xen reaper: frontend process gone: removed %s and %s\n", fe, be);
	_exit(0);
}

static int reaper_start(struct xen *x, char **err)
{
	int p[2];
	pid_t pid;
	if (pipe2(p, O_CLOEXEC) < 0)
		return xdrv_err(err, -errno, "%s: reaper pipe: %s", x->xt.name, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return xdrv_err(err, -e, "%s: reaper: fork: %s", x->xt.name, strerror(e));
	}
	if (pid == 0) {
		close(p[1]);
		reaper_main(p[0], x->fe, x->be);
	}
	close(p[0]);
	x->reaper = pid;
	x->reaper_fd = p[1];
	return 0;
}

/* clean: the directories are gone (or not ours); the reaper may exit without touching them */
static void reaper_stop(struct xen *x, bool clean)
{
	if (x->reaper_fd >= 0) {
		if (clean)
			(void)!write(x->reaper_fd, "c", 1);
		close(x->reaper_fd);
		x->reaper_fd = -1;
	}
	if (x->reaper > 0) {
		while (waitpid(x->reaper, NULL, 0) < 0 && errno == EINTR)
			;
		x->reaper = 0;
	}
}

/* ---- ops ------------------------------------------------------------------------------------- */

static int xen_notify(struct xt *t)
{
	struct xen *x = X(t);
	return xenevtchn_notify(x->xce, x->port) < 0 ? -errno : 0;
}

static int xen_event_ack(struct xt *t)
{
	struct xen *x = X(t);
	xenevtchn_port_or_error_t p;
	struct pollfd pf = {.fd = t->event_fd, .events = POLLIN};
	if (poll(&pf, 1, 0) <= 0)
		return 0;
	p = xenevtchn_pending(x->xce);
	if (p < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (xenevtchn_unmask(x->xce, (evtchn_port_t)p) < 0)
		return -errno;
	return 1;
}

static int xen_ctl_process(struct xt *t, char **err)
{
	struct xen *x = X(t);
	for (;;) {
		char **w = xs_check_watch(x->xs);
		if (!w) {
			if (errno == EAGAIN)
				return 0;
			return xdrv_err(err, -ENOTCONN, "%s: xenstore: %s", t->name,
					strerror(errno));
		}
		free(w); /* one allocation; we re-read the keys we need */
	}
}

static int xen_write(struct xt *t, const char *key, const char *val)
{
	return xs_put(X(t), XBT_NULL, X(t)->fe, key, val);
}

static int xen_read_raw(struct xt *t, const char *key, char **val, size_t *len)
{
	struct xen *x = X(t);
	char p[XEN_PATH_MAX];
	unsigned n = 0;
	void *v;
	if (path_join(p, x->be, key) < 0)
		return -ENAMETOOLONG;
	v = xs_read(x->xs, XBT_NULL, p, &n);
	/* the kernel's backends report a fatal error in /local/domain/<be>/error/<be path>/error */
	if (!v && errno == ENOENT && !strcmp(key, "error") &&
	    xdrv_snprintf(p, sizeof p, "/local/domain/%u/error%s/error", (unsigned)x->backend_domid,
			  x->be) == 0)
		v = xs_read(x->xs, XBT_NULL, p, &n);
	if (!v)
		return errno == ENOENT || errno == 0 ? -ENOENT : -errno;
	if (n > 4096) { /* xenstore caps values at 4 KiB; more is not a value we read */
		free(v);
		return -E2BIG;
	}
	*val = v; /* libxenstore NUL-terminates after n bytes */
	*len = n;
	return 0;
}

static int xen_peer_state_seen(struct xt *t, int st, char **err)
{
	struct xen *x = X(t);
	if (!x->toolstack || x->initwait_done || st < XT_INITWAIT || st >= XT_CLOSING)
		return 0;
	for (unsigned i = 0; i < XT_TOOL_KEYS_MAX && x->initwait_keys[i].key; i++) {
		int r = xs_put(x, XBT_NULL, x->be, x->initwait_keys[i].key,
			       x->initwait_keys[i].val);
		if (r < 0)
			return xdrv_err(err, r, "%s: writing %s/%s after InitWait: %s", t->name,
					x->be, x->initwait_keys[i].key, strerror(-r));
	}
	x->initwait_done = true;
	return 0;
}

static void *xen_share(struct xt *t, uint32_t n, uint32_t *refs, char **err)
{
	struct xen *x = X(t);
	void *a;
	if (x->nshares == x->cshares) {
		size_t c = x->cshares ? x->cshares * 2 : 8;
		struct xen_share *s = realloc(x->shares, c * sizeof *s);
		if (!s) {
			xdrv_err(err, -ENOMEM, "%s: out of memory", t->name);
			return NULL;
		}
		x->shares = s;
		x->cshares = c;
	}
	a = xengntshr_share_pages(x->xgs, x->backend_domid, (int)n, refs, 1);
	if (!a) {
		xdrv_err(err, errno ? -errno : -ENOMEM,
			 "%s: sharing %u pages with domain %u: %s (gntalloc's limit?)", t->name, n,
			 (unsigned)x->backend_domid, strerror(errno));
		return NULL;
	}
	memset(a, 0, (size_t)n * XT_PAGE);
	x->shares[x->nshares++] = (struct xen_share){.addr = a, .n = n};
	return a;
}

static void xen_unshare(struct xt *t, void *addr, uint32_t n)
{
	struct xen *x = X(t);
	for (size_t i = 0; i < x->nshares; i++) {
		if (x->shares[i].addr != addr || x->shares[i].n != n)
			continue;
		xengntshr_unshare(x->xgs, addr, n);
		x->shares[i] = x->shares[--x->nshares];
		return;
	}
}

static uint32_t xen_evtchn_port(const struct xt *t)
{
	return X(t)->port;
}

static void xen_free(struct xen *x)
{
	for (size_t i = 0; i < x->nshares; i++)
		xengntshr_unshare(x->xgs, x->shares[i].addr, x->shares[i].n);
	free(x->shares);
	if (x->watching)
		xs_unwatch(x->xs, x->be, XEN_WATCH_TOKEN);
	if (x->port_bound)
		xenevtchn_unbind(x->xce, x->port);
	if (x->xce)
		xenevtchn_close(x->xce);
	if (x->xgs)
		xengntshr_close(x->xgs);
	if (x->xs)
		xs_close(x->xs);
	free(x->initwait_store);
	free(x);
}

/* Toolstack mode only: otherwise both directories are the toolstack's. */
static void remove_dirs(struct xen *x)
{
	if (!x->xs || !x->toolstack)
		return;
	xs_rm(x->xs, XBT_NULL, x->be);
	xs_rm(x->xs, XBT_NULL, x->fe);
}

static void xen_close(struct xt *t)
{
	struct xen *x = X(t);
	int st = xt_peer_state(t);
	x->initwait_done = true; /* no hotplug keys for a device going away */
	/* Closing, then Closed, each answered by the backend (unmapping our grants) if it is
	 * there; then the directories go, which makes the kernel remove the vif or vbd */
	(void)xt_set_state(t, XT_CLOSING, NULL);
	if (st > XT_UNKNOWN && st < XT_CLOSING)
		(void)xt_wait_peer_state_ms(t, XT_CLOSING, XEN_CLOSE_WAIT_MS, NULL);
	(void)xt_set_state(t, XT_CLOSED, NULL);
	if (st > XT_UNKNOWN)
		(void)xt_wait_peer_state_ms(t, XT_CLOSED, XEN_CLOSE_WAIT_MS, NULL);
	remove_dirs(x);
	reaper_stop(x, true);
	xen_free(x);
}

static const struct xt_ops xen_ops = {
	.notify = xen_notify,
	.event_ack = xen_event_ack,
	.ctl_process = xen_ctl_process,
	.write = xen_write,
	.read_raw = xen_read_raw,
	.peer_state_seen = xen_peer_state_seen,
	.share = xen_share,
	.unshare = xen_unshare,
	.evtchn_port = xen_evtchn_port,
	.close = xen_close,
};

/* ---- open ------------------------------------------------------------------------------------ */

/* An absolute xenstore path: "/a/b", components of [A-Za-z0-9_@-] (and '.' inside), room left
 * for a key. */
static bool path_ok(const char *p)
{
	size_t n = strlen(p);
	if (n < 2 || n >= XEN_PATH_MAX - XT_KEY_MAX - 2 || p[0] != '/' || p[n - 1] == '/')
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '@' ||
			  (c == '.' && p[i - 1] != '/') || (c == '/' && p[i - 1] != '/');
		if (!ok)
			return false;
	}
	return true;
}

static int check_kvs(const struct xen *x, const struct xt_kv *kv, const char *what, char **err)
{
	for (unsigned i = 0; i < XT_TOOL_KEYS_MAX && kv[i].key; i++) {
		if (!xt_key_valid(kv[i].key, strlen(kv[i].key)) || !kv[i].val ||
		    strlen(kv[i].val) > XT_VAL_MAX ||
		    !xt_val_printable(kv[i].val, strlen(kv[i].val)))
			return xdrv_err(err, -EINVAL, "%s: %s[%u] '%s': bad key or value",
					x->xt.name, what, i, kv[i].key);
	}
	return 0;
}

/* The initwait keys are written later: keep copies. */
static int copy_initwait(struct xen *x, const struct xt_cfg *cfg)
{
	size_t total = 0, o = 0;
	unsigned i;
	for (i = 0; i < XT_TOOL_KEYS_MAX && cfg->tool_keys_initwait[i].key; i++)
		total += strlen(cfg->tool_keys_initwait[i].key) +
			 strlen(cfg->tool_keys_initwait[i].val) + 2;
	x->initwait_store = malloc(total + 1);
	if (!x->initwait_store)
		return -ENOMEM;
	for (i = 0; i < XT_TOOL_KEYS_MAX && cfg->tool_keys_initwait[i].key; i++) {
		const struct xt_kv *kv = &cfg->tool_keys_initwait[i];
		size_t kl = strlen(kv->key) + 1, vl = strlen(kv->val) + 1;
		memcpy(x->initwait_store + o, kv->key, kl);
		x->initwait_keys[i].key = x->initwait_store + o;
		o += kl;
		memcpy(x->initwait_store + o, kv->val, vl);
		x->initwait_keys[i].val = x->initwait_store + o;
		o += vl;
	}
	return 0;
}

/* Both directories in one transaction, so the backend driver sees them complete. */
static int write_dirs(struct xen *x, const struct xt_cfg *cfg, char **err)
{
	char v[32];
	int r = 0;
	for (int attempt = 0; attempt < XEN_TXN_RETRIES; attempt++) {
		xs_transaction_t txn = xs_transaction_start(x->xs);
		if (txn == XBT_NULL)
			return xdrv_err(err, -errno, "%s: xenstore transaction: %s", x->xt.name,
					strerror(errno));
		snprintf(v, sizeof v, "%u", (unsigned)x->backend_domid);
		r = xs_put(x, txn, x->fe, "backend", x->be);
		if (!r)
			r = xs_put(x, txn, x->fe, "backend-id", v);
		if (!r)
			r = xs_put(x, txn, x->fe, "state", "1");
		if (!r && x->toolstack) {
			r = xs_put(x, txn, x->be, "frontend", x->fe);
			if (!r)
				r = xs_put(x, txn, x->be, "frontend-id", "0");
			if (!r)
				r = xs_put(x, txn, x->be, "online", "1");
			if (!r)
				r = xs_put(x, txn, x->be, "state", "1");
			for (unsigned i = 0; !r && i < XT_TOOL_KEYS_MAX && cfg->tool_keys[i].key;
			     i++)
				r = xs_put(x, txn, x->be, cfg->tool_keys[i].key,
					   cfg->tool_keys[i].val);
		}
		if (r < 0) {
			xs_transaction_end(x->xs, txn, true);
			return xdrv_err(err, r, "%s: writing %s and %s: %s", x->xt.name, x->fe,
					x->be, strerror(-r));
		}
		if (xs_transaction_end(x->xs, txn, false))
			return 0;
		if (errno != EAGAIN)
			return xdrv_err(err, -errno, "%s: xenstore transaction: %s", x->xt.name,
					strerror(errno));
	}
	return xdrv_err(err, -EAGAIN, "%s: xenstore transaction kept conflicting", x->xt.name);
}

/* Not toolstack mode: the toolstack made both directories; the backend path is in ours. */
static int find_backend(struct xen *x, char **err)
{
	char p[XEN_PATH_MAX], esc[96];
	unsigned n = 0;
	char *v;
	if (path_join(p, x->fe, "backend") < 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", x->xt.name);
	v = xs_read(x->xs, XBT_NULL, p, &n);
	if (!v)
		return xdrv_err(err, -ENOENT, "%s: %s: absent (no toolstack wrote it)", x->xt.name,
				p);
	if (n != strlen(v) || !path_ok(v)) {
		xdrv_err(err, -EINVAL, "%s: %s: '%s' is not a xenstore path", x->xt.name, p,
			 xt_escape(v, n, esc, sizeof esc));
		free(v);
		return -EINVAL;
	}
	memcpy(x->be, v, n + 1);
	free(v);
	return 0;
}

static int open_paths(struct xen *x, const struct xt_cfg *cfg, char **err)
{
	int r;
	if (cfg->fe_path && *cfg->fe_path)
		r = xdrv_snprintf(x->fe, sizeof x->fe, "%s", cfg->fe_path);
	else
		r = xdrv_snprintf(x->fe, sizeof x->fe, "/local/domain/0/xdrv/%s/%u", cfg->type,
				  (unsigned)cfg->handle);
	if (r < 0 || !path_ok(x->fe))
		return xdrv_err(err, -EINVAL, "%s: frontend path '%s': not a xenstore path",
				x->xt.name, cfg->fe_path ? cfg->fe_path : x->fe);
	if (x->toolstack &&
	    xdrv_snprintf(x->be, sizeof x->be, "/local/domain/%u/backend/%s/0/%u",
			  (unsigned)cfg->backend_domid, cfg->type, (unsigned)cfg->handle) < 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: backend path too long", x->xt.name);
	r = check_kvs(x, cfg->tool_keys, "tool_keys", err);
	if (!r)
		r = check_kvs(x, cfg->tool_keys_initwait, "tool_keys_initwait", err);
	return r;
}

int xt_xen_open(const struct xt_cfg *cfg, struct xt **out, char **err)
{
	struct xen *x = calloc(1, sizeof *x);
	xenevtchn_port_or_error_t port;
	int r, fl;
	*out = NULL;
	if (!x)
		return xdrv_err(err, -ENOMEM, "out of memory");
	xt_init_common(&x->xt, &xen_ops, "xen", cfg);
	x->reaper_fd = -1;
	x->toolstack = cfg->toolstack;
	x->backend_domid = cfg->backend_domid;
	r = open_paths(x, cfg, err);
	if (!r && copy_initwait(x, cfg) < 0)
		r = xdrv_err(err, -ENOMEM, "out of memory");
	if (r < 0)
		goto out_free;
	/* before libxenstore starts its reader thread: fork from a single-threaded process */
	if (x->toolstack) {
		r = reaper_start(x, err);
		if (r < 0)
			goto out_free;
	}
	x->xs = xs_open(0);
	if (!x->xs) {
		r = xdrv_err(err, errno ? -errno : -ENOENT,
			     "%s: xenstore: %s (is xenstored running, /dev/xen/xenbus there?)",
			     x->xt.name, strerror(errno));
		goto out_reaper;
	}
	if (!x->toolstack) {
		r = find_backend(x, err);
		if (r < 0)
			goto out_reaper;
	} else {
		/* what a killed run left at the same paths */
		xs_rm(x->xs, XBT_NULL, x->be);
		xs_rm(x->xs, XBT_NULL, x->fe);
	}
	x->xce = xenevtchn_open(NULL, 0);
	x->xgs = xengntshr_open(NULL, 0);
	if (!x->xce || !x->xgs) {
		r = xdrv_err(err, errno ? -errno : -ENOENT,
			     "%s: %s: %s (xen-evtchn and xen-gntalloc loaded?)", x->xt.name,
			     !x->xce ? "/dev/xen/evtchn" : "/dev/xen/gntalloc", strerror(errno));
		goto out_reaper;
	}
	port = xenevtchn_bind_unbound_port(x->xce, x->backend_domid);
	if (port < 0) {
		r = xdrv_err(err, -errno, "%s: event channel for domain %u: %s", x->xt.name,
			     (unsigned)x->backend_domid, strerror(errno));
		goto out_reaper;
	}
	x->port = (evtchn_port_t)port;
	x->port_bound = true;
	x->xt.event_fd = xenevtchn_fd(x->xce);
	fl = fcntl(x->xt.event_fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(x->xt.event_fd, F_SETFL, fl | O_NONBLOCK);
	/* the control fd first (it makes the watch pipe), then the watch */
	x->xt.ctl_fd = xs_fileno(x->xs);
	if (x->xt.ctl_fd < 0) {
		r = xdrv_err(err, -EIO, "%s: xenstore watch fd: %s", x->xt.name, strerror(errno));
		goto out_reaper;
	}
	r = write_dirs(x, cfg, err);
	if (r < 0)
		goto out_dirs;
	if (!xs_watch(x->xs, x->be, XEN_WATCH_TOKEN)) {
		r = xdrv_err(err, -errno, "%s: watching %s: %s", x->xt.name, x->be,
			     strerror(errno));
		goto out_dirs;
	}
	x->watching = true;
	*out = &x->xt;
	return 0;
out_dirs:
	remove_dirs(x);
out_reaper:
	reaper_stop(x, true);
out_free:
	xen_free(x);
	return r;
}

#endif
