// SPDX-License-Identifier: MIT
/*
 * Tests for common/sandbox.c. Each sandboxed case runs in a forked child, which enters the
 * sandbox and then does one thing; the parent asserts how the child ended: killed by SIGSYS
 * with the denied call's number in a shared page (the forbidden calls), or exit 0 (the allowed
 * ones), or a signal of the CPU limit. The child reports through exit codes and the shared
 * page only, and leaves with _exit: LeakSanitizer's check at exit could not run in there.
 * What the parent can see from outside (/proc/<pid>/status, /proc/<pid>/ns/) is checked from
 * outside. The compiler profile is checked by parsing, optimizing and emitting a module with
 * LLVM inside it, the driver host's by linking an object with ORC's LLJIT inside it and
 * calling the function.
 */
#define _GNU_SOURCE 1
#include "../xtest.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Core.h>
#include <llvm-c/IRReader.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/fault_guard.h>
#include <xdrv/sandbox.h>

#ifdef XDRV_HAVE_SECCOMP
#include <seccomp.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZER 1
#endif
#endif

/* What a child leaves for its parent: a MAP_SHARED page. */
struct shared {
	volatile int denied;
	int enter_rc;
	char report[512];
	char err[256];
};
static struct shared *sh;

static int suite_init(void)
{
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return sh == MAP_FAILED ? -1 : 0;
}

static int suite_clean(void)
{
	if (sh && sh != MAP_FAILED)
		munmap(sh, sizeof *sh);
	return 0;
}

/* Exit codes of a child: 0 fine, 99 xdrv_sandbox_enter failed, others: the failed step. */
#define ENTER_FAILED 99

/* Set by a test: the child blocks SIGSYS before it enters (xdrv_sandbox_enter unblocks it). */
static bool block_sigsys;
/* Set by the tests that read the child's stderr; the others send it to /dev/null (the denied
 * calls' lines would fill the test log; the parent names the call from the shared page). */
static bool child_stderr;

static void quiet_stderr(void)
{
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0 && null != STDERR_FILENO) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

/* Fork; the child enters the sandbox with cfg and runs body(arg), then _exit(body's value).
 * Returns the child's pid (the caller waits), with the shared page reset. */
static pid_t start(const struct xdrv_sandbox_cfg *cfg, int (*body)(void *), void *arg)
{
	memset((void *)sh, 0, sizeof *sh);
	sh->denied = -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	struct rlimit no_core = {0, 0};
	setrlimit(RLIMIT_CORE, &no_core); /* a test child that dies of SIGSYS leaves no core */
	if (!child_stderr)
		quiet_stderr();
	if (block_sigsys) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	struct xdrv_sandbox_cfg c = *cfg;
	struct xdrv_sandbox_report rep;
	char *err = NULL;
	c.denied_nr = &sh->denied;
	int rc = xdrv_sandbox_enter(&c, &rep, &err);
	sh->enter_rc = rc;
	if (rc < 0) {
		snprintf(sh->err, sizeof sh->err, "%s", err ? err : "?");
		_exit(ENTER_FAILED);
	}
	snprintf(sh->report, sizeof sh->report, "%s", rep.text);
	_exit(body(arg));
}

static int run(const struct xdrv_sandbox_cfg *cfg, int (*body)(void *), void *arg)
{
	int status = -1;
	pid_t pid = start(cfg, body, arg);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == ENTER_FAILED)
		fprintf(stderr, "sandbox: enter failed in the child: %s\n", sh->err);
	return status;
}

static const struct xdrv_sandbox_cfg host_cfg = {.profile = XDRV_SANDBOX_DRIVER_HOST};

/* ---- no seccomp in this build (cross builds) ------------------------------------------------ */

static bool have_sandbox(void)
{
	if (xdrv_sandbox_available())
		return true;
	char *err = NULL;
	struct xdrv_sandbox_report rep;
	CU_ASSERT_EQUAL(xdrv_sandbox_enter(&host_cfg, &rep, &err), -ENOSYS);
	CU_ASSERT_PTR_NOT_NULL(err);
	if (err)
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "built without libseccomp"));
	free(err);
	return false;
}

/* ---- forbidden calls -------------------------------------------------------------------- */

static int do_openat(void *a)
{
	(void)a;
	return open("/etc/hostname", O_RDONLY) >= 0 ? 1 : 2;
}

static int do_execve(void *a)
{
	(void)a;
	execl("/bin/true", "true", (char *)NULL);
	return 1;
}

static int do_fork(void *a)
{
	(void)a;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	return 1;
}

static void *thread_fn(void *a)
{
	return a;
}

static int do_thread(void *a)
{
	(void)a;
	pthread_t t;
	if (pthread_create(&t, NULL, thread_fn, NULL) == 0)
		pthread_join(t, NULL);
	return 1;
}

static int do_socket(void *a)
{
	(void)a;
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 1 : 2;
}

static int do_ptrace(void *a)
{
	(void)a;
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 1 : 2;
}

static int do_kill_init(void *a)
{
	(void)a;
	return kill(1, 0) == 0 ? 1 : 2;
}

