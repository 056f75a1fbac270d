// SPDX-License-Identifier: MIT
/*
 * Tests for cli/pcap.c, the capture reader and writer of `xdrv ext test`: both byte orders and
 * both precisions read to the same records; what the writer writes reads back; each defect is
 * refused with the record's index and the field (magic, version, snaplen, linktype, header and
 * data cut short, caplen over snaplen or origlen, sub-second part).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/pcap.h"
#include "../xtest.h"

/* A capture of two records (60 and 14 bytes) in byte order `be`, precision `ns`. */
static size_t make(uint8_t *b, int be, int ns, uint32_t snaplen)
{
	size_t o = 0;
#define W32(v)                                                                                     \
	do {                                                                                       \
		uint32_t v_ = (v);                                                                 \
		for (int k = 0; k < 4; k++)                                                        \
			b[o + (size_t)k] = (uint8_t)(v_ >> (be ? 8 * (3 - k) : 8 * k));            \
		o += 4;                                                                            \
	} while (0)
#define W16(v)                                                                                     \
	do {                                                                                       \
		b[o] = (uint8_t)(be ? (v) >> 8 : (v));                                             \
		b[o + 1] = (uint8_t)(be ? (v) : (v) >> 8);                                         \
		o += 2;                                                                            \
	} while (0)
	W32(ns ? 0xa1b23c4du : 0xa1b2c3d4u);
	W16(2);
	W16(4);
	W32(0);
	W32(0);
	W32(snaplen);
	W32(1);
	for (uint32_t r = 0; r < 2; r++) {
		uint32_t len = r ? 14 : 60;
		W32(1000 + r);
		W32(ns ? 999999999u : 999999u);
		W32(len);
		W32(len + r);
		for (uint32_t i = 0; i < len; i++)
			b[o++] = (uint8_t)(i + r);
	}
	return o;
#undef W32
#undef W16
}

static void test_orders_and_precisions(void)
{
	uint8_t b[256];
	for (int be = 0; be < 2; be++)
		for (int ns = 0; ns < 2; ns++) {
			size_t n = make(b, be, ns, 128);
			struct xpcap p;
			char *err = NULL;
			CU_ASSERT_EQUAL_FATAL(xpcap_parse(b, n, &p, &err), 0);
			CU_ASSERT_EQUAL(p.n, 2);
			CU_ASSERT_EQUAL(p.nsec, ns);
			CU_ASSERT_EQUAL(p.swapped, be);
			CU_ASSERT_EQUAL(p.snaplen, 128);
			CU_ASSERT_EQUAL(p.recs[0].caplen, 60);
			CU_ASSERT_EQUAL(p.recs[1].caplen, 14);
			CU_ASSERT_EQUAL(p.recs[1].origlen, 15);
			CU_ASSERT_EQUAL(p.recs[1].ts_sec, 1001);
			CU_ASSERT_EQUAL(p.recs[1].ts_frac, ns ? 999999999u : 999999u);
			CU_ASSERT_EQUAL(p.recs[1].data[13], 14);
			/* written (little-endian) and read back */
			char *w = NULL;
			size_t wl = 0;
			FILE *f = open_memstream(&w, &wl);
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			CU_ASSERT_EQUAL(xpcap_write_header(f, p.nsec, p.snaplen), 0);
			for (size_t i = 0; i < p.n; i++)
				CU_ASSERT_EQUAL(xpcap_write_record(f, p.recs[i].ts_sec,
								   p.recs[i].ts_frac,
								   p.recs[i].data, p.recs[i].caplen,
								   p.recs[i].origlen),
						0);
			fclose(f);
			uint8_t le[256];
			CU_ASSERT_EQUAL(wl, make(le, 0, ns, 128));
			CU_ASSERT_EQUAL(memcmp(w, le, wl), 0);
			free(w);
			xpcap_free(&p);
		}
}

static void refused(const uint8_t *b, size_t n, const char *want)
{
	struct xpcap p;
	char *err = NULL;
	CU_ASSERT_NOT_EQUAL(xpcap_parse(b, n, &p, &err), 0);
	CU_ASSERT_EQUAL(p.n, 0);
	CU_ASSERT_PTR_NULL(p.recs);
	if (!err || !strstr(err, want))
		fprintf(stderr, "pcap: '%s' does not say '%s'\n", err ? err : "(none)", want);
	CU_ASSERT_TRUE(err && strstr(err, want));
	free(err);
}

static void test_defects_are_named(void)
{
	uint8_t b[256], c[256];
	size_t n = make(b, 0, 0, 128);
	refused(b, 10, "file header truncated: 10 of 24 bytes");
	memcpy(c, b, n);
	c[0] = 0x0a, c[1] = 0x0d, c[2] = 0x0d, c[3] = 0x0a;
	refused(c, n, "pcapng");
	c[0] = 1;
	refused(c, n, "magic");
	memcpy(c, b, n);
	c[4] = 1;
	refused(c, n, "version 1.4, not 2.4");
	memcpy(c, b, n);
	memset(c + 16, 0, 4);
	refused(c, n, "snaplen 0 (1 to 262144)");
	c[16] = 0x01, c[18] = 0x04; /* 262145 */
	refused(c, n, "snaplen 262145");
	memcpy(c, b, n);
	c[20] = 101; /* LINKTYPE_RAW */
	refused(c, n, "linktype 101");
	refused(b, 24 + 16 + 60 + 7, "record 1: header truncated: 7 of 16 bytes");
	refused(b, n - 1, "record 1: data truncated: caplen 14, 13 bytes left");
	n = make(b, 0, 0, 32);
	refused(b, n, "record 0: caplen 60 exceeds the snaplen 32");
	n = make(b, 1, 0, 128);
	memcpy(c, b, n);
	c[24 + 12 + 3] = 59; /* record 0: origlen 59 < caplen 60 (big-endian) */
	refused(c, n, "record 0: caplen 60 exceeds origlen 59");
	memcpy(c, b, n);
	c[24 + 4 + 3] = 0x40, c[24 + 4 + 2] = 0x42, c[24 + 4 + 1] = 0x0f; /* 1000000 us */
	refused(c, n, "record 0: ts_usec 1000000 is not below one second");
	/* no records at all is a capture */
	struct xpcap p;
	CU_ASSERT_EQUAL(xpcap_parse(b, 24, &p, NULL), 0);
	CU_ASSERT_EQUAL(p.n, 0);
	xpcap_free(&p);
}

XTEST_SUITE(cli_pcap, NULL, NULL, XTEST(test_orders_and_precisions), XTEST(test_defects_are_named))
