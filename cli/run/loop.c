// SPDX-License-Identifier: MIT
/*
 * `xdrv run`'s one loop: dispatch the driver's interrupts and polls, pump every end (console,
 * NIC), and decide when the run is over (a time, idleness, a cap, or SIGINT/SIGTERM). While
 * idle it waits on the ends' descriptors, briefly at first, then longer, so that an idle run
 * does not spin a core yet a burst is picked up within tens of microseconds.
 */
#define _GNU_SOURCE /* ppoll */
#include "run.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <xdrv/domain.h>
#include <xdrv/runtime.h>
#include <xdrv/util.h>

/* An until-idle run ends after the driver and every end have had nothing to do this long. */
#define IDLE_END_NS (20ull * 1000000u)
/* Idle waits: short at first (the wire side has no descriptor to wait on), longer once idle
 * for a while. */
#define IDLE_WAIT_NS	   50000ll
#define IDLE_WAIT_LONG_NS  1000000ll
#define IDLE_LONG_AFTER_NS (200ull * 1000000u)

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static bool more_to_come(const struct run_loop_opts *o)
{
	for (size_t i = 0; i < o->nends; i++)
		if (o->ends[i].more && o->ends[i].more(o->ends[i].ctx))
			return true;
	return false;
}

static void idle_wait(const struct run_loop_opts *o, long long ns)
{
	struct pollfd pfd[RUN_MAX_ENDS];
	nfds_t n = 0;
	for (size_t i = 0; i < o->nends; i++)
		if (o->ends[i].fd >= 0)
			pfd[n++] = (struct pollfd){.fd = o->ends[i].fd, .events = POLLIN};
	struct timespec ts = {0, ns};
	if (n)
		ppoll(pfd, n, &ts, NULL);
	else
		nanosleep(&ts, NULL);
}

void run_loop(struct ldr_driver *drv, const struct run_loop_opts *o, struct run_loop_result *r)
{
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	stop_signal = 0;
	r->events = 0;
	uint64_t start = xdrv_now_ns(), idle_since = 0;
	uint64_t end = o->for_ns ? start + o->for_ns : o->cap_ns ? start + o->cap_ns : UINT64_MAX;
	bool until_idle = !o->for_ns && o->until_idle;
	while (!stop_signal) {
		ldr_domain_beat(o->host); /* the supervisor's watchdog: this round began */
		uint64_t now = xdrv_now_ns();
		if (now >= end)
			break;
		int ev = ldr_driver_dispatch(o->drvp ? *o->drvp : drv);
		r->events += ev > 0 ? (uint64_t)ev : 0;
		bool busy = ev > 0;
		for (size_t i = 0; i < o->nends; i++)
			busy |= o->ends[i].pump(o->ends[i].ctx, busy);
		if (busy) {
			idle_since = 0;
			continue;
		}
		if (!idle_since)
			idle_since = now;
		if (until_idle && now - idle_since >= IDLE_END_NS && !more_to_come(o))
			break;
		idle_wait(o,
			  now - idle_since > IDLE_LONG_AFTER_NS ? IDLE_WAIT_LONG_NS : IDLE_WAIT_NS);
	}
	r->signal = stop_signal;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
}
