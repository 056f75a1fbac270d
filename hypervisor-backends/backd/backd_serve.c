// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's server (backd_serve.h): the device table, the accept loop (a forked child per
 * frontend, so a frontend that misbehaves, or a crash serving it, ends that connection only;
 * children are reaped as they end and stopped on SIGTERM/SIGINT) and the child's poll loop
 * around the device's handler (backd.h). The handlers themselves (backd_vif.c, backd_vbd.c) and
 * the command line (main_xdrv-backd.c) are elsewhere.
 */
#define _GNU_SOURCE
#include "backd_serve.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>
#include <xdrv/wire.h>

#define BACKD_MAX_CHILDREN 256
#define BACKD_STOP_WAIT_MS 3000 /* children get this long to tear down after SIGTERM */

/* ---- configuration ----------------------------------------------------------------------------
 */

unsigned backd_spin_us = 50;
const char *backd_log_name = "xdrv-backd";
bool backd_verbose = true;

static bool parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* xvda..xvdp: major 202, minor 16 * index (Xen's vdev numbering for the first 16 disks) */
static bool parse_vdev(const char *s, size_t len, uint32_t *out)
{
	if (parse_u32(s, len, out))
		return true;
	if (len == 4 && !strncmp(s, "xvd", 3) && s[3] >= 'a' && s[3] <= 'p') {
		*out = (202u << 8) | (uint32_t)(s[3] - 'a') << 4;
		return true;
	}
	return false;
}

int backd_add_dev(struct backd_cfg *cfg, const char *type, const char *arg, char **err)
{
	const char *eq = strchr(arg, '=');
	struct backd_dev_cfg *d;
	uint32_t h;
	bool vbd = !strcmp(type, "vbd");
	if (!eq || eq == arg || !eq[1])
		return xdrv_err(err, -EINVAL, "--%s %s: expected %s=SPEC", type, arg,
				vbd ? "VDEV" : "N");
	if (!(vbd ? parse_vdev(arg, (size_t)(eq - arg), &h)
		  : parse_u32(arg, (size_t)(eq - arg), &h)))
		return xdrv_err(err, -EINVAL, "--%s %s: '%.*s' is not %s", type, arg,
				(int)(eq - arg), arg,
				vbd ? "a virtual-device number (51712) or xvda..xvdp"
				    : "a vif number (0..4294967295)");
	if (backd_find_spec(cfg, type, h))
		return xdrv_err(err, -EINVAL, "--%s %s: %s %u is configured twice", type, arg, type,
				(unsigned)h);
	if (cfg->ndevs == BACKD_MAX_DEVS)
		return xdrv_err(err, -EINVAL, "--%s %s: more than %d devices", type, arg,
				BACKD_MAX_DEVS);
	if (strlen(type) >= sizeof cfg->devs[0].type)
		return xdrv_err(err, -EINVAL, "device type %s: too long", type);
	d = &cfg->devs[cfg->ndevs++];
	snprintf(d->type, sizeof d->type, "%s", type);
	d->handle = h;
	d->spec = eq + 1;
	return 0;
}

const struct backd_dev_cfg *backd_find_dev(const struct backd_cfg *cfg, const char *type,
					   uint32_t handle)
{
	for (size_t i = 0; i < cfg->ndevs; i++)
		if (cfg->devs[i].handle == handle && !strcmp(cfg->devs[i].type, type))
			return &cfg->devs[i];
	return NULL;
}

const char *backd_find_spec(const struct backd_cfg *cfg, const char *type, uint32_t handle)
{
	const struct backd_dev_cfg *d = backd_find_dev(cfg, type, handle);
	return d ? d->spec : NULL;
}

int backd_hold_wires(struct backd_cfg *cfg, char **err)
{
	for (size_t i = 0; i < cfg->ndevs; i++) {
		struct backd_dev_cfg *d = &cfg->devs[i];
		const char *colon = strchr(d->spec, ':');
		if (!strcmp(d->type, "vbd") && !strncmp(d->spec, "file:", 5)) {
			/* a file that cannot be opened is said now, not to the first frontend */
			struct hvb_disk *disk = NULL;
			int rc = hvb_disk_open(d->spec, false, &disk, err);
			hvb_disk_close(disk);
			if (rc < 0) {
				xdrv_err_prefix(err, "vbd %u", (unsigned)d->handle);
				backd_release_wires(cfg);
				return rc;
			}
			continue;
		}
		if (strcmp(d->type, "vif") != 0 || d->held || strncmp(d->spec, "tap:", 4) != 0)
			continue;
		int rc = hvb_wire_create("tap", colon[1] ? colon + 1 : NULL, &d->held, err);
		if (rc < 0) {
			xdrv_err_prefix(err, "vif %u", (unsigned)d->handle);
			backd_release_wires(cfg);
			return rc;
		}
	}
	return 0;
}

void backd_release_wires(struct backd_cfg *cfg)
{
	for (size_t i = 0; i < cfg->ndevs; i++) {
		hvb_wire_destroy(cfg->devs[i].held);
		cfg->devs[i].held = NULL;
	}
}

/* ---- one frontend (in its child) --------------------------------------------------------------
 */

/* Tell the frontend why (its "error" key, printable and bounded), then Closed. */
static void refuse(struct xt *t, const char *why)
{
	char v[XT_VAL_MAX + 1];
	snprintf(v, sizeof v, "%s", why);
	for (char *c = v; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	(void)xt_write(t, "error", "%s", v);
	xt_disconnect(t);
}

int backd_serve_conn(const struct backd_cfg *cfg, struct xt *t, volatile sig_atomic_t *stop)
{
	const char *type = xt_peer_type(t);
	uint32_t handle = xt_peer_handle(t);
	const struct backd_dev_cfg *dev = backd_find_dev(cfg, type, handle);
	const char *spec = dev ? dev->spec : NULL;
	const struct backd_dev_ops *ops = cfg->find_ops ? cfg->find_ops(type) : NULL;
	char name[64], why[300];
	char *err = NULL;
	void *priv = NULL;
	bool clean = false;
	/* the state changes only with a key write: look after start and after control traffic,
	 * not on every event */
	bool keys_changed = true;
	int r;
	snprintf(name, sizeof name, "%s", xt_name(t));
	if (!spec || !ops) {
		if (!spec)
			snprintf(why, sizeof why, "xdrv-backd: no %s %u configured", type,
				 (unsigned)handle);
		else
			snprintf(why, sizeof why, "xdrv-backd: no handler for device type %s",
				 type);
		fprintf(stderr, "%s: %s: refused: %s\n", backd_log_name, name, why + 12);
		refuse(t, why);
		return 1;
	}
	if (backd_verbose)
		fprintf(stderr, "%s: %s: serving from %s%s\n", backd_log_name, name, spec,
			dev->held ? " (held open)" : "");
	r = ops->start(t, dev, &priv, &err);
	if (r < 0) {
		snprintf(why, sizeof why, "xdrv-backd: %s: %s", spec, err ? err : strerror(-r));
		fprintf(stderr, "%s: %s: start: %s\n", backd_log_name, name,
			err ? err : strerror(-r));
		free(err);
		refuse(t, why);
		return 1;
	}
	snprintf(why, sizeof why, "stopped");
	while (!*stop) {
		struct pollfd p[2 + BACKD_MAX_FDS];
		int fds[BACKD_MAX_FDS], nf = ops->fds ? ops->fds(priv, fds, BACKD_MAX_FDS) : 0, st;
		if (nf < 0 || nf > BACKD_MAX_FDS)
			nf = 0;
		p[0] = (struct pollfd){.fd = xt_event_fd(t), .events = POLLIN};
		p[1] = (struct pollfd){.fd = xt_ctl_fd(t), .events = POLLIN};
		for (int i = 0; i < nf; i++)
			p[2 + i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(p, (nfds_t)2 + (nfds_t)nf, BACKD_POLL_MS) < 0 && errno != EINTR) {
			snprintf(why, sizeof why, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents) {
			keys_changed = true;
			r = xt_ctl_process(t, &err);
			if (r == -ENOTCONN) {
				clean = true;
				snprintf(why, sizeof why, "frontend closed");
				break;
			}
			if (r < 0) {
				snprintf(why, sizeof why, "%s", err ? err : strerror(-r));
				break;
			}
		}
		st = keys_changed ? xt_peer_state(t) : XT_CONNECTED;
		keys_changed = false;
		if (st == XT_CLOSING || st == XT_CLOSED) {
			clean = true;
			snprintf(why, sizeof why, "frontend %s", xt_state_name(st));
			break;
		}
		if (st < 0) {
			snprintf(why, sizeof why, "frontend key state: not a state 0..6");
			break;
		}
		if (p[0].revents & POLLIN)
			(void)xt_event_ack(t);
		r = ops->run(priv, &err);
		if (r < 0) {
			snprintf(why, sizeof why, "%s", err ? err : strerror(-r));
			break;
		}
	}
	ops->stop(priv);
	if (!clean && !*stop)
		refuse(t, why);
	else
		xt_disconnect(t);
	if (backd_verbose || !clean)
		fprintf(stderr, "%s: %s: ended: %s\n", backd_log_name, name, why);
	free(err);
	return clean ? 0 : 1;
}

/* ---- the accept loop --------------------------------------------------------------------------
 */

static volatile sig_atomic_t stop_flag, child_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_child(int sig)
{
	(void)sig;
	child_flag = 1;
}

struct kid {
	pid_t pid;
	char name[32];
};

struct kids {
	struct kid k[BACKD_MAX_CHILDREN];
	size_t n;
};

static void reap(struct kids *ks, bool log)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < ks->n; i++) {
			if (ks->k[i].pid != pid)
				continue;
			if (log && WIFSIGNALED(status))
				fprintf(stderr, "%s: %s: its server process died (signal %d)\n",
					backd_log_name, ks->k[i].name, WTERMSIG(status));
			ks->k[i] = ks->k[--ks->n];
			break;
		}
	}
}

