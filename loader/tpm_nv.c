// SPDX-License-Identifier: MIT
/*
 * xdrv's NV indices on the TPM: one rollback floor per driver name, the highest CRL number the
 * host has accepted, and the floors directory that lists which of them exist. boot_floor.c
 * decides what to store; this file decides how, and checks that what it reads is what xdrv
 * wrote.
 *
 * Floors: a TPM NV *counter* would be the obvious choice, but TPM2_NV_Increment initializes a
 * new counter to the highest value any counter on that TPM ever had, so a per-driver counter
 * would not start at 0. A TPM_NT_BITS index starts at 0 and its bits can only be set: the floor
 * is the number of the highest set bit + 1 (0..64) and only goes up, whoever writes it.
 *
 * What stops someone from simply deleting the index (its floor then reads as 0)?
 *
 *  - Where the platform hierarchy is enabled (swtpm; a real machine only before its firmware
 *    disables it), every index is defined by the platform with TPMA_NV_PLATFORMCREATE and
 *    TPMA_NV_POLICY_DELETE: TPM2_NV_UndefineSpace refuses it whatever authorization comes with
 *    it (TPM_RC_ATTRIBUTES), TPM2_Clear does not remove it, and only TPM2_NV_UndefineSpaceSpecial
 *    can, which needs the platform authorization *and* a policy session satisfying the index's
 *    authPolicy. That policy is PolicyCommandCode(TPM_CC_NV_UndefineSpaceSpecial): nothing but
 *    that command can use it, so removal rests on the platform authorization alone, as the TCG
 *    intends for platform indices. (An unsatisfiable policy, a digest no session can reach,
 *    would make the indices permanent: not even the platform could reclaim their NV space.)
 *    The same policy is the index's only ADMIN authorization: TPM2_NV_ChangeAuth cannot use it,
 *    so the index's authValue stays empty and anyone may read a floor (TPMA_NV_AUTHREAD).
 *  - Where it is disabled (real firmware does so before the OS runs), xdrv can only define
 *    indices with the owner's authorization, and the owner can delete them: the floors are then
 *    as strong as the owner authorization (`xdrv boot` warns while it is empty).
 *
 * Writing (raising a floor, storing a CRL number, updating the directory) needs the owner's
 * authorization (TPMA_NV_OWNERWRITE) in both cases. A floor can only be raised by anyone; the
 * CRL number is an ordinary index, so whoever holds the owner authorization could lower it:
 * another reason to set one. No lock attribute (WRITEDEFINE, WRITE_STCLEAR, GLOBALLOCK,
 * READ_STCLEAR) is set, so nobody can lock xdrv out of its own indices.
 *
 * Squatting: someone may define an index at one of xdrv's handles first, with attributes or a
 * policy of his own (an ordinary index he can rewrite, an owner index he can delete). So before
 * any value is used, every index in xdrv's range (0x01580000..0x0158FFFF, 0x01590000,
 * 0x01590001) is checked: its Name (nameAlg || SHA-256 of its public area: attributes,
 * authPolicy, size) must be the Name of xdrv's definition, written or not. Anything else stops
 * the boot with the difference spelt out; it runs before any driver is read.
 *
 * Deletion that got through anyway (the platform authorization leaked, or owner-defined floors):
 * a missing index is indistinguishable from a driver never booted, so xdrv keeps a directory
 * (an ordinary index at 0x01590001, defined like the others) listing the floor indices and
 * whether the CRL number index exists. An index the directory lists but the TPM lacks, or
 * floor indices without a directory, or a listed index never written (xdrv lists an index only
 * once written, so it was deleted and defined again, even with xdrv's very Name), stops the
 * boot until `xdrv boot --reinit-floors` rebuilds the directory from what is there (measured).
 * To hide a deletion one must also rewrite the directory, which needs the owner authorization
 * besides the platform one. Deleting every index and the directory with both is a reset this
 * cannot see: it rests on those authorizations. (A deleted floor re-created and written lower
 * with both is the same: nothing in the TPM remembers the old value.)
 *
 * Order of writes for a new floor: directory defined (if absent), floor index defined, its bit
 * set, directory rewritten to list it. A crash in between leaves an index with xdrv's Name that
 * the directory does not list: it is used (it could only have been made by someone holding the
 * same authorization xdrv uses) and listed once written.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "boot_priv.h"
#include "tpm_priv.h"
#include "xdrv/util.h"

#define FLOOR_NV_BASE	    0x01580000u /* owner NV range 0x01000000..0x01BFFFFF; 0x58 = 'X' */
#define FLOOR_NV_LAST	    0x0158FFFFu
#define CRL_NUMBER_NV_INDEX 0x01590000u
#define FLOORS_DIR_NV_INDEX 0x01590001u
/* The directory: "xdrvFLR1", flags (bit 0: the CRL number index exists), a zero byte, the
 * count (big-endian u16), then that many floor slots (the low 16 bits of the floor index,
 * big-endian u16). 512 bytes, 250 floors: small enough for any TPM's NV buffer (one command
 * reads or writes it whole, and a TPM command's NV update is atomic). */
