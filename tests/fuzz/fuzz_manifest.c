// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the manifest parser (sdk_manifest_parse): any bytes must give 0 or an
 * error with a message, never a crash or a leak. A parsed manifest is written back and parsed
 * again, which must succeed: what the parser accepts, the writer can express.
 */
#include <stdint.h>
#include <stdlib.h>
#include <xdrv/sdk.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdk_manifest m, m2;
	char *err = NULL, *json = NULL;
	size_t len = 0;
	if (sdk_manifest_parse((const char *)data, size, &m, &err) == 0) {
		if (sdk_manifest_write(&m, &json, &len, &err) != 0 ||
		    sdk_manifest_parse(json, len, &m2, &err) != 0)
			abort(); /* round trip must hold */
		sdk_manifest_free(&m2);
		sdk_manifest_free(&m);
	} else if (!err) {
		abort(); /* every failure carries a message */
	}
	free(json);
	free(err);
	return 0;
}
