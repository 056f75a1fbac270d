// SPDX-License-Identifier: MIT
/*
 * Process sandbox: closes the fd table, enters namespaces, sets rlimits and no_new_privs and
 * installs a seccomp allow-list (libseccomp) whose denials end the process with a named report.
 * The contract, the profiles and what sanitizer builds need are in xdrv/sandbox.h; the lists
 * themselves are below (driver_host_calls, compiler_calls). Which fds to keep, what limits to
 * set and what to do with a process that died of SIGSYS is the caller's business (the
 * supervisor).
 */
#define _GNU_SOURCE 1
#include <xdrv/sandbox.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xdrv/util.h>

#ifdef XDRV_HAVE_SECCOMP
#include <seccomp.h>
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (linux/siginfo.h; glibc lacks it) */
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#if !defined(SANDBOX_SANITIZER) && defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#endif
#ifdef SANDBOX_SANITIZER
#include <dlfcn.h>
#include <sanitizer/common_interface_defs.h>
#endif

#ifdef XDRV_HAVE_SECCOMP
/* ---- the allow-lists ---------------------------------------------------------------------- */

/* Names, not numbers: libseccomp resolves them for the build's architecture, and a name the
 * architecture does not have (poll, select and epoll_wait on arm64) is skipped. kill, tgkill
 * and ioctl are added with argument checks (add_rules) and are not in these lists. */
static const char *const driver_host_calls[] = {
	/* I/O on the fds the process was handed (eventfds are plain read/write) */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"close",
	"lseek",
	"fstat",
	"newfstatat",
	"fcntl",
	/* files it holds: a disk image's flush (fdatasync, fsync), a loop transport's memfd
	 * growing, xdrv run's --blk-read output (ftruncate) */
	"fdatasync",
	"fsync",
	"ftruncate",
	/* children it made before it was confined (the xen transport's reaper), reaped at the
	 * end: it cannot make new ones */
	"wait4",
	"waitid",
	/* sockets it was handed: messages, and their options; no socket/connect/accept */
	"sendmsg",
	"recvmsg",
	"sendto",
	"sendmmsg", /* the "tap" wire's ring sends its batches (wire/ring_if.c) */
	"recvfrom",
	"getsockopt",
	"shutdown",
	/* waiting */
	"futex",
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_ctl",
	"timerfd_settime",
	"timerfd_gettime",
	"pause",
	"rt_sigsuspend",
	/* memory */
	"mmap",
	"munmap",
	"mprotect",
	"madvise",
	"mremap",
	"brk",
	"membarrier",
	/* time */
	"clock_gettime",
	"clock_getres",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	/* who am I, how much have I used */
	"getpid",
	"gettid",
	"getrusage",
	/* signals (the fault guards, SIGSYS and SIGXCPU handling; sending: kill/tgkill below) */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sigaltstack",
	/* leaving, and the rest of glibc's own needs */
	"exit",
	"exit_group",
	"restart_syscall",
	"sched_yield",
	"getrandom",
	"rseq",
	/* glibc's qsort of more than 1 KiB asks sysconf(_SC_PHYS_PAGES) once (LLVM's code
	 * generator does, and so may any code): read-only figures of the machine */
	"sysinfo",
	NULL,
};

/* What LLVM adds to parse bitcode, optimize and emit an object into memory: nothing, measured
 * (strace of the compile of each sample driver, and tests/common/test_sandbox.c's compiler test
 * under the filter): brk, futex, mmap, munmap and sysinfo, all in the driver host's list. The
 * list stays so that a need found later goes here, not into the driver host's. */
static const char *const compiler_calls[] = {
	NULL,
};

#endif

/* ---- system call names -------------------------------------------------------------------- */

/* Names of numbers 0..NAMES_MAX-1 of this architecture, resolved once (before the filter, as
 * the SIGSYS handler cannot call malloc). Every Linux architecture numbers its calls below 1024
 * (x86-64 ends near 470, arm64 and ppc64 near 470 too). */
