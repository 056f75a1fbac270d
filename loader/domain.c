// SPDX-License-Identifier: MIT
/*
 * The supervisor's side of a driver domain (xdrv/domain.h): fork a driver host, watch it, say
 * why it died, restart it. And the host's side: confine itself, beat.
 *
 * The watch is one ppoll on the host's pidfd with the stop signals unblocked only while waiting
 * (as boot_child.c does), woken every WATCH_NS to compare the host's heartbeat counter with the
 * CPU time it has used (clock_getcpuclockid): a host that burns LIMIT ms of CPU without a beat is
 * stuck in driver code and is killed. CPU time, not wall time, because these machines are shared:
 * a host that waits for frames, or that the scheduler did not run, spends none and is never
 * killed for it; one that spins is, however busy the machine.
 */
#define _GNU_SOURCE 1
#include "xdrv/domain.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/runtime.h"
#include "xdrv/sandbox.h"
#include "xdrv/util.h"

#define WATCH_NS 10000000l /* how often the supervisor looks at a quiet host */

enum { PHASE_SETUP = 0, PHASE_CONFINED = 1, PHASE_READY = 2, PHASE_ENDING = 3 };

/* Shared with the host (MAP_SHARED, made before fork). Written by the host: numbers only. */
struct domain_page {
	_Atomic uint64_t beats;
	_Atomic uint32_t phase;
	volatile int denied_nr; /* the sandbox's SIGSYS handler stores the call it denied */
};

struct ldr_domain_host {
	struct domain_page *page;
	const struct ldr_domain_cfg *cfg;
};

static const int stop_signals[] = {SIGINT, SIGTERM};
#define NSTOP (sizeof stop_signals / sizeof stop_signals[0])
static volatile sig_atomic_t stop_signo;

static void on_stop(int signo)
{
	stop_signo = signo;
}

