/* SPDX-License-Identifier: MIT */
/*
 * Fault guards: a hardware fault inside a bracket of code becomes a return to that bracket.
 *
 * Driver code runs in the host process. A hardware fault while it runs (a wild pointer, a
 * division by zero, a stack overflow, an illegal instruction) must stop that driver, never the
 * host: the loader's runtime brackets every call into a driver with a guard (LDR_DRIVER_CALL).
 * The device models bracket each copy to or from host memory a driver mapped for DMA
 * (hvb_dma_read/hvb_dma_write), since a driver can free or protect that memory after the map:
 * that copy fails as a DMA fault of the device. The guard's signal handler turns the fault into
 * a return to the innermost bracket. Faults outside any guard keep their normal meaning (the
 * previous handler, or the default action).
 *
 * Use, exactly in this shape (sigsetjmp may only be the whole controlling expression):
 *
 *	struct xdrv_guard g;
 *	xdrv_guard_push(&g);
 *	if (sigsetjmp(g.jb, 0) == 0)   // 0: the handler leaves the signal mask alone
 *		ret = drv_fn(args);          // the guarded code
 *	else
 *		ret = on_fault(g.signo);     // it faulted; g.addr says where
 *	xdrv_guard_pop(&g);
 *
 * Locals written inside the guarded branch and read after a fault must be volatile.
 * Guards nest (a driver calling the host calling a driver, a driver's register write that
 * starts a model's DMA). Thread-safe: guards are per thread. A push and a pop cost no system
 * call (after the first push of a thread), so a guard can bracket work on a data path.
 * XDRV_NO_FAULT_GUARD=1 in the environment leaves the signal handlers alone (for debuggers);
 * a fault then ends the process, as it would without guards.
 */
#ifndef XDRV_FAULT_GUARD_H
#define XDRV_FAULT_GUARD_H

#include <setjmp.h>
#include <stdint.h>

struct xdrv_guard {
	sigjmp_buf jb;
	struct xdrv_guard *outer;
	int signo;	/* after a fault: SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP */
	uintptr_t addr; /* after a fault: the faulting address the kernel reported */
};

/* Make `g` the innermost guard of this thread (installs the handlers and an alternate signal
 * stack on first use). */
void xdrv_guard_push(struct xdrv_guard *g);
/* Remove `g` (and anything inside it) from this thread's guards. */
void xdrv_guard_pop(struct xdrv_guard *g);
/* "SIGSEGV (invalid memory access)" etc. */
const char *xdrv_guard_signame(int signo);

/* A stop the host itself asks for from inside guarded code (the loader's budgets: a driver's
 * code calls the host when it has used up its loop budget or call depth): the innermost guard
 * returns as after a fault, with signo = XDRV_GUARD_STOP (no signal has that number) and addr =
 * `addr`. Does not return while a guard is active; returns at once when none is. */
#define XDRV_GUARD_STOP 0x10000
void xdrv_guard_jump(uintptr_t addr);

#endif