#define NAMES_MAX 1024
static char *names[NAMES_MAX];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void)
{
#ifdef XDRV_HAVE_SECCOMP
	for (int nr = 0; nr < NAMES_MAX; nr++)
		names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
#endif
}

const char *xdrv_sandbox_syscall_name(int nr)
{
	static _Thread_local char buf[32];
	pthread_once(&names_once, names_init);
	if (nr >= 0 && nr < NAMES_MAX && names[nr])
		return names[nr];
	snprintf(buf, sizeof buf, "syscall %d", nr);
	return buf;
}

/* Set once a seccomp filter is loaded: the process can never leave it. */
static bool sandbox_filtered;

bool xdrv_sandbox_entered(void)
{
	return sandbox_filtered;
}

bool xdrv_sandbox_available(void)
{
#ifdef XDRV_HAVE_SECCOMP
	return true;
#else
	return false;
#endif
}

#ifdef XDRV_HAVE_SECCOMP
/* ---- the SIGSYS report -------------------------------------------------------------------- */

static volatile int *denied_out;

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	return at;
}

static size_t put_int(char *buf, size_t at, size_t cap, int v)
{
	char digits[12];
	size_t n = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	if (v < 0 && at + 1 < cap)
		buf[at++] = '-';
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n && at + 1 < cap)
		buf[at++] = digits[--n];
	return at;
}

/* Async-signal-safe: no malloc, no stdio; names[] was filled before the filter went in. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	int saved = errno;
	if (si && si->si_code == SYS_SECCOMP) {
		int nr = si->si_syscall;
		char line[160];
		size_t n = 0;
		if (denied_out)
			*denied_out = nr;
		n = put_str(line, n, sizeof line, "xdrv sandbox: system call ");
		if (nr >= 0 && nr < NAMES_MAX && names[nr])
			n = put_str(line, n, sizeof line, names[nr]);
		else
			n = put_str(line, n, sizeof line, "?");
		n = put_str(line, n, sizeof line, " (");
		n = put_int(line, n, sizeof line, nr);
		n = put_str(line, n, sizeof line, ") denied; the process ends\n");
		ssize_t w = write(STDERR_FILENO, line, n);
		(void)w;
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	errno = saved; /* not reached: SIGSYS's default action ends the process */
}

#endif

#ifdef SANDBOX_SANITIZER
/* ---- sanitizer builds: the main thread's stack without /proc ------------------------------ */

/* A siglongjmp out of a signal handler on the alternate stack (the fault guards') makes ASan
 * unpoison the thread's normal stack, which it finds with pthread_getattr_np; for the main
 * thread glibc answers that by reading /proc/self/maps (openat: SIGSYS). This definition
 * takes the place of glibc's in a sanitizer build (the executable's symbols come first) and
 * answers for the thread that entered the sandbox with the stack glibc gave before the
 * filter; every other call goes to glibc's. */
static int (*real_getattr)(pthread_t, pthread_attr_t *);
static pthread_t entered_thread;
static void *entered_stack;
static size_t entered_stack_size;
static volatile bool entered_stack_known;

static void real_getattr_init(void)
{
	real_getattr = (int (*)(pthread_t, pthread_attr_t *))dlsym(RTLD_NEXT, "pthread_getattr_np");
}

int pthread_getattr_np(pthread_t th, pthread_attr_t *attr)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	if (entered_stack_known && pthread_equal(th, entered_thread)) {
		int rc = pthread_attr_init(attr);
		return rc ? rc : pthread_attr_setstack(attr, entered_stack, entered_stack_size);
	}
	pthread_once(&once, real_getattr_init);
	return real_getattr ? real_getattr(th, attr) : ENOSYS;
}

static void remember_stack(void)
{
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &entered_stack, &entered_stack_size) == 0) {
		entered_thread = pthread_self();
		entered_stack_known = true;
	}
	pthread_attr_destroy(&attr);
}
#endif

/* ---- 1. the fd table ---------------------------------------------------------------------- */