#define DIR_SIZE     512u
#define DIR_HEAD     12u
#define DIR_MAX	     ((DIR_SIZE - DIR_HEAD) / 2u)
#define DIR_FLAG_CRL 1u
static const char dir_magic[8] = {'x', 'd', 'r', 'v', 'F', 'L', 'R', '1'};

struct tpm_nv {
	int ph;			    /* platform hierarchy enabled: new indices are defined there */
	uint8_t present[65536 / 8]; /* floor slots defined on the TPM with xdrv's Name */
	uint8_t written[65536 / 8]; /* ... and written: only those are listed in the directory */
	size_t nfloors;
	int crl_present, crl_written, dir_present, dir_was_present;
};

static int has_slot(const struct tpm_nv *nv, uint32_t slot)
{
	return nv->present[slot >> 3] >> (slot & 7) & 1;
}

static void set_slot(struct tpm_nv *nv, uint32_t slot, int written)
{
	if (!has_slot(nv, slot))
		nv->nfloors++;
	nv->present[slot >> 3] |= (uint8_t)(1u << (slot & 7));
	if (written)
		nv->written[slot >> 3] |= (uint8_t)(1u << (slot & 7));
}

static int is_written(const struct tpm_nv *nv, uint32_t slot)
{
	return nv->written[slot >> 3] >> (slot & 7) & 1;
}

static uint32_t floor_index(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a: a fixed, well-spread mapping of names to 16 bits */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return FLOOR_NV_BASE | ((h ^ (h >> 16)) & 0xFFFFu);
}

static const char *kind_of(uint32_t index)
{
	if (index == CRL_NUMBER_NV_INDEX)
		return "the CRL number";
	if (index == FLOORS_DIR_NV_INDEX)
		return "the floors directory";
	return "a rollback floor";
}

static const char *who_of(uint32_t index)
{
	if (index == CRL_NUMBER_NV_INDEX)
		return "TPM CRL number";
	if (index == FLOORS_DIR_NV_INDEX)
		return "TPM floors directory";
	return "TPM rollback floor";
}

/* PolicyCommandCode(TPM_CC_NV_UndefineSpaceSpecial) from an empty session:
 * SHA-256(32 zero bytes || TPM_CC_PolicyCommandCode || TPM_CC_NV_UndefineSpaceSpecial). */