static int do_kill_parent(void *a)
{
	return kill(*(pid_t *)a, 0) == 0 ? 1 : 2;
}

static int do_setns(void *a)
{
	(void)a;
	return setns(0, CLONE_NEWNET) == 0 ? 1 : 2;
}

static int do_unshare(void *a)
{
	(void)a;
	return unshare(CLONE_NEWNET) == 0 ? 1 : 2;
}

static int do_memfd(void *a)
{
	(void)a;
	return memfd_create("x", 0) >= 0 ? 1 : 2;
}

static int do_prctl(void *a)
{
	(void)a;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 ? 1 : 2;
}

static int do_io_uring(void *a)
{
	(void)a;
	char params[120] = {0};
	return syscall(SYS_io_uring_setup, 1, params) >= 0 ? 1 : 2;
}

static int do_bpf(void *a)
{
	(void)a;
	return syscall(SYS_bpf, 0, NULL, 0) >= 0 ? 1 : 2;
}

static int do_userfaultfd(void *a)
{
	(void)a;
	return syscall(SYS_userfaultfd, 0) >= 0 ? 1 : 2;
}

static int do_process_vm_readv(void *a)
{
	(void)a;
	return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0) >= 0 ? 1 : 2;
}

static int do_tiocsti(void *a)
{
	(void)a;
	char ch = 'x';
	/* bits above the 32 the kernel reads must not get it past the filter */
	return syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1ul << 40), &ch) == 0 ? 1 : 2;
}

static int do_tioclinux(void *a)
{
	(void)a;
	char sub = 2; /* TIOCL_SETSEL */
	return ioctl(0, TIOCLINUX, &sub) == 0 ? 1 : 2;
}

static void test_driver_host_kills_each_forbidden_call_with_sigsys_and_names_it(void)
{
	if (!have_sandbox())
		return;
	pid_t parent = getpid();
	const struct {
		const char *what;
		int (*fn)(void *);
		long nr, nr_alt; /* nr_alt: another call the libc may use for the same thing */
	} cases[] = {
		{"open /etc/hostname", do_openat, SYS_openat, SYS_openat},
		{"execve /bin/true", do_execve, SYS_execve, SYS_execve},
		{"fork", do_fork, SYS_clone, SYS_clone3},
		/* glibc blocks every signal around the clone of a new thread, and the kernel
		 * then kills at once, without the handler: no number (-1) */
		{"pthread_create", do_thread, SYS_clone3, -1},
		{"socket", do_socket, SYS_socket, SYS_socket},
		{"ptrace(TRACEME)", do_ptrace, SYS_ptrace, SYS_ptrace},
		{"kill(1, 0)", do_kill_init, SYS_kill, SYS_kill},
		{"kill(parent, 0)", do_kill_parent, SYS_kill, SYS_kill},
		{"setns", do_setns, SYS_setns, SYS_setns},
		{"unshare", do_unshare, SYS_unshare, SYS_unshare},
		{"memfd_create", do_memfd, SYS_memfd_create, SYS_memfd_create},
		{"prctl", do_prctl, SYS_prctl, SYS_prctl},
		{"io_uring_setup", do_io_uring, SYS_io_uring_setup, SYS_io_uring_setup},
		{"bpf", do_bpf, SYS_bpf, SYS_bpf},
		{"userfaultfd", do_userfaultfd, SYS_userfaultfd, SYS_userfaultfd},
		{"process_vm_readv", do_process_vm_readv, SYS_process_vm_readv,
		 SYS_process_vm_readv},
		{"ioctl(TIOCSTI)", do_tiocsti, SYS_ioctl, SYS_ioctl},
		{"ioctl(TIOCLINUX)", do_tioclinux, SYS_ioctl, SYS_ioctl},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int status = run(&host_cfg, cases[i].fn, &parent);
		bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS &&
			  (sh->denied == cases[i].nr || sh->denied == cases[i].nr_alt);
		if (!ok)
			fprintf(stderr,
				"sandbox: %s: status 0x%x (signal %d, exit %d), denied %d (%s), "
				"expected SIGSYS and %s\n",
				cases[i].what, (unsigned)status,
				WIFSIGNALED(status) ? WTERMSIG(status) : 0,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1, sh->denied,
				xdrv_sandbox_syscall_name(sh->denied),
				xdrv_sandbox_syscall_name((int)cases[i].nr));
		CU_ASSERT(ok);
	}
}

/* The line on stderr names the call, and the handler's report does not need anything the
 * filter denies (the child still dies of SIGSYS, not of a second denial in the handler). */
static int do_openat_with_stderr(void *a)
{
	return do_openat(a);
}