/* "SIGSEGV", or "signal 99" (static storage for the latter: one use per message) */
static const char *signame(int sig)
{
	static char buf[32];
	const char *a = sigabbrev_np(sig);
	if (a)
		snprintf(buf, sizeof buf, "SIG%s", a);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

static uint32_t or_default(uint32_t v, uint32_t d)
{
	return v ? v : d;
}

static uint64_t cpu_ns(clockid_t clk)
{
	struct timespec ts;
	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ldr_domain_beat(struct ldr_domain_host *h)
{
	if (h)
		atomic_fetch_add_explicit(&h->page->beats, 1, memory_order_relaxed);
}

void ldr_domain_ending(struct ldr_domain_host *h)
{
	if (h)
		atomic_store_explicit(&h->page->phase, PHASE_ENDING, memory_order_release);
}

void ldr_domain_ready(struct ldr_domain_host *h)
{
	if (h)
		atomic_store_explicit(&h->page->phase, PHASE_READY, memory_order_release);
}

/* The fds open now (>= 3), at most `cap`: what the host opened itself since the fork. */
static size_t open_fds(int *out, size_t cap)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	int self = dirfd(d);
	for (struct dirent *e; (e = readdir(d)) != NULL && n < cap;) {
		char *end = NULL;
		long fd = strtol(e->d_name, &end, 10);
		if (*e->d_name && !*end && fd >= 3 && fd != self && fd <= INT_MAX)
			out[n++] = (int)fd;
	}
	closedir(d);
	return n;
}

/* The address space mapped now (/proc/self/statm), 0 if unknown. */
static uint64_t mapped_now(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

int ldr_domain_sandbox(const int *keep, size_t nkeep, uint64_t mem_bytes, uint64_t cpu_secs,
		       bool namespaces, volatile int *denied_nr, const char **report, char **err)
{
	static struct xdrv_sandbox_report rep;
	static int mine[1024];
	if (!keep) { /* everything the host opened since the fork stays */
		nkeep = open_fds(mine, sizeof mine / sizeof mine[0]);
		keep = mine;
	}
	/* the limit is on what the host adds: it starts as a copy of the supervisor, LLVM and
	 * all */
	uint64_t add = mem_bytes ? mem_bytes : (uint64_t)LDR_DOMAIN_MEM_MB << 20;
	struct xdrv_sandbox_cfg sc = {
		.profile = XDRV_SANDBOX_DRIVER_HOST,
		.keep_fds = keep,
		.nkeep = nkeep,
		.as_bytes = mapped_now() + add,
		.cpu_secs = cpu_secs,
		.namespaces = namespaces,
		.denied_nr = denied_nr,
	};
	int rc = xdrv_sandbox_enter(&sc, &rep, err);
	if (rc == 0 && report)
		*report = rep.text;
	return rc;
}

int ldr_domain_confine(struct ldr_domain_host *h, const int *keep, size_t nkeep,
		       const char **report, char **err)
{
	int rc = ldr_domain_sandbox(keep, nkeep, h->cfg->mem_bytes, h->cfg->cpu_secs,
				    !h->cfg->no_namespaces, &h->page->denied_nr, report, err);
	if (rc == 0) {
		/* every return from the driver to the host beats (the run loop's rounds too);
		 * the heartbeat deadline applies once the host is ready (probed), the setup
		 * deadline until then */
		ldr_runtime_set_heartbeat(&h->page->beats);
		atomic_fetch_add_explicit(&h->page->beats, 1, memory_order_relaxed);
		atomic_store_explicit(&h->page->phase, PHASE_CONFINED, memory_order_release);
	}
	return rc;
}

/* The host process: what the supervisor had is not the host's business. */
static _Noreturn void host_main(const struct ldr_domain_cfg *cfg, struct domain_page *page,
				pid_t parent, const sigset_t *mask, ldr_domain_body body, void *arg,
				uint32_t restarts)
{
	/* dies with the supervisor; its own process group, so that a terminal's ^C reaches the
	 * supervisor only, which passes it on once */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(125);
	(void)setpgid(0, 0);
	for (size_t i = 0; i < NSTOP; i++)
		signal(stop_signals[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (xdrv_sandbox_close_fds(cfg->pass_fds, cfg->npass) < 0)
		_exit(125);
	struct ldr_domain_host h = {.page = page, .cfg = cfg};
	int rc = body(arg, &h, restarts);
	fflush(stdout);
	fflush(stderr);
	/* no atexit handlers: they belong to the supervisor (and a leak checker would need
	 * system calls the sandbox denies) */
	_exit(rc & 0xff);
}

struct watch {
	pid_t pid;
	int pidfd;
	clockid_t clk;
	uint64_t beats, cpu_at_beat, wall_at_beat;
	uint32_t phase;
	bool killed;	      /* by the supervisor, for a missed deadline */
	uint64_t killed_cpu;  /* CPU ms without a beat when it was killed */
	uint64_t killed_wall; /* or wall-clock ms without a beat (a host stuck in a wait) */
	int status;	      /* waitpid status */
	uint64_t ready_ns;    /* when the host reported itself ready (probed) */
};

/* Wall-clock ms a ready host may go without a beat: cfg->stall_ms, else the default, or 100
 * heartbeats where a slow machine (an emulator) was given a longer heartbeat. */
static uint32_t stall_ms(const struct ldr_domain_cfg *cfg)
{
	if (cfg->stall_ms)
		return cfg->stall_ms;
	uint64_t hb = (uint64_t)or_default(cfg->heartbeat_ms, LDR_DOMAIN_HEARTBEAT_MS) * 100u;
	return hb > LDR_DOMAIN_STALL_MS ? (uint32_t)(hb < UINT32_MAX ? hb : UINT32_MAX)
					: LDR_DOMAIN_STALL_MS;
}

static const char *phase_name(uint32_t phase)
{
	return phase == PHASE_SETUP	 ? "setup"
	       : phase == PHASE_CONFINED ? "probe"
	       : phase == PHASE_READY	 ? "running"
					 : "teardown";
}

static void describe_death(const struct ldr_domain_cfg *cfg, const struct watch *w,
			   const struct domain_page *page, char *out, size_t n)
{
	int sig = WTERMSIG(w->status);
	if (w->killed && w->killed_wall) {
		snprintf(out, n,
			 "%s: no heartbeat for %" PRIu64
			 " ms of wall-clock time (limit %u ms): stuck in a wait; killed",
			 phase_name(w->phase), w->killed_wall,
			 w->phase == PHASE_READY
				 ? stall_ms(cfg)
				 : or_default(cfg->setup_wall_ms, LDR_DOMAIN_SETUP_WALL_MS));
		return;
	}
	if (w->killed) {
		if (w->phase == PHASE_READY)
			snprintf(out, n,
				 "missed its heartbeat deadline: %" PRIu64
				 " ms of CPU without a heartbeat (limit %u ms); killed",
				 w->killed_cpu,
				 or_default(cfg->heartbeat_ms, LDR_DOMAIN_HEARTBEAT_MS));
		else
			snprintf(out, n,
				 "%s took %" PRIu64
				 " ms of CPU without a heartbeat (limit %u ms); killed",
				 phase_name(w->phase), w->killed_cpu,
				 or_default(cfg->setup_ms, LDR_DOMAIN_SETUP_MS));
		return;
	}
	if (sig == SIGSYS) {
		int nr = page->denied_nr;
		if (nr >= 0)
			snprintf(out, n, "SIGSYS: the sandbox denied system call %s (%d)",
				 xdrv_sandbox_syscall_name(nr), nr);
		else
			snprintf(out, n,
				 "SIGSYS: the sandbox denied a system call made with SIGSYS "
				 "blocked, so it could not be named (glibc blocks every signal "
				 "around "
				 "the clone of posix_spawn, system and pthread_create)");
		return;
	}
	if (sig == SIGXCPU || (sig == SIGKILL && cfg->cpu_secs)) {
		snprintf(out, n, "%s: CPU-time limit (%" PRIu64 " s) reached", signame(sig),
			 cfg->cpu_secs);
		return;
	}
	snprintf(out, n, "%s%s", signame(sig), WCOREDUMP(w->status) ? " (core dumped)" : "");
}

static int fork_host(const struct ldr_domain_cfg *cfg, struct domain_page *page,
		     const sigset_t *host_mask, ldr_domain_body body, void *arg, uint32_t restarts,
		     struct watch *w, char **err)
{
	memset(w, 0, sizeof *w);
	w->pidfd = -1;
	atomic_store(&page->beats, 0);
	atomic_store(&page->phase, PHASE_SETUP);
	page->denied_nr = -1;
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return xdrv_err(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0)
		host_main(cfg, page, parent, host_mask, body, arg, restarts);
	w->pid = pid;
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0 || clock_getcpuclockid(pid, &w->clk) != 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (w->pidfd >= 0)
			close(w->pidfd);
		return xdrv_err(err, -e, "watching the driver host: %s", strerror(e));
	}
	w->cpu_at_beat = cpu_ns(w->clk);
	w->wall_at_beat = xdrv_now_ns();
	return 0;
}

static void host_ready(struct watch *w, struct ldr_domain_result *res, uint64_t died_ns,
		       const char *who, const char *label)
{
	w->ready_ns = xdrv_now_ns();
	if (!died_ns)
		return;
	res->restart_ns = w->ready_ns - died_ns;
	fprintf(stderr, "%s: %s: driver host %d ready %.1f ms after the last one died\n", who,
		label, (int)w->pid, (double)res->restart_ns / 1e6);
}

/* Wait for the host to end, killing it on a missed deadline, passing stop signals on. */
static void watch_host(const struct ldr_domain_cfg *cfg, struct domain_page *page,
		       const sigset_t *wait_mask, struct watch *w, int *stop_passed,
		       struct ldr_domain_result *res, const uint64_t *died_ns)
{
	const char *who = cfg->who ? cfg->who : "xdrv", *label = cfg->label ? cfg->label : "driver";
	for (;;) {
		if (stop_signo && !*stop_passed) {
			*stop_passed = stop_signo;
			kill(w->pid, stop_signo);
		}
		struct pollfd pfd = {.fd = w->pidfd, .events = POLLIN};
		struct timespec ts = {0, WATCH_NS};
		int r = ppoll(&pfd, 1, &ts, wait_mask);
		if (r > 0) {
			while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
				;
			close(w->pidfd);
			w->pidfd = -1;
			return;
		}
		if (w->killed)
			continue;
		uint64_t now = cpu_ns(w->clk), wall = xdrv_now_ns();
		uint64_t beats = atomic_load_explicit(&page->beats, memory_order_relaxed);
		uint32_t phase = atomic_load_explicit(&page->phase, memory_order_acquire);
		if (phase != w->phase) { /* a new phase is a sign of life, and a new deadline */
			w->phase = phase;
			w->cpu_at_beat = now;
			w->wall_at_beat = wall;
			if (phase == PHASE_READY && !w->ready_ns)
				host_ready(w, res, *died_ns, who, label);
		}
		if (beats != w->beats) {
			w->beats = beats;
			w->cpu_at_beat = now;
			w->wall_at_beat = wall;
			continue;
		}
		/* before the host confines itself it runs only its own code (linking, device
		 * and transport set-up), which can take long under emulation: no deadline */
		if (w->phase == PHASE_SETUP)
			continue;
		uint64_t limit_ms = w->phase == PHASE_READY
					    ? or_default(cfg->heartbeat_ms, LDR_DOMAIN_HEARTBEAT_MS)
					    : or_default(cfg->setup_ms, LDR_DOMAIN_SETUP_MS);
		if (now > w->cpu_at_beat && now - w->cpu_at_beat > limit_ms * 1000000u) {
			w->killed = true;
			w->killed_cpu = (now - w->cpu_at_beat) / 1000000u;
			kill(w->pid, SIGKILL);
			continue;
		}
		/* a host that uses no CPU but never comes back (a driver looping around a delay,
		 * a wait that never ends): a wall-clock limit, far above any legitimate wait (the
		 * event loop beats at least every few ms; a busy machine may not run it for a
		 * while) */
		uint64_t wall_ms = w->phase == PHASE_READY ? stall_ms(cfg)
							   : or_default(cfg->setup_wall_ms,
									LDR_DOMAIN_SETUP_WALL_MS);
		if (wall > w->wall_at_beat && wall - w->wall_at_beat > wall_ms * 1000000u) {
			w->killed = true;
			w->killed_wall = (wall - w->wall_at_beat) / 1000000u;
			kill(w->pid, SIGKILL);
		}
	}
}

int ldr_domain_run(const struct ldr_domain_cfg *cfg, ldr_domain_body body, void *arg,
		   struct ldr_domain_result *res, char **err)
{
	memset(res, 0, sizeof *res);
	const char *who = cfg->who ? cfg->who : "xdrv", *label = cfg->label ? cfg->label : "driver";
	struct domain_page *page =
		mmap(NULL, sizeof *page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return xdrv_err(err, -errno, "driver host page: %s", strerror(errno));

	/* stop signals: a flag, seen by ppoll (unblocked only while waiting) */
	struct sigaction saved[NSTOP];
	sigset_t block, old_mask, wait_mask;
	sigemptyset(&block);
	stop_signo = 0;
	for (size_t i = 0; i < NSTOP; i++) {
		struct sigaction sa = {.sa_handler = on_stop};
		sigemptyset(&sa.sa_mask);
		sigaction(stop_signals[i], &sa, &saved[i]);
		sigaddset(&block, stop_signals[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	wait_mask = old_mask;
	for (size_t i = 0; i < NSTOP; i++)
		sigdelset(&wait_mask, stop_signals[i]);

	int rc = 0, stop_passed = 0;
	uint32_t backoff = or_default(cfg->backoff_ms, LDR_DOMAIN_BACKOFF_MS);
	uint64_t died_ns = 0;
	res->first_ns = xdrv_now_ns();
	for (;;) {
		struct watch w;
		rc = fork_host(cfg, page, &old_mask, body, arg, res->restarts, &w, err);
		if (rc)
			break;
		watch_host(cfg, page, &wait_mask, &w, &stop_passed, res, &died_ns);
		res->stop_signal = stop_passed;
		if (WIFEXITED(w.status) && !w.killed) {
			res->status = WEXITSTATUS(w.status);
			break;
		}
		describe_death(cfg, &w, page, res->cause, sizeof res->cause);
		died_ns = xdrv_now_ns();
		if (stop_passed) {
			fprintf(stderr,
				"%s: %s: driver host %d died: %s (after signal %d: no "
				"restart)\n",
				who, label, (int)w.pid, res->cause, stop_passed);
			res->status = 1;
			break;
		}
		if (res->restarts >= cfg->max_restarts) {
			fprintf(stderr,
				"%s: %s: driver host %d died: %s; gave up after %u restart%s\n",
				who, label, (int)w.pid, res->cause, res->restarts,
				res->restarts == 1 ? "" : "s");
			res->gave_up = true;
			res->status = 1;
			break;
		}
		res->restarts++;
		fprintf(stderr, "%s: %s: driver host %d died: %s; restart %u of %u in %u ms\n", who,
			label, (int)w.pid, res->cause, res->restarts, cfg->max_restarts, backoff);
		struct timespec ts = {backoff / 1000, (long)(backoff % 1000) * 1000000l};
		ppoll(NULL, 0, &ts, &wait_mask); /* a stop signal ends the wait */
		backoff = backoff > UINT32_MAX / 2 ? UINT32_MAX : backoff * 2;
		if (stop_signo) {
			res->stop_signal = stop_signo;
			res->status = 1;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &saved[i], NULL);
	munmap(page, sizeof *page);
	return rc;
}
