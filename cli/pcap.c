// SPDX-License-Identifier: MIT
/*
 * Classic pcap, read strictly and written plainly (cli/pcap.h). The reader takes a whole file
 * in memory: every length is checked against what is left before anything is read, no count
 * from the file sizes an allocation beyond what the bytes present can back, and the message of
 * a refusal names the record and the field.
 */
#include "pcap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/util.h>

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define HDR	 24u
#define RHDR	 16u

static uint32_t rd32(const uint8_t *p, int swapped)
{
	/* the file's order: little-endian unless swapped says the writer was big-endian; read
	 * byte by byte so that the host's own order never matters */
	if (swapped)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const uint8_t *p, int swapped)
{
	return swapped ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

int xpcap_parse(const uint8_t *buf, size_t len, struct xpcap *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (len > XPCAP_FILE_MAX)
		return xdrv_err(err, -EFBIG, "capture of %zu bytes: at most %llu", len,
				(unsigned long long)XPCAP_FILE_MAX);
	if (len < HDR)
		return xdrv_err(err, -EINVAL, "file header truncated: %zu of %u bytes", len, HDR);
	/* "swapped" here means: big-endian on disk (rd32 reads little-endian otherwise) */
	uint32_t le = rd32(buf, 0), be = rd32(buf, 1);
	int swapped;
	if (le == MAGIC_US || le == MAGIC_NS)
		swapped = 0;
	else if (be == MAGIC_US || be == MAGIC_NS)
		swapped = 1;
	else if (le == 0x0a0d0d0au)
		return xdrv_err(err, -EINVAL,
				"file header: magic: a pcapng file; classic pcap only (convert it "
				"with `editcap -F pcap`)");
	else
		return xdrv_err(err, -EINVAL, "file header: magic %#010x is not classic pcap", le);
	uint32_t magic = swapped ? be : le;
	out->nsec = magic == MAGIC_NS;
	out->swapped = swapped;
	uint16_t vmaj = rd16(buf + 4, swapped), vmin = rd16(buf + 6, swapped);
	if (vmaj != 2 || vmin != 4)
		return xdrv_err(err, -EINVAL, "file header: version %u.%u, not 2.4", vmaj, vmin);
	uint32_t snaplen = rd32(buf + 16, swapped), link = rd32(buf + 20, swapped);
	if (snaplen == 0 || snaplen > XPCAP_SNAPLEN_MAX)
		return xdrv_err(err, -EINVAL, "file header: snaplen %u (1 to %u)", snaplen,
				XPCAP_SNAPLEN_MAX);
	if (link != XPCAP_LINK_ETHER)
		return xdrv_err(err, -EINVAL,
				"file header: linktype %u; only LINKTYPE_ETHERNET (1) is read",
				link);
	out->snaplen = snaplen;
	/* each record is at least its 16-byte header: that bounds the count */
	size_t cap = (len - HDR) / RHDR;
	if (cap > XPCAP_RECORDS_MAX)
		cap = XPCAP_RECORDS_MAX;
	size_t n = 0, alloc = 0;
	size_t off = HDR;
	uint32_t frac_max = out->nsec ? 1000000000u : 1000000u;
	while (off < len) {
		if (n == XPCAP_RECORDS_MAX) {
			xpcap_free(out);
			return xdrv_err(err, -EFBIG, "record %zu: more than %u records", n,
					XPCAP_RECORDS_MAX);
		}
		if (len - off < RHDR) {
			xpcap_free(out);
			return xdrv_err(err, -EINVAL,
					"record %zu: header truncated: %zu of %u bytes", n,
					len - off, RHDR);
		}
		const uint8_t *h = buf + off;
		struct xpcap_rec r = {.ts_sec = rd32(h, swapped),
				      .ts_frac = rd32(h + 4, swapped),
				      .caplen = rd32(h + 8, swapped),
				      .origlen = rd32(h + 12, swapped)};
		char why[160];
		why[0] = 0;
		if (r.ts_frac >= frac_max)
			snprintf(why, sizeof why, "%s %u is not below one second",
				 out->nsec ? "ts_nsec" : "ts_usec", r.ts_frac);
		else if (r.caplen > snaplen)
			snprintf(why, sizeof why, "caplen %u exceeds the snaplen %u", r.caplen,
				 snaplen);
		else if (r.caplen > r.origlen)
			snprintf(why, sizeof why, "caplen %u exceeds origlen %u", r.caplen,
				 r.origlen);
		else if (len - off - RHDR < r.caplen)
			snprintf(why, sizeof why, "data truncated: caplen %u, %zu bytes left",
				 r.caplen, len - off - RHDR);
		if (why[0]) {
			xpcap_free(out);
			return xdrv_err(err, -EINVAL, "record %zu: %s", n, why);
		}
		r.data = h + RHDR;
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 64;
			if (na > cap)
				na = cap;
			struct xpcap_rec *nr = realloc(out->recs, na * sizeof *nr);
			if (!nr) {
				xpcap_free(out);
				return xdrv_err(err, -ENOMEM, "record %zu: out of memory", n);
			}
			out->recs = nr;
			alloc = na;
		}
		out->recs[n++] = r;
		out->n = n;
		off += RHDR + r.caplen;
	}
	return 0;
}

void xpcap_free(struct xpcap *p)
{
	if (!p)
		return;
	free(p->recs);
	p->recs = NULL;
	p->n = 0;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int xpcap_write_header(FILE *f, int nsec, uint32_t snaplen)
{
	uint8_t h[HDR] = {0};
	wr32(h, nsec ? MAGIC_NS : MAGIC_US);
	h[4] = 2;
	h[6] = 4;
	wr32(h + 16, snaplen);
	wr32(h + 20, XPCAP_LINK_ETHER);
	return fwrite(h, 1, sizeof h, f) == sizeof h ? 0 : -EIO;
}

int xpcap_write_record(FILE *f, uint32_t ts_sec, uint32_t ts_frac, const uint8_t *data,
		       uint32_t caplen, uint32_t origlen)
{
	uint8_t h[RHDR];
	wr32(h, ts_sec);
	wr32(h + 4, ts_frac);
	wr32(h + 8, caplen);
	wr32(h + 12, origlen);
	if (fwrite(h, 1, sizeof h, f) != sizeof h)
		return -EIO;
	if (caplen && fwrite(data, 1, caplen, f) != caplen)
		return -EIO;
	return 0;
}
