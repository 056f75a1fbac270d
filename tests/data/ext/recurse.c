// SPDX-License-Identifier: MIT
/*
 * Hostile extension: recursion as deep as the frame is long. The extension lint refuses it
 * (`xdrv build --extension` fails with "recursion (depth -> depth)"); the test build packs it
 * anyway with --no-lint (testing loaders only) and signs it, so the loader's own lint of the
 * received bitcode is tested to refuse it too.
 */
#include <xdrv/ext.h>

static uint32_t depth(uint32_t n)
{
	return n == 0 ? 0 : 1 + depth(n - 1);
}

static int32_t recurse_run(xdrv_ext_pkt_t *pkt)
{
	return depth(xdrv_ext_len(pkt)) == 0 ? XDRV_EXT_DROP : XDRV_EXT_PASS;
}

XDRV_EXTENSION(.name = "recurse", .version = "1.0.0", .hooks = XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX,
	       .run = recurse_run);