static bool is_kept(int fd, const int *keep, size_t nkeep)
{
	if (fd <= STDERR_FILENO)
		return true;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The open fds >= 3 that are not kept, from /proc/self/fd: *out malloc'd. -errno when /proc is
 * not there or memory runs out. */
static int list_unkept(const int *keep, size_t nkeep, int **out, size_t *nout)
{
	DIR *d = opendir("/proc/self/fd");
	int *fds = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (!d)
		return -errno;
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || *end || fd == self ||
		    is_kept((int)fd, keep, nkeep))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			int *nf = realloc(fds, ncap * sizeof *nf);
			if (!nf) {
				rc = -ENOMEM;
				goto out_close;
			}
			fds = nf;
			cap = ncap;
		}
		fds[n++] = (int)fd;
	}
out_close:
	closedir(d);
	if (rc < 0) {
		free(fds);
		return rc;
	}
	*out = fds;
	*nout = n;
	return 0;
}

/* close_range over the gaps between the sorted kept fds; -errno of the first failure. */
static int close_gaps(const int *sorted, size_t n)
{
	unsigned lo = 3;
	for (size_t i = 0; i < n; i++) {
		if (sorted[i] < (int)lo)
			continue; /* 0..2, or a duplicate */
		if ((unsigned)sorted[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned)sorted[i] - 1, 0) < 0)
			return -errno;
		lo = (unsigned)sorted[i] + 1;
	}
	if (syscall(SYS_close_range, lo, ~0u, 0) < 0)
		return -errno;
	return 0;
}

int xdrv_sandbox_close_fds(const int *keep, size_t nkeep)
{
	int *sorted = NULL, *unkept = NULL;
	size_t nunkept = 0;
	int rc = 0;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] < 0)
			return -EBADF;
	if (nkeep) {
		sorted = malloc(nkeep * sizeof *sorted);
		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, keep, nkeep * sizeof *sorted);
		qsort(sorted, nkeep, sizeof *sorted, cmp_int);
	}
	if (list_unkept(keep, nkeep, &unkept, &nunkept) == 0) {
		if (close_gaps(sorted, nkeep) < 0) {
			/* no close_range (kernel before 5.9, qemu-user): one by one */
			for (size_t i = 0; i < nunkept; i++)
				close(unkept[i]);
		}
		rc = (int)nunkept;
	} else {
		/* no /proc: every fd below the limit that fcntl finds open (so the count is
		 * right), then close_range for any above it */
		struct rlimit rl;
		int max = 65536;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
			max = (int)rl.rlim_cur;
		for (int fd = 3; fd < max; fd++) {
			if (is_kept(fd, keep, nkeep) || fcntl(fd, F_GETFD) < 0)
				continue;
			close(fd);
			rc++;
		}
		(void)close_gaps(sorted, nkeep);
	}
	free(unkept);
	free(sorted);
	return rc;
}

#ifdef XDRV_HAVE_SECCOMP
/* ---- 2. namespaces ------------------------------------------------------------------------ */

static const struct {
	int flag;
	const char *name;
} ns_kinds[] = {
	{CLONE_NEWUSER, "user"}, {CLONE_NEWNET, "net"}, {CLONE_NEWIPC, "ipc"},
	{CLONE_NEWUTS, "uts"},	 {CLONE_NEWNS, "mnt"},
};

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "error";
}

/* "namespaces user,net,... (x: EPERM, ...)" into out; never fails (what was refused is named). */
static void enter_namespaces(bool want, char *out, size_t cap)
{
	char failed[160] = "";
	size_t at = 0, fl = 0;
	bool any = false;
	if (!want) {
		snprintf(out, cap, "namespaces not asked");
		return;
	}
	at += (size_t)snprintf(out, cap, "namespaces ");
	for (size_t i = 0; i < sizeof ns_kinds / sizeof ns_kinds[0] && at < cap; i++) {
		if (unshare(ns_kinds[i].flag) == 0) {
			at += (size_t)snprintf(out + at, cap - at, "%s%s", any ? "," : "",
					       ns_kinds[i].name);
			any = true;
		} else if (fl < sizeof failed) {
			fl += (size_t)snprintf(failed + fl, sizeof failed - fl, "%s%s: %s",
					       fl ? ", " : "", ns_kinds[i].name, errname(errno));
		}
	}
	if (!any && at < cap)
		at += (size_t)snprintf(out + at, cap - at, "none");
	if (fl && at < cap)
		snprintf(out + at, cap - at, " (%s)", failed);
}

