// SPDX-License-Identifier: MIT
/*
 * The TPM 2.0 the boot measures into, through tss2-esys and the TCTI loader: the connection,
 * PCR extend and read (SHA-256 bank), the TPM's authorization state, and quotes by an attestation
 * key. xdrv's NV indices (rollback floors, the highest CRL number) are tpm_nv.c's. Nothing here
 * knows about drivers or logs; boot_seq.c and attest.c decide what to extend and quote.
 *
 * The attestation key is a primary key created from the endorsement seed with a fixed template,
 * so it is the same key on every call for one TPM and needs no persistent handle.
 */
#include "xdrv/boot.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm_priv.h"
#include "xdrv/util.h"

static void drop(struct ldr_tpm *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	t->esys = NULL;
	t->tcti = NULL;
}

int tpm_alive(struct ldr_tpm *t, const char *what, char **err)
{
	if (t->fail_after >= 0 && t->commands >= t->fail_after)
		drop(t);
	if (!t->esys)
		return xdrv_err(err, -EIO, "TPM %s: %s: the TPM stopped answering", t->tcti_conf,
				what);
	t->commands++;
	return 0;
}

int tpm_fail(struct ldr_tpm *t, TSS2_RC rc, const char *what, char **err)
{
	return xdrv_err(err, -EIO, "TPM %s: %s: %s", t->tcti_conf, what, Tss2_RC_Decode(rc));
}

int ldr_tpm_open(const char *tcti, struct ldr_tpm **out, char **err)
{
	*out = NULL;
	if (!tcti || !*tcti)
		return xdrv_err(err, -EINVAL, "TPM: empty TCTI string");
	/* the TSS logs every failed command to stderr; our messages say it once */
	setenv("TSS2_LOG", "all+NONE", 0);
	struct ldr_tpm *t = calloc(1, sizeof *t);
	if (!t || !(t->tcti_conf = strdup(tcti))) {
		free(t);
		return xdrv_err(err, -ENOMEM, "TPM: out of memory");
	}
	t->fail_after = -1;
	const char *fa = getenv("XDRV_TPM_FAIL_AFTER");
	if (fa && *fa)
		t->fail_after = strtol(fa, NULL, 10);
	TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		int r = xdrv_err(err, -ENODEV, "TPM %s: cannot connect (%s)", tcti,
				 Tss2_RC_Decode(rc));
		t->tcti = NULL;
		ldr_tpm_close(t);
		return r;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		int r = xdrv_err(err, -ENODEV, "TPM %s: %s", tcti, Tss2_RC_Decode(rc));
		t->esys = NULL;
		ldr_tpm_close(t);
		return r;
	}
	/* one round trip now, so that "absent" is found here, not at the first extend */
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more, &cap);
	Esys_Free(cap);
	if (rc != TSS2_RC_SUCCESS) {
		int r = xdrv_err(err, -ENODEV, "TPM %s: not answering (%s)", tcti,
				 Tss2_RC_Decode(rc));
		ldr_tpm_close(t);
		return r;
	}
	*out = t;
	return 0;
}

void ldr_tpm_close(struct ldr_tpm *t)
{
	if (!t)
		return;
	drop(t);
	free(t->nv);
	free(t->tcti_conf);
	free(t);
}

int tpm_rc_is(TSS2_RC rc, TSS2_RC code)
{
	/* format one (bit 7): bits 8..11 number the handle, session or parameter and bit 6 says
	 * which; what is left is the code. Only TPM answers (layer 0) are codes of the TPM. */
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return 0;
	return (rc & TPM2_RC_FMT1) ? (rc & 0xBF) == code : (rc & 0xFFF) == code;
}

