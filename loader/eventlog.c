// SPDX-License-Identifier: MIT
/*
 * The measured-boot event log in the TCG PC Client Platform Firmware Profile's crypto-agile
 * format (what Linux exposes as binary_bios_measurements, and what tpm2_eventlog reads): writing
 * it, parsing it strictly, and replaying it into PCR values. Which events a boot records is
 * boot_seq.c's business; quoting and checking against a TPM is tpm.c's and attest.c's.
 *
 * Only the SHA-256 bank is logged: the Spec ID event declares exactly one algorithm, and every
 * event carries exactly one digest.
 */
#include "xdrv/boot.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/util.h"

#define ALG_SHA256  0x000Bu
#define SPEC_ID_SIG "Spec ID Event03" /* 15 chars + NUL = the 16-byte signature field */
/* Spec ID event data: signature[16], platformClass u32, minor u8, major u8, errata u8,
 * uintnSize u8, numberOfAlgorithms u32, {algId u16, digestSize u16}, vendorInfoSize u8. */
#define SPEC_ID_LEN (16 + 4 + 4 + 4 + 4 + 1)
#define SHA1_HDR    (4 + 4 + 20 + 4) /* TCG_PCClientPCREvent up to the data */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void sha256(const void *d, size_t n, uint8_t out[32])
{
	unsigned int len = 32;
	if (!EVP_Digest(d, n, out, &len, EVP_sha256(), NULL))
		memset(out, 0, 32); /* never happens with the default provider */
}

static void spec_id(uint8_t *p)
{
	memset(p, 0, SPEC_ID_LEN);
	memcpy(p, SPEC_ID_SIG, sizeof SPEC_ID_SIG);
	/* platformClass 0 (client), spec version 2.0 errata 0, uintnSize 2 (UINT64) */
	p[20] = 0;
	p[21] = 2;
	p[22] = 0;
	p[23] = 2;
	put32(p + 24, 1);
	put16(p + 28, ALG_SHA256);
	put16(p + 30, 32);
	p[32] = 0; /* no vendor info */
}

int evl_append(struct evl *l, uint32_t pcr, uint32_t type, const void *data, size_t len, char **err)
{
	if (l->n >= EVL_MAX_EVENTS)
		return xdrv_err(err, -E2BIG, "event log: more than %u events", EVL_MAX_EVENTS);
	if (len > EVL_MAX_DATA)
		return xdrv_err(err, -E2BIG, "event log: event data of %zu bytes (at most %u)", len,
				EVL_MAX_DATA);
	if (pcr > 23)
		return xdrv_err(err, -EINVAL, "event log: PCR %u out of range 0..23", pcr);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct evl_event *ev = realloc(l->ev, cap * sizeof *ev);
		if (!ev)
			return xdrv_err(err, -ENOMEM, "event log: out of memory");
		l->ev = ev;
		l->cap = cap;
	}
	struct evl_event *e = &l->ev[l->n];
	memset(e, 0, sizeof *e);
	e->data = malloc(len ? len : 1);
	if (!e->data)
		return xdrv_err(err, -ENOMEM, "event log: out of memory");
	if (len)
		memcpy(e->data, data, len);
	e->len = (uint32_t)len;
	e->pcr = pcr;
	e->type = type;
	if (type != EVL_EV_NO_ACTION)
		sha256(data, len, e->digest);
	l->n++;
	return 0;
}

int evl_append_text(struct evl *l, uint32_t pcr, uint32_t type, const char *text, char **err)
{
	return evl_append(l, pcr, type, text, strlen(text) + 1, err);
}

int evl_serialize(const struct evl *l, uint8_t **buf, size_t *len, char **err)
{
	size_t n = SHA1_HDR + SPEC_ID_LEN;
	for (size_t i = 0; i < l->n; i++)
		n += 4 + 4 + 4 + 2 + 32 + 4 + l->ev[i].len;
	uint8_t *b = calloc(1, n), *p = b;
	if (!b)
		return xdrv_err(err, -ENOMEM, "event log: out of memory");
	put32(p, 0);
	put32(p + 4, EVL_EV_NO_ACTION);
	put32(p + 28, SPEC_ID_LEN);
	spec_id(p + SHA1_HDR);
	p += SHA1_HDR + SPEC_ID_LEN;
	for (size_t i = 0; i < l->n; i++) {
		const struct evl_event *e = &l->ev[i];
		put32(p, e->pcr);
		put32(p + 4, e->type);
		put32(p + 8, 1);
		put16(p + 12, ALG_SHA256);
		memcpy(p + 14, e->digest, 32);
		put32(p + 46, e->len);
		memcpy(p + 50, e->data, e->len);
		p += 50 + e->len;
	}
	*buf = b;
	*len = n;
	return 0;
}