static void test_a_denied_call_writes_one_line_naming_it_to_stderr(void)
{
	if (!have_sandbox())
		return;
	/* even when the process had SIGSYS blocked: the kernel would kill without the line */
	block_sigsys = true;
	child_stderr = true;
	int p[2];
	CU_ASSERT_FATAL(pipe(p) == 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(p[1], STDERR_FILENO); /* the child inherits it as its stderr */
	pid_t pid = start(&host_cfg, do_openat_with_stderr, NULL);
	block_sigsys = false;
	child_stderr = false;
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	char buf[512];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf - 1 && (r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(p[0]);
	int status;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	char want[128];
	snprintf(want, sizeof want,
		 "xdrv sandbox: system call openat (%d) denied; the process ends\n",
		 (int)SYS_openat);
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(sh->denied, SYS_openat);
	CU_ASSERT_STRING_EQUAL(xdrv_sandbox_syscall_name(SYS_openat), "openat");
	CU_ASSERT_STRING_EQUAL(xdrv_sandbox_syscall_name(99999), "syscall 99999");
}

/* A thread that was running before xdrv_sandbox_enter is filtered too (TSYNC): it waits until
 * the main thread has entered, then opens a file. */
static int thread_go[2];
static volatile int thread_started;

static void *late_opener(void *a)
{
	char c;
	(void)a;
	/* the main thread enters only now: a thread still starting (set_robust_list, its signal
	 * mask) when the filter goes in would be killed by it in the middle of glibc */
	__atomic_store_n(&thread_started, 1, __ATOMIC_RELEASE);
	if (read(thread_go[0], &c, 1) == 1)
		(void)open("/etc/hostname", O_RDONLY);
	return NULL;
}

static int do_release_thread(void *a)
{
	(void)a;
	if (write(thread_go[1], "g", 1) != 1)
		return 10;
	for (;;)
		pause(); /* the thread's denied open ends the process */
	return 11;
}

static void test_threads_started_before_enter_are_filtered_too(void)
{
	if (!have_sandbox())
		return;
	CU_ASSERT_FATAL(pipe(thread_go) == 0);
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.keep_fds = thread_go;
	cfg.nkeep = 2;
	cfg.namespaces = true;
	memset((void *)sh, 0, sizeof *sh);
	sh->denied = -1;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		quiet_stderr();
		if (pthread_create(&t, NULL, late_opener, NULL) != 0)
			_exit(20);
		while (!__atomic_load_n(&thread_started, __ATOMIC_ACQUIRE))
			sched_yield();
		struct xdrv_sandbox_report rep;
		char *err = NULL;
		struct xdrv_sandbox_cfg c = cfg;
		c.denied_nr = &sh->denied;
		if (xdrv_sandbox_enter(&c, &rep, &err) < 0)
			_exit(ENTER_FAILED);
		snprintf(sh->report, sizeof sh->report, "%s", rep.text);
		_exit(do_release_thread(NULL));
	}
	CU_ASSERT_FATAL(pid > 0);
	int status = -1;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	CU_ASSERT_EQUAL(sh->denied, SYS_openat);
	/* a process with threads cannot enter a new user namespace: the report says so */
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "user: EINVAL"));
	close(thread_go[0]);
	close(thread_go[1]);
}

/* ---- allowed calls ---------------------------------------------------------------------- */

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Each step has its own exit code, so a failure names the step. */
static int do_allowed(void *a)
{
	const int *fds = a; /* [0] read end, [1] write end of a pipe */
	char c = 'x';
	if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1 || c != 'x')
		return 10;
	void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 11;
	memset(m, 1, 1 << 20);
	if (mprotect(m, 4096, PROT_READ) != 0 || madvise(m, 1 << 20, MADV_DONTNEED) != 0 ||
	    munmap(m, 1 << 20) != 0)
		return 12;
	void *big = malloc(8 << 20); /* brk or mmap, whichever malloc picks */
	if (!big)
		return 13;
	free(big);
	int word = 0;
	if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		return 14;
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	struct timespec ten_ms = {0, 10 * 1000 * 1000};
	if (ppoll(&pfd, 1, &ten_ms, NULL) != 0) /* nothing to read: times out */
		return 15;
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 || now.tv_sec == 0)
		return 16;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 17;
	struct sigaction sa = {.sa_handler = on_usr1};
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || raise(SIGUSR1) != 0 || !got_usr1 ||
	    kill(getpid(), 0) != 0)
		return 18;
	unsigned r;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		return 19;
	int avail = -1;
	if (ioctl(fds[0], FIONREAD, &avail) != 0 || avail != 0)
		return 20;
	/* the kernel reads the request as 32 bits: bits above do not change what is allowed */
	avail = -1;
	if (syscall(SYS_ioctl, fds[0], (unsigned long)FIONREAD | (1ul << 40), &avail) != 0 ||
	    avail != 0)
		return 21;
	if (sched_yield() != 0 || getpid() != (pid_t)syscall(SYS_gettid))
		return 22;
	struct timespec one_ms = {0, 1000 * 1000};
	if (nanosleep(&one_ms, NULL) != 0)
		return 23;
	if (fcntl(fds[0], F_GETFL) < 0)
		return 24;
	/* the loader's fault guards (an alternate stack, handlers, siglongjmp) work in here */
	volatile uint8_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct xdrv_guard g;
	volatile int caught = 0;
	if (none == MAP_FAILED)
		return 25;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0)
		(void)none[8];
	else
		caught = 1;
	xdrv_guard_pop(&g);
	if (!caught || g.signo != SIGSEGV)
		return 26;
	return 0;
}