static void stop_children(struct kids *ks)
{
	uint64_t deadline = xdrv_now_ns() + (uint64_t)BACKD_STOP_WAIT_MS * 1000000u;
	for (size_t i = 0; i < ks->n; i++)
		kill(ks->k[i].pid, SIGTERM);
	while (ks->n && xdrv_now_ns() < deadline) {
		struct timespec ts = {0, 10 * 1000000};
		reap(ks, true);
		if (ks->n)
			nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < ks->n; i++) {
		fprintf(stderr, "%s: %s: did not stop in %d ms: killed\n", backd_log_name,
			ks->k[i].name, BACKD_STOP_WAIT_MS);
		kill(ks->k[i].pid, SIGKILL);
		waitpid(ks->k[i].pid, NULL, 0);
	}
	ks->n = 0;
}

static void accept_one(const struct backd_cfg *cfg, struct xt_listener *ls, struct kids *ks,
		       const sigset_t *orig)
{
	struct xt *t = NULL;
	char *err = NULL;
	pid_t pid;
	if (xt_accept(ls, &t, &err) < 0) {
		fprintf(stderr, "%s: %s\n", backd_log_name, err ? err : "accept failed");
		free(err);
		return;
	}
	if (ks->n == BACKD_MAX_CHILDREN) {
		fprintf(stderr, "%s: %s: refused: already serving %d frontends\n", backd_log_name,
			xt_name(t), BACKD_MAX_CHILDREN);
		refuse(t, "xdrv-backd: too many frontends");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		int code;
		sigaction(SIGCHLD, &dfl, NULL);
		close(xt_listener_fd(ls)); /* the socket file stays: it is the parent's */
		sigprocmask(SIG_SETMASK, orig, NULL);
		code = backd_serve_conn(cfg, t, &stop_flag);
		fflush(NULL);
		_exit(code);
	}
	if (pid < 0) {
		fprintf(stderr, "%s: %s: fork: %s\n", backd_log_name, xt_name(t), strerror(errno));
		refuse(t, "xdrv-backd: out of resources");
		return;
	}
	ks->k[ks->n].pid = pid;
	snprintf(ks->k[ks->n].name, sizeof ks->k[ks->n].name, "%s", xt_name(t));
	ks->n++;
	xt_forget(t); /* the child serves it */
}