/* ---- 3. rlimits --------------------------------------------------------------------------- */

/* soft = hard = min(want, current hard) (hard = soft + extra for RLIMIT_CPU); *set gets what
 * is in force. */
static int limit(int res, uint64_t want, uint64_t extra, uint64_t *set, const char *name,
		 char **err)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) < 0)
		return xdrv_err(err, -errno, "sandbox: getrlimit %s: %s", name, strerror(errno));
	rlim_t soft = (rlim_t)want, hard = (rlim_t)(want + extra);
	if (rl.rlim_max != RLIM_INFINITY && hard > rl.rlim_max)
		hard = rl.rlim_max;
	if (soft > hard)
		soft = hard;
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	if (setrlimit(res, &rl) < 0)
		return xdrv_err(err, -errno, "sandbox: setrlimit %s=%llu: %s", name,
				(unsigned long long)want, strerror(errno));
	*set = soft;
	return 0;
}

/* "rlimits as=... cpu=... nofile=..." into out */
static int set_limits(const struct xdrv_sandbox_cfg *cfg, char *out, size_t cap, char **err)
{
	uint64_t v = 0;
	int rc;
	char as[48], cpu[32];
#ifdef SANDBOX_SANITIZER
	snprintf(as, sizeof as, "%s", cfg->as_bytes ? "skipped (sanitizer build)" : "none");
#else
	snprintf(as, sizeof as, "none");
	if (cfg->as_bytes) {
		if ((rc = limit(RLIMIT_AS, cfg->as_bytes, 0, &v, "RLIMIT_AS", err)) < 0)
			return rc;
		snprintf(as, sizeof as, "%llu", (unsigned long long)v);
	}
#endif
	snprintf(cpu, sizeof cpu, "none");
	if (cfg->cpu_secs) {
		/* one second of grace: SIGXCPU at the soft limit, SIGKILL at the hard one */
		if ((rc = limit(RLIMIT_CPU, cfg->cpu_secs, 1, &v, "RLIMIT_CPU", err)) < 0)
			return rc;
		snprintf(cpu, sizeof cpu, "%llus", (unsigned long long)v);
	}
	uint64_t nofile = cfg->nofile;
	if (!nofile) {
		nofile = 3;
		for (size_t i = 0; i < cfg->nkeep; i++)
			if ((uint64_t)cfg->keep_fds[i] + 1 > nofile)
				nofile = (uint64_t)cfg->keep_fds[i] + 1;
	}
	if ((rc = limit(RLIMIT_NOFILE, nofile, 0, &v, "RLIMIT_NOFILE", err)) < 0)
		return rc;
	/* a crash must not write a core file of a process that held hostile code and data into
	 * the supervisor's folder */
	uint64_t core = 0;
	if ((rc = limit(RLIMIT_CORE, 0, 0, &core, "RLIMIT_CORE", err)) < 0)
		return rc;
	snprintf(out, cap, "rlimits as=%s cpu=%s nofile=%llu core=0", as, cpu,
		 (unsigned long long)v);
	return 0;
}

/* ---- 5. seccomp --------------------------------------------------------------------------- */

