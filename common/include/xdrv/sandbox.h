/* SPDX-License-Identifier: MIT */
/*
 * Process sandbox: confine the calling process with standard Linux mechanisms before it handles
 * anything hostile. Two users: the driver host (runs JIT-compiled driver code and the device
 * model) and the compiler process (LLVM parsing bitcode from a package).
 *
 * xdrv_sandbox_enter does, in this order:
 *   1. closes every fd but 0, 1, 2 and cfg->keep_fds (close_range, or /proc/self/fd);
 *   2. unshares the namespaces the kernel allows (cfg->namespaces): user first (it grants the
 *      rights for the others without root, and strips root of its capabilities outside), then
 *      net, ipc, uts and mnt, each on its own so that one refused does not stop the others;
 *      PID is not unshared (it only affects children, and the sandbox cannot have any: the
 *      supervisor can start the process in a new PID namespace with clone(CLONE_NEWPID));
 *   3. sets RLIMIT_AS, RLIMIT_CPU (soft limit cfg->cpu_secs: SIGXCPU; hard limit one second
 *      later: SIGKILL, for a process that catches SIGXCPU), RLIMIT_NOFILE, and RLIMIT_CORE 0
 *      (a crash writes no core file of hostile code and data), soft = hard, so they cannot be
 *      raised again (setrlimit is not allowed afterwards anyway); a hard limit already lower
 *      than asked is kept, and the report shows what is in force;
 *   4. PR_SET_NO_NEW_PRIVS;
 *   5. installs a seccomp allow-list (libseccomp) on every thread of the process (TSYNC).
 * What the process has then: the system calls of its profile (below) on the fds it kept, and
 * memory; no file system (no open, no exec), no new processes or threads, no new sockets, no
 * signals to other processes, no namespace or mount changes, no ptrace, no bpf.
 *
 * A system call outside the list is never executed: the kernel raises SIGSYS instead. The
 * handler xdrv_sandbox_enter installs stores the call's number into *cfg->denied_nr (a page the
 * supervisor shares, so it can name the call), writes one line to stderr
 *	xdrv sandbox: system call openat (257) denied; the process ends
 * and ends the process with SIGSYS (WTERMSIG == SIGSYS for the parent). Exceptions, where the
 * process still dies of SIGSYS but without the line and the number: a denied call made while
 * SIGSYS is blocked (glibc's pthread_create blocks every signal around its clone3; the kernel
 * then kills without calling the handler), and a call of another ABI (int 0x80 on x86-64,
 * x32), which kills at once. A hostile driver can replace the handler (rt_sigaction is
 * allowed) and carry on after a denied call, but the denied call still never runs: the
 * handler is a report, not the enforcement.
 *
 * Profiles (the exact lists are in common/sandbox.c: driver_host_calls, compiler_calls):
 *   XDRV_SANDBOX_DRIVER_HOST: read, write, readv, writev, pread64, pwrite64, preadv, pwritev,
 *     close, lseek, fstat, newfstatat (stdio), fcntl; fdatasync, fsync, ftruncate on files it
 *     holds (a disk image's flush, a memfd that grows, an output file); wait4, waitid (a child
 *     made before entering, the xen transport's reaper, is reaped at the end); sendmsg, recvmsg,
 *sendto, recvfrom, getsockopt, shutdown on sockets it holds; futex, poll, ppoll, select, pselect6,
 *     epoll_wait, epoll_pwait, epoll_pwait2, epoll_ctl, timerfd_settime, timerfd_gettime,
 *     pause, rt_sigsuspend;
 *     mmap, munmap, mprotect, madvise, mremap, brk, membarrier; clock_gettime, clock_getres,
 *     clock_nanosleep, nanosleep, gettimeofday; getpid, gettid, getrusage; rt_sigaction,
 *     rt_sigprocmask, rt_sigreturn, sigaltstack; exit, exit_group, restart_syscall,
 *     sched_yield, getrandom, rseq; sysinfo (glibc's qsort asks sysconf(_SC_PHYS_PAGES), and
 *     LLVM's code generator sorts); kill and tgkill with this process's pid only; ioctl with
 *     any request on the fds it holds (TAP and Xen devices) but TIOCSTI and TIOCLINUX, which
 *     push input into a terminal (denied whatever the upper 32 bits of the register say).
 *     Names an architecture lacks (poll, select, epoll_wait on arm64) are skipped. ORC's
 *     LLJIT can be created, link an object and run it inside (tests/common/test_sandbox.c).
 *     Denied, among all the rest: open, openat, openat2, creat, execve, execveat, fork,
 *     vfork, clone, clone3 (so no threads either), socket, connect, bind, listen, accept,
 *     pipe, ptrace, process_vm_*, setns, unshare, mount, bpf, userfaultfd, io_uring_*,
 *     memfd_create, and prctl: glibc and the sanitizer runtimes do not need it once running
 *     (LeakSanitizer's exit check does, see below), and it can change what the process is
 *     (PR_SET_DUMPABLE, which reopens /proc/<pid>/mem to others of the same uid; PR_SET_MM).
 *   XDRV_SANDBOX_COMPILER: the driver host's list plus what LLVM needs to parse bitcode,
 *     optimize and emit an object into memory, which is measured to be nothing more (the
 *     compile of every sample driver makes brk, futex, mmap, munmap and sysinfo calls only).
 *     LLVM must be given everything it would read from files before entering (targets are
 *     registered in memory by LLVMInitializeNative*; on arm64 and ppc64 LLVMGetHostCPUName
 *     reads /proc/cpuinfo: call it before entering there).
 *
 * Sanitizer builds (SAN=1: AddressSanitizer, UndefinedBehaviorSanitizer, LeakSanitizer), as
 * found by running tests/common/test_sandbox.c under them:
 *   - RLIMIT_AS is not applied: ASan reserves terabytes of shadow address space; the report
 *     says "as=skipped (sanitizer build)".
 *   - Before the filter, xdrv_sandbox_enter calls __sanitizer_sandbox_on_notify (the
 *     sanitizers' notice of a sandbox: it caches /proc/self/maps, but the symbolizer reads
 *     the file again all the same) and looks up one pc's module, which fills the
 *     symbolizer's module list: an error report refreshes that list from /proc/self/maps
 *     (openat: SIGSYS in the middle of the report) only while it is empty.
 *   - pipe and pipe2 fail with EPERM instead of SIGSYS: a report starts llvm-symbolizer (a
 *     pipe, then fork and exec) when it is in PATH; with the pipe refused the sanitizer warns
 *     "Can't create a socket pair to start external symbolizer" and prints the frames as
 *     module+offset (symbolize them offline: llvm-symbolizer --obj=MODULE OFFSET).
 *   So an ASan or UBSan report inside the sandbox is written whole and the process ends with
 *   the sanitizer's exit code 1, not SIGSYS. Nothing else is added: the allocator needs only
 *   mmap, munmap and madvise, and the report write and exit_group.
 *   - A fault caught by a fault guard (xdrv/fault_guard.h) leaves the handler on the alternate
 *     stack with siglongjmp, and ASan then asks pthread_getattr_np for the thread's stack;
 *     glibc reads /proc/self/maps for that when the thread is the main one. common/sandbox.c
 *     defines pthread_getattr_np in sanitizer builds (the executable's definition comes
 *     first): the thread that entered gets the stack glibc reported before the filter, every
 *     other call goes to glibc's. Without that, a driver fault caught on the main thread would
 *     end the process with SIGSYS (openat) in a SAN=1 build.
 *   - LeakSanitizer's check at exit calls prctl, then clone and ptrace (StopTheWorld), which
 *     stay denied: a sandboxed process must leave with fflush + _exit (or die), never with
 *     exit() or a return from main, in a build with LeakSanitizer, or it dies of SIGSYS
 *     (prctl) at exit. tests/common/test_sandbox.c's children leave that way.
 *
 * Builds without libseccomp (cross builds, where the target's libseccomp is not installed:
 * XDRV_HAVE_SECCOMP unset) have no sandbox: xdrv_sandbox_enter fails with -ENOSYS and a
 * message saying so, before it changes anything.
 *
 * Not thread-safe against itself (call it once, from one thread); other threads of the process
 * are filtered too (TSYNC), but the user namespace cannot be entered by a process with
 * threads (the report then says "user: EINVAL").
 */
