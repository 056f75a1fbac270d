// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the classic pcap reader of `xdrv ext test` (cli/pcap.c), which reads a
 * capture from anywhere: any bytes give 0 or an error with a message, never a crash, a leak or
 * a read outside the buffer. A parsed capture is written again (cli/pcap.c's writer) and must
 * parse back to the same records: the same precision and snaplen, timestamps, lengths and bytes.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xpcap p, q;
	char *err = NULL;
	if (xpcap_parse(data, size, &p, &err) != 0) {
		if (!err)
			abort(); /* every failure carries a message */
		free(err);
		return 0;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	if (xpcap_write_header(f, p.nsec, p.snaplen) != 0)
		abort();
	for (size_t i = 0; i < p.n; i++) {
		const struct xpcap_rec *r = &p.recs[i];
		if (r->caplen > p.snaplen || r->caplen > r->origlen)
			abort(); /* the reader let through what it must refuse */
		if (xpcap_write_record(f, r->ts_sec, r->ts_frac, r->data, r->caplen, r->origlen))
			abort();
	}
	fclose(f);
	if (xpcap_parse((const uint8_t *)buf, len, &q, &err) != 0 || q.n != p.n ||
	    q.nsec != p.nsec || q.snaplen != p.snaplen)
		abort(); /* what the writer writes, the reader reads */
	for (size_t i = 0; i < p.n; i++) {
		const struct xpcap_rec *a = &p.recs[i], *b = &q.recs[i];
		if (a->ts_sec != b->ts_sec || a->ts_frac != b->ts_frac || a->caplen != b->caplen ||
		    a->origlen != b->origlen || memcmp(a->data, b->data, a->caplen) != 0)
			abort();
	}
	xpcap_free(&q);
	xpcap_free(&p);
	free(buf);
	return 0;
}
