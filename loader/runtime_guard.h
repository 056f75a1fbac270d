/* SPDX-License-Identifier: MIT */
/*
 * Fault containment for calls into driver code (private to the runtime).
 *
 * Driver code runs in the host process. A hardware fault while it runs (a wild pointer, a
 * division by zero, a stack overflow, an illegal instruction) must stop that driver, never the
 * host: the runtime brackets every call into a driver with a guard, and the guard's signal
 * handler turns the fault into a return to that bracket. Faults outside any guard keep their
 * normal meaning (the previous handler, or the default action).
 *
 * Use, exactly in this shape (sigsetjmp may only be the whole controlling expression):
 *
 *	struct ldr_guard g;
 *	ldr_guard_push(&g);
 *	if (sigsetjmp(g.jb, 0) == 0)   // 0: the handler leaves the signal mask alone
 *		ret = drv_fn(args);          // the driver call
 *	else
 *		ret = on_fault(g.signo);     // the driver faulted; g.addr says where
 *	ldr_guard_pop(&g);
 *
 * Locals written inside the guarded branch and read after a fault must be volatile.
 * Guards nest (a driver calling the host calling a driver). Thread-safe: guards are per thread.
 * XDRV_NO_FAULT_GUARD=1 in the environment leaves the signal handlers alone (for debuggers).
 */
#ifndef XDRV_RUNTIME_GUARD_H
#define XDRV_RUNTIME_GUARD_H

#include <setjmp.h>
#include <stdint.h>

struct ldr_guard {
	sigjmp_buf jb;
	struct ldr_guard *outer;
	int signo;	/* after a fault: SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP */
	uintptr_t addr; /* after a fault: the faulting address the kernel reported */
};

/* Make `g` the innermost guard of this thread (installs the handlers and an alternate signal
 * stack on first use). */
void ldr_guard_push(struct ldr_guard *g);
/* Remove `g` (and anything inside it) from this thread's guards. */
void ldr_guard_pop(struct ldr_guard *g);
/* "SIGSEGV (invalid memory access)" etc. */
const char *ldr_guard_signame(int signo);

#endif