#ifndef XDRV_SANDBOX_H
#define XDRV_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xdrv_sandbox_profile {
	XDRV_SANDBOX_DRIVER_HOST,
	XDRV_SANDBOX_COMPILER,
};

struct xdrv_sandbox_cfg {
	enum xdrv_sandbox_profile profile;
	const int *keep_fds; /* fds kept open besides 0, 1, 2 (may be NULL when nkeep is 0) */
	size_t nkeep;
	uint64_t as_bytes; /* RLIMIT_AS; 0: none. Not applied in sanitizer builds (see above) */
	uint64_t cpu_secs; /* RLIMIT_CPU soft limit (the hard one is a second more); 0: none */
	uint64_t nofile;   /* RLIMIT_NOFILE; 0: highest kept fd + 1 (at least 3) */
	bool namespaces;   /* unshare user, net, ipc, uts, mnt as far as the kernel allows */
	/* May be NULL: where the SIGSYS handler stores the number of a denied system call before
	 * the process dies (point it into a MAP_SHARED page so the supervisor can name it with
	 * xdrv_sandbox_syscall_name). */
	volatile int *denied_nr;
};

/* What xdrv_sandbox_enter did, one line:
 * "seccomp allow-list (59 system calls), no_new_privs, rlimits as=none cpu=2s nofile=6 core=0,
 *  namespaces user,net,ipc,uts,mnt, fds closed: 4"; namespaces that could not be entered
 *  follow in parentheses with their errno name: "namespaces net,ipc,uts (user: EINVAL, mnt:
 *  EINVAL)", "namespaces not asked" without cfg->namespaces; in sanitizer builds with
 *  cfg->as_bytes set: "as=skipped (sanitizer build)". */
