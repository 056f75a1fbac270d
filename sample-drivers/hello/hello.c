// SPDX-License-Identifier: MIT
/*
 * hello: the smallest complete xdrv driver. It binds to the `null` device model (platform
 * compatible "xdrv,null", or a board's "xdrv,hello"), greets `greeting_count` times through the
 * ABI's log, and shows a value it computed so a reviewer can see the code really ran: an FNV-1a
 * hash of its greeting and a Fibonacci number. It is split into several small functions on
 * purpose, so that lazy JIT compilation has something to defer (remove is compiled only when
 * the driver is unloaded).
 *
 * Written against <xdrv/abi.h> only: freestanding C11, no libc.
 */
#include <xdrv/abi.h>

#define HELLO_GREETING "hello from a JIT-compiled xdrv driver"

/* How many times probe greets; the loader specializes it into a constant when it JITs. */
XDRV_PARAM(uint32_t, greeting_count) = 1;

struct hello_state {
	uint32_t greetings; /* how many were logged */
	uint32_t hash;	    /* FNV-1a of the greeting */
	uint64_t fib;
};

/* FNV-1a, 32-bit: a value anyone can recompute (`printf %s ... | fnv1a`) to check the run. */
static uint32_t hello_fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

/* fib(n) iteratively: a loop for the loader's back-edge budget to see. */
static uint64_t hello_fib(uint32_t n)
{
	uint64_t a = 0, b = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = a + b;
		a = b;
		b = t;
	}
	return a;
}

static void hello_log_abi(void)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "built against driver ABI ");
	xdrv_msg_u64(&m, XDRV_ABI_VERSION_MAJOR);
	xdrv_msg_chr(&m, '.');
	xdrv_msg_u64(&m, XDRV_ABI_VERSION_MINOR);
	xdrv_msg_chr(&m, '.');
	xdrv_msg_u64(&m, XDRV_ABI_VERSION_PATCH);
	xdrv_msg_str(&m, " (");
	xdrv_msg_u64(&m, XDRV_ABI_VERSION);
	xdrv_msg_chr(&m, ')');
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static uint32_t hello_greet(uint32_t count)
{
	uint32_t n = count < 1 ? 1 : count > 8 ? 8 : count; /* the declared range, defensively */
	for (uint32_t i = 1; i <= n; i++) {
		struct xdrv_msg m;
		xdrv_msg_init(&m);
		xdrv_msg_str(&m, HELLO_GREETING);
		if (n > 1) {
			xdrv_msg_str(&m, " (");
			xdrv_msg_u64(&m, i);
			xdrv_msg_str(&m, " of ");
			xdrv_msg_u64(&m, n);
			xdrv_msg_chr(&m, ')');
		}
		xdrv_msg_log(&m, XDRV_LOG_INFO);
	}
	return n;
}

static void hello_log_values(const struct hello_state *st)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "computed: fnv1a(greeting)=");
	xdrv_msg_hex(&m, st->hash, 8);
	xdrv_msg_str(&m, " fib(50)=");
	xdrv_msg_u64(&m, st->fib);
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

static int32_t hello_probe(xdrv_device_t *dev)
{
	struct hello_state *st = xdrv_mem_alloc(sizeof *st);
	if (!st) {
		xdrv_log(XDRV_LOG_ERROR, "hello: out of memory");
		return XDRV_ENOMEM;
	}
	st->greetings = hello_greet(xdrv_param_greeting_count);
	st->hash = hello_fnv1a(HELLO_GREETING);
	st->fib = hello_fib(50);
	hello_log_abi();
	hello_log_values(st);
	xdrv_dev_set_priv(dev, st);
	return XDRV_OK;
}

static void hello_remove(xdrv_device_t *dev)
{
	struct hello_state *st = xdrv_dev_priv(dev);
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "goodbye from hello, after ");
	xdrv_msg_u64(&m, st ? st->greetings : 0);
	xdrv_msg_str(&m, st && st->greetings == 1 ? " greeting" : " greetings");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
	xdrv_dev_set_priv(dev, NULL);
	xdrv_mem_free(st);
}

static const struct xdrv_match hello_match[] = {
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,null"},
	{.bus = XDRV_BUS_PLATFORM, .compatible = "xdrv,hello"},
	{.bus = 0},
};

static const struct xdrv_param hello_params[] = {
	XDRV_PARAM_ENTRY(XDRV_PARAM_U32, greeting_count, 1, 1, 8, "how many times probe greets"),
	XDRV_PARAM_END,
};

XDRV_DRIVER(.name = "hello", .version = "1.0.0", .match = hello_match, .params = hello_params,
	    .probe = hello_probe, .remove = hello_remove);