int backd_serve(const struct backd_cfg *cfg, char **err)
{
	struct sigaction sa_stop = {.sa_handler = on_stop}, sa_chld = {.sa_handler = on_child},
			 sa_ign = {.sa_handler = SIG_IGN};
	struct xt_listener *ls = NULL;
	struct kids *ks;
	sigset_t block, orig;
	int r;
	ks = calloc(1, sizeof *ks);
	if (!ks)
		return xdrv_err(err, -ENOMEM, "out of memory");
	stop_flag = child_flag = 0;
	/* signals only arrive inside ppoll: no check-then-sleep race */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGCHLD, &sa_chld, NULL);
	sigaction(SIGPIPE, &sa_ign, NULL);
	r = xt_listen(cfg->socket, &ls, err);
	if (r < 0)
		goto out;
	if (cfg->ready_fd > 0) {
		if (write(cfg->ready_fd, "ok\n", 3) != 3) {
			r = xdrv_err(err, -EPIPE, "cannot tell the supervisor it listens");
			goto out;
		}
		close(cfg->ready_fd);
	} else {
		printf("xdrv-backd: listening on %s\n", cfg->socket);
		fflush(stdout);
	}
	while (!stop_flag) {
		struct pollfd p = {.fd = xt_listener_fd(ls), .events = POLLIN};
		int n = ppoll(&p, 1, NULL, &orig);
		if (child_flag) {
			child_flag = 0;
			reap(ks, true);
		}
		if (n > 0 && (p.revents & POLLIN) && !stop_flag)
			accept_one(cfg, ls, ks, &orig);
	}
	if (backd_verbose)
		fprintf(stderr, "%s: stopping (%zu frontends)\n", backd_log_name, ks->n);
	stop_children(ks);
	xt_listener_close(ls);
out:
	sigprocmask(SIG_SETMASK, &orig, NULL);
	free(ks);
	return r;
}