int ldr_tpm_status(struct ldr_tpm *t, struct ldr_tpm_status *st, char **err)
{
	memset(st, 0, sizeof *st);
	int r = tpm_alive(t, "GetCapability (permanent and startup-clear attributes)", err);
	if (r)
		return r;
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = 0;
	/* TPM_PT_PERMANENT and TPM_PT_STARTUP_CLEAR are consecutive: one command reads both */
	TSS2_RC rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					TPM2_CAP_TPM_PROPERTIES, TPM2_PT_PERMANENT, 2, &more, &cap);
	if (rc)
		return tpm_fail(t, rc, "GetCapability (permanent and startup-clear attributes)",
				err);
	int seen = 0;
	const TPML_TAGGED_TPM_PROPERTY *p = &cap->data.tpmProperties;
	for (UINT32 i = 0; i < p->count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
		UINT32 v = p->tpmProperty[i].value;
		if (p->tpmProperty[i].property == TPM2_PT_PERMANENT) {
			st->owner_auth_set = (v & TPMA_PERMANENT_OWNERAUTHSET) != 0;
			st->lockout_auth_set = (v & TPMA_PERMANENT_LOCKOUTAUTHSET) != 0;
			seen |= 1;
		} else if (p->tpmProperty[i].property == TPM2_PT_STARTUP_CLEAR) {
			st->platform_enabled = (v & TPMA_STARTUP_CLEAR_PHENABLE) != 0;
			st->platform_nv_enabled = (v & TPMA_STARTUP_CLEAR_PHENABLENV) != 0;
			seen |= 2;
		}
	}
	Esys_Free(cap);
	if (seen != 3)
		return xdrv_err(err, -EIO,
				"TPM %s: GetCapability did not report TPM_PT_PERMANENT and "
				"TPM_PT_STARTUP_CLEAR",
				t->tcti_conf);
	return 0;
}

const char *ldr_tpm_empty_owner_auth_warning(void)
{
	return "the TPM's owner authorization is empty: anyone who can open the TPM can define NV "
	       "indices where xdrv's go (the boot then refuses to run), rewrite the highest CRL "
	       "number xdrv keeps (NV 0x01590000: an older CRL is accepted again) and, where "
	       "xdrv's "
	       "floors are owner indices (no platform hierarchy), delete the rollback floors; set "
	       "one (tpm2_changeauth -c owner) and give it to xdrv (boot configuration key "
	       "tpm_owner_auth)";
}

int ldr_tpm_set_owner_auth(struct ldr_tpm *t, const uint8_t *auth, size_t len, char **err)
{
	TPM2B_AUTH a = {.size = 0};
	if (len > sizeof a.buffer)
		return xdrv_err(err, -EINVAL, "TPM owner authorization: %zu bytes, at most %zu",
				len, sizeof a.buffer);
	a.size = (UINT16)len;
	memcpy(a.buffer, auth, len);
	TSS2_RC rc = Esys_TR_SetAuth(t->esys, ESYS_TR_RH_OWNER, &a);
	OPENSSL_cleanse(&a, sizeof a);
	if (rc)
		return tpm_fail(t, rc, "setting the owner authorization", err);
	t->owner_auth_given = 1;
	return 0;
}

int ldr_tpm_extend(struct ldr_tpm *t, uint32_t pcr, const uint8_t digest[32], char **err)
{
	if (pcr > 23)
		return xdrv_err(err, -EINVAL, "TPM: PCR %u out of range", pcr);
	int r = tpm_alive(t, "PCR_Extend", err);
	if (r)
		return r;
	TPML_DIGEST_VALUES d = {.count = 1};
	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(d.digests[0].digest.sha256, digest, 32);
	TSS2_RC rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				     ESYS_TR_NONE, &d);
	return rc ? tpm_fail(t, rc, "PCR_Extend", err) : 0;
}

static void select_pcrs(TPML_PCR_SELECTION *s, const uint32_t *pcrs, size_t n)
{
	memset(s, 0, sizeof *s);
	s->count = 1;
	s->pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->pcrSelections[0].sizeofSelect = 3;
	for (size_t i = 0; i < n; i++)
		s->pcrSelections[0].pcrSelect[pcrs[i] / 8] |= (uint8_t)(1u << (pcrs[i] % 8));
}

int ldr_tpm_pcr_read(struct ldr_tpm *t, uint32_t pcr, uint8_t out[32], char **err)
{
	if (pcr > 23)
		return xdrv_err(err, -EINVAL, "TPM: PCR %u out of range", pcr);
	int r = tpm_alive(t, "PCR_Read", err);
	if (r)
		return r;
	TPML_PCR_SELECTION sel, *osel = NULL;
	TPML_DIGEST *vals = NULL;
	UINT32 upd = 0;
	select_pcrs(&sel, &pcr, 1);
	TSS2_RC rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &upd,
				   &osel, &vals);
	if (rc)
		return tpm_fail(t, rc, "PCR_Read", err);
	if (!vals || vals->count != 1 || vals->digests[0].size != 32)
		r = xdrv_err(err, -EIO, "TPM %s: PCR %u: no SHA-256 bank", t->tcti_conf, pcr);
	else
		memcpy(out, vals->digests[0].buffer, 32);
	Esys_Free(osel);
	Esys_Free(vals);
	return r;
}