static void test_driver_host_allows_io_memory_futex_poll_clocks_and_own_signals(void)
{
	if (!have_sandbox())
		return;
	int p[2];
	CU_ASSERT_FATAL(pipe(p) == 0);
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.keep_fds = p;
	cfg.nkeep = 2;
	int status = run(&cfg, do_allowed, p);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "sandbox: allowed calls: status 0x%x, denied %d (%s)\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied));
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	CU_ASSERT_EQUAL(sh->denied, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "seccomp allow-list ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "no_new_privs"));
	close(p[0]);
	close(p[1]);
}

/* ---- fds ---------------------------------------------------------------------------------- */

static int do_check_fds(void *a)
{
	const int *fds = a; /* [0] not kept, [1] kept */
	if (fcntl(fds[0], F_GETFD) != -1 || errno != EBADF)
		return 10;
	if (fcntl(fds[1], F_GETFD) < 0)
		return 11;
	return 0;
}

static void test_fds_not_kept_are_closed_and_kept_ones_stay_open(void)
{
	if (!have_sandbox())
		return;
	int fds[2] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
	CU_ASSERT_FATAL(fds[0] >= 0 && fds[1] >= 0);
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.keep_fds = &fds[1];
	cfg.nkeep = 1;
	int status = run(&cfg, do_check_fds, fds);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* at least the one this test opened; the runner may hold others */
	const char *k = strstr(sh->report, "fds closed: ");
	CU_ASSERT_PTR_NOT_NULL(k);
	if (k)
		CU_ASSERT(atoi(k + strlen("fds closed: ")) >= 1);
	char want[32];
	snprintf(want, sizeof want, "nofile=%d ", fds[1] + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, want));
	close(fds[0]);
	close(fds[1]);
}

/* xdrv_sandbox_close_fds alone (no seccomp): the exact count, duplicates and 0..2 in the keep
 * list, and a negative fd refused. */
static void test_close_fds_counts_what_it_closed_and_keeps_the_rest(void)
{
	int status;
	CU_ASSERT_EQUAL(xdrv_sandbox_close_fds((const int[]){5, -1}, 2), -EBADF);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		xdrv_sandbox_close_fds(NULL, 0); /* start from 0, 1, 2 only */
		int a = open("/dev/null", O_RDONLY), b = dup(a), c = dup(a), d = dup(a);
		if (a != 3 || d != 6)
			_exit(10);
		int keep[] = {c, 1, c, 0};
		if (xdrv_sandbox_close_fds(keep, 4) != 3)
			_exit(11);
		if (fcntl(a, F_GETFD) != -1 || fcntl(b, F_GETFD) != -1 || fcntl(d, F_GETFD) != -1 ||
		    fcntl(c, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
			_exit(12);
		_exit(xdrv_sandbox_close_fds(NULL, 0) == 1 ? 0 : 13);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* The two fallbacks of xdrv_sandbox_close_fds, each in a child: close_range refused with
 * ENOSYS by a filter of the test's own (an old kernel, qemu-user), and /proc hidden under an
 * empty tmpfs in a mount namespace of the child (a sandbox without /proc). */
static int close_three_keep_one(void)
{
	xdrv_sandbox_close_fds(NULL, 0);
	int a = open("/dev/null", O_RDONLY), b = dup(a), c = dup(a), d = dup(a);
	if (a != 3 || d != 6)
		return 10;
	int keep[] = {b};
	if (xdrv_sandbox_close_fds(keep, 1) != 3)
		return 11;
	if (fcntl(a, F_GETFD) != -1 || fcntl(c, F_GETFD) != -1 || fcntl(d, F_GETFD) != -1 ||
	    fcntl(b, F_GETFD) < 0)
		return 12;
	return 0;
}

static void test_close_fds_works_without_close_range_and_without_proc(void)
{
	int status;
	pid_t pid;
#ifdef XDRV_HAVE_SECCOMP
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(close_range), 0) < 0 ||
		    seccomp_load(ctx) < 0)
			_exit(20);
		errno = 0;
		if (syscall(SYS_close_range, 100, 200, 0) != -1 || errno != ENOSYS)
			_exit(21);
		_exit(close_three_keep_one());
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
#endif
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0 && unshare(CLONE_NEWNS) != 0)
			_exit(30); /* no mount namespace for this test */
		if (mount("none", "/proc", "tmpfs", 0, NULL) != 0)
			_exit(31);
		if (access("/proc/self/fd", F_OK) == 0)
			_exit(32);
		_exit(close_three_keep_one());
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 30 || WEXITSTATUS(status) == 31))
		fprintf(stderr, "sandbox: no mount namespace here: close_fds without /proc not "
				"tested\n");
	else
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* ---- rlimits ------------------------------------------------------------------------------ */

#ifdef TEST_SANITIZER
static int do_nothing(void *a)
{
	(void)a;
	return 0;
}
#else
/* volatile: the compiler may otherwise drop an allocation whose result is only tested */
static void *volatile sink;

