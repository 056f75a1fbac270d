// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: CDBs and data into the SCSI disk target (models/scsi_disk.c), as any
 * transport would hand them over. A fresh target per input with LUN 0 = ram:128K and LUN 1 =
 * ram:4K (max transfer 256 blocks), power-on unit attentions pending. The input is a sequence
 * of commands:
 *   byte 0       LUN (& 7: 0, 1 exist; 2..7 are absent LUNs); bit 7: reset the target first
 *   byte 1       CDB length (% 33)
 *   CDB bytes
 *   2 bytes      data-in capacity (little-endian, % 64 KiB + 1)
 *   2 bytes      data-out length (little-endian, % 64 KiB + 1); data-out bytes are the input
 *                repeated
 * Invariants checked besides crashes and sanitizer reports: status GOOD or CHECK CONDITION;
 * sense is 0 or 18 bytes of fixed format (70h, additional length 10) and comes only with
 * CHECK CONDITION; data-in never exceeds the capacity and is never produced with sense; a
 * callback is never asked for bytes outside the buffers.
 */
#include "../../hypervisor-backends/models/scsi_disk.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb.h>
#include <xdrv/hvb_disk.h>

static void quiet(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

struct bufs {
	const uint8_t *src;
	size_t src_len;
	uint64_t out_len, in_cap;
	uint8_t in[65536];
};

static int get_out(void *ctx, uint64_t off, void *dst, uint64_t len)
{
	struct bufs *b = ctx;
	if (off + len > b->out_len || b->src_len == 0)
		__builtin_trap();
	for (uint64_t i = 0; i < len; i++)
		((uint8_t *)dst)[i] = b->src[(off + i) % b->src_len];
	return 0;
}

static int put_in(void *ctx, uint64_t off, const void *src, uint64_t len)
{
	struct bufs *b = ctx;
	if (off + len > b->in_cap)
		__builtin_trap();
	memcpy(b->in + off, src, len);
	return 0;
}

static struct bufs B;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scsi_target *t = NULL;
	struct hvb_disk *d0 = NULL, *d1 = NULL;
	char *err = NULL;
	hvb_set_log(quiet, NULL);
	if (scsi_target_create("fz", 256, &t, &err) ||
	    hvb_disk_open("ram:128K", false, &d0, &err) || scsi_target_add(t, d0, &err) ||
	    hvb_disk_open("ram:4K", false, &d1, &err) || scsi_target_add(t, d1, &err))
		__builtin_trap();
	const struct scsi_xfer x = {get_out, put_in, &B, NULL};
	B.src = data;
	B.src_len = size;
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t sel = data[i++];
		uint32_t cdb_len = data[i++] % 33u;
		if (size - i < cdb_len + 4u)
			break;
		uint8_t cdb[32];
		memcpy(cdb, data + i, cdb_len);
		i += cdb_len;
		B.in_cap = (data[i] | (uint32_t)data[i + 1] << 8) % 65536u + 1;
		B.out_len = (data[i + 2] | (uint32_t)data[i + 3] << 8) % 65536u + 1;
		i += 4;
		if (sel & 0x80)
			scsi_target_reset(t);
		struct scsi_cmd c = {
			.cdb = cdb, .cdb_len = cdb_len, .out_len = B.out_len, .in_cap = B.in_cap};
		if (scsi_target_exec(t, sel & 7, &c, &x) != 0)
			__builtin_trap(); /* the callbacks never fail here */
		if (c.status != 0x00 && c.status != 0x02)
			__builtin_trap();
		if ((c.status == 0x02) != (c.sense_len == SCSI_SENSE_LEN))
			__builtin_trap();
		if (c.sense_len && (c.sense[0] != 0x70 || c.sense[7] != 10 || c.in_len))
			__builtin_trap();
		if (c.in_len > c.in_cap)
			__builtin_trap();
	}
	scsi_target_destroy(t);
	return 0;
}