/* ---- quotes --------------------------------------------------------------------------------- */
static char *ecc_pem(const TPMS_ECC_POINT *pt, char **err)
{
	uint8_t pub[1 + 2 * 32];
	char *pem = NULL;
	if (pt->x.size != 32 || pt->y.size != 32) {
		xdrv_err(err, -EIO, "TPM: attestation key is not a P-256 point");
		return NULL;
	}
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, pt->x.buffer, 32);
	memcpy(pub + 33, pt->y.buffer, 32);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	if (!b || !pc || !bio ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) ||
	    !(params = OSSL_PARAM_BLD_to_param(b)) || EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0 ||
	    !PEM_write_bio_PUBKEY(bio, pk)) {
		xdrv_err(err, -EIO, "TPM: attestation key: cannot encode the public key");
		goto out;
	}
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	if (n > 0 && (pem = malloc((size_t)n + 1))) {
		memcpy(pem, p, (size_t)n);
		pem[n] = 0;
	}
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pem;
}

int ldr_tpm_quote(struct ldr_tpm *t, const uint8_t *nonce, size_t nlen, struct ldr_quote *q,
		  char **err)
{
	memset(q, 0, sizeof *q);
	if (!nonce || nlen == 0 || nlen > 64)
		return xdrv_err(err, -EINVAL, "quote: nonce of %zu bytes (1..64)", nlen);
	static const uint32_t pcrs[2] = {BOOT_PCR_PLATFORM, BOOT_PCR_DRIVERS};
	int r = 0;
	for (int i = 0; i < 2 && !r; i++)
		r = ldr_tpm_pcr_read(t, pcrs[i], q->pcr[i], err);
	if (r)
		return r;
	r = tpm_alive(t, "CreatePrimary (attestation key)", err);
	if (r)
		return r;
	TPM2B_SENSITIVE_CREATE sens = {.size = 0};
	TPM2B_PUBLIC tmpl = {.size = 0};
	TPMT_PUBLIC *pa = &tmpl.publicArea;
	pa->type = TPM2_ALG_ECC;
	pa->nameAlg = TPM2_ALG_SHA256;
	pa->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
			       TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
			       TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN;
	pa->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	pa->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	pa->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	pa->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	pa->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	TPM2B_DATA outside = {.size = 0};
	TPML_PCR_SELECTION none = {.count = 0};
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside, &none,
					&ak, &pub, NULL, NULL, NULL);
	if (rc)
		return tpm_fail(t, rc, "CreatePrimary (attestation key)", err);
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	q->ak_pem = ecc_pem(&pub->publicArea.unique.ecc, err);
	if (!q->ak_pem) {
		r = -EIO;
		goto out_flush;
	}
	r = tpm_alive(t, "Quote", err);
	if (r)
		goto out_flush;
	TPM2B_DATA qd = {.size = (UINT16)nlen};
	memcpy(qd.buffer, nonce, nlen);
	TPMT_SIG_SCHEME scheme;
	memset(&scheme, 0, sizeof scheme);
	scheme.scheme = TPM2_ALG_NULL; /* the key's own scheme (ECDSA-SHA256) */
	TPML_PCR_SELECTION sel;
	select_pcrs(&sel, pcrs, 2);
	rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qd, &scheme,
			&sel, &quoted, &sig);
	if (rc) {
		r = tpm_fail(t, rc, "Quote", err);
		goto out_flush;
	}
	uint8_t sbuf[sizeof(TPMT_SIGNATURE)];
	size_t off = 0;
	q->attest = malloc(quoted->size);
	if (!q->attest ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sbuf, sizeof sbuf, &off) != TSS2_RC_SUCCESS ||
	    !(q->sig = malloc(off))) {
		r = xdrv_err(err, -ENOMEM, "quote: out of memory");
		goto out_flush;
	}
	memcpy(q->attest, quoted->attestationData, quoted->size);
	q->attest_len = quoted->size;
	memcpy(q->sig, sbuf, off);
	q->sig_len = off;
out_flush:
	if (t->esys)
		Esys_FlushContext(t->esys, ak);
	Esys_Free(pub);
	Esys_Free(quoted);
	Esys_Free(sig);
	if (r)
		ldr_quote_free(q);
	return r;
}

void ldr_quote_free(struct ldr_quote *q)
{
	if (!q)
		return;
	free(q->attest);
	free(q->sig);
	free(q->ak_pem);
	memset(q, 0, sizeof *q);
}
