// SPDX-License-Identifier: MIT
/*
 * Fault guards: see xdrv/fault_guard.h for the contract. The handler runs on an alternate stack
 * (so a driver that overflows its stack is caught too) and jumps back to the innermost guard of
 * the faulting thread; a fault with no guard active is passed to whatever handler was installed
 * before ours (AddressSanitizer's, say), or gets the default action. What a fault means is the
 * guard's user's business: the loader stops a driver (loader/runtime_fault.c), a device model
 * reports a DMA fault (hypervisor-backends/device.c).
 */
#define _GNU_SOURCE 1
#include <xdrv/fault_guard.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* SIGTRAP: llvm.trap is an illegal instruction on x86-64 (ud2, SIGILL) but a breakpoint on
 * arm64 (brk) and ppc64 (tw), which the kernel reports as SIGTRAP. */
static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
#define NSIG_GUARDED (sizeof guarded_signals / sizeof guarded_signals[0])

static struct sigaction previous[NSIG_GUARDED];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
/* set when install() is done: a push reads it rather than calling pthread_once (pushes are on
 * data paths: every guarded DMA copy) */
static bool installed;
static _Thread_local struct xdrv_guard *innermost;
static _Thread_local void *altstack;
static _Thread_local bool altstack_ok; /* ours or someone else's: checked once per thread */

/* 64 KiB: room for the handler and for ASan's report if the fault is not ours. */
#define ALTSTACK_SIZE (64u * 1024u)

static void chain(int signo, siginfo_t *info, void *uctx)
{
	for (size_t i = 0; i < NSIG_GUARDED; i++) {
		if (guarded_signals[i] != signo)
			continue;
		const struct sigaction *old = &previous[i];
		if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
			old->sa_sigaction(signo, info, uctx);
			return;
		}
		if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
			old->sa_handler(signo);
			return;
		}
	}
	/* default action: restore it and return, so the faulting instruction runs again and the
	 * process dies as it would have without us; a trap (int3, raise) does not run again, so
	 * it is raised again (SA_NODEFER: delivered now) */
	signal(signo, SIG_DFL);
	if (signo == SIGTRAP)
		raise(SIGTRAP);
}

static void on_fault(int signo, siginfo_t *info, void *uctx)
{
	struct xdrv_guard *g = innermost;
	if (!g) {
		chain(signo, info, uctx);
		return;
	}
	g->signo = signo;
	g->addr = (uintptr_t)(info ? info->si_addr : NULL);
	innermost = g->outer;
	siglongjmp(g->jb, signo);
}

static void install(void)
{
	if (!getenv("XDRV_NO_FAULT_GUARD")) {
		for (size_t i = 0; i < NSIG_GUARDED; i++) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_sigaction = on_fault;
			sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
			sigemptyset(&sa.sa_mask);
			sigaction(guarded_signals[i], &sa, &previous[i]);
		}
	}
	/* last: a thread that sees it set skips pthread_once, so the handlers must be in place */
	__atomic_store_n(&installed, true, __ATOMIC_RELEASE);
}

static void ensure_altstack(void)
{
	/* a flag, not a sigaltstack() query per push: guards bracket data-path work (DMA copies) */
	if (altstack_ok)
		return;
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
	    cur.ss_size >= ALTSTACK_SIZE) {
		altstack_ok = true; /* someone (ASan) already gave this thread one, big enough */
		return;
	}
	void *mem = malloc(ALTSTACK_SIZE);
	if (!mem)
		return;
	stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
	if (sigaltstack(&ss, NULL) != 0) {
		free(mem);
		return;
	}
	altstack = mem; /* lives as long as the thread; a few KiB per thread that ran drivers */
	altstack_ok = true;
}

void xdrv_guard_push(struct xdrv_guard *g)
{
	if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		pthread_once(&install_once, install);
	ensure_altstack();
	g->signo = 0;
	g->addr = 0;
	g->outer = innermost;
	innermost = g;
}

void xdrv_guard_pop(struct xdrv_guard *g)
{
	/* after a fault the handler already unlinked g; either way the outer guard is next */
	innermost = g->outer;
}

void xdrv_guard_jump(uintptr_t addr)
{
	struct xdrv_guard *g = innermost;
	if (!g)
		return;
	g->signo = XDRV_GUARD_STOP;
	g->addr = addr;
	innermost = g->outer;
	siglongjmp(g->jb, 1);
}

const char *xdrv_guard_signame(int signo)
{
	switch (signo) {
	case XDRV_GUARD_STOP:
		return "stop (requested by the host)";
	case SIGSEGV:
		return "SIGSEGV (invalid memory access)";
	case SIGBUS:
		return "SIGBUS (bus error)";
	case SIGFPE:
		return "SIGFPE (arithmetic fault, e.g. division by zero)";
	case SIGILL:
		return "SIGILL (illegal instruction)";
	case SIGTRAP:
		return "SIGTRAP (trap or breakpoint instruction)";
	default:
		return "signal";
	}
}