static void delete_policy(uint8_t out[32])
{
	uint8_t buf[40] = {0};
	const uint32_t cc[2] = {TPM2_CC_PolicyCommandCode, TPM2_CC_NV_UndefineSpaceSpecial};
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 4; b++)
			buf[32 + 4 * i + b] = (uint8_t)(cc[i] >> (24 - 8 * b));
	unsigned int n = 32;
	if (!EVP_Digest(buf, sizeof buf, out, &n, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

/* xdrv's definition of `index`, in the platform hierarchy or the owner's. */
static void nv_template(uint32_t index, int platform, int written, TPMS_NV_PUBLIC *p)
{
	memset(p, 0, sizeof *p);
	p->nvIndex = index;
	p->nameAlg = TPM2_ALG_SHA256;
	int bits = index >= FLOOR_NV_BASE && index <= FLOOR_NV_LAST;
	p->attributes = ((bits ? TPM2_NT_BITS : TPM2_NT_ORDINARY) << TPMA_NV_TPM2_NT_SHIFT) |
			TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA;
	if (platform) {
		p->attributes |= TPMA_NV_PLATFORMCREATE | TPMA_NV_POLICY_DELETE;
		p->authPolicy.size = 32;
		delete_policy(p->authPolicy.buffer);
	}
	if (written)
		p->attributes |= TPMA_NV_WRITTEN;
	p->dataSize = index == FLOORS_DIR_NV_INDEX ? DIR_SIZE : 8;
}

static int name_of(const TPMS_NV_PUBLIC *p, uint8_t name[34])
{
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	size_t off = 0;
	unsigned int n = 32;
	if (Tss2_MU_TPMS_NV_PUBLIC_Marshal(p, buf, sizeof buf, &off) != TSS2_RC_SUCCESS ||
	    !EVP_Digest(buf, off, name + 2, &n, EVP_sha256(), NULL))
		return -EIO;
	name[0] = (uint8_t)(TPM2_ALG_SHA256 >> 8);
	name[1] = (uint8_t)TPM2_ALG_SHA256;
	return 0;
}

int ldr_tpm_nv_name(uint32_t index, int platform, int written, uint8_t name[34])
{
	TPMS_NV_PUBLIC p;
	nv_template(index, platform, written, &p);
	return name_of(&p, name);
}

const char *ldr_tpm_nv_attrs_text(uint32_t a, char *buf, size_t n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} flags[] = {
		/* tpm2-tools' spelling (tpm2_nvdefine -a), so a message can be compared with
		 * tpm2_nvreadpublic's */
		{TPMA_NV_PPWRITE, "ppwrite"},
		{TPMA_NV_OWNERWRITE, "ownerwrite"},
		{TPMA_NV_AUTHWRITE, "authwrite"},
		{TPMA_NV_POLICYWRITE, "policywrite"},
		{TPMA_NV_POLICY_DELETE, "policydelete"},
		{TPMA_NV_WRITELOCKED, "writelocked"},
		{TPMA_NV_WRITEALL, "writeall"},
		{TPMA_NV_WRITEDEFINE, "writedefine"},
		{TPMA_NV_WRITE_STCLEAR, "write_stclear"},
		{TPMA_NV_GLOBALLOCK, "globallock"},
		{TPMA_NV_PPREAD, "ppread"},
		{TPMA_NV_OWNERREAD, "ownerread"},
		{TPMA_NV_AUTHREAD, "authread"},
		{TPMA_NV_POLICYREAD, "policyread"},
		{TPMA_NV_NO_DA, "no_da"},
		{TPMA_NV_ORDERLY, "orderly"},
		{TPMA_NV_CLEAR_STCLEAR, "clear_stclear"},
		{TPMA_NV_READLOCKED, "readlocked"},
		{TPMA_NV_WRITTEN, "written"},
		{TPMA_NV_PLATFORMCREATE, "platformcreate"},
		{TPMA_NV_READ_STCLEAR, "read_stclear"},
	};
	static const char *const types[16] = {
		[TPM2_NT_ORDINARY] = "ordinary", [TPM2_NT_COUNTER] = "counter",
		[TPM2_NT_BITS] = "bits",	 [TPM2_NT_EXTEND] = "extend",
		[TPM2_NT_PIN_FAIL] = "pinfail",	 [TPM2_NT_PIN_PASS] = "pinpass",
	};
	uint32_t nt = (a & TPMA_NV_TPM2_NT_MASK) >> TPMA_NV_TPM2_NT_SHIFT;
	size_t o = 0;
	if (types[nt])
		o = (size_t)snprintf(buf, n, "nt=%s", types[nt]);
	else
		o = (size_t)snprintf(buf, n, "nt=0x%x", nt);
	for (size_t i = 0; i < sizeof flags / sizeof flags[0] && o < n; i++)
		if (a & flags[i].bit)
			o += (size_t)snprintf(buf + o, n - o, "|%s", flags[i].name);
	return buf;
}

static const char *policy_text(const TPM2B_DIGEST *d, char *buf, size_t n)
{
	uint8_t del[32];
	delete_policy(del);
	if (d->size == 0)
		snprintf(buf, n, "empty");
	else if (d->size == 32 && memcmp(d->buffer, del, 32) == 0)
		snprintf(buf, n, "PolicyCommandCode(NV_UndefineSpaceSpecial)");
	else if (d->size <= 64 && 2u * d->size < n)
		xdrv_hex(d->buffer, d->size, buf);
	else
		snprintf(buf, n, "%u bytes", d->size);
	return buf;
}

static void close_h(struct ldr_tpm *t, ESYS_TR *h)
{
	if (t->esys && *h != ESYS_TR_NONE)
		Esys_TR_Close(t->esys, h);
	*h = ESYS_TR_NONE;
}

/* The index's public area differs from xdrv's: say how. */
static int mismatch(struct ldr_tpm *t, uint32_t index, const char *who, ESYS_TR h, char **err)
{
	int r = tpm_alive(t, "NV_ReadPublic", err);
	if (r)
		return r;
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_NAME *nm = NULL;
	TSS2_RC rc =
		Esys_NV_ReadPublic(t->esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &nm);
	if (rc)
		return tpm_fail(t, rc, "NV_ReadPublic", err);
	TPMS_NV_PUBLIC want, owner;
	nv_template(index, t->nv->ph, 1, &want);
	const TPMS_NV_PUBLIC *g = &pub->nvPublic;
	char ga[320], wa[320], gp[160], wp[160];
	nv_template(index, 0, g->attributes & TPMA_NV_WRITTEN ? 1 : 0, &owner);
	uint8_t on[34], gn[34];
	if (t->nv->ph && name_of(&owner, on) == 0 && name_of(g, gn) == 0 && !memcmp(on, gn, 34))
		r = xdrv_err(
			err, -EPERM,
			"%s: NV index 0x%08x is an owner index as xdrv defines %s where the "
			"platform hierarchy is disabled, but it is enabled now, and then xdrv "
			"defines its indices there (policy delete): squatted by someone with "
			"the owner authorization, or this TPM's firmware no longer disables "
			"the platform hierarchy; refusing to boot (tpm2_nvundefine 0x%08x with "
			"the owner authorization removes it, and its floor)",
			who, index, kind_of(index), index);
	else
		r = xdrv_err(
			err, -EPERM,
			"%s: NV index 0x%08x is not the one xdrv defines for %s: it has attributes "
			"%s, "
			"authPolicy %s, %u bytes, name algorithm 0x%04x; xdrv's has %s (the "
			"\"written\" flag aside), authPolicy %s, %u bytes, SHA-256: squatted or "
			"recreated by someone else; refusing to boot (whoever made it can remove "
			"it: "
			"tpm2_nvundefine 0x%08x)",
			who, index, kind_of(index),
			ldr_tpm_nv_attrs_text(g->attributes, ga, sizeof ga),
			policy_text(&g->authPolicy, gp, sizeof gp), g->dataSize, g->nameAlg,
			ldr_tpm_nv_attrs_text(want.attributes, wa, sizeof wa),
			policy_text(&want.authPolicy, wp, sizeof wp), want.dataSize, index);
	Esys_Free(pub);
	Esys_Free(nm);
	return r;
}

/* Open `index` and check its Name is the one of xdrv's definition (in the platform hierarchy;
 * or in the owner's when the platform hierarchy is disabled), written or not. 0 with *h open
 * (the caller closes it) and *written; -ENOENT if it is not defined; -EPERM naming the
 * difference; -EIO if the TPM fails. `who` starts the messages. */
static int nv_open(struct ldr_tpm *t, uint32_t index, const char *who, ESYS_TR *h, int *written,
		   char **err)
{
	*h = ESYS_TR_NONE;
	int r = tpm_alive(t, "NV_ReadPublic", err);
	if (r)
		return r;
	TSS2_RC rc =
		Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, h);
	if (rc) {
		*h = ESYS_TR_NONE;
		if (tpm_rc_is(rc, TPM2_RC_HANDLE))
			return -ENOENT;
		return tpm_fail(t, rc, "NV_ReadPublic", err);
	}
	TPM2B_NAME *got = NULL;
	rc = Esys_TR_GetName(t->esys, *h, &got);
	if (rc) {
		close_h(t, h);
		return tpm_fail(t, rc, "the Name of an NV index", err);
	}
	int ok = 0;
	for (int plat = 1; !ok && plat >= (t->nv->ph ? 1 : 0); plat--) {
		for (int w = 1; !ok && w >= 0; w--) {
			uint8_t want[34];
			if (ldr_tpm_nv_name(index, plat, w, want) == 0 && got->size == 34 &&
			    memcmp(got->name, want, 34) == 0) {
				ok = 1;
				*written = w;
			}
		}
	}
	Esys_Free(got);
	if (ok)
		return 0;
	r = mismatch(t, index, who, *h, err);
	close_h(t, h);
	return r;
}

