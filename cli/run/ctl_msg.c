// SPDX-License-Identifier: MIT
/*
 * The attach and swap messages from a driver domain's supervisor to its driver host (ctl_msg.h):
 * written by the supervisor, parsed strictly by the host (what comes from the other end never
 * crashes it: every length, count and string is checked before use).
 */
#include "ctl_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/loader.h>
#include <xdrv/net_ext.h>
#include <xdrv/util.h>

#define HDR	 40u
#define TBL_HDR	 40u
#define NAME_LEN 32u

static const uint8_t magic[8] = {'X', 'D', 'R', 'V', 'E', 'X', 'A', '1'};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

bool run_ctl_attach_is(const uint8_t *b, size_t n)
{
	return n >= sizeof magic && memcmp(b, magic, sizeof magic) == 0;
}

int run_ctl_attach_write(uint32_t seq, uint32_t op, uint32_t where, const struct run_ext_spec *s,
			 const uint8_t *rec, size_t rlen, uint8_t **out, size_t *len, char **err)
{
	*out = NULL;
	*len = 0;
	uint64_t n = HDR + rlen;
	for (size_t t = 0; t < s->ntables; t++)
		n += TBL_HDR + (uint64_t)s->tables[t].n * 16u;
	if (n > RUN_CTL_ATTACH_MAX || s->ntables > RUN_EXT_TABLES_MAX)
		return xdrv_err(err, -E2BIG,
				"the extension and its tables take %llu bytes, more than the %u "
				"bytes that can be handed to a running driver host",
				(unsigned long long)n, RUN_CTL_ATTACH_MAX);
	uint8_t *b = calloc(1, (size_t)n);
	if (!b)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memcpy(b, magic, sizeof magic);
	put32(b + 8, seq);
	put32(b + 12, op);
	put32(b + 16, where);
	put32(b + 20, s->hook);
	put32(b + 24, s->policy);
	put32(b + 28, (uint32_t)s->ntables);
	put32(b + 32, (uint32_t)rlen);
	size_t off = HDR;
	for (size_t t = 0; t < s->ntables; t++) {
		const struct run_ext_table *tb = &s->tables[t];
		memcpy(b + off, tb->name, strnlen(tb->name, NAME_LEN - 1));
		put32(b + off + NAME_LEN, (uint32_t)tb->n);
		off += TBL_HDR;
		for (size_t k = 0; k < tb->n; k++, off += 16) {
			put64(b + off, tb->keys[k]);
			put64(b + off + 8, tb->vals[k]);
		}
	}
	memcpy(b + off, rec, rlen);
	*out = b;
	*len = (size_t)n;
	return 0;
}

void run_ctl_attach_free(struct run_ctl_attach *a)
{
	if (a)
		run_ext_free(&a->spec, 1);
}

static int bad(char **err, const char *what)
{
	return xdrv_err(err, -EBADMSG, "attach message: %s", what);
}

int run_ctl_attach_parse(const uint8_t *b, size_t n, struct run_ctl_attach *a, char **err)
{
	memset(a, 0, sizeof *a);
	a->spec.arg = "(attach)";
	if (!run_ctl_attach_is(b, n))
		return bad(err, "bad magic");
	if (n >= 12)
		a->seq = get32(b + 8);
	if (n < HDR)
		return bad(err, "shorter than its header");
	if (n > RUN_CTL_ATTACH_MAX)
		return bad(err, "longer than allowed");
	a->op = get32(b + 12);
	a->where = get32(b + 16);
	a->hook = get32(b + 20);
	a->policy = get32(b + 24);
	uint32_t nt = get32(b + 28), rlen = get32(b + 32);
	if (get32(b + 36) != 0)
		return bad(err, "reserved field not zero");
	if (a->op != RUN_CTL_OP_ATTACH && a->op != RUN_CTL_OP_REPLACE)
		return bad(err, "unknown operation");
	if (a->op == RUN_CTL_OP_ATTACH && a->where > LDR_NET_EXT_CHAIN_MAX &&
	    a->where != LDR_NET_EXT_END)
		return bad(err, "position out of range");
	if (a->op == RUN_CTL_OP_REPLACE && a->where == 0)
		return bad(err, "attachment id 0");
	if (a->hook != XDRV_EXT_HOOK_RX && a->hook != XDRV_EXT_HOOK_TX)
		return bad(err, "hook is neither rx nor tx");
	if (a->policy != LDR_NET_EXT_PASS && a->policy != LDR_NET_EXT_DROP)
		return bad(err, "policy is neither pass nor drop");
	if (nt > RUN_EXT_TABLES_MAX)
		return bad(err, "too many tables");
	a->spec.hook = a->hook;
	a->spec.policy = a->policy;
	size_t off = HDR;
	int rc = 0;
	for (uint32_t t = 0; t < nt; t++) {
		if (n - off < TBL_HDR) {
			rc = bad(err, "table header truncated");
			goto fail;
		}
		const uint8_t *nm = b + off;
		const uint8_t *nul = memchr(nm, 0, NAME_LEN);
		if (!nul || nul == nm) {
			rc = bad(err, "table name empty or not terminated");
			goto fail;
		}
		for (const uint8_t *q = nm; q < nm + NAME_LEN; q++)
			if ((q < nul && (*q <= 0x20 || *q > 0x7e || *q == ':' || *q == '=')) ||
			    (q > nul && *q)) {
				rc = bad(err, "table name holds a bad byte");
				goto fail;
			}
		uint32_t cnt = get32(b + off + NAME_LEN);
		if (get32(b + off + NAME_LEN + 4) != 0) {
			rc = bad(err, "table reserved field not zero");
			goto fail;
		}
		off += TBL_HDR;
		if (cnt > XDRV_EXT_TABLE_MAX_ENTRIES || (uint64_t)cnt * 16u > n - off) {
			rc = bad(err, "table entries truncated or too many");
			goto fail;
		}
		struct run_ext_table *tb = &a->spec.tables[a->spec.ntables++];
		memcpy(tb->name, nm, (size_t)(nul - nm) + 1);
		tb->keys = malloc((cnt ? cnt : 1) * sizeof *tb->keys);
		tb->vals = malloc((cnt ? cnt : 1) * sizeof *tb->vals);
		if (!tb->keys || !tb->vals) {
			rc = xdrv_err(err, -ENOMEM, "out of memory");
			goto fail;
		}
		for (uint32_t k = 0; k < cnt; k++, off += 16) {
			tb->keys[k] = get64(b + off);
			tb->vals[k] = get64(b + off + 8);
		}
		tb->n = cnt;
	}
	if (rlen == 0 || n - off != rlen) {
		rc = bad(err, "record length disagrees with the message");
		goto fail;
	}
	a->record = b + off;
	a->record_len = rlen;
	return 0;
fail:
	run_ctl_attach_free(a);
	return rc;
}