struct xdrv_sandbox_report {
	char text[512];
};

/* Close every fd >= 3 that is not in keep[0..nkeep) (duplicates and 0..2 in keep are fine).
 * Returns the number of fds it closed, or a negative errno (-EBADF for a negative fd in keep,
 * -ENOMEM). Lists the open fds in /proc/self/fd (for the count), then closes the gaps between
 * kept fds with close_range, or the listed fds one by one where close_range is missing (kernel
 * before 5.9, qemu-user). Without /proc it probes every fd below RLIMIT_NOFILE (at most 65536)
 * with fcntl and closes what it finds, then close_range for any above. */
int xdrv_sandbox_close_fds(const int *keep, size_t nkeep);

/* Confine the calling process as described at the top of this file. rep (may be NULL) gets
 * the one-line report. Returns 0, or a negative errno with *err set ("sandbox: seccomp: load:
 * ..."); on failure the process may be partly confined (fds closed, namespaces entered,
 * limits set), and the caller must end it rather than run anything hostile in it. */
int xdrv_sandbox_enter(const struct xdrv_sandbox_cfg *cfg, struct xdrv_sandbox_report *rep,
		       char **err);

/* The name of system call `nr` of this architecture ("openat"), for the supervisor's report;
 * "syscall 1234" (in a per-thread buffer, valid until the next call) for numbers libseccomp
 * does not know, and in builds without libseccomp. */
const char *xdrv_sandbox_syscall_name(int nr);

/* True once xdrv_sandbox_enter installed the seccomp filter in this process (for code that
 * would otherwise make a call the filter denies, io_uring_setup say, and can do without). */
bool xdrv_sandbox_entered(void);

/* True when xdrv_sandbox_enter can install the seccomp filter in this build. */
bool xdrv_sandbox_available(void);

#endif