/* list: NULL-terminated */
static int add_list(scmp_filter_ctx ctx, const char *const *list, int *count, char **err)
{
	for (size_t i = 0; list[i]; i++) {
		int nr = seccomp_syscall_resolve_name(list[i]);
		if (nr < 0)
			continue; /* not a call of this architecture */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			return xdrv_err(err, rc, "sandbox: seccomp: allow %s: %s", list[i],
					strerror(-rc));
		(*count)++;
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, int nr, enum scmp_compare op, unsigned arg, scmp_datum_t a,
		    scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = {.arg = arg, .op = op, .datum_a = a, .datum_b = b};
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

/* ioctl requests that push input into a terminal: a process with a terminal on an fd could
 * type commands into the shell that started its supervisor (TIOCSTI; TIOCLINUX's selection
 * paste on a virtual console). */
static const uint32_t denied_ioctls[] = {TIOCSTI, TIOCLINUX};
#define NDENIED_IOCTLS (sizeof denied_ioctls / sizeof denied_ioctls[0])

/* ioctl with any request but denied_ioctls. The kernel reads the request as 32 bits, so the
 * upper half of the register must not matter, and only SCMP_CMP_MASKED_EQ can ignore it; a
 * rule compares each argument once, and an unconditional rule would swallow any conditional
 * one. So "request not in D" is spelt as masked equalities, OR'ed by the filter: the request
 * differs from every element of D on a bit where they all agree (one rule per such bit), or
 * agrees with them there and has, on the few bits where they differ, a pattern none of them
 * has (one rule per pattern). For TIOCSTI (0x5412) and TIOCLINUX (0x541c): 29 + 6 rules. */
static int add_ioctl_rules(scmp_filter_ctx ctx)
{
	uint32_t same = 0xffffffffu, d0 = denied_ioctls[0];
	int nr = SCMP_SYS(ioctl), rc = 0;
	for (size_t i = 1; i < NDENIED_IOCTLS; i++)
		same &= ~(denied_ioctls[i] ^ d0);
	for (unsigned bit = 0; bit < 32 && rc == 0; bit++)
		if (same & (1u << bit))
			rc = add_rule(ctx, nr, SCMP_CMP_MASKED_EQ, 1, 1u << bit, ~d0 & (1u << bit));
	/* the patterns of the differing bits: enumerate the subsets of `diff` */
	uint32_t diff = ~same, p = 0;
	do {
		uint32_t v = (d0 & same) | p;
		bool denied = false;
		for (size_t i = 0; i < NDENIED_IOCTLS; i++)
			denied |= v == denied_ioctls[i];
		if (!denied && rc == 0)
			rc = add_rule(ctx, nr, SCMP_CMP_MASKED_EQ, 1, 0xffffffffu, v);
		p = (p - diff) & diff;
	} while (p != 0);
	return rc;
}

/* The calls with argument checks: signals to this process only, and ioctl (above). */
static int add_rules(scmp_filter_ctx ctx, int *count, char **err)
{
	scmp_datum_t self = (scmp_datum_t)getpid();
	int rc;
	if ((rc = add_rule(ctx, SCMP_SYS(kill), SCMP_CMP_EQ, 0, self, 0)) < 0 ||
	    (rc = add_rule(ctx, SCMP_SYS(tgkill), SCMP_CMP_EQ, 0, self, 0)) < 0)
		return xdrv_err(err, rc, "sandbox: seccomp: kill/tgkill rule: %s", strerror(-rc));
	if ((rc = add_ioctl_rules(ctx)) < 0)
		return xdrv_err(err, rc, "sandbox: seccomp: ioctl rules: %s", strerror(-rc));
	*count += 3;
	return 0;
}

static int install_filter(enum xdrv_sandbox_profile profile, int *count, char **err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int rc;
	if (!ctx)
		return xdrv_err(err, -ENOMEM, "sandbox: seccomp: init failed");
	/* every thread, and a call of another ABI (int 0x80, x32) ends the process at once */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0) {
		rc = xdrv_err(err, rc, "sandbox: seccomp: attributes: %s", strerror(-rc));
		goto out_release;
	}
	*count = 0;
	if ((rc = add_list(ctx, driver_host_calls, count, err)) < 0 ||
	    (rc = add_rules(ctx, count, err)) < 0)
		goto out_release;
#ifdef SANDBOX_SANITIZER
	/* the sanitizers' report starts llvm-symbolizer with a pipe and a fork: a pipe that fails
	 * makes it print frames as module+offset instead of dying of SIGSYS mid-report */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pipe), 0)) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pipe2), 0)) < 0) {
		rc = xdrv_err(err, rc, "sandbox: seccomp: pipe rule: %s", strerror(-rc));
		goto out_release;
	}
