// SPDX-License-Identifier: MIT
/*
 * Driver-domain supervision (loader/domain.c): hosts that end well, crash, spin, wait, get
 * denied a system call, and a supervisor that is asked to stop. Each body runs in a real forked
 * driver host; the supervisor is this test process.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/domain.h"
#include "../xtest.h"

static struct ldr_domain_cfg cfg(uint32_t restarts)
{
	return (struct ldr_domain_cfg){.label = "test",
				       .who = "test_domain",
				       .max_restarts = restarts,
				       .backoff_ms = 1,
				       .heartbeat_ms = 50,
				       .setup_ms = 300,
				       .no_namespaces = true};
}

static int confine(struct ldr_domain_host *h)
{
	char *err = NULL;
	int rc = ldr_domain_confine(h, NULL, 0, NULL, &err);
	if (rc)
		fprintf(stderr, "confine: %s\n", err ? err : "?");
	return rc;
}

static int body_ok(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	ldr_domain_beat(h);
	return 7;
}

static void test_a_host_that_ends_gives_its_status(void)
{
	struct ldr_domain_cfg c = cfg(3);
	struct ldr_domain_result r;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_ok, NULL, &r, &err), 0);
	CU_ASSERT_EQUAL(r.status, 7);
	CU_ASSERT_EQUAL(r.restarts, 0);
	CU_ASSERT_FALSE(r.gave_up);
	CU_ASSERT_STRING_EQUAL(r.cause, "");
}

static int body_crash_first(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	if (confine(h))
		return 9;
	if (restarts == 0)
		raise(SIGABRT); /* not SIGSEGV: a sanitizer build catches that and exits */
	ldr_domain_ready(h);
	struct timespec ts = {0, 50000000}; /* the supervisor looks every 10 ms */
	nanosleep(&ts, NULL);
	return 0;
}

static void test_a_crashed_host_is_restarted(void)
{
	struct ldr_domain_cfg c = cfg(3);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_crash_first, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.restarts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "SIGABRT"));
	CU_ASSERT(r.restart_ns > 0);
}

static int body_crash_always(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)h;
	int *seen = arg;
	seen[restarts < 8 ? restarts : 7] = 1; /* the supervisor sees nothing of it: a copy */
	raise(SIGABRT);
	return 0;
}

static void test_restarts_are_limited(void)
{
	int seen[8] = {0};
	struct ldr_domain_cfg c = cfg(2);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_crash_always, seen, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_EQUAL(r.restarts, 2);
	CU_ASSERT_TRUE(r.gave_up);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "SIGABRT"));
	CU_ASSERT_EQUAL(seen[0], 0); /* the host's memory is not the supervisor's */
	c = cfg(0);
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_crash_always, seen, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.restarts, 0);
	CU_ASSERT_TRUE(r.gave_up);
}

static int body_spin_confined(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	ldr_domain_ready(h);
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static void test_a_spinning_host_misses_its_heartbeat(void)
{
	struct ldr_domain_cfg c = cfg(1);
	struct ldr_domain_result r;
	uint64_t t0 = (uint64_t)time(NULL);
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_spin_confined, NULL, &r, NULL), 0);
	CU_ASSERT_TRUE(r.gave_up);
	CU_ASSERT_EQUAL(r.restarts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "missed its heartbeat deadline"));
	CU_ASSERT((uint64_t)time(NULL) - t0 < 60);
}

static int body_spin_setup(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h)) /* then probe: the driver's code */
		return 9;
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static void test_a_host_spinning_in_probe_is_killed(void)
{
	struct ldr_domain_cfg c = cfg(0);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_spin_setup, NULL, &r, NULL), 0);
	CU_ASSERT_TRUE(r.gave_up);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "probe took"));
}

/* A host that uses no CPU but never comes back (a driver looping around a delay) is stuck. */
static int body_stuck(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	ldr_domain_ready(h);
	for (;;) {
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void test_a_host_stuck_in_a_wait_is_killed(void)
{
	struct ldr_domain_cfg c = cfg(0);
	c.stall_ms = 300;
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_stuck, NULL, &r, NULL), 0);
	CU_ASSERT_TRUE(r.gave_up);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "running: no heartbeat for"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "stuck in a wait"));
}

/* Probe (confined, not yet ready) has the setup deadline, not the heartbeat's. */
static int body_slow_probe(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do /* 150 ms of CPU: three heartbeats' worth, half the setup deadline */
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000l + (t.tv_nsec - t0.tv_nsec) < 150000000l);
	ldr_domain_ready(h);
	return 0;
}

static void test_probe_has_the_setup_deadline(void)
{
	struct ldr_domain_cfg c = cfg(0);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_slow_probe, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_FALSE(r.gave_up);
}

/* Waiting costs no CPU time: a host that sleeps without beating is not killed. */
static int body_wait(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	struct timespec ts = {0, 400000000};
	nanosleep(&ts, NULL);
	return 0;
}

static void test_a_waiting_host_is_not_killed(void)
{
	struct ldr_domain_cfg c = cfg(0);
	c.stall_ms = 5000; /* the wait is 400 ms */
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_wait, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_FALSE(r.gave_up);
}

static int body_open(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	if (confine(h))
		return 9;
	int fd = open("/etc/hostname", O_RDONLY);
	return fd >= 0 ? 3 : 4; /* neither: the sandbox ends the process */
}

static void test_a_denied_system_call_is_named(void)
{
	struct ldr_domain_cfg c = cfg(0);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_open, NULL, &r, NULL), 0);
	CU_ASSERT_TRUE(r.gave_up);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "SIGSYS"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "openat"));
}

static int body_stop(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)arg;
	(void)restarts;
	kill(getppid(), SIGTERM); /* the supervisor is asked to stop; it passes the signal on */
	if (confine(h))
		return 9;
	for (int i = 0; i < 500; i++) {
		ldr_domain_beat(h);
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void test_a_stop_signal_is_passed_on_and_not_restarted(void)
{
	struct ldr_domain_cfg c = cfg(3);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_stop, NULL, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.stop_signal, SIGTERM);
	CU_ASSERT_EQUAL(r.restarts, 0);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.cause, "SIGTERM"));
}

/* The supervisor's descriptors are not the host's. */
static int body_fds(void *arg, struct ldr_domain_host *h, uint32_t restarts)
{
	(void)h;
	(void)restarts;
	int fd = *(int *)arg;
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : 5;
}

static void test_the_supervisors_fds_are_closed_in_the_host(void)
{
	int fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(fd > 2);
	struct ldr_domain_cfg c = cfg(0);
	struct ldr_domain_result r;
	CU_ASSERT_EQUAL_FATAL(ldr_domain_run(&c, body_fds, &fd, &r, NULL), 0);
	CU_ASSERT_EQUAL(r.status, 0);
	close(fd);
}

XTEST_SUITE(loader_domain, NULL, NULL, XTEST(test_a_host_that_ends_gives_its_status),
	    XTEST(test_a_crashed_host_is_restarted), XTEST(test_restarts_are_limited),
	    XTEST(test_a_spinning_host_misses_its_heartbeat),
	    XTEST(test_a_host_spinning_in_probe_is_killed),
	    XTEST(test_probe_has_the_setup_deadline), XTEST(test_a_host_stuck_in_a_wait_is_killed),
	    XTEST(test_a_waiting_host_is_not_killed), XTEST(test_a_denied_system_call_is_named),
	    XTEST(test_a_stop_signal_is_passed_on_and_not_restarted),
	    XTEST(test_the_supervisors_fds_are_closed_in_the_host))
