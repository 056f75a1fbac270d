/* SPDX-License-Identifier: MIT */
/*
 * Driver domains (DESIGN.md): a driver runs in a driver host, a process of its own that the
 * supervisor (xdrv run, xdrv boot) forks, watches and restarts. The supervisor keeps the trust
 * state and never runs driver code; the driver host links the object the compiler process made,
 * holds the device model, confines itself (xdrv/sandbox.h) before any driver code runs, and
 * beats a heartbeat the supervisor checks against the CPU time the host spends.
 *
 *	supervisor                               driver host (forked)
 *	ldr_domain_run(cfg, body) ─ fork ──────► body(arg, host):
 *	  watch: pidfd, heartbeat vs CPU time      link, create device, open what it needs,
 *	  kill on a missed deadline                ldr_domain_confine(host)   <- sandbox
 *	  cause: signal, seccomp, limit, deadline  probe, run: ldr_domain_beat(host) per round
 *	  restart with backoff, or give up         return the exit status
 *
 * What the driver host writes into the shared page (heartbeats, its phase, the system call the
 * sandbox denied) is only ever read as numbers: a driver can forge them, and then hangs nothing
 * but its own device (its CPU time still counts).
 */
#ifndef XDRV_DOMAIN_H
#define XDRV_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LDR_DOMAIN_HEARTBEAT_MS	 100u	/* CPU ms a running host may spend between beats */
#define LDR_DOMAIN_SETUP_MS	 10000u /* CPU ms for probe (confined until ready) and teardown */
#define LDR_DOMAIN_STALL_MS	 10000u /* wall ms a ready host may go without a beat (a stuck wait) */
#define LDR_DOMAIN_SETUP_WALL_MS 120000u /* wall ms for probe or teardown without a beat */
#define LDR_DOMAIN_RESTARTS	 3u	 /* restarts before the supervisor gives up */
#define LDR_DOMAIN_BACKOFF_MS	 10u	 /* first wait before a restart; doubles each time */
#define LDR_DOMAIN_MEM_MB	 1024u /* the host's address-space limit (not in sanitizer builds) */

struct ldr_domain_cfg {
	const char *label;	/* for messages: the driver's name */
	const char *who;	/* the command reporting, "xdrv run" */
	uint32_t heartbeat_ms;	/* 0: LDR_DOMAIN_HEARTBEAT_MS */
	uint32_t setup_ms;	/* 0: LDR_DOMAIN_SETUP_MS */
	uint32_t stall_ms;	/* 0: LDR_DOMAIN_STALL_MS, or 100 heartbeats if longer */
	uint32_t setup_wall_ms; /* 0: LDR_DOMAIN_SETUP_WALL_MS */
	uint32_t max_restarts;	/* restarts allowed (0 is a valid value: never restart) */
	uint32_t backoff_ms;	/* 0: LDR_DOMAIN_BACKOFF_MS */
	uint64_t mem_bytes;	/* address-space limit; 0: LDR_DOMAIN_MEM_MB */
	uint64_t cpu_secs;	/* CPU-time limit of one host; 0: none */
	bool no_namespaces;	/* do not unshare namespaces (a TAP in a named netns is fine) */
	/* descriptors the supervisor opened for the host (a host TAP): they stay open in it; every
	 * other descriptor of the supervisor is closed before body runs */
	const int *pass_fds;
	size_t npass;
};

struct ldr_domain_host; /* the driver host's view: in the child only */

/* Runs in the driver host. `restarts` is how many hosts died before this one. Returns the exit
 * status of the host (0: the run went well). */
typedef int (*ldr_domain_body)(void *arg, struct ldr_domain_host *h, uint32_t restarts);

struct ldr_domain_result {
	int status;	     /* the exit status of the last host, or 1 if the supervisor gave up */
	uint32_t restarts;   /* hosts restarted */
	bool gave_up;	     /* the restart limit was reached */
	int stop_signal;     /* SIGINT/SIGTERM the supervisor received and passed on, else 0 */
	uint64_t first_ns;   /* CLOCK_MONOTONIC when the first host was forked */
	uint64_t restart_ns; /* the last restart: host dead -> the next one ready (0: none) */
	char cause[256];     /* why the last host that died died ("" if none died) */
};

/* Fork a driver host running body(arg), watch it and restart it as cfg says. Reports each death
 * and restart on stderr, "WHO: LABEL: driver host PID died: CAUSE; restart N of M in T ms".
 * SIGINT and SIGTERM received meanwhile are passed on to the host (which then ends its run as it
 * would in one process) and never restart it. 0 with *res filled, or -errno with *err when no
 * host could be started at all. */
int ldr_domain_run(const struct ldr_domain_cfg *cfg, ldr_domain_body body, void *arg,
		   struct ldr_domain_result *res, char **err);

/* In the host: the sandbox (xdrv_sandbox_enter, profile driver host) keeping `keep` fds open
 * besides 0-2 (keep NULL: every fd open now, i.e. what the host opened since the fork), and the
 * switch from the setup deadline to the heartbeat deadline. From here on no file can be opened,
 * nothing executed or forked. On failure the host must not run the driver. *report (may be NULL)
 * receives the sandbox's one-line description (static storage). */
int ldr_domain_confine(struct ldr_domain_host *h, const int *keep, size_t nkeep,
		       const char **report, char **err);

/* The driver-host sandbox without a supervisor's page (xdrv boot's driver host, which its own
 * watchdog watches): xdrv_sandbox_enter with the driver-host profile, keeping `keep` (NULL:
 * every fd open now), an address-space limit of what is mapped now plus `mem_bytes` (0:
 * LDR_DOMAIN_MEM_MB), a CPU-time limit (0: none), namespaces if asked. *report as above. */
int ldr_domain_sandbox(const int *keep, size_t nkeep, uint64_t mem_bytes, uint64_t cpu_secs,
		       bool namespaces, volatile int *denied_nr, const char **report, char **err);

/* In the host: probed and connected, ready to move frames (the supervisor times restarts to
 * this point). NULL-safe. */
void ldr_domain_ready(struct ldr_domain_host *h);

/* In the host: the run is over, the host tears down (unbind, device, transport): the setup
 * deadlines again, not the heartbeat's. NULL-safe. */
void ldr_domain_ending(struct ldr_domain_host *h);

/* In the host: alive (the run loop calls it every round). NULL-safe: in-process runs pass
 * NULL. */
void ldr_domain_beat(struct ldr_domain_host *h);

/* In the host: stdin/out/err and cfg->pass_fds stay open; everything else the supervisor had
 * open is closed by ldr_domain_run before body runs. */

#endif
