// SPDX-License-Identifier: MIT
/*
 * Tests for common/fault_guard.c: a fault inside a guard returns to the innermost guard with the
 * signal and the address, guards nest (the inner one catches, the outer one is still there
 * after it is popped), and SIGTRAP is caught like the others. The faulting reads are on pages
 * this test maps without access, so what faults is known exactly.
 */
#include "../xtest.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xdrv/fault_guard.h>

static uint8_t *no_access_page(void)
{
	uint8_t *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	return p;
}

__attribute__((noinline)) static uint8_t read_byte(const volatile uint8_t *p)
{
	return *p;
}

static void test_a_fault_returns_to_the_innermost_guard_with_its_address(void)
{
	uint8_t *page = no_access_page();
	struct xdrv_guard outer, inner;
	volatile int inner_caught = 0, outer_caught = 0, after_inner = 0;
	xdrv_guard_push(&outer);
	if (sigsetjmp(outer.jb, 0) == 0) {
		xdrv_guard_push(&inner);
		if (sigsetjmp(inner.jb, 0) == 0)
			(void)read_byte(page + 100);
		else
			inner_caught = 1;
		xdrv_guard_pop(&inner);
		after_inner = 1;
		(void)read_byte(page + 200); /* the outer guard's now */
	} else {
		outer_caught = 1;
	}
	xdrv_guard_pop(&outer);
	CU_ASSERT_EQUAL(inner_caught, 1);
	CU_ASSERT_EQUAL(after_inner, 1);
	CU_ASSERT_EQUAL(outer_caught, 1);
	CU_ASSERT_EQUAL(inner.signo, SIGSEGV);
	CU_ASSERT_EQUAL(inner.addr, (uintptr_t)(page + 100));
	CU_ASSERT_EQUAL(outer.signo, SIGSEGV);
	CU_ASSERT_EQUAL(outer.addr, (uintptr_t)(page + 200));
	munmap(page, (size_t)sysconf(_SC_PAGESIZE));
}

static void test_a_guard_without_a_fault_leaves_signo_zero(void)
{
	struct xdrv_guard g;
	volatile int ran = 0;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0)
		ran = 1;
	xdrv_guard_pop(&g);
	CU_ASSERT_EQUAL(ran, 1);
	CU_ASSERT_EQUAL(g.signo, 0);
	CU_ASSERT_EQUAL(g.addr, 0);
}

/* llvm.trap is a breakpoint on arm64 and ppc64 (SIGTRAP), not SIGILL as on x86-64: the guard
 * catches SIGTRAP too, here raised directly so that the test means the same on every host. */
static void test_sigtrap_in_a_guard_is_caught(void)
{
	struct xdrv_guard g;
	volatile int reached = 0;
	xdrv_guard_push(&g);
	if (sigsetjmp(g.jb, 0) == 0) {
		raise(SIGTRAP);
		reached = 1;
	}
	xdrv_guard_pop(&g);
	CU_ASSERT_EQUAL(reached, 0);
	CU_ASSERT_EQUAL(g.signo, SIGTRAP);
	CU_ASSERT_STRING_EQUAL(xdrv_guard_signame(SIGTRAP),
			       "SIGTRAP (trap or breakpoint instruction)");
}

XTEST_SUITE(common_fault_guard, NULL, NULL,
	    XTEST(test_a_fault_returns_to_the_innermost_guard_with_its_address),
	    XTEST(test_a_guard_without_a_fault_leaves_signo_zero),
	    XTEST(test_sigtrap_in_a_guard_is_caught))
