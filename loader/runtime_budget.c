// SPDX-License-Identifier: MIT
/*
 * The host side of the budgets loader/budget.c compiles into driver code: the state it counts in
 * (__xdrv_budget, zeroed at each outermost entry into driver code by ldr_enter) and the function
 * it calls when a limit is used up (__xdrv_budget_exhausted). That function never returns to the
 * driver: it jumps to the fault guard of the call into the driver (LDR_DRIVER_CALL), which stops
 * the driver like a fault (runtime_fault.c) with the message kept here. No LLVM in this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldr_jit.h"
#include "runtime_priv.h"

struct ldr_budget_state ldr_budget_g;

/* the last stop on this thread, for ldr_driver_fault */
static _Thread_local struct {
	uint32_t kind;
	uint64_t limit;
	char fn[128];
} last;

void *ldr_budget_state_addr(void)
{
	return &ldr_budget_g;
}

void ldr_budget_exhausted(uint32_t kind, uint64_t limit, const char *fn)
{
	last.kind = kind == LDR_STOP_CALL_DEPTH ? LDR_STOP_CALL_DEPTH : LDR_STOP_LOOP_BUDGET;
	last.limit = limit;
	/* the loader's own constant string in the image (budget.c), at most 120 bytes */
	size_t n = fn ? strnlen(fn, sizeof last.fn - 1) : 0;
	memcpy(last.fn, fn ? fn : "", n);
	last.fn[n] = '\0';
	xdrv_guard_jump((uintptr_t)fn);
	/* no guard: driver code called outside LDR_DRIVER_CALL (never by the runtime) */
	char msg[256];
	ldr_budget_last_stop(msg, sizeof msg);
	fprintf(stderr, "xdrv loader: %s outside any guarded call into a driver; aborting\n", msg);
	abort();
}

uint32_t ldr_budget_last_stop(char *buf, size_t len)
{
	const char *fn = last.fn; /* the driver's bytes: sinks escape what they show */
	if (last.kind == LDR_STOP_CALL_DEPTH)
		snprintf(buf, len, "call depth limit of %llu exceeded in function %s",
			 (unsigned long long)last.limit, fn);
	else
		snprintf(buf, len, "loop budget of %llu back edges exhausted in function %s",
			 (unsigned long long)last.limit, fn);
	return last.kind ? last.kind : LDR_STOP_LOOP_BUDGET;
}