/* ---- the swap message ------------------------------------------------------------------------ */

#define SWP_HDR 28u

static const uint8_t swp_magic[8] = {'X', 'D', 'R', 'V', 'S', 'W', 'P', '1'};

bool run_ctl_swap_is(const uint8_t *b, size_t n)
{
	return n >= sizeof swp_magic && memcmp(b, swp_magic, sizeof swp_magic) == 0;
}

static bool swap_what_ok(uint32_t what)
{
	return what == LDR_SWAP_PARAM || what == LDR_SWAP_PATCH || what == LDR_SWAP_REVERT ||
	       what == LDR_SWAP_TIER2 || what == RUN_CTL_SWAP_UPDATE;
}

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

int run_ctl_swap_write(uint32_t seq, uint32_t what, const char *change, const uint8_t *rec,
		       size_t rlen, uint8_t **out, size_t *len, char **err)
{
	*out = NULL;
	*len = 0;
	size_t cl = strlen(change);
	if (!swap_what_ok(what) || !cl || cl >= RUN_CTL_CHANGE_MAX ||
	    !printable((const uint8_t *)change, cl) || !rlen)
		return xdrv_err(err, -EINVAL, "swap message: a bad change, kind or record");
	uint64_t n = (uint64_t)SWP_HDR + cl + rlen;
	if (n > RUN_CTL_ATTACH_MAX)
		return xdrv_err(err, -E2BIG,
				"the driver's new code takes %llu bytes, more than the %u bytes "
				"that can be handed to a running driver host",
				(unsigned long long)n, RUN_CTL_ATTACH_MAX);
	uint8_t *b = calloc(1, (size_t)n);
	if (!b)
		return xdrv_err(err, -ENOMEM, "out of memory");
	memcpy(b, swp_magic, sizeof swp_magic);
	put32(b + 8, seq);
	put32(b + 12, what);
	put32(b + 16, (uint32_t)cl);
	put32(b + 20, (uint32_t)rlen);
	memcpy(b + SWP_HDR, change, strnlen(change, RUN_CTL_CHANGE_MAX - 1)); /* cl bytes */
	memcpy(b + SWP_HDR + cl, rec, rlen);
	*out = b;
	*len = (size_t)n;
	return 0;
}

static int swp_bad(char **err, const char *what)
{
	return xdrv_err(err, -EBADMSG, "swap message: %s", what);
}

int run_ctl_swap_parse(const uint8_t *b, size_t n, struct run_ctl_swap *s, char **err)
{
	memset(s, 0, sizeof *s);
	if (!run_ctl_swap_is(b, n))
		return swp_bad(err, "bad magic");
	if (n >= 12)
		s->seq = get32(b + 8);
	if (n < SWP_HDR)
		return swp_bad(err, "shorter than its header");
	if (n > RUN_CTL_ATTACH_MAX)
		return swp_bad(err, "longer than allowed");
	s->what = get32(b + 12);
	uint32_t cl = get32(b + 16), rlen = get32(b + 20);
	if (get32(b + 24) != 0)
		return swp_bad(err, "reserved field not zero");
	if (!swap_what_ok(s->what))
		return swp_bad(err, "unknown kind of swap");
	if (cl == 0 || cl >= RUN_CTL_CHANGE_MAX || cl > n - SWP_HDR)
		return swp_bad(err, "change length out of range");
	if (!printable(b + SWP_HDR, cl))
		return swp_bad(err, "change holds a byte that is not printable");
	if (rlen == 0 || n - SWP_HDR - cl != rlen)
		return swp_bad(err, "record length disagrees with the message");
	memcpy(s->change, b + SWP_HDR, cl);
	s->change[cl] = 0;
	s->record = b + SWP_HDR + cl;
	s->record_len = rlen;
	return 0;
}
