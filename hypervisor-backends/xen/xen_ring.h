/* SPDX-License-Identifier: MIT */
/*
 * Xen's stock shared-ring headers (io/ring.h, io/netif.h, io/blkif.h from libxen-dev), with the
 * memory barriers they expect the includer to define. Both ends may run at once on different
 * CPUs (the loop transport's backend is another process), so these are real fences: mb orders
 * everything, rmb orders earlier loads before later loads, wmb earlier stores before later
 * stores.
 *
 * Reading a ring: take the other end's producer index once, check it (the number of new
 * entries never exceeds the ring size), rmb, then copy each entry once (RING_COPY_REQUEST /
 * RING_COPY_RESPONSE) and validate the copy: never read a field from the shared page twice.
 */
#ifndef XDRV_XEN_RING_H
#define XDRV_XEN_RING_H

#if __has_include(<xen/io/ring.h>)
#define XDRV_HAVE_XEN_HEADERS 1
#include <stdint.h>

#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

/* Without a version, xen-compat.h picks the legacy interface (0), for which ring.h redefines
 * xen_mb() and friends as the kernel's mb(), rmb(), wmb(). Ask for 0x00040e00 (Xen 4.14, what
 * Debian's libxen-dev calls the latest; ring.h leaves the barriers to us from 0x00030208 on).
 * Xen's own tools get the same from __XEN_TOOLS__. */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/blkif.h>
#include <xen/io/xenbus.h>
#endif

#ifdef XDRV_HAVE_XEN_HEADERS
#include <stdbool.h>
#include <xdrv/util.h>

/* Watch the other end's producer index *idx for up to ns nanoseconds before sleeping on the
 * event channel: true as soon as it differs from `seen`. With both ends awake on their own
 * CPUs, a stream of synchronous requests then needs no system call either way. */
static inline bool xt_spin_for(const RING_IDX *idx, RING_IDX seen, uint64_t ns)
{
	if (!ns)
		return false;
	uint64_t until = xdrv_now_ns() + ns;
	do {
		if (__atomic_load_n(idx, __ATOMIC_RELAXED) != seen)
			return true;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield" ::: "memory");
#else
		__asm__ __volatile__("" ::: "memory");
#endif
	} while (xdrv_now_ns() < until);
	return false;
}
#endif

#endif
