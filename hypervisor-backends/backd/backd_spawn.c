// SPDX-License-Identifier: MIT
/*
 * The backend server as a process of a supervisor (xdrv/hvb_split.h): which wire and disks it
 * serves (the plan, rewriting them for the driver host as frontends), and xdrv-backd's server
 * (backd_serve.c) forked instead of started as a daemon, in a directory of its own, with a pipe
 * that says when it listens or why it could not.
 */
#define _GNU_SOURCE
#include "../hvb_priv.h"
#include "../xen/xt.h"
#include "backd_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/hvb_split.h>
#include <xdrv/sandbox.h>
#include <xdrv/util.h>

#define SPLIT_READY_MS 30000 /* the server opens TAPs and listens: local work only */
#define SPLIT_STOP_MS  5000  /* its children get 3 s (backd_serve.c) */

struct hvb_split {
	pid_t pid;
	char dir[64];	 /* the server's own directory */
	char socket[96]; /* its socket in there */
};

/* ---- the plan ---------------------------------------------------------------------------------
 */

int hvb_split_where_parse(const char *s, enum hvb_split_where *out)
{
	if (!strcmp(s, "auto"))
		*out = HVB_SPLIT_AUTO;
	else if (!strcmp(s, "supervisor"))
		*out = HVB_SPLIT_SUPERVISOR;
	else if (!strcmp(s, "host"))
		*out = HVB_SPLIT_HOST;
	else
		return -EINVAL;
	return 0;
}

/* The kind of a "KIND:..." spec is `kind`. */
static bool kind_is(const char *spec, const char *kind)
{
	size_t n = strlen(kind);
	return !strncmp(spec, kind, n) && (spec[n] == ':' || spec[n] == '\0');
}

/* A generator's count= (0 when not given or not a number: the plan's checks are the wire's). */
static uint64_t gen_count(const char *options)
{
	char key[16], val[64];
	size_t pos = 0;
	uint64_t n = 0;
	char *err = NULL;
	while (hvb_config_next(options, &pos, key, sizeof key, val, sizeof val, &err) == 1)
		if (!strcmp(key, "count") && hvb_config_u64(val, 0, UINT64_MAX >> 1, &n) != 0)
			n = 0;
	free(err);
	return n;
}

bool hvb_split_backend_applies(const char *backend)
{
	return !backend || kind_is(backend, "native");
}

static bool serve_wire(enum hvb_split_where w, const char *spec)
{
	return kind_is(spec, "tap") || (w == HVB_SPLIT_SUPERVISOR && kind_is(spec, "gen"));
}

static bool serve_disk(enum hvb_split_where w, const char *spec)
{
	return kind_is(spec, "file") || kind_is(spec, "iscsi") ||
	       (w == HVB_SPLIT_SUPERVISOR && kind_is(spec, "ram"));
}

