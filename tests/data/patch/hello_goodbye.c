// SPDX-License-Identifier: MIT
/*
 * A live patch of sample-drivers/hello (xdrv build --patch, xdrv pack --patch-for hello.xdrv):
 * hello_remove says goodbye differently, so that a patch applied to a running hello shows at
 * its unload. It replaces one function of the base (same name, same type), keeps a static
 * helper and static constant data of its own, and uses one of the base's static functions,
 * declared here (the loader resolves it to the base's: the patch runs in the base's image).
 */
#include <xdrv/abi.h>

/* The base's state, as hello.c defines it. */
struct hello_state {
	uint32_t greetings;
	uint32_t hash;
	uint64_t fib;
};

/* The base's (static in hello.c): the same name and type. */
uint32_t hello_fnv1a(const char *s);
/* The replacement: the base's type, void (xdrv_device_t *). */
void hello_remove(xdrv_device_t *dev);

static const char patch_note[] = "live-patched";

static void patch_goodbye(uint32_t greetings)
{
	struct xdrv_msg m;
	xdrv_msg_init(&m);
	xdrv_msg_str(&m, "goodbye from hello (");
	xdrv_msg_str(&m, patch_note);
	xdrv_msg_str(&m, ", fnv1a=");
	xdrv_msg_hex(&m, hello_fnv1a(patch_note), 8);
	xdrv_msg_str(&m, "), after ");
	xdrv_msg_u64(&m, greetings);
	xdrv_msg_str(&m, greetings == 1 ? " greeting" : " greetings");
	xdrv_msg_log(&m, XDRV_LOG_INFO);
}

void hello_remove(xdrv_device_t *dev)
{
	struct hello_state *st = xdrv_dev_priv(dev);
	patch_goodbye(st ? st->greetings : 0);
	xdrv_dev_set_priv(dev, NULL);
	xdrv_mem_free(st);
}