static int do_big_malloc(void *a)
{
	(void)a;
	sink = malloc(1 << 20);
	if (!sink)
		return 10;
	free(sink);
	sink = malloc((size_t)1 << 30); /* four times the room the limit left */
	return sink ? 11 : 0;
}

static uint64_t vm_size_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib * 1024;
}
#endif

static void test_rlimit_as_makes_a_large_malloc_fail(void)
{
	if (!have_sandbox())
		return;
	struct xdrv_sandbox_cfg cfg = host_cfg;
#ifdef TEST_SANITIZER
	cfg.as_bytes = 256 << 20;
	int status = run(&cfg, do_nothing, NULL);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "as=skipped (sanitizer build)"));
#else
	/* this process's mappings (libLLVM and all) plus 256 MiB */
	cfg.as_bytes = vm_size_bytes() + (256 << 20);
	int status = run(&cfg, do_big_malloc, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "sandbox: RLIMIT_AS: status 0x%x, denied %d (%s), %s\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied),
			sh->report);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char want[48];
	snprintf(want, sizeof want, "as=%llu ", (unsigned long long)cfg.as_bytes);
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, want));
#endif
}

static int do_spin(void *a)
{
	(void)a;
	for (volatile unsigned long i = 0;; i++)
		;
	return 1;
}

static void test_rlimit_cpu_ends_a_busy_loop_after_its_seconds(void)
{
	if (!have_sandbox())
		return;
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.cpu_secs = 1;
	pid_t pid = start(&cfg, do_spin, NULL);
	CU_ASSERT_FATAL(pid > 0);
	/* wall-clock bound only against a hang: CPU time is what is asserted (the machine may be
	 * shared, so a second of CPU can take longer than a second) */
	int status = 0;
	struct rusage ru;
	pid_t w = 0;
	for (int i = 0; i < 600 && w == 0; i++) {
		w = wait4(pid, &status, WNOHANG, &ru);
		if (w == 0)
			usleep(50 * 1000);
	}
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CU_FAIL("the busy loop was still running after 30 s");
		return;
	}
	CU_ASSERT_EQUAL(w, pid);
	CU_ASSERT(WIFSIGNALED(status) &&
		  (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL));
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		     ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	/* getrusage's split into user and system time is sampled by ticks and scaled: it can
	 * read a little under the precise run time that RLIMIT_CPU is checked against */
	if (!(cpu >= 0.5 && cpu < 3.0))
		fprintf(stderr,
			"sandbox: RLIMIT_CPU 1 s: the child used %.3f s of CPU, signal %d\n", cpu,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	CU_ASSERT(cpu >= 0.5 && cpu < 3.0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "cpu=1s"));
}

/* ---- what the parent sees: /proc/<pid>/status and /proc/<pid>/ns --------------------------- */

/* The child enters, says so on one pipe, and waits for a byte on another before exiting. */
static int do_wait(void *a)
{
	const int *fds = a; /* [0] entered (write end), [1] go (read end) */
	char c = 'e';
	if (write(fds[0], &c, 1) != 1)
		return 10;
	return read(fds[1], &c, 1) == 1 ? 0 : 11;
}

struct held {
	pid_t pid;
	int entered[2], go[2];
};

static bool hold(struct held *h, const struct xdrv_sandbox_cfg *base)
{
	char c;
	if (pipe(h->entered) != 0 || pipe(h->go) != 0)
		return false;
	int fds[2] = {h->entered[1], h->go[0]};
	struct xdrv_sandbox_cfg cfg = *base;
	cfg.keep_fds = fds;
	cfg.nkeep = 2;
	h->pid = start(&cfg, do_wait, fds);
	close(h->entered[1]);
	close(h->go[0]);
	return h->pid > 0 && read(h->entered[0], &c, 1) == 1;
}

static int release(struct held *h)
{
	int status = -1;
	if (write(h->go[1], "g", 1) != 1)
		kill(h->pid, SIGKILL);
	waitpid(h->pid, &status, 0);
	close(h->entered[0]);
	close(h->go[1]);
	return status;
}

static void test_no_new_privs_and_the_seccomp_filter_are_set(void)
{
	if (!have_sandbox())
		return;
	struct held h;
	CU_ASSERT_FATAL(hold(&h, &host_cfg));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)h.pid);
	unsigned char *st = xtest_read(path, NULL);
	CU_ASSERT_PTR_NOT_NULL(st);
	if (st) {
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)st, "\nNoNewPrivs:\t1\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)st, "\nSeccomp:\t2\n")); /* filter mode */
	}
	free(st);
	int status = release(&h);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool ns_differs(pid_t pid, const char *kind)
{
	char a[64], b[64], la[128] = "", lb[128] = "";
	snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)pid, kind);
	snprintf(b, sizeof b, "/proc/self/ns/%s", kind);
	ssize_t na = readlink(a, la, sizeof la - 1), nb = readlink(b, lb, sizeof lb - 1);
	return na > 0 && nb > 0 && strcmp(la, lb) != 0;
}