static int nv_read(struct ldr_tpm *t, ESYS_TR h, uint16_t size, uint16_t off, uint8_t *out,
		   const char *what, char **err)
{
	int r = tpm_alive(t, what, err);
	if (r)
		return r;
	TPM2B_MAX_NV_BUFFER *d = NULL;
	/* TPMA_NV_AUTHREAD with the index's own, empty, authValue */
	TSS2_RC rc = Esys_NV_Read(t->esys, h, h, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, size,
				  off, &d);
	if (rc)
		return tpm_fail(t, rc, what, err);
	if (!d || d->size != size)
		r = xdrv_err(err, -EIO, "TPM %s: %s: %u bytes read, %u asked", t->tcti_conf, what,
			     d ? d->size : 0, size);
	else
		memcpy(out, d->buffer, size);
	Esys_Free(d);
	return r;
}

/* A write under the owner's authorization failed: say why when it was the authorization. */
static int owner_fail(struct ldr_tpm *t, TSS2_RC rc, const char *what, char **err)
{
	if (tpm_rc_is(rc, TPM2_RC_BAD_AUTH) || tpm_rc_is(rc, TPM2_RC_AUTH_FAIL))
		return xdrv_err(err, -EACCES,
				"TPM %s: %s: the TPM refused the owner authorization%s",
				t->tcti_conf, what,
				t->owner_auth_given
					? " in the file tpm_owner_auth names: it is not the TPM's"
					: " (xdrv has none): the TPM's owner authorization is set; "
					  "give it to xdrv in a file the boot configuration key "
					  "tpm_owner_auth names");
	return tpm_fail(t, rc, what, err);
}

