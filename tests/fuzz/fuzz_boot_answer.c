// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the answer frames of a driver's process (boot_answer_parse,
 * loader/boot_child.c), which `xdrv boot` reads from a child that has run driver code: any bytes
 * give 0 or an error with a message, never a crash. An accepted frame's fields are NUL-ended
 * strings that together are exactly its payload, and the kind is the frame's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/boot_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_answer a;
	char *err = NULL;
	if (boot_answer_parse(data, size, &a, &err) == 0) {
		size_t total = 0;
		if (a.kind != (char)data[2] || a.nfields == 0 || a.nfields > BOOT_ANSWER_FIELDS)
			abort();
		for (size_t i = 0; i < a.nfields; i++) {
			size_t n = strlen(a.field[i]) + 1;
			if (a.field[i] != a.buf + total || memcmp(a.field[i], data + 8 + total, n))
				abort(); /* fields in order, each the frame's bytes */
			total += n;
		}
		if (total != size - 8)
			abort(); /* nothing of the payload left out */
	} else if (!err) {
		abort(); /* every failure carries a message */
	}
	free(err);
	return 0;
}