#endif
	if (profile == XDRV_SANDBOX_COMPILER &&
	    (rc = add_list(ctx, compiler_calls, count, err)) < 0)
		goto out_release;
	if ((rc = seccomp_load(ctx)) < 0)
		rc = xdrv_err(err, rc, "sandbox: seccomp: load: %s", strerror(-rc));
	else
		sandbox_filtered = true;
out_release:
	seccomp_release(ctx);
	return rc;
}
#endif

/* ---- all of it ---------------------------------------------------------------------------- */

int xdrv_sandbox_enter(const struct xdrv_sandbox_cfg *cfg, struct xdrv_sandbox_report *rep,
		       char **err)
{
#ifndef XDRV_HAVE_SECCOMP
	(void)cfg;
	if (rep)
		snprintf(rep->text, sizeof rep->text, "no sandbox (built without libseccomp)");
	return xdrv_err(err, -ENOSYS,
			"sandbox: this build has no seccomp support (built without libseccomp, as "
			"cross builds are): the process cannot be confined");
#else
	char ns[200], lim[120];
	int nfilter = 0, rc;
	if (cfg->profile != XDRV_SANDBOX_DRIVER_HOST && cfg->profile != XDRV_SANDBOX_COMPILER)
		return xdrv_err(err, -EINVAL, "sandbox: profile %d: unknown", (int)cfg->profile);
	if (cfg->nkeep && !cfg->keep_fds)
		return xdrv_err(err, -EINVAL, "sandbox: keep_fds: NULL with nkeep %zu", cfg->nkeep);
	for (size_t i = 0; i < cfg->nkeep; i++)
		if (cfg->keep_fds[i] < 0 || fcntl(cfg->keep_fds[i], F_GETFD) < 0)
			return xdrv_err(err, -EBADF, "sandbox: keep_fds[%zu]: fd %d is not open", i,
					cfg->keep_fds[i]);
	/* before the filter: the names for the SIGSYS handler, and the sanitizers' notice and
	 * their symbolizer's module list, which an error report would otherwise read from
	 * /proc/self/maps (xdrv/sandbox.h) */
	pthread_once(&names_once, names_init);
#ifdef SANDBOX_SANITIZER
	__sanitizer_sandbox_arguments sargs = {0, -1, 0};
	__sanitizer_sandbox_on_notify(&sargs);
	char mod[64];
	void *off;
	__sanitizer_get_module_and_offset_for_pc((void *)(uintptr_t)xdrv_sandbox_enter, mod,
						 sizeof mod, &off);
	remember_stack();
#endif
	int closed = xdrv_sandbox_close_fds(cfg->keep_fds, cfg->nkeep);
	if (closed < 0)
		return xdrv_err(err, closed, "sandbox: closing fds: %s", strerror(-closed));
	enter_namespaces(cfg->namespaces, ns, sizeof ns);
	if ((rc = set_limits(cfg, lim, sizeof lim, err)) < 0)
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return xdrv_err(err, -errno, "sandbox: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	denied_out = cfg->denied_nr;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigset_t sys;
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	/* a blocked SIGSYS would make the kernel kill without running the handler */
	if (sigaction(SIGSYS, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &sys, NULL) < 0)
		return xdrv_err(err, -errno, "sandbox: SIGSYS handler: %s", strerror(errno));
	if ((rc = install_filter(cfg->profile, &nfilter, err)) < 0)
		return rc;
	if (rep)
		snprintf(rep->text, sizeof rep->text,
			 "seccomp allow-list (%d system calls), no_new_privs, %s, %s, fds closed: "
			 "%d",
			 nfilter, lim, ns, closed);
	return 0;
#endif
}