/* Define `index` as xdrv does: the platform hierarchy while it is enabled, else the owner's. */
static int nv_define(struct ldr_tpm *t, uint32_t index, ESYS_TR *h, char **err)
{
	*h = ESYS_TR_NONE;
	int r = tpm_alive(t, "NV_DefineSpace", err);
	if (r)
		return r;
	TPM2B_AUTH auth = {.size = 0};
	TPM2B_NV_PUBLIC pub = {.size = 0};
	nv_template(index, t->nv->ph, 0, &pub.nvPublic);
	TSS2_RC rc =
		Esys_NV_DefineSpace(t->esys, t->nv->ph ? ESYS_TR_RH_PLATFORM : ESYS_TR_RH_OWNER,
				    ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub, h);
	if (!rc)
		return 0;
	*h = ESYS_TR_NONE;
	char what[96];
	snprintf(what, sizeof what, "NV_DefineSpace 0x%08x (%s)", index, kind_of(index));
	if (t->nv->ph && (tpm_rc_is(rc, TPM2_RC_BAD_AUTH) || tpm_rc_is(rc, TPM2_RC_AUTH_FAIL)))
		return xdrv_err(err, -EACCES,
				"TPM %s: %s: the platform authorization is not empty: while the "
				"platform hierarchy is enabled xdrv defines its indices there (so "
				"that only the platform can delete them), and it cannot here",
				t->tcti_conf, what);
	return owner_fail(t, rc, what, err);
}

static int nv_write(struct ldr_tpm *t, ESYS_TR h, const uint8_t *d, uint16_t n, const char *what,
		    char **err)
{
	int r = tpm_alive(t, what, err);
	if (r)
		return r;
	TPM2B_MAX_NV_BUFFER data = {.size = n};
	memcpy(data.buffer, d, n);
	TSS2_RC rc = Esys_NV_Write(t->esys, ESYS_TR_RH_OWNER, h, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				   ESYS_TR_NONE, &data, 0);
	return rc ? owner_fail(t, rc, what, err) : 0;
}

/* Write the directory: every floor index present, and whether the CRL number index is. */
static int dir_write(struct ldr_tpm *t, char **err)
{
	struct tpm_nv *nv = t->nv;
	if (nv->nfloors > DIR_MAX)
		return xdrv_err(err, -E2BIG,
				"TPM rollback floors: the floors directory holds %u floors, and "
				"this would be the %zu-th",
				DIR_MAX, nv->nfloors);
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	int r = nv->dir_present ? nv_open(t, FLOORS_DIR_NV_INDEX, who_of(FLOORS_DIR_NV_INDEX), &h,
					  &written, err)
				: nv_define(t, FLOORS_DIR_NV_INDEX, &h, err);
	if (r == -ENOENT)
		r = xdrv_err(
			err, -EPERM,
			"TPM floors directory: NV index 0x%08x was there when the boot started "
			"and is gone: deleted",
			FLOORS_DIR_NV_INDEX);
	if (r)
		return r;
	nv->dir_present = 1;
	uint8_t d[DIR_SIZE] = {0};
	memcpy(d, dir_magic, sizeof dir_magic);
	d[8] = nv->crl_present && nv->crl_written ? DIR_FLAG_CRL : 0;
	size_t o = DIR_HEAD;
	for (uint32_t s = 0; s < 65536 && o + 2 <= DIR_SIZE; s++) {
		if (has_slot(nv, s) && is_written(nv, s)) {
			d[o++] = (uint8_t)(s >> 8);
			d[o++] = (uint8_t)s;
		}
	}
	size_t count = (o - DIR_HEAD) / 2;
	d[10] = (uint8_t)(count >> 8);
	d[11] = (uint8_t)count;
	r = nv_write(t, h, d, (uint16_t)o, "NV_Write (floors directory)", err);
	close_h(t, &h);
	return r;
}

/* The handles defined in xdrv's range, ascending. */
static int list_handles(struct ldr_tpm *t, uint32_t **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	uint32_t from = FLOOR_NV_BASE;
	for (;;) {
		int r = tpm_alive(t, "GetCapability (NV indices)", err);
		if (r)
			return r;
		TPMS_CAPABILITY_DATA *c = NULL;
		TPMI_YES_NO more = 0;
		TSS2_RC rc =
			Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   TPM2_CAP_HANDLES, from, TPM2_MAX_CAP_HANDLES, &more, &c);
		if (rc)
			return tpm_fail(t, rc, "GetCapability (NV indices)", err);
		const TPML_HANDLE *hl = &c->data.handles;
		uint32_t last = 0;
		int past = 0;
		for (UINT32 i = 0; i < hl->count && i < TPM2_MAX_CAP_HANDLES; i++) {
			last = hl->handle[i];
			if (last > FLOORS_DIR_NV_INDEX || last < from) {
				past = 1;
				break;
			}
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				uint32_t *nh = realloc(*out, cap * sizeof *nh);
				if (!nh) {
					Esys_Free(c);
					return xdrv_err(err, -ENOMEM, "out of memory");
				}
				*out = nh;
			}
			(*out)[(*n)++] = last;
		}
		UINT32 count = hl->count;
		Esys_Free(c);
		if (past || !more || count == 0 || last >= FLOORS_DIR_NV_INDEX)
			return 0;
		from = last + 1;
	}
}

