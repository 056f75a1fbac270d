/* SPDX-License-Identifier: MIT */
/*
 * Classic pcap captures for `xdrv ext test` (cli/cmd_ext.c): a strict reader of untrusted files
 * and a writer. Only what an Ethernet NIC's path sees: LINKTYPE_ETHERNET (1), the classic format
 * (not pcapng), either byte order, microsecond (0xa1b2c3d4) or nanosecond (0xa1b23c4d) magic,
 * version 2.4, 1 <= snaplen <= XPCAP_SNAPLEN_MAX, every record with caplen <= snaplen, caplen <=
 * origlen, the sub-second part below one second, and its bytes all there. Anything else is
 * refused with a message that names the record (0-based) and the field: "record 3: caplen 70000
 * exceeds the snaplen 65535".
 */
#ifndef XDRV_CLI_PCAP_H
#define XDRV_CLI_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define XPCAP_SNAPLEN_MAX 262144u
#define XPCAP_LINK_ETHER  1u
#define XPCAP_FILE_MAX	  (1ull << 30) /* bytes of a capture read */
#define XPCAP_RECORDS_MAX (1u << 24)

struct xpcap_rec {
	uint32_t ts_sec, ts_frac; /* seconds, and micro- or nanoseconds (xpcap.nsec) */
	uint32_t caplen, origlen;
	const uint8_t *data; /* caplen bytes, inside the buffer parsed */
};

struct xpcap {
	int nsec;	  /* nanosecond timestamps */
	int swapped;	  /* the file's byte order was not this host's */
	uint32_t snaplen; /* of the file */
	struct xpcap_rec *recs;
	size_t n;
};

/* Parse a capture held in buf (len bytes; records point into it, so it must outlive *out).
 * 0, or -EINVAL / -EFBIG / -ENOMEM with *err. */
int xpcap_parse(const uint8_t *buf, size_t len, struct xpcap *out, char **err);
void xpcap_free(struct xpcap *p);

/* Write a capture header (little-endian, version 2.4, LINKTYPE_ETHERNET, the given precision and
 * snaplen) or one record. 0 or -errno. */
int xpcap_write_header(FILE *f, int nsec, uint32_t snaplen);
int xpcap_write_record(FILE *f, uint32_t ts_sec, uint32_t ts_frac, const uint8_t *data,
		       uint32_t caplen, uint32_t origlen);

#endif
