// SPDX-License-Identifier: MIT
/*
 * The "gen" wire: an in-process packet generator feeding a NIC's receiver and a sink counting
 * and checking what the NIC transmits. Frames are Ethernet/IPv4/UDP with valid checksums and a
 * sequence-numbered payload, built the same way on every architecture, and the sink folds every
 * transmitted frame into an FNV-1a 64 digest, so two runs (JIT, native, another host) can be
 * compared by one number. Frame layout and options: xdrv/wire.h.
 */
#include "wire_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/endian.h>
#include <xdrv/util.h>

#define GEN_MIN_SIZE 60u   /* 64-byte minimum frame less its FCS */
#define GEN_MAX_SIZE 1514u /* 1518-byte maximum frame less its FCS */
#define GEN_PORT     9u	   /* discard */
#define HDRS	     42u   /* Ethernet 14 + IPv4 20 + UDP 8 */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

struct gen {
	uint8_t dst[6], src[6];
	uint32_t size;
	uint64_t pending, seq;
	uint64_t digest, bad;
	bool check, do_digest; /* sink work per frame: off for throughput runs */
};

static const uint8_t ip_src[4] = {10, 0, 0, 2}, ip_dst[4] = {10, 0, 0, 1};

int hvb_wire_gen_frame(uint8_t *buf, size_t cap, uint64_t seq, uint32_t size, const uint8_t dst[6],
		       const uint8_t src[6])
{
	if (!buf || size < GEN_MIN_SIZE || size > GEN_MAX_SIZE || cap < size)
		return -EINVAL;
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	xdrv_put_be16(buf + 12, 0x0800);
	uint8_t *ip = buf + 14, *udp = buf + 34, *pay = buf + HDRS;
	ip[0] = 0x45;
	ip[1] = 0;
	xdrv_put_be16(ip + 2, (uint16_t)(size - 14));
	xdrv_put_be16(ip + 4, (uint16_t)seq);
	xdrv_put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	xdrv_put_be16(ip + 10, 0);
	memcpy(ip + 12, ip_src, 4);
	memcpy(ip + 16, ip_dst, 4);
	xdrv_put_be16(ip + 10, hvb_csum_fold(hvb_csum_add(0, ip, 20)));
	uint16_t ulen = (uint16_t)(size - 34);
	xdrv_put_be16(udp, GEN_PORT);
	xdrv_put_be16(udp + 2, GEN_PORT);
	xdrv_put_be16(udp + 4, ulen);
	xdrv_put_be16(udp + 6, 0);
	xdrv_put_be32(pay, (uint32_t)seq);
	for (uint32_t i = 4; i < size - HDRS; i++)
		pay[i] = (uint8_t)(seq + i);
	uint8_t ph[12];
	memcpy(ph, ip_src, 4);
	memcpy(ph + 4, ip_dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	xdrv_put_be16(ph + 10, ulen);
	uint16_t c = hvb_csum_fold(hvb_csum_add(hvb_csum_add(0, ph, 12), udp, ulen));
	xdrv_put_be16(udp + 6, c ? c : 0xffff);
	return (int)size;
}

/* A frame addressed like a generator frame: IPv4/UDP to the discard port. */
static bool looks_generated(const uint8_t *f, size_t len)
{
	return len >= HDRS && xdrv_get_be16(f + 12) == 0x0800 && f[14] == 0x45 && f[23] == 17 &&
	       xdrv_get_be16(f + 36) == GEN_PORT;
}

bool hvb_wire_gen_check(const uint8_t *f, size_t len, uint64_t *seq)
{
	if (!f || len < GEN_MIN_SIZE || len > GEN_MAX_SIZE || !looks_generated(f, len))
		return false;
	const uint8_t *ip = f + 14, *udp = f + 34, *pay = f + HDRS;
	if (xdrv_get_be16(ip + 2) != len - 14 || hvb_csum_fold(hvb_csum_add(0, ip, 20)) != 0)
		return false;
	uint16_t ulen = xdrv_get_be16(udp + 4);
	if (ulen != len - 34 || xdrv_get_be16(udp + 6) == 0)
		return false;
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	xdrv_put_be16(ph + 10, ulen);
	if (hvb_csum_fold(hvb_csum_add(hvb_csum_add(0, ph, 12), udp, ulen)) != 0)
		return false;
	uint32_t s = xdrv_get_be32(pay);
	for (size_t i = 4; i < len - HDRS; i++)
		if (pay[i] != (uint8_t)(s + i))
			return false;
	if (seq)
		*seq = s;
	return true;
}

static int gen_create(struct hvb_wire *w, const char *options, void **priv, char **err)
{
	(void)w;
	struct gen *g = calloc(1, sizeof *g);
	if (!g)
		return xdrv_err(err, -ENOMEM, "out of memory");
	static const uint8_t d[6] = {0x02, 0, 0, 0, 0, 0x01}, s[6] = {0x02, 0, 0, 0, 0, 0x02};
	memcpy(g->dst, d, 6);
	memcpy(g->src, s, 6);
	g->size = GEN_MIN_SIZE;
	g->digest = FNV_OFFSET;
	g->check = true;
	g->do_digest = true;
	char key[16], val[64];
	size_t pos = 0;
	int rc;
	while ((rc = hvb_config_next(options, &pos, key, sizeof key, val, sizeof val, err)) == 1) {
		uint64_t n;
		if (strcmp(key, "count") == 0) {
			if (hvb_config_u64(val, 0, UINT64_MAX >> 1, &n)) {
				rc = xdrv_err(err, -EINVAL, "option count=%s: not a number", val);
				break;
			}
			g->pending = n;
		} else if (strcmp(key, "size") == 0) {
			if (hvb_config_u64(val, GEN_MIN_SIZE, GEN_MAX_SIZE, &n)) {
				rc = xdrv_err(err, -EINVAL, "option size=%s: expected 60..1514",
					      val);
				break;
			}
			g->size = (uint32_t)n;
		} else if (strcmp(key, "dst") == 0 || strcmp(key, "src") == 0) {
			if (hvb_config_mac(val, key[0] == 'd' ? g->dst : g->src)) {
				rc = xdrv_err(err, -EINVAL,
					      "option %s=%s: expected xx:xx:xx:xx:xx:xx", key, val);
				break;
			}
		} else if (strcmp(key, "check") == 0 || strcmp(key, "digest") == 0) {
			if (hvb_config_u64(val, 0, 1, &n)) {
				rc = xdrv_err(err, -EINVAL, "option %s=%s: expected 0 or 1", key,
					      val);
				break;
			}
			if (key[0] == 'c')
				g->check = n;
			else
				g->do_digest = n;
		} else {
			rc = xdrv_err(err, -EINVAL,
				      "option '%s': unknown (known: count, size, dst, src, check, "
				      "digest)",
				      key);
			break;
		}
	}
	if (rc < 0) {
		free(g);
		return rc;
	}
	*priv = g;
	return 0;
}

static void gen_destroy(void *priv)
{
	free(priv);
}

/* FNV-1a 64 over the 16-bit big-endian length, then the bytes. */
uint64_t hvb_wire_digest(uint64_t h, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	h = (h ^ (uint8_t)(len >> 8)) * FNV_PRIME;
	h = (h ^ (uint8_t)len) * FNV_PRIME;
	for (size_t i = 0; i < len; i++)
		h = (h ^ f[i]) * FNV_PRIME;
	return h;
}

static int gen_tx(void *priv, const void *frame, size_t len)
{
	struct gen *g = priv;
	if (g->do_digest)
		g->digest = hvb_wire_digest(g->digest, frame, len);
	if (g->check && looks_generated(frame, len) && !hvb_wire_gen_check(frame, len, NULL))
		g->bad++;
	return 0;
}

static int gen_peek(void *priv, uint8_t *buf, size_t cap)
{
	struct gen *g = priv;
	if (!g->pending)
		return 0;
	return hvb_wire_gen_frame(buf, cap, g->seq, g->size, g->dst, g->src);
}

static void gen_consumed(void *priv)
{
	struct gen *g = priv;
	if (g->pending) {
		g->pending--;
		g->seq++;
	}
}

static int gen_start(void *priv, uint64_t count, uint32_t size)
{
	struct gen *g = priv;
	if (size < GEN_MIN_SIZE || size > GEN_MAX_SIZE)
		return -EINVAL;
	g->size = size;
	g->pending = count > UINT64_MAX - g->pending ? UINT64_MAX : g->pending + count;
	return 0;
}

static uint64_t gen_pending(const void *priv)
{
	return ((const struct gen *)priv)->pending;
}

static void gen_stats(const void *priv, struct hvb_wire_stats *out)
{
	const struct gen *g = priv;
	out->digest = g->do_digest ? g->digest : 0;
	out->tx_bad = g->bad;
	out->sink = true;
}

const struct hvb_wire_ops hvb_wire_gen_ops = {
	.name = "gen",
	.description = "in-process packet generator (Ethernet/IPv4/UDP) and checking sink",
	.create = gen_create,
	.destroy = gen_destroy,
	.tx = gen_tx,
	.peek = gen_peek,
	.consumed = gen_consumed,
	.start = gen_start,
	.pending = gen_pending,
	.stats = gen_stats,
};
