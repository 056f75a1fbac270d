// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the package reader (sdk_package_read, no extraction) with small caps, so
 * that the cap checks themselves are reached: any bytes must give 0 or an error with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <xdrv/sdk.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sdk_caps caps = {.max_entries = 4,
				      .max_entry_size = 64 * 1024,
				      .max_total_size = 96 * 1024,
				      .max_ratio = 200};
	struct sdk_package p;
	char *err = NULL;
	if (sdk_package_read(data, size, &caps, NULL, &p, &err) == 0) {
		if (!p.bitcode || p.nentries < 2)
			abort(); /* success means a manifest and its bitcode */
		sdk_package_free(&p);
	} else if (!err) {
		abort();
	}
	free(err);
	return 0;
}