struct dir_view {
	int written, bad;
	unsigned flags;
	size_t count;
	uint16_t slot[DIR_MAX];
};

static int dir_read(struct ldr_tpm *t, struct dir_view *v, char **err)
{
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	int r = nv_open(t, FLOORS_DIR_NV_INDEX, who_of(FLOORS_DIR_NV_INDEX), &h, &written, err);
	if (r)
		return r;
	uint8_t d[DIR_SIZE] = {0};
	v->written = written;
	if (written)
		r = nv_read(t, h, DIR_HEAD, 0, d, "NV_Read (floors directory)", err);
	if (!r && written) {
		v->flags = d[8];
		v->count = (size_t)d[10] << 8 | d[11];
		v->bad = memcmp(d, dir_magic, sizeof dir_magic) != 0 || d[9] != 0 ||
			 (v->flags & ~DIR_FLAG_CRL) != 0 || v->count > DIR_MAX;
		if (!v->bad && v->count)
			r = nv_read(t, h, (uint16_t)(2 * v->count), DIR_HEAD, d,
				    "NV_Read (floors directory)", err);
		for (size_t i = 0; !r && !v->bad && i < v->count; i++)
			v->slot[i] = (uint16_t)(d[2 * i] << 8 | d[2 * i + 1]);
	}
	close_h(t, &h);
	return r;
}

/* What deleting one of xdrv's indices takes, for the messages. */
static const char *how_deleted(const struct tpm_nv *nv)
{
	return nv->ph ? "that takes TPM2_NV_UndefineSpaceSpecial with the platform authorization"
		      : "TPM2_NV_UndefineSpace with the owner authorization, or "
			"TPM2_NV_UndefineSpaceSpecial with the platform's for a platform index";
}