static int plan_add(struct hvb_split_plan *p, const char *type, const char *handle,
		    const char *spec, char **err)
{
	if (p->ndevs == HVB_SPLIT_MAX_DEVS)
		return xdrv_err(err, -EINVAL, "more than %d wires and disks to serve",
				HVB_SPLIT_MAX_DEVS);
	if (asprintf(&p->args[p->ndevs], "%s=%s", handle, spec) < 0) {
		p->args[p->ndevs] = NULL;
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	p->types[p->ndevs++] = type;
	size_t used = strlen(p->served);
	snprintf(p->served + used, sizeof p->served - used, "%s%s %s", used ? ", " : "",
		 !strcmp(type, "vif") ? "wire" : "disk", spec);
	return 0;
}

#define PLAN_DISKS 8 /* xvda..xvdh */

/* MODEL:key=val,disk=SPEC,... with every served disk=SPEC as disk=blkfront:xvdX */
static int plan_disks(struct hvb_split_plan *p, enum hvb_split_where w, const char *device,
		      char **err)
{
	const char *colon = strchr(device, ':');
	unsigned nserved = 0;
	if (!colon)
		return 0;
	/* a served disk=SPEC becomes disk=blkfront:xvdX: at most 18 bytes each */
	size_t cap = strlen(device) + PLAN_DISKS * 18 + 1, len = (size_t)(colon - device) + 1;
	char *out = malloc(cap);
	if (!out)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memcpy(out, device, len);
	for (const char *q = colon + 1; *q;) {
		size_t item = strcspn(q, ",");
		bool first = len == (size_t)(colon - device) + 1;
		char spec[1024];
		if (item > 5 && item - 5 < sizeof spec && !strncmp(q, "disk=", 5) &&
		    nserved < PLAN_DISKS) {
			memcpy(spec, q + 5, item - 5);
			spec[item - 5] = 0;
		} else {
			spec[0] = 0;
		}
		if (spec[0] && serve_disk(w, spec)) {
			char vdev[8];
			snprintf(vdev, sizeof vdev, "xvd%c", 'a' + nserved++);
			int rc = plan_add(p, "vbd", vdev, spec, err);
			if (rc < 0) {
				free(out);
				return rc;
			}
			len += (size_t)snprintf(out + len, cap - len, "%sdisk=blkfront:%s",
						first ? "" : ",", vdev);
		} else if (item) {
			if (!first)
				out[len++] = ',';
			memcpy(out + len, q, item);
			len += item;
		}
		q += item + (q[item] == ',');
	}
	out[len] = 0;
	if (nserved)
		p->device = out;
	else
		free(out);
	return 0;
}

int hvb_split_plan(enum hvb_split_where where, const char *device, const char *wire,
		   struct hvb_split_plan *p, char **err)
{
	int rc = 0;
	memset(p, 0, sizeof *p);
	if (where == HVB_SPLIT_HOST)
		return 0;
	if (wire && serve_wire(where, wire)) {
		rc = plan_add(p, "vif", "0", wire, err);
		if (rc == 0) {
			snprintf(p->wire, sizeof p->wire, "netfront");
			p->wire_source = kind_is(wire, "gen");
			if (p->wire_source && wire[3] == ':')
				p->source_frames = gen_count(wire + 4);
		}
	}
	if (rc == 0 && device)
		rc = plan_disks(p, where, device, err);
	if (rc < 0)
		hvb_split_plan_free(p);
	return rc;
}

void hvb_split_plan_free(struct hvb_split_plan *p)
{
	free(p->device);
	for (size_t i = 0; i < p->ndevs; i++)
		free(p->args[i]);
	memset(p, 0, sizeof *p);
}

/* ---- the server -------------------------------------------------------------------------------
 */

/* The server process: never returns. */
static _Noreturn void server_main(struct backd_cfg *cfg, int ready, const char *log_name,
				  bool verbose)
{
	char *err = NULL;
	int rc;
	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	backd_log_name = log_name;
	backd_verbose = verbose;
	xdrv_sandbox_close_fds(&ready, 1);
	rc = backd_hold_wires(cfg, &err);
	if (rc == 0) {
		cfg->ready_fd = ready;
		rc = backd_serve(cfg, &err);
	}
	if (rc < 0) {
		/* before "ok": the supervisor reads this as the reason; after: a log line */
		char line[512];
		int len = snprintf(line, sizeof line, "%s\n", err ? err : strerror(-rc));
		if (cfg->ready_fd > 0 || write(ready, line, (size_t)len) != len)
			fprintf(stderr, "%s: %s", log_name, line);
	}
	backd_release_wires(cfg);
	free(err);
	fflush(NULL);
	_exit(rc < 0 ? 1 : 0);
}

/* Wait for "ok\n" or the reason the server gives; -errno with *err. */
static int wait_ready(pid_t pid, int fd, char **err)
{
	char buf[512];
	size_t got = 0;
	uint64_t deadline = xdrv_now_ns() + (uint64_t)SPLIT_READY_MS * 1000000u;
	while (got < sizeof buf - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = xdrv_now_ns();
		if (now >= deadline)
			return xdrv_err(err, -ETIMEDOUT,
					"backend server %d: not listening after %d ms", (int)pid,
					SPLIT_READY_MS);
		int n = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return xdrv_err(err, -errno, "backend server: poll: %s", strerror(errno));
		if (n == 0)
			continue;
		ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == 3 && !memcmp(buf, "ok\n", 3))
			return 0;
	}
	buf[got] = 0;
	if (got && buf[got - 1] == '\n')
		buf[got - 1] = 0;
	return xdrv_err(err, -EIO, "backend server: %s",
			got ? buf : "ended before it listened (see its messages above)");
}