/* The report names exactly the namespaces the child is in and the parent is not. */
static void test_namespaces_named_in_the_report_are_the_ones_entered(void)
{
	if (!have_sandbox())
		return;
	static const char *const kinds[] = {"user", "net", "ipc", "uts", "mnt"};
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.namespaces = true;
	struct held h;
	CU_ASSERT_FATAL(hold(&h, &cfg));
	const char *ns = strstr(sh->report, "namespaces ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	ns += strlen("namespaces ");
	size_t len = strcspn(ns, " ("); /* "user,net,ipc,uts,mnt" up to " (...)" or ", fds" */
	if (len && ns[len - 1] == ',')
		len--;
	int entered = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char item[16];
		snprintf(item, sizeof item, ",%s,", kinds[i]);
		char list[64];
		snprintf(list, sizeof list, ",%.*s,", (int)len, ns);
		bool named = strstr(list, item) != NULL;
		bool differs = ns_differs(h.pid, kinds[i]);
		if (named != differs)
			fprintf(stderr,
				"sandbox: namespace %s: named %d, entered %d (report: %s)\n",
				kinds[i], named, differs, sh->report);
		CU_ASSERT_EQUAL(named, differs);
		entered += named;
	}
	/* the tests run as root (CI) or with unprivileged user namespaces: net at least */
	CU_ASSERT(entered >= 1);
	fprintf(stderr, "sandbox: %s\n", sh->report);
	int status = release(&h);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	cfg.namespaces = false;
	CU_ASSERT_FATAL(hold(&h, &cfg));
	CU_ASSERT_PTR_NOT_NULL(strstr(sh->report, "namespaces not asked"));
	CU_ASSERT_FALSE(ns_differs(h.pid, "net"));
	status = release(&h);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- sanitizer builds: an error report inside the sandbox is written whole ----------------- */

#ifdef TEST_SANITIZER
static int do_heap_overflow(void *a)
{
	(void)a;
	char *volatile p = malloc(16);
	return p[16 + (int)(uintptr_t)a]; /* one past the end */
}

static int do_signed_overflow(void *a)
{
	volatile int big = 0x7fffffff;
	return big + 1 + (int)(uintptr_t)a;
}

/* Run body with its stderr into a pipe; the child's status, its stderr in out. */
static int run_capturing(int (*body)(void *), char *out, size_t cap)
{
	int p[2];
	CU_ASSERT_FATAL(pipe(p) == 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(p[1], STDERR_FILENO);
	child_stderr = true;
	pid_t pid = start(&host_cfg, body, NULL);
	child_stderr = false;
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	char sink_buf[4096];
	while ((r = read(p[0], n < cap - 1 ? out + n : sink_buf,
			 n < cap - 1 ? cap - 1 - n : sizeof sink_buf)) > 0)
		if (n < cap - 1)
			n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	int status = -1;
	waitpid(pid, &status, 0);
	return status;
}
#endif

/* AddressSanitizer's and UBSan's reports need nothing the driver host's list denies once
 * xdrv_sandbox_enter has told them (__sanitizer_sandbox_on_notify): the child ends with the
 * sanitizers' exit code 1 and a whole report, not with SIGSYS in the middle of it. */
static void test_sanitizer_reports_are_written_whole_inside_the_sandbox(void)
{
#ifdef TEST_SANITIZER
	if (!have_sandbox())
		return;
	static char out[16384];
	int status = run_capturing(do_heap_overflow, out, sizeof out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fprintf(stderr, "sandbox: ASan report: status 0x%x, denied %d (%s):\n%s\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied), out);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ERROR: AddressSanitizer: heap-buffer-overflow"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "    #0 0x")); /* the frames */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "SUMMARY: AddressSanitizer: heap-buffer-overflow"));
	CU_ASSERT_PTR_NULL(strstr(out, "xdrv sandbox: system call"));

	status = run_capturing(do_signed_overflow, out, sizeof out);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fprintf(stderr, "sandbox: UBSan report: status 0x%x, denied %d (%s):\n%s\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied), out);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "runtime error: signed integer overflow"));
	CU_ASSERT_PTR_NULL(strstr(out, "xdrv sandbox: system call"));
#endif
}

/* ---- bad configurations ------------------------------------------------------------------- */

static void test_enter_refuses_a_kept_fd_that_is_not_open_and_an_unknown_profile(void)
{
	if (!have_sandbox())
		return;
	char *err = NULL;
	int closed_fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_FATAL(closed_fd >= 0);
	close(closed_fd);
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.keep_fds = &closed_fd;
	cfg.nkeep = 1;
	CU_ASSERT_EQUAL(xdrv_sandbox_enter(&cfg, NULL, &err), -EBADF);
	char want[64];
	snprintf(want, sizeof want, "sandbox: keep_fds[0]: fd %d is not open", closed_fd);
	CU_ASSERT_STRING_EQUAL(err ? err : "", want);
	free(err);
	err = NULL;
	cfg = host_cfg;
	cfg.profile = (enum xdrv_sandbox_profile)7;
	CU_ASSERT_EQUAL(xdrv_sandbox_enter(&cfg, NULL, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err ? err : "", "sandbox: profile 7: unknown");
	free(err);
}

/* ---- the compiler profile: LLVM parses bitcode, optimizes and emits an object ------------- */

static const char ir_text[] = "define i32 @sum(ptr %p, i32 %n) {\n"
			      "entry:\n"
			      "  br label %loop\n"
			      "loop:\n"
			      "  %i = phi i32 [ 0, %entry ], [ %i1, %loop ]\n"
			      "  %s = phi i32 [ 0, %entry ], [ %s1, %loop ]\n"
			      "  %q = getelementptr i32, ptr %p, i32 %i\n"
			      "  %v = load i32, ptr %q\n"
			      "  %s1 = add i32 %s, %v\n"
			      "  %i1 = add i32 %i, 1\n"
			      "  %c = icmp slt i32 %i1, %n\n"
			      "  br i1 %c, label %loop, label %done\n"
			      "done:\n"
			      "  ret i32 %s1\n"
			      "}\n";

/* Bitcode made before the sandbox (the compiler process receives bytes over a pipe). */
struct bitcode {
	const char *data;
	size_t len;
};

static int do_compile(void *a)
{
	const struct bitcode *bc = a;
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMMemoryBufferRef buf =
		LLVMCreateMemoryBufferWithMemoryRange(bc->data, bc->len, "driver.bc", 0);
	LLVMModuleRef m = NULL;
	if (LLVMParseBitcodeInContext2(ctx, buf, &m) || !m)
		return 10;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, NULL))
		return 11;
	char *triple = LLVMGetDefaultTargetTriple(), *msg = NULL;
	LLVMTargetRef target;
	if (LLVMGetTargetFromTriple(triple, &target, &msg))
		return 12;
	char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
	LLVMTargetMachineRef tm =
		LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelDefault,
					LLVMRelocPIC, LLVMCodeModelDefault);
	if (!tm)
		return 13;
	LLVMSetTarget(m, triple);
	LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
	LLVMErrorRef e = LLVMRunPasses(m, "default<O2>", tm, opts);
	if (e) {
		LLVMConsumeError(e);
		return 14;
	}
	LLVMMemoryBufferRef obj = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMObjectFile, &msg, &obj) || !obj)
		return 15;
	const char *p = LLVMGetBufferStart(obj);
	if (LLVMGetBufferSize(obj) < 4 || memcmp(p, "\177ELF", 4) != 0)
		return 16;
	/* and the same module through the IR text parser */
	LLVMMemoryBufferRef txt =
		LLVMCreateMemoryBufferWithMemoryRangeCopy(ir_text, sizeof ir_text - 1, "driver.ll");
	LLVMModuleRef m2 = NULL;
	if (LLVMParseIRInContext(ctx, txt, &m2, &msg) || !m2)
		return 17;
	LLVMDisposeMemoryBuffer(obj);
	LLVMDisposePassBuilderOptions(opts);
	LLVMDisposeTargetMachine(tm);
	LLVMDisposeModule(m2);
	LLVMDisposeModule(m);
	LLVMDisposeMessage(cpu);
	LLVMDisposeMessage(features);
	LLVMDisposeMessage(triple);
	LLVMContextDispose(ctx);
	return 0;
}