static int check(struct ldr_tpm *t, int reinit, char *note, size_t note_cap, char **err)
{
	if (note && note_cap)
		*note = 0;
	free(t->nv);
	if (!(t->nv = calloc(1, sizeof *t->nv)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	struct tpm_nv *nv = t->nv;
	struct ldr_tpm_status st;
	int r = ldr_tpm_status(t, &st, err);
	if (r)
		return r;
	if (!st.platform_nv_enabled)
		return xdrv_err(err, -EPERM,
				"TPM %s: the platform's NV indices are disabled (phEnableNV clear: "
				"TPM2_HierarchyControl since the last TPM reset): xdrv's rollback "
				"floors, platform indices, would read as missing; refusing to boot",
				t->tcti_conf);
	nv->ph = st.platform_enabled;
	uint32_t *hs = NULL;
	size_t n = 0;
	struct dir_view dv;
	memset(&dv, 0, sizeof dv);
	if ((r = list_handles(t, &hs, &n, err)))
		goto out;
	for (size_t i = 0; i < n && !r; i++) {
		ESYS_TR h = ESYS_TR_NONE;
		int written = 0;
		if (hs[i] == FLOORS_DIR_NV_INDEX) {
			nv->dir_present = 1;
			r = dir_read(t, &dv, err);
			if (r == -ENOENT) /* gone since the listing: as if never there */
				nv->dir_present = 0, r = 0;
			continue;
		}
		r = nv_open(t, hs[i], who_of(hs[i]), &h, &written, err);
		if (r == -ENOENT) /* gone since the listing: the check below says so */
			r = 0;
		else if (!r && hs[i] == CRL_NUMBER_NV_INDEX)
			nv->crl_present = 1, nv->crl_written = written;
		else if (!r)
			set_slot(nv, hs[i] & 0xFFFFu, written);
		close_h(t, &h);
	}
	if (r)
		goto out;
	nv->dir_was_present = nv->dir_present;
	/* what the directory promises and the TPM lacks. xdrv lists an index only once it has
	 * written it, so a listed index never written was deleted and defined again: its Name is
	 * xdrv's, but its value (floor 0) is not */
	size_t missing = 0, recreated = 0;
	uint32_t first = 0, first_re = 0;
	for (size_t i = 0; !dv.bad && i < dv.count; i++) {
		uint32_t sl = dv.slot[i];
		if (!has_slot(nv, sl) && !missing++)
			first = FLOOR_NV_BASE | sl;
		if (has_slot(nv, sl) && !is_written(nv, sl) && !recreated++)
			first_re = FLOOR_NV_BASE | sl;
	}
	int crl_listed = !dv.bad && (dv.flags & DIR_FLAG_CRL);
	int crl_missing = crl_listed && !nv->crl_present;
	int crl_recreated = crl_listed && nv->crl_present && !nv->crl_written;
	int orphans = !nv->dir_present && (nv->nfloors || nv->crl_present);
	static const char reinit_hint[] =
		"refusing to boot (if the loss is known and accepted: xdrv boot --reinit-floors, "
		"which rebuilds the directory from the TPM and is measured)";
	if (!reinit) {
		if (dv.bad)
			r = xdrv_err(err, -EPERM,
				     "TPM floors directory: NV index 0x%08x does not hold xdrv's "
				     "directory (overwritten with the owner authorization); %s",
				     FLOORS_DIR_NV_INDEX, reinit_hint);
		else if (missing)
			r = xdrv_err(
				err, -EPERM,
				"TPM rollback floor: NV index 0x%08x%s listed in xdrv's floors "
				"directory (NV 0x%08x) %s not on the TPM: deleted (%s), and a "
				"deleted floor reads as 0; %s",
				first, missing > 1 ? " and others" : "", FLOORS_DIR_NV_INDEX,
				missing > 1 ? "are" : "is", how_deleted(nv), reinit_hint);
		else if (recreated)
			r = xdrv_err(
				err, -EPERM,
				"TPM rollback floor: NV index 0x%08x%s listed in xdrv's floors "
				"directory (NV 0x%08x) %s never been written, and xdrv lists a "
				"floor "
				"only once written: deleted and defined again (%s), and a "
				"re-created floor reads as 0; %s",
				first_re, recreated > 1 ? " and others" : "", FLOORS_DIR_NV_INDEX,
				recreated > 1 ? "have" : "has", how_deleted(nv), reinit_hint);
		else if (crl_missing || crl_recreated)
			r = xdrv_err(
				err, -EPERM,
				"TPM CRL number: NV index 0x%08x, listed in xdrv's floors "
				"directory (NV 0x%08x), %s, and an older CRL would be accepted "
				"again; %s",
				CRL_NUMBER_NV_INDEX, FLOORS_DIR_NV_INDEX,
				crl_missing ? "is not on the TPM: deleted"
					    : "was never written: deleted and defined again",
				reinit_hint);
		else if (orphans)
			r = xdrv_err(
				err, -EPERM,
				"TPM floors directory: NV index 0x%08x is missing while %zu of "
				"xdrv's floor indices%s exist: deleted, so it cannot say which "
				"floors were deleted with it; %s",
				FLOORS_DIR_NV_INDEX, nv->nfloors,
				nv->crl_present ? " and the CRL number index" : "", reinit_hint);
		goto out;
	}
	if (note && note_cap)
		snprintf(note, note_cap,
			 "directory %s; rebuilt from the TPM: %zu floor index(es)%s; %zu listed "
			 "floor(s) missing and dropped, %zu re-created (floor 0)%s",
			 !nv->dir_present ? "missing"
			 : dv.bad	  ? "overwritten"
			 : dv.written	  ? "present"
					  : "never written",
			 nv->nfloors, nv->crl_present ? " and the CRL number index" : "", missing,
			 recreated,
			 crl_missing	 ? ", the CRL number index missing and dropped"
			 : crl_recreated ? ", the CRL number index re-created (0)"
					 : "");
	r = dir_write(t, err);
	if (r)
		xdrv_err_prefix(err, "re-initializing the TPM floors");
out:
	free(hs);
	return r;
}

int ldr_tpm_nv_check(struct ldr_tpm *t, int reinit, char *note, size_t note_cap, char **err)
{
	int r = check(t, reinit, note, note_cap, err);
	if (r) { /* nothing half-checked is ever used: the next read checks again */
		free(t->nv);
		t->nv = NULL;
	}
	return r;
}

const char *ldr_tpm_nv_mode(const struct ldr_tpm *t)
{
	return t->nv && !t->nv->ph ? "owner" : "platform";
}

int ldr_tpm_nv_fresh(const struct ldr_tpm *t)
{
	return t->nv && !t->nv->dir_was_present;
}

static int checked(struct ldr_tpm *t, char **err)
{
	return t->nv ? 0 : ldr_tpm_nv_check(t, 0, NULL, 0, err);
}

/* Open an index the check found (and so must still be there). */
static int reopen(struct ldr_tpm *t, uint32_t index, const char *who, ESYS_TR *h, int *written,
		  char **err)
{
	int r = nv_open(t, index, who, h, written, err);
	if (r == -ENOENT)
		r = xdrv_err(
			err, -EPERM,
			"%s: NV index 0x%08x was on the TPM when the boot started and is gone: "
			"deleted; refusing to go on",
			who, index);
	return r;
}

int ldr_tpm_floor_read(struct ldr_tpm *t, const char *name, uint64_t *floor, char **err)
{
	*floor = 0;
	int r = checked(t, err);
	uint32_t index = floor_index(name);
	if (r || !has_slot(t->nv, index & 0xFFFFu))
		return r;
	char who[128];
	snprintf(who, sizeof who, "TPM rollback floor of \"%.63s\"", name);
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	uint8_t d[8] = {0};
	if ((r = reopen(t, index, who, &h, &written, err)) != 0)
		return r;
	if (written)
		r = nv_read(t, h, 8, 0, d, "NV_Read (rollback floor)", err);
	close_h(t, &h);
	if (r || !written)
		return r; /* defined, never written: floor 0 */
	uint64_t bits = 0;
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | d[i];
	while (bits) {
		(*floor)++;
		bits >>= 1;
	}
	return 0;
}

int ldr_tpm_floor_raise(struct ldr_tpm *t, const char *name, uint64_t floor, char **err)
{
	if (floor == 0)
		return 0;
	if (floor > 64)
		return xdrv_err(err, -ERANGE,
				"rollback floor %llu of %s: a TPM floor holds 0..64 (one bit each)",
				(unsigned long long)floor, name);
	int r = checked(t, err);
	if (r)
		return r;
	struct tpm_nv *nv = t->nv;
	uint32_t index = floor_index(name);
	int fresh = !has_slot(nv, index & 0xFFFFu);
	if (fresh && nv->nfloors >= DIR_MAX)
		return xdrv_err(err, -E2BIG,
				"rollback floor of %s: xdrv's floors directory is full (%u floors)",
				name, DIR_MAX);
	char who[128];
	snprintf(who, sizeof who, "TPM rollback floor of \"%.63s\"", name);
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	if (fresh && !nv->dir_present)
		r = dir_write(t, err); /* the directory first: floors never exist without it */
	if (!r && fresh) {
		r = nv_define(t, index, &h, err);
		if (!r)
			set_slot(nv, index & 0xFFFFu, 0);
	} else if (!r) {
		r = reopen(t, index, who, &h, &written, err);
	}
	if (!r && (r = tpm_alive(t, "NV_SetBits", err)) == 0) {
		TSS2_RC rc = Esys_NV_SetBits(t->esys, ESYS_TR_RH_OWNER, h, ESYS_TR_PASSWORD,
					     ESYS_TR_NONE, ESYS_TR_NONE, 1ull << (floor - 1));
		if (rc)
			r = owner_fail(t, rc, "NV_SetBits (rollback floor)", err);
	}
	close_h(t, &h);
	int listed = has_slot(nv, index & 0xFFFFu) && is_written(nv, index & 0xFFFFu);
	if (!r)
		set_slot(nv, index & 0xFFFFu, 1);
	if (!r && !listed) /* a new floor, or one found defined but never written */
		r = dir_write(t, err);
	return r;
}

int ldr_tpm_crl_number_read(struct ldr_tpm *t, uint64_t *number, char **err)
{
	*number = 0;
	int r = checked(t, err);
	if (r || !t->nv->crl_present)
		return r;
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	uint8_t d[8] = {0};
	if ((r = reopen(t, CRL_NUMBER_NV_INDEX, who_of(CRL_NUMBER_NV_INDEX), &h, &written, err)) !=
	    0)
		return r;
	if (written)
		r = nv_read(t, h, 8, 0, d, "NV_Read (CRL number)", err);
	close_h(t, &h);
	for (int i = 0; !r && written && i < 8; i++)
		*number = *number << 8 | d[i];
	return r;
}

int ldr_tpm_crl_number_raise(struct ldr_tpm *t, uint64_t number, char **err)
{
	uint64_t have = 0;
	int r = ldr_tpm_crl_number_read(t, &have, err);
	if (r || (t->nv->crl_present && have >= number))
		return r; /* only ever up */
	struct tpm_nv *nv = t->nv;
	int fresh = !nv->crl_present;
	ESYS_TR h = ESYS_TR_NONE;
	int written = 0;
	if (fresh && !nv->dir_present)
		r = dir_write(t, err);
	if (!r && fresh) {
		r = nv_define(t, CRL_NUMBER_NV_INDEX, &h, err);
		nv->crl_present = !r;
	} else if (!r) {
		r = reopen(t, CRL_NUMBER_NV_INDEX, who_of(CRL_NUMBER_NV_INDEX), &h, &written, err);
	}
	if (!r) {
		uint8_t d[8] = {0};
		for (int i = 0; i < 8; i++)
			d[i] = (uint8_t)(number >> (8 * (7 - i)));
		r = nv_write(t, h, d, 8, "NV_Write (CRL number)", err);
	}
	close_h(t, &h);
	int listed = nv->crl_written;
	if (!r)
		nv->crl_written = 1;
	if (!r && !listed)
		r = dir_write(t, err);
	return r;
}