int evl_write_file(const struct evl *l, const char *path, char **err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int rc = evl_serialize(l, &b, &n, err);
	if (!rc)
		rc = xdrv_write_file_atomic(path, b, n, 0644, err);
	free(b);
	if (rc)
		xdrv_err_prefix(err, "event log %s", path);
	return rc;
}

static int bad(char **err, size_t idx, const char *what)
{
	if (idx == 0)
		return xdrv_err(err, -EBADMSG, "event log: Spec ID event: %s", what);
	return xdrv_err(err, -EBADMSG, "event log: event %zu: %s", idx, what);
}

int evl_parse(const uint8_t *buf, size_t len, struct evl *out, char **err)
{
	struct evl l = {0};
	int rc = 0;
	uint8_t want[SPEC_ID_LEN];
	memset(out, 0, sizeof *out);
	if (len < SHA1_HDR + SPEC_ID_LEN)
		return bad(err, 0, "truncated (the log is shorter than its first event)");
	spec_id(want);
	static const uint8_t zero[20];
	if (get32(buf) != 0 || get32(buf + 4) != EVL_EV_NO_ACTION ||
	    memcmp(buf + 8, zero, 20) != 0 || get32(buf + 28) != SPEC_ID_LEN)
		return bad(err, 0, "not a crypto-agile log (no EV_NO_ACTION Spec ID header)");
	if (memcmp(buf + SHA1_HDR, want, 16) != 0)
		return bad(err, 0, "signature is not \"Spec ID Event03\"");
	if (memcmp(buf + SHA1_HDR, want, SPEC_ID_LEN) != 0)
		return bad(err, 0,
			   "not SHA-256 only (xdrv logs declare exactly one bank, SHA-256)");
	size_t off = SHA1_HDR + SPEC_ID_LEN;
	for (size_t idx = 1; off < len; idx++) {
		if (len - off < 50) {
			rc = bad(err, idx, "truncated header");
			goto out_free;
		}
		const uint8_t *p = buf + off;
		uint32_t pcr = get32(p), type = get32(p + 4), size = get32(p + 46);
		if (pcr > 23) {
			rc = bad(err, idx, "PCR index out of range 0..23");
			goto out_free;
		}
		if (get32(p + 8) != 1 || get16(p + 12) != ALG_SHA256) {
			rc = bad(err, idx, "digest list is not exactly one SHA-256 digest");
			goto out_free;
		}
		if (size > EVL_MAX_DATA || size > len - off - 50) {
			rc = bad(err, idx,
				 size > EVL_MAX_DATA ? "event data too large"
						     : "truncated event data");
			goto out_free;
		}
		rc = evl_append(&l, pcr, type, p + 50, size, err);
		if (rc)
			goto out_free;
		struct evl_event *e = &l.ev[l.n - 1];
		if (type == EVL_EV_NO_ACTION) {
			static const uint8_t z32[32];
			if (memcmp(p + 14, z32, 32) != 0) {
				rc = bad(err, idx, "EV_NO_ACTION event with a non-zero digest");
				goto out_free;
			}
		} else if (memcmp(p + 14, e->digest, 32) != 0) {
			rc = bad(err, idx, "digest does not match the event data (tampered)");
			goto out_free;
		}
		off += 50 + size;
	}
	*out = l;
	return 0;
out_free:
	evl_free(&l);
	return rc;
}

void evl_replay(const struct evl *l, uint8_t pcrs[24][32])
{
	memset(pcrs, 0, sizeof(uint8_t[24][32]));
	for (size_t i = 0; i < l->n; i++) {
		const struct evl_event *e = &l->ev[i];
		if (e->type == EVL_EV_NO_ACTION || e->pcr > 23)
			continue;
		uint8_t cat[64];
		memcpy(cat, pcrs[e->pcr], 32);
		memcpy(cat + 32, e->digest, 32);
		sha256(cat, 64, pcrs[e->pcr]);
	}
}

void evl_free(struct evl *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->ev[i].data);
	free(l->ev);
	memset(l, 0, sizeof *l);
}