static void test_compiler_profile_parses_optimizes_and_emits_an_object(void)
{
	if (!have_sandbox())
		return;
	LLVMInitializeNativeTarget();
	LLVMInitializeNativeAsmPrinter();
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMMemoryBufferRef txt =
		LLVMCreateMemoryBufferWithMemoryRangeCopy(ir_text, sizeof ir_text - 1, "driver.ll");
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	CU_ASSERT_FATAL(LLVMParseIRInContext(ctx, txt, &m, &msg) == 0);
	LLVMMemoryBufferRef bcbuf = LLVMWriteBitcodeToMemoryBuffer(m);
	struct bitcode bc = {LLVMGetBufferStart(bcbuf), LLVMGetBufferSize(bcbuf)};
	struct xdrv_sandbox_cfg cfg = {.profile = XDRV_SANDBOX_COMPILER, .namespaces = true};
	int status = run(&cfg, do_compile, &bc);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "sandbox: compiler: status 0x%x, denied %d (%s)\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied));
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	/* and a real driver, where the build has the sample drivers' bitcode (make test does) */
	size_t len = 0;
	unsigned char *drv =
		xtest_read(xtest_path("%s/drivers/dp83820.bc", xtest_build_dir()), &len);
	if (drv) {
		struct bitcode dbc = {(const char *)drv, len};
		status = run(&cfg, do_compile, &dbc);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr,
				"sandbox: compiler, dp83820.bc: status 0x%x, denied %d (%s)\n",
				(unsigned)status, sh->denied,
				xdrv_sandbox_syscall_name(sh->denied));
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		free(drv);
	} else {
		fprintf(stderr, "sandbox: %s/drivers/dp83820.bc not built: the tiny module only\n",
			xtest_build_dir());
	}
	LLVMDisposeMemoryBuffer(bcbuf);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

/* ---- the driver host: ORC links an object and runs it ----------------------------------- */

