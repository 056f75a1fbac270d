// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the measured-boot event log parser (evl_parse, loader/eventlog.c), which
 * `xdrv verify-boot` runs on a log from another machine: any bytes give 0 or an error with a
 * message, never a crash or a leak. A parsed log is serialized and parsed again and must come
 * back byte for byte (what the parser accepts, the writer writes identically), and replays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/boot.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evl l;
	char *err = NULL;
	if (evl_parse(data, size, &l, &err) == 0) {
		uint8_t *b = NULL, pcrs[24][32];
		size_t n = 0;
		if (evl_serialize(&l, &b, &n, &err) != 0 || n != size || memcmp(b, data, n) != 0)
			abort(); /* round trip must hold */
		evl_replay(&l, pcrs);
		free(b);
		evl_free(&l);
	} else if (!err) {
		abort(); /* every failure carries a message */
	}
	free(err);
	return 0;
}
