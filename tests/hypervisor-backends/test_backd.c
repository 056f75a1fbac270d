// SPDX-License-Identifier: MIT
/*
 * xdrv-backd's server (hypervisor-backends/backd/backd_serve.c) with handlers of this file: the
 * server runs in a forked process (as the daemon does), the test is the frontend over the loop
 * transport. Covered: the --vif/--vbd table, a configured device served (handshake, a mapped
 * page, notifications both ways), an unknown device and a failing handler refused with the
 * reason in the "error" key, a handler error and a crash ending only their connection,
 * children reaped, SIGTERM stopping the children and removing the socket file.
 */
#define _GNU_SOURCE
#include "../../hypervisor-backends/backd/backd_serve.h"
#include "../xtest.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/util.h>

/* ---- test handlers -----------------------------------------------------------------------------
 */

/* "vif": an echo over one page: the frontend writes page[0], the handler copies it to page[1]
 * and notifies; 0xff makes run fail, 0xfe kills the serving process. */
struct echo {
	struct xt *t;
	volatile unsigned char *page;
};

static int echo_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	const char *spec = dev->spec;
	struct echo *e = calloc(1, sizeof *e);
	uint64_t ref;
	uint32_t r32;
	int r;
	if (!e)
		return -ENOMEM;
	e->t = t;
	r = xt_write(t, "spec", "%s", spec);
	if (!r)
		r = xt_set_state(t, XT_INITWAIT, err);
	if (!r)
		r = xt_wait_peer_state(t, XT_INITIALISED, err);
	if (!r)
		r = xt_read_u64(t, "ring-ref", 1, UINT32_MAX, 0, &ref, err);
	if (!r) {
		r32 = (uint32_t)ref;
		e->page = xt_map(t, &r32, 1, err);
		if (!e->page)
			r = -EINVAL;
	}
	if (!r)
		r = xt_set_state(t, XT_CONNECTED, err);
	if (r < 0) {
		if (e->page)
			xt_unmap(t, (void *)e->page, 1);
		free(e);
		return r;
	}
	*priv = e;
	return 0;
}

static int echo_run(void *priv, char **err)
{
	struct echo *e = priv;
	unsigned char v = e->page[0];
	if (v == 0xff) {
		*err = strdup("echo: asked to fail");
		return -EIO;
	}
	if (v == 0xfe)
		raise(SIGKILL);
	if (e->page[1] != v) {
		e->page[1] = v;
		return xt_notify(e->t);
	}
	return 0;
}

static void echo_stop(void *priv)
{
	struct echo *e = priv;
	if (!e)
		return;
	xt_unmap(e->t, (void *)e->page, 1);
	free(e);
}

static const struct backd_dev_ops echo_ops = {
	.type = "vif", .start = echo_start, .run = echo_run, .stop = echo_stop};

static int failing_start(struct xt *t, const struct backd_dev_cfg *dev, void **priv, char **err)
{
	(void)t;
	(void)priv;
	return xdrv_err(err, -EINVAL, "disk spec '%s': not a disk", dev->spec);
}

static const struct backd_dev_ops failing_ops = {
	.type = "vbd", .start = failing_start, .run = echo_run, .stop = echo_stop};

static const struct backd_dev_ops *test_find(const char *type)
{
	if (!strcmp(type, "vif"))
		return &echo_ops;
	if (!strcmp(type, "vbd"))
		return &failing_ops;
	return NULL;
}

/* ---- the server in a forked process ------------------------------------------------------------
 */

struct srv {
	char path[300];
	pid_t pid;
	struct backd_cfg cfg;
};