/* A directory of its own for the socket: a short path (a UNIX socket's is at most 107 bytes). */
static int make_dir(struct hvb_split *s, char **err)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 40 || strchr(tmp, ','))
		tmp = "/tmp";
	snprintf(s->dir, sizeof s->dir, "%s/xdrv-split.XXXXXX", tmp);
	if (!mkdtemp(s->dir)) {
		int rc = xdrv_err(err, -errno, "backend server: cannot make a directory %s: %s",
				  s->dir, strerror(errno));
		s->dir[0] = 0;
		return rc;
	}
	snprintf(s->socket, sizeof s->socket, "%s/backends.sock", s->dir);
	return 0;
}

static void remove_dir(struct hvb_split *s)
{
	if (s->socket[0])
		unlink(s->socket);
	if (s->dir[0])
		rmdir(s->dir);
	s->socket[0] = s->dir[0] = 0;
}

int hvb_split_start(const struct hvb_split_plan *p, const char *log_name, bool verbose,
		    struct hvb_split **out, char **err)
{
	static struct backd_cfg cfg; /* the server's, after fork; the parent's copy is unused */
	struct hvb_split *s;
	int fds[2], rc;
	*out = NULL;
	memset(&cfg, 0, sizeof cfg);
	cfg.find_ops = backd_dev_ops_find;
	if (p->ndevs > HVB_SPLIT_MAX_DEVS)
		return xdrv_err(err, -EINVAL, "backend server: more than %d devices",
				HVB_SPLIT_MAX_DEVS);
	for (size_t i = 0; i < p->ndevs; i++)
		if ((rc = backd_add_dev(&cfg, p->types[i], p->args[i], err)) < 0)
			return rc;
	s = calloc(1, sizeof *s);
	if (!s)
		return xdrv_err(err, -ENOMEM, "out of memory");
	if ((rc = make_dir(s, err)) < 0) {
		free(s);
		return rc;
	}
	cfg.socket = s->socket;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = xdrv_err(err, -errno, "backend server: pipe: %s", strerror(errno));
		remove_dir(s);
		free(s);
		return rc;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		close(fds[0]);
		server_main(&cfg, fds[1], log_name ? log_name : "backend", verbose);
	}
	close(fds[1]);
	if (s->pid < 0) {
		rc = xdrv_err(err, -errno, "backend server: fork: %s", strerror(errno));
		close(fds[0]);
		remove_dir(s);
		free(s);
		return rc;
	}
	rc = wait_ready(s->pid, fds[0], err);
	close(fds[0]);
	if (rc < 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		remove_dir(s);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const char *hvb_split_socket(const struct hvb_split *s)
{
	return s ? s->socket : NULL;
}

int hvb_split_pid(const struct hvb_split *s)
{
	return s ? (int)s->pid : -1;
}

void hvb_split_stop(struct hvb_split *s)
{
	if (!s)
		return;
	uint64_t deadline = xdrv_now_ns() + (uint64_t)SPLIT_STOP_MS * 1000000u;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, NULL, WNOHANG) == 0) {
		if (xdrv_now_ns() >= deadline) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			break;
		}
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
	remove_dir(s);
	free(s);
}

int hvb_split_frontends(const char *socket, char **err)
{
	char opts[400];
	if (!socket || !*socket || strchr(socket, ',') || strlen(socket) > 300)
		return xdrv_err(err, -EINVAL,
				"backend socket '%s': expected a path of 1..300 bytes without ','",
				socket ? socket : "");
	snprintf(opts, sizeof opts, "transport=loop,socket=%s", socket);
	return xt_default_set(opts, err);
}