/* An object emitted before the fork (the supervisor receives it from the compiler process). */
static int emit_object(const char *bc, size_t len, LLVMMemoryBufferRef *obj)
{
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange(bc, len, "driver.bc", 0);
	LLVMModuleRef m = NULL;
	char *triple = LLVMGetDefaultTargetTriple(), *msg = NULL;
	LLVMTargetRef target;
	int rc = -1;
	if (LLVMParseBitcodeInContext2(ctx, buf, &m) == 0 &&
	    LLVMGetTargetFromTriple(triple, &target, &msg) == 0) {
		LLVMTargetMachineRef tm =
			LLVMCreateTargetMachine(target, triple, "", "", LLVMCodeGenLevelDefault,
						LLVMRelocPIC, LLVMCodeModelDefault);
		LLVMSetTarget(m, triple);
		if (tm &&
		    LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMObjectFile, &msg, obj) == 0)
			rc = 0;
		if (tm)
			LLVMDisposeTargetMachine(tm);
	}
	LLVMDisposeMessage(msg);
	LLVMDisposeMessage(triple);
	if (m)
		LLVMDisposeModule(m);
	LLVMDisposeMemoryBuffer(buf); /* the bitcode reader does not take it */
	LLVMContextDispose(ctx);
	return rc;
}

static int do_link_and_run(void *a)
{
	LLVMMemoryBufferRef obj = a;
	LLVMOrcLLJITRef j = NULL;
	LLVMOrcExecutorAddress addr = 0;
	LLVMErrorRef e = LLVMOrcCreateLLJIT(&j, NULL);
	if (e) {
		LLVMConsumeError(e);
		return 10;
	}
	e = LLVMOrcLLJITAddObjectFile(j, LLVMOrcLLJITGetMainJITDylib(j), obj);
	if (e) {
		LLVMConsumeError(e);
		return 11;
	}
	e = LLVMOrcLLJITLookup(j, &addr, "sum");
	if (e || !addr) {
		if (e)
			LLVMConsumeError(e);
		return 12;
	}
	int32_t v[] = {1, 2, 3, 4};
	int32_t (*sum)(const int32_t *, int32_t) = (int32_t(*)(const int32_t *, int32_t))addr;
	if (sum(v, 4) != 10)
		return 13;
	e = LLVMOrcDisposeLLJIT(j);
	if (e) {
		LLVMConsumeError(e);
		return 14;
	}
	return 0;
}

static void test_driver_host_profile_links_an_object_with_orc_and_runs_it(void)
{
	if (!have_sandbox())
		return;
	LLVMInitializeNativeTarget();
	LLVMInitializeNativeAsmPrinter();
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMMemoryBufferRef txt =
		LLVMCreateMemoryBufferWithMemoryRangeCopy(ir_text, sizeof ir_text - 1, "driver.ll");
	LLVMModuleRef m = NULL;
	char *msg = NULL;
	CU_ASSERT_FATAL(LLVMParseIRInContext(ctx, txt, &m, &msg) == 0);
	LLVMMemoryBufferRef bcbuf = LLVMWriteBitcodeToMemoryBuffer(m);
	LLVMMemoryBufferRef obj = NULL;
	CU_ASSERT_FATAL(emit_object(LLVMGetBufferStart(bcbuf), LLVMGetBufferSize(bcbuf), &obj) ==
			0);
	struct xdrv_sandbox_cfg cfg = host_cfg;
	cfg.namespaces = true;
	int status = run(&cfg, do_link_and_run, obj); /* the child owns obj (LLJIT takes it) */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "sandbox: ORC in the driver host: status 0x%x, denied %d (%s)\n",
			(unsigned)status, sh->denied, xdrv_sandbox_syscall_name(sh->denied));
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
	LLVMDisposeMemoryBuffer(obj);
	LLVMDisposeMemoryBuffer(bcbuf);
	LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

XTEST_SUITE(common_sandbox, suite_init, suite_clean,
	    XTEST(test_driver_host_kills_each_forbidden_call_with_sigsys_and_names_it),
	    XTEST(test_a_denied_call_writes_one_line_naming_it_to_stderr),
	    XTEST(test_threads_started_before_enter_are_filtered_too),
	    XTEST(test_driver_host_allows_io_memory_futex_poll_clocks_and_own_signals),
	    XTEST(test_fds_not_kept_are_closed_and_kept_ones_stay_open),
	    XTEST(test_close_fds_counts_what_it_closed_and_keeps_the_rest),
	    XTEST(test_close_fds_works_without_close_range_and_without_proc),
	    XTEST(test_rlimit_as_makes_a_large_malloc_fail),
	    XTEST(test_rlimit_cpu_ends_a_busy_loop_after_its_seconds),
	    XTEST(test_no_new_privs_and_the_seccomp_filter_are_set),
	    XTEST(test_namespaces_named_in_the_report_are_the_ones_entered),
	    XTEST(test_sanitizer_reports_are_written_whole_inside_the_sandbox),
	    XTEST(test_enter_refuses_a_kept_fd_that_is_not_open_and_an_unknown_profile),
	    XTEST(test_compiler_profile_parses_optimizes_and_emits_an_object),
	    XTEST(test_driver_host_profile_links_an_object_with_orc_and_runs_it))