static int srv_start(struct srv *s)
{
	char *err = NULL, line[400];
	int p[2];
	FILE *f;
	memset(s, 0, sizeof *s);
	snprintf(s->path, sizeof s->path, "%s/backd.sock", xtest_tmpdir());
	s->cfg.socket = s->path;
	s->cfg.find_ops = test_find;
	CU_ASSERT_EQUAL_FATAL(backd_add_dev(&s->cfg, "vif", "0=echo:zero", &err), 0);
	CU_ASSERT_EQUAL_FATAL(backd_add_dev(&s->cfg, "vif", "1=echo:one", &err), 0);
	CU_ASSERT_EQUAL_FATAL(backd_add_dev(&s->cfg, "vbd", "xvda=file:/nope", &err), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		int r;
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		r = backd_serve(&s->cfg, &err);
		if (r < 0)
			fprintf(stderr, "backd_serve: %s\n", err);
		fflush(NULL);
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	/* ready when it says so */
	f = fdopen(p[0], "r");
	if (!f || !fgets(line, sizeof line, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "xdrv-backd: listening on "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, s->path));
	return 0;
}

/* SIGTERM, and its exit status */
static int srv_stop(struct srv *s)
{
	int st = -1;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

/* The server's children (live or zombie): /proc/PID/task/PID/children. -1 if unreadable. */
static int srv_children(const struct srv *s)
{
	char p[64], buf[512];
	FILE *f;
	int n = 0;
	snprintf(p, sizeof p, "/proc/%d/task/%d/children", (int)s->pid, (int)s->pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%511s", buf) == 1)
		n++;
	fclose(f);
	return n;
}

/* Wait (at most 5 s) until the server has no children: they all ended and were reaped. */
static int srv_children_settle(const struct srv *s)
{
	int n = srv_children(s);
	for (int i = 0; i < 500 && n > 0; i++) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
		n = srv_children(s);
	}
	return n;
}

static struct xt *front(struct srv *s, const char *type, uint32_t handle)
{
	struct xt_cfg cfg = {.transport = "loop",
			     .type = type,
			     .handle = handle,
			     .socket = s->path,
			     .timeout_ms = 5000};
	struct xt *t = NULL;
	char *err = NULL;
	if (xt_open(&cfg, &t, &err) < 0) {
		fprintf(stderr, "xt_open: %s\n", err);
		free(err);
	}
	return t;
}

/* The echo handshake from the frontend's side: the page, or NULL. */
static unsigned char *echo_connect(struct xt *t)
{
	char *err = NULL;
	uint32_t ref;
	unsigned char *page;
	if (xt_wait_peer_state(t, XT_INITWAIT, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return NULL;
	}
	page = xt_share(t, 1, &ref, &err);
	if (!page || xt_write(t, "ring-ref", "%u", ref) < 0 ||
	    xt_set_state(t, XT_INITIALISED, &err) < 0 ||
	    xt_wait_peer_state(t, XT_CONNECTED, &err) < 0) {
		fprintf(stderr, "%s\n", err ? err : "echo_connect");
		free(err);
		return NULL;
	}
	return page;
}

static bool wait_event(struct xt *t)
{
	struct pollfd p = {.fd = xt_event_fd(t), .events = POLLIN};
	return poll(&p, 1, 5000) == 1 && xt_event_ack(t) == 1;
}

/* Wait for the backend to go (EOF or Closed), then its error key into buf. */
static int wait_gone(struct xt *t, char *buf, size_t cap)
{
	char *err = NULL;
	int r = xt_wait_peer_state(t, XT_CLOSED, &err);
	free(err);
	if (xt_read(t, "error", buf, cap) < 0)
		snprintf(buf, cap, "(no error key)");
	return r;
}

/* ---- tests -------------------------------------------------------------------------------------
 */

static void test_backd_device_table_parses_vif_and_vbd(void)
{
	struct backd_cfg c = {0};
	char *err = NULL;
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vif", "0=tap:x@ns", &err), 0);
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vbd", "xvda=file:/a", &err), 0);
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vbd", "xvdb=ram:1M", &err), 0);
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vbd", "268439552=file:/c", &err), 0);
	CU_ASSERT_STRING_EQUAL(backd_find_spec(&c, "vif", 0), "tap:x@ns");
	CU_ASSERT_STRING_EQUAL(backd_find_spec(&c, "vbd", 51712), "file:/a");
	CU_ASSERT_STRING_EQUAL(backd_find_spec(&c, "vbd", 51728), "ram:1M");
	CU_ASSERT_PTR_NULL(backd_find_spec(&c, "vif", 1));
	CU_ASSERT_PTR_NULL(backd_find_spec(&c, "vbd", 0));
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vif", "0=gen:x", &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "vif 0 is configured twice"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vif", "x=gen:", &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "'x' is not a vif number"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vif", "4294967296=gen:x", &err), -EINVAL);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vif", "2=", &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "expected N=SPEC"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(backd_add_dev(&c, "vbd", "sda=file:/x", &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "xvda..xvdp"));
	free(err);
}

static void test_backd_serves_a_configured_device(void)
{
	struct srv s;
	struct xt *a, *b;
	unsigned char *pa, *pb;
	char spec[64];
	CU_ASSERT_EQUAL_FATAL(srv_start(&s), 0);
	/* two frontends at once, each served by its own child */
	a = front(&s, "vif", 0);
	b = front(&s, "vif", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	pa = echo_connect(a);
	pb = echo_connect(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	CU_ASSERT_EQUAL(xt_read(a, "spec", spec, sizeof spec), 0);
	CU_ASSERT_STRING_EQUAL(spec, "echo:zero");
	CU_ASSERT_EQUAL(xt_read(b, "spec", spec, sizeof spec), 0);
	CU_ASSERT_STRING_EQUAL(spec, "echo:one");
	CU_ASSERT_EQUAL(srv_children(&s), 2);
	for (unsigned char i = 1; i <= 20; i++) {
		pa[0] = i;
		pb[0] = (unsigned char)(100 + i);
		CU_ASSERT_EQUAL(xt_notify(a), 0);
		CU_ASSERT_EQUAL(xt_notify(b), 0);
		CU_ASSERT_TRUE(wait_event(a));
		CU_ASSERT_TRUE(wait_event(b));
		CU_ASSERT_EQUAL(pa[1], i);
		CU_ASSERT_EQUAL(pb[1], 100 + i);
	}
	xt_close(a);
	xt_close(b);
	/* both children end and are reaped */
	CU_ASSERT_EQUAL(srv_children_settle(&s), 0);
	CU_ASSERT_EQUAL(srv_stop(&s), 0);
}

static void test_backd_refuses_unknown_device_and_failed_start_with_reason(void)
{
	struct srv s;
	struct xt *t;
	char e[XT_VAL_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(srv_start(&s), 0);
	t = front(&s, "vif", 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(wait_gone(t, e, sizeof e), 0);
	CU_ASSERT_STRING_EQUAL(e, "xdrv-backd: no vif 5 configured");
	xt_close(t);
	t = front(&s, "vbd", 51712);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(wait_gone(t, e, sizeof e), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e, "disk spec 'file:/nope': not a disk"));
	xt_close(t);
	t = front(&s, "pci", 0); /* a type nobody serves */
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(wait_gone(t, e, sizeof e), 0);
	CU_ASSERT_STRING_EQUAL(e, "xdrv-backd: no pci 0 configured");
	xt_close(t);
	CU_ASSERT_EQUAL(srv_children_settle(&s), 0);
	CU_ASSERT_EQUAL(srv_stop(&s), 0);
}

static void test_backd_handler_error_or_crash_ends_only_that_connection(void)
{
	struct srv s;
	struct xt *a, *b;
	unsigned char *pa, *pb;
	char e[XT_VAL_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(srv_start(&s), 0);
	a = front(&s, "vif", 0);
	b = front(&s, "vif", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	pa = echo_connect(a);
	pb = echo_connect(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pb);
	pa[0] = 0xff; /* run fails: the reason in the error key */
	CU_ASSERT_EQUAL(xt_notify(a), 0);
	CU_ASSERT_EQUAL(wait_gone(a, e, sizeof e), 0);
	CU_ASSERT_STRING_EQUAL(e, "echo: asked to fail");
	xt_close(a);
	pb[0] = 0xfe; /* the serving process dies: EOF */
	CU_ASSERT_EQUAL(xt_notify(b), 0);
	CU_ASSERT_EQUAL(wait_gone(b, e, sizeof e), 0);
	xt_close(b);
	/* the server goes on */
	a = front(&s, "vif", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	pa = echo_connect(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	pa[0] = 7;
	CU_ASSERT_EQUAL(xt_notify(a), 0);
	CU_ASSERT_TRUE(wait_event(a));
	CU_ASSERT_EQUAL(pa[1], 7);
	xt_close(a);
	CU_ASSERT_EQUAL(srv_children_settle(&s), 0);
	CU_ASSERT_EQUAL(srv_stop(&s), 0);
}

static void test_backd_sigterm_stops_children_and_removes_socket(void)
{
	struct srv s;
	struct xt *a;
	struct stat st;
	char e[XT_VAL_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(srv_start(&s), 0);
	a = front(&s, "vif", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(echo_connect(a));
	CU_ASSERT_EQUAL(stat(s.path, &st), 0);
	CU_ASSERT_EQUAL(srv_stop(&s), 0);
	/* its child stopped too: the frontend sees the backend Closed */
	CU_ASSERT_EQUAL(wait_gone(a, e, sizeof e), 0);
	CU_ASSERT_EQUAL(xt_peer_state(a), XT_CLOSED);
	CU_ASSERT_EQUAL(stat(s.path, &st), -1);
	xt_close(a);
}

XTEST_SUITE(backd, NULL, NULL, XTEST(test_backd_device_table_parses_vif_and_vbd),
	    XTEST(test_backd_serves_a_configured_device),
	    XTEST(test_backd_refuses_unknown_device_and_failed_start_with_reason),
	    XTEST(test_backd_handler_error_or_crash_ends_only_that_connection),
	    XTEST(test_backd_sigterm_stops_children_and_removes_socket))
