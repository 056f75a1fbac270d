// SPDX-License-Identifier: MIT
/*
 * Attestation: a bundle with a TPM quote over the boot PCRs (11, 12), the event log and the
 * attestation key's public part (`xdrv attest`), and its verification (`xdrv verify-boot`):
 * quote structure and nonce, the signature by the attestation key, the replay of the log
 * against the quoted PCR digest, the shape of the boot the log describes, and a reference
 * (allow-list) of loaders, configurations and driver packages. Then the chain is printed for a
 * person: loader, policy, drivers, signers, CPU.
 *
 * The bundle is JSON (docs/BOOT.md); the quote and signature are kept exactly as the TPM
 * marshaled them, so tpm2_checkquote can check the same bytes (attest_create's export_dir).
 */
#include "boot_priv.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "xdrv/util.h"

#define BUNDLE_MAX (4u << 20)
#define LOG_MAX	   (1u << 20)

int boot_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (v < 0)
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static char *hex_of(const uint8_t *d, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s)
		xdrv_hex(d, n, s);
	return s;
}

static int write_export(const char *dir, const char *name, const void *d, size_t n, char **err)
{
	char p[4096];
	if (xdrv_snprintf(p, sizeof p, "%s/%s", dir, name))
		return xdrv_err(err, -ENAMETOOLONG, "export: path too long");
	return xdrv_write_file_atomic(p, d, n, 0644, err);
}

int attest_create(const char *tcti, const char *event_log, const uint8_t *nonce, size_t nlen,
		  const char *bundle_path, const char *export_dir, char **err)
{
	uint8_t *log = NULL;
	size_t loglen = 0;
	struct ldr_tpm *t = NULL;
	struct ldr_quote qt;
	json_t *j = NULL;
	char *s = NULL, *h[5] = {0};
	memset(&qt, 0, sizeof qt);
	int rc = xdrv_read_file(event_log, LOG_MAX, &log, &loglen, err);
	if (rc) {
		xdrv_err_prefix(err, "event log");
		return rc;
	}
	rc = ldr_tpm_open(tcti, &t, err);
	struct ldr_tpm_status st;
	if (!rc && (rc = ldr_tpm_status(t, &st, err)) == 0 && !st.owner_auth_set)
		fprintf(stderr, "attest: warning: %s\n", ldr_tpm_empty_owner_auth_warning());
	if (!rc)
		rc = ldr_tpm_quote(t, nonce, nlen, &qt, err);
	if (rc)
		goto out;
	h[0] = hex_of(nonce, nlen);
	h[1] = hex_of(qt.attest, qt.attest_len);
	h[2] = hex_of(qt.sig, qt.sig_len);
	h[3] = hex_of(qt.pcr[0], 32);
	h[4] = hex_of(qt.pcr[1], 32);
	char *lh = hex_of(log, loglen);
	j = json_pack("{s:i, s:s, s:s, s:s, s:[i,i], s:{s:s?, s:s?}, s:s?, s:s?, s:s, s:s?}",
		      "format", 1, "kind", "xdrv-attestation", "tcti", tcti, "pcr_bank", "sha256",
		      "pcrs", BOOT_PCR_PLATFORM, BOOT_PCR_DRIVERS, "pcr_values", "11", h[3], "12",
		      h[4], "nonce", h[0], "quote", h[1], "ak_public", qt.ak_pem, "signature",
		      h[2]);
	if (j && lh)
		json_object_set_new(j, "event_log", json_string(lh));
	free(lh);
	if (!j || !lh || !(s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS))) {
		rc = xdrv_err(err, -ENOMEM, "bundle: out of memory");
		goto out;
	}
	rc = xdrv_write_file_atomic(bundle_path, s, strlen(s), 0644, err);
	if (!rc && export_dir) {
		uint8_t pcrs[64];
		memcpy(pcrs, qt.pcr[0], 32);
		memcpy(pcrs + 32, qt.pcr[1], 32);
		rc = xdrv_mkdirs(export_dir, 0755, err);
		if (!rc)
			rc = write_export(export_dir, "quote.msg", qt.attest, qt.attest_len, err);
		if (!rc)
			rc = write_export(export_dir, "quote.sig", qt.sig, qt.sig_len, err);
		if (!rc)
			rc = write_export(export_dir, "ak.pem", qt.ak_pem, strlen(qt.ak_pem), err);
		if (!rc)
			rc = write_export(export_dir, "pcrs.bin", pcrs, sizeof pcrs, err);
		if (!rc)
			rc = write_export(export_dir, "eventlog.bin", log, loglen, err);
	}
out:
	free(s);
	for (int i = 0; i < 5; i++)
		free(h[i]);
	json_decref(j);
	ldr_quote_free(&qt);
	ldr_tpm_close(t);
	free(log);
	return rc;
}

/* ---- verification ---------------------------------------------------------------------------- */
struct bundle {
	json_t *j;
	uint8_t *quote, *sig, *log;
	size_t quote_len, sig_len, log_len;
	const char *ak_pem;
};

static int field_hex(json_t *j, const char *k, size_t cap, uint8_t **out, size_t *len, char **err)
{
	json_t *v = json_object_get(j, k);
	if (!json_is_string(v))
		return xdrv_err(err, -EBADMSG, "bundle: %s: missing", k);
	const char *s = json_string_value(v);
	if (strlen(s) / 2 > cap || !(*out = malloc(strlen(s) / 2 + 1)))
		return xdrv_err(err, -EBADMSG, "bundle: %s: too large", k);
	if (boot_hex_decode(s, *out, cap, len))
		return xdrv_err(err, -EBADMSG, "bundle: %s: not hex", k);
	return 0;
}

static int load_bundle(const char *path, struct bundle *b, char **err)
{
	json_error_t je;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(path, BUNDLE_MAX, &buf, &len, err);
	if (rc)
		return rc;
	b->j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!b->j || !json_is_object(b->j))
		return xdrv_err(err, -EBADMSG, "bundle %s: not JSON (%s)", path, je.text);
	json_t *k = json_object_get(b->j, "kind");
	if (!json_is_string(k) || strcmp(json_string_value(k), "xdrv-attestation") != 0)
		return xdrv_err(err, -EBADMSG, "bundle %s: not an xdrv attestation", path);
	json_t *ak = json_object_get(b->j, "ak_public");
	if (!json_is_string(ak))
		return xdrv_err(err, -EBADMSG, "bundle: ak_public: missing");
	b->ak_pem = json_string_value(ak);
	if ((rc = field_hex(b->j, "quote", 4096, &b->quote, &b->quote_len, err)) ||
	    (rc = field_hex(b->j, "signature", 4096, &b->sig, &b->sig_len, err)) ||
	    (rc = field_hex(b->j, "event_log", LOG_MAX, &b->log, &b->log_len, err)))
		return rc;
	return 0;
}

static void free_bundle(struct bundle *b)
{
	json_decref(b->j);
	free(b->quote);
	free(b->sig);
	free(b->log);
}

static EVP_PKEY *pem_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return k;
}

static int check_signature(const struct bundle *b, const char *pin_pem, char fp[65], char **err)
{
	TPMT_SIGNATURE sig;
	size_t off = 0;
	memset(&sig, 0, sizeof sig);
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(b->sig, b->sig_len, &off, &sig) || off != b->sig_len)
		return xdrv_err(err, -EBADMSG, "quote signature: not a TPMT_SIGNATURE");
	if (sig.sigAlg != TPM2_ALG_ECDSA || sig.signature.ecdsa.hash != TPM2_ALG_SHA256)
		return xdrv_err(err, -EBADMSG, "quote signature: not ECDSA with SHA-256");
	EVP_PKEY *k = pem_key(b->ak_pem);
	if (!k)
		return xdrv_err(err, -EBADMSG, "bundle: ak_public: not a PEM public key");
	int rc = 0;
	uint8_t *der = NULL, *spki = NULL;
	int spki_len = i2d_PUBKEY(k, &spki);
	uint8_t d[32];
	unsigned int dl = 32;
	if (spki_len > 0 && EVP_Digest(spki, (size_t)spki_len, d, &dl, EVP_sha256(), NULL))
		xdrv_hex(d, 32, fp);
	OPENSSL_free(spki);
	if (pin_pem) {
		EVP_PKEY *pin = pem_key(pin_pem);
		if (!pin || EVP_PKEY_eq(pin, k) != 1)
			rc = xdrv_err(err, -EPERM,
				      "attestation key %.16s... is not the pinned one (--ak)", fp);
		EVP_PKEY_free(pin);
		if (rc)
			goto out;
	}
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig.signature.ecdsa.signatureR.buffer,
			      sig.signature.ecdsa.signatureR.size, NULL);
	BIGNUM *s = BN_bin2bn(sig.signature.ecdsa.signatureS.buffer,
			      sig.signature.ecdsa.signatureS.size, NULL);
	int dlen = 0;
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		rc = xdrv_err(err, -ENOMEM, "quote signature: out of memory");
	} else if ((dlen = i2d_ECDSA_SIG(es, &der)) <= 0) {
		rc = xdrv_err(err, -EBADMSG, "quote signature: cannot encode");
	}
	ECDSA_SIG_free(es);
	if (rc)
		goto out;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	if (!mc || EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestVerify(mc, der, (size_t)dlen, b->quote, b->quote_len) != 1)
		rc = xdrv_err(err, -EPERM,
			      "quote signature does not verify with the attestation key in the "
			      "bundle (a quote from another key, or a modified quote)");
	EVP_MD_CTX_free(mc);
out:
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return rc;
}

/* The value of `key=` in an event text (quoted values unescaped), "" if absent, escaped for
 * display (xdrv_escape_text): a value is text from the log, and a newline or escape sequence
 * in it must not make a line of the printout. The text is read token by token, so that a quoted
 * value holding " key=..." (a safety policy, say) is never taken for the key itself. */
static const char *kv(const char *text, const char *key, char *buf, size_t n)
{
	char raw[1024];
	size_t kl = strlen(key);
	buf[0] = 0;
	for (const char *p = text; *p;) {
		int match = strncmp(p, key, kl) == 0 && p[kl] == '=';
		size_t o = 0;
		while (*p && *p != ' ' && *p != '=')
			p++;
		if (*p == '=' && *++p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (match && o + 1 < sizeof raw)
					raw[o++] = *p;
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ' '; p++)
				if (match && o + 1 < sizeof raw)
					raw[o++] = *p;
		}
		if (match) {
			raw[o] = 0;
			xdrv_escape_text(raw, buf, n);
			break;
		}
		while (*p == ' ')
			p++;
	}
	return buf;
}

static int starts(const struct evl_event *e, const char *tag)
{
	size_t n = strlen(tag);
	return e->type == EVL_EV_IPL && e->len > n && e->data[e->len - 1] == 0 &&
	       strncmp((const char *)e->data, tag, n) == 0 && e->data[n] == ' ';
}

static int in_list(json_t *arr, const char *v)
{
	if (json_is_string(arr))
		return strcmp(json_string_value(arr), v) == 0;
	for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++)
		if (json_is_string(json_array_get(arr, i)) &&
		    strcmp(json_string_value(json_array_get(arr, i)), v) == 0)
			return 1;
	return 0;
}

/* The shape of an xdrv boot, the reference, and the printout. */
int attest_check_chain(const struct evl *l, json_t *ref, FILE *o, char **err)
{
	static const char *const platform[] = {"xdrv.loader", "xdrv.config", "xdrv.trust",
					       "xdrv.policy", "xdrv.revocation"};
	char a[1024], b2[1024], c[1024], d[1024];
	size_t k = 0, i = 0;
	while (i < l->n && l->ev[i].type == EVL_EV_NO_ACTION) {
		/* bounded by the event's length: a parsed note need not end in a NUL */
		snprintf(b2, sizeof b2, "%.*s",
			 (int)(l->ev[i].len < sizeof b2 ? l->ev[i].len : sizeof b2),
			 (const char *)l->ev[i].data);
		fprintf(o, "note       %s\n", xdrv_escape_text(b2, a, sizeof a));
		i++;
	}
	for (; k < 5; k++, i++) {
		if (i >= l->n || !starts(&l->ev[i], platform[k]) ||
		    l->ev[i].pcr != BOOT_PCR_PLATFORM)
			return xdrv_err(err, -EBADMSG,
					"event log: event %zu: expected %s in PCR %u (a missing or "
					"reordered event)",
					i + 1, platform[k], BOOT_PCR_PLATFORM);
	}
	const char *t;
	t = (const char *)l->ev[i - 5].data;
	fprintf(o, "loader     sha256 %s, LLVM %s, driver ABI %s\n", kv(t, "sha256", a, sizeof a),
		kv(t, "llvm", b2, sizeof b2), kv(t, "abi", c, sizeof c));
	if (ref && json_object_get(ref, "loader_sha256") &&
	    !in_list(json_object_get(ref, "loader_sha256"), a))
		return xdrv_err(err, -EPERM, "loader sha256 %s is not in the reference", a);
	t = (const char *)l->ev[i - 4].data;
	fprintf(o, "config     sha256 %s (%s)\n", kv(t, "sha256", a, sizeof a),
		kv(t, "path", b2, sizeof b2));
	if (ref && json_object_get(ref, "config_sha256") &&
	    !in_list(json_object_get(ref, "config_sha256"), a))
		return xdrv_err(err, -EPERM,
				"boot configuration sha256 %s is not the one in the reference "
				"(changed after it was approved)",
				a);
	t = (const char *)l->ev[i - 3].data;
	fprintf(o, "trust      root sha256 %s, time floor %s\n", kv(t, "root_sha256", a, sizeof a),
		kv(t, "time_floor", b2, sizeof b2));
	t = (const char *)l->ev[i - 2].data;
	fprintf(o, "policy     signatures required %s, vendors %s, safety %s, floors in %s, %s\n",
		strcmp(kv(t, "require_signatures", a, sizeof a), "1") == 0 ? "yes" : "NO",
		kv(t, "allowed_vendors", b2, sizeof b2), kv(t, "safety", c, sizeof c),
		kv(t, "floors", d, sizeof d),
		strcmp(kv(t, "continue_on_failure", a, sizeof a), "1") == 0
			? "boot continues past a refused driver"
			: "boot stops at a refused driver");
	if (strcmp(kv(t, "floors_state", a, sizeof a), "new") == 0)
		fprintf(o,
			"floors     a new store on this boot: every rollback floor started at 0\n");
	if (strcmp(kv(t, "tpm_owner_auth", a, sizeof a), "empty") == 0)
		fprintf(o,
			"warning    the TPM's owner authorization was empty at boot: anyone could "
			"define NV indices, rewrite the CRL number xdrv keeps, delete owner-index "
			"floors (docs/BOOT.md)\n");
	t = (const char *)l->ev[i - 1].data;
	fprintf(o, "revocation CRL %s (%s serials), deny-list %s (%s digests)\n",
		kv(t, "crl_sha256", a, sizeof a), kv(t, "revoked_serials", b2, sizeof b2),
		kv(t, "deny_sha256", c, sizeof c), kv(t, "denied_digests", d, sizeof d));
	int done = 0;
	for (; i < l->n; i++) {
		const struct evl_event *e = &l->ev[i];
		t = (const char *)e->data;
		if (e->type == EVL_EV_NO_ACTION)
			continue;
		/* after xdrv.boot.done, a served boot (xdrv boot --serve) appends its code swaps,
		 * reloads and drivers that ended; nothing else */
		int served = starts(e, "xdrv.driver.swap") ||
			     starts(e, "xdrv.driver.swap_refused") ||
			     starts(e, "xdrv.driver.update") ||
			     starts(e, "xdrv.driver.update_refused") ||
			     starts(e, "xdrv.driver.ended") || starts(e, "xdrv.boot.reload");
		if (done && !(done == 1 && served))
			return xdrv_err(err, -EBADMSG, "event log: event %zu after %s", i + 1,
					done == 2 ? "xdrv.boot.stopped" : "xdrv.boot.done");
		if (!done && served)
			return xdrv_err(err, -EBADMSG,
					"event log: event %zu (%.24s) before xdrv.boot.done", i + 1,
					t);
		if (starts(e, "xdrv.driver.package") && e->pcr == BOOT_PCR_DRIVERS) {
			char name[256], sha[80], pay[80];
			kv(t, "name", name, sizeof name);
			kv(t, "sha256", sha, sizeof sha);
			/* the identity is the payload's digest (a signature can be re-encoded or
			 * made again without changing what was signed); logs from before it was
			 * measured for unsigned packages say "unsigned": then the file is the
			 * payload */
			kv(t, "payload_sha256", pay, sizeof pay);
			if (!*pay || strcmp(pay, "unsigned") == 0)
				snprintf(pay, sizeof pay, "%s", sha);
			fprintf(o,
				"driver     %s %s, security_version %s (floor %s), payload sha256 "
				"%s\n",
				name, kv(t, "version", a, sizeof a),
				kv(t, "security_version", b2, sizeof b2),
				kv(t, "floor", c, sizeof c), pay);
			fprintf(o, "           signed by %s (issuer %s)\n",
				kv(t, "signer", a, sizeof a), kv(t, "issuer", b2, sizeof b2));
			fprintf(o, "           file sha256 %s\n", sha);
			json_t *dr =
				ref ? json_object_get(json_object_get(ref, "drivers"), name) : NULL;
			if (ref && !in_list(dr, pay))
				return xdrv_err(
					err, -EPERM,
					"driver %s: payload sha256 %s is not in the reference "
					"allow-list",
					name, pay);
		} else if (starts(e, "xdrv.driver.jit") && e->pcr == BOOT_PCR_DRIVERS) {
			/* the host: "triple cpu=NAME +f1,+f2,...", shown with a feature count */
			kv(t, "host", c, sizeof c);
			char *feat = strstr(c, " +");
			size_t nf = 0;
			for (char *p = feat; p && *p; p++)
				nf += *p == '+';
			if (feat)
				*feat = 0;
			fprintf(o, "           JIT %s at O%s for %s (%zu CPU features)\n",
				kv(t, "mode", a, sizeof a), kv(t, "opt", b2, sizeof b2), c, nf);
			fprintf(o, "           params %s, safety %s, object code sha256 %s",
				*kv(t, "params", a, sizeof a) ? a : "(none)",
				kv(t, "safety", b2, sizeof b2),
				kv(t, "object_sha256", c, sizeof c));
			/* logs from before the object cache have no cache= */
			if (*kv(t, "cache", a, sizeof a))
				fprintf(o, " (object cache: %s)", a);
			fputc('\n', o);
		} else if (starts(e, "xdrv.driver.probe") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o, "           probed on %s (%s backend)\n",
				kv(t, "device", a, sizeof a), kv(t, "backend", b2, sizeof b2));
		} else if (starts(e, "xdrv.driver.refused") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o, "refused    %s at %s: %s\n", kv(t, "package", a, sizeof a),
				kv(t, "step", b2, sizeof b2), kv(t, "reason", c, sizeof c));
			if (*kv(t, "payload_sha256", a, sizeof a) && strcmp(a, "unknown") != 0)
				fprintf(o, "           payload sha256 %s\n", a);
		} else if (starts(e, "xdrv.ext.package") && e->pcr == BOOT_PCR_DRIVERS) {
			/* a packet extension of the driver before it (docs/BOOT.md): identity
			 * by payload digest, listed under the reference's "extensions" */
			char name[256], pay[80];
			kv(t, "name", name, sizeof name);
			kv(t, "payload_sha256", pay, sizeof pay);
			char ver[64], sv[32], fl[32];
			fprintf(o,
				"extension  %s %s on %s's %s hook (policy %s), security_version %s "
				"(floor %s), payload sha256 %s\n",
				name, kv(t, "version", ver, sizeof ver),
				kv(t, "driver", b2, sizeof b2), kv(t, "hook", c, sizeof c),
				kv(t, "policy", d, sizeof d),
				kv(t, "security_version", sv, sizeof sv),
				kv(t, "floor", fl, sizeof fl), pay);
			fprintf(o, "           signed by %s (issuer %s)\n",
				kv(t, "signer", a, sizeof a), kv(t, "issuer", b2, sizeof b2));
			fprintf(o, "           file sha256 %s\n", kv(t, "sha256", a, sizeof a));
			json_t *xr = ref ? json_object_get(json_object_get(ref, "extensions"), name)
					 : NULL;
			if (ref && !in_list(xr, pay))
				return xdrv_err(err, -EPERM,
						"extension %s: payload sha256 %s is not in the "
						"reference allow-list (\"extensions\")",
						name, pay);
		} else if (starts(e, "xdrv.ext.jit") && e->pcr == BOOT_PCR_DRIVERS) {
			char cs[32];
			fprintf(o,
				"           extension %s: JIT eager at O%s, budget %s back edges "
				"per "
				"packet, object code sha256 %s (object cache: %s)\n",
				kv(t, "name", a, sizeof a), kv(t, "opt", b2, sizeof b2),
				kv(t, "budget", c, sizeof c), kv(t, "object_sha256", d, sizeof d),
				kv(t, "cache", cs, sizeof cs));
		} else if (starts(e, "xdrv.ext.refused") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o, "refused    extension %s of %s at %s: %s\n",
				kv(t, "package", a, sizeof a), kv(t, "driver", d, sizeof d),
				kv(t, "step", b2, sizeof b2), kv(t, "reason", c, sizeof c));
			if (*kv(t, "payload_sha256", a, sizeof a) && strcmp(a, "unknown") != 0)
				fprintf(o, "           payload sha256 %s\n", a);
		} else if (starts(e, "xdrv.driver.swap_refused") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o,
				"           swap of %s to generation %s REFUSED (the code before "
				"it runs on): %s\n",
				kv(t, "name", a, sizeof a), kv(t, "generation", b2, sizeof b2),
				kv(t, "reason", c, sizeof c));
		} else if (starts(e, "xdrv.driver.swap") && e->pcr == BOOT_PCR_DRIVERS) {
			/* a code swap while served: what runs from here on is this object; a
			 * live patch is new code, held to the reference's "patches" */
			char name[256], patch[80];
			kv(t, "name", name, sizeof name);
			kv(t, "patch", patch, sizeof patch);
			fprintf(o, "swap       %s generation %s (%s: %s)\n", name,
				kv(t, "generation", a, sizeof a), kv(t, "what", b2, sizeof b2),
				kv(t, "change", c, sizeof c));
			fprintf(o, "           params %s, object code sha256 %s\n",
				*kv(t, "params", a, sizeof a) ? a : "(none)",
				kv(t, "object_sha256", b2, sizeof b2));
			kv(t, "what", c, sizeof c);
			if (ref && !strcmp(c, "live-patch") &&
			    !in_list(json_object_get(ref, "patches"), patch))
				return xdrv_err(err, -EPERM,
						"driver %s: live patch %s is not in the reference "
						"allow-list (\"patches\")",
						name, patch);
		} else if (starts(e, "xdrv.driver.update") && e->pcr == BOOT_PCR_DRIVERS) {
			/* a live update while served: a new package, held to the reference as a
			 * booted driver's */
			char name[256], pay[80];
			kv(t, "name", name, sizeof name);
			kv(t, "payload_sha256", pay, sizeof pay);
			fprintf(o,
				"update     %s %s -> %s, security_version %s (floor %s), payload "
				"sha256 %s\n",
				name, kv(t, "from", a, sizeof a), kv(t, "version", b2, sizeof b2),
				kv(t, "security_version", c, sizeof c), kv(t, "floor", d, sizeof d),
				pay);
			fprintf(o, "           signed by %s, object code sha256 %s\n",
				kv(t, "signer", a, sizeof a),
				kv(t, "object_sha256", b2, sizeof b2));
			json_t *dr =
				ref ? json_object_get(json_object_get(ref, "drivers"), name) : NULL;
			if (ref && !in_list(dr, pay))
				return xdrv_err(
					err, -EPERM,
					"driver %s: the update's payload sha256 %s is not in the "
					"reference allow-list",
					name, pay);
		} else if (starts(e, "xdrv.driver.update_refused") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o,
				"           update of %s to %s REFUSED (the version before it "
				"runs on): %s\n",
				kv(t, "name", a, sizeof a), kv(t, "version", b2, sizeof b2),
				kv(t, "reason", c, sizeof c));
		} else if (starts(e, "xdrv.driver.ended") && e->pcr == BOOT_PCR_DRIVERS) {
			fprintf(o, "ended      %s (process %s): %s\n", kv(t, "name", a, sizeof a),
				kv(t, "process", b2, sizeof b2), kv(t, "reason", c, sizeof c));
		} else if (starts(e, "xdrv.boot.reload") && e->pcr == BOOT_PCR_PLATFORM) {
			fprintf(o, "reload     configuration sha256 %s (%s)\n",
				kv(t, "config_sha256", a, sizeof a), kv(t, "path", b2, sizeof b2));
			if (ref && json_object_get(ref, "config_sha256") &&
			    !in_list(json_object_get(ref, "config_sha256"), a))
				return xdrv_err(err, -EPERM,
						"reloaded configuration sha256 %s is not in the "
						"reference",
						a);
		} else if (starts(e, "xdrv.floors.reinit") && e->pcr == BOOT_PCR_PLATFORM) {
			fprintf(o, "floors     RE-INITIALIZED (%s): %s\n",
				kv(t, "store", a, sizeof a), kv(t, "found", b2, sizeof b2));
		} else if (starts(e, "xdrv.boot.done") && e->pcr == BOOT_PCR_PLATFORM) {
			fprintf(o, "boot       complete: %s drivers booted, %s refused\n",
				kv(t, "booted", a, sizeof a), kv(t, "refused", b2, sizeof b2));
			done = 1;
		} else if (starts(e, "xdrv.boot.stopped") && e->pcr == BOOT_PCR_PLATFORM) {
			fprintf(o, "boot       STOPPED: %s drivers booted, %s refused: %s\n",
				kv(t, "booted", a, sizeof a), kv(t, "refused", b2, sizeof b2),
				kv(t, "reason", c, sizeof c));
			done = 2;
		} else {
			return xdrv_err(err, -EBADMSG,
					"event log: event %zu (PCR %u): not an xdrv boot event",
					i + 1, e->pcr);
		}
	}
	if (!done)
		return xdrv_err(err, -EBADMSG,
				"event log: no xdrv.boot.done event: the boot did not complete");
	if (done == 2)
		return xdrv_err(err, -EPERM,
				"event log: the boot stopped before its end (xdrv.boot.stopped): "
				"the chain above is what ran, but it is not a complete boot");
	return 0;
}

int attest_verify(const char *bundle_path, const uint8_t *nonce, size_t nlen,
		  const char *reference_path, const char *ak_pem_pin, void *out, char **err)
{
	FILE *o = out ? out : stdout;
	struct bundle b;
	struct evl l = {0};
	json_t *ref = NULL;
	char fp[65] = "?";
	memset(&b, 0, sizeof b);
	int rc = load_bundle(bundle_path, &b, err);
	if (rc)
		goto out;
	if (reference_path) {
		json_error_t je;
		ref = json_load_file(reference_path, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(ref)) {
			rc = xdrv_err(err, -EINVAL, "reference %s: line %d: %s", reference_path,
				      je.line, je.text);
			goto out;
		}
	}
	/* 1. the quote's structure and nonce */
	TPMS_ATTEST at;
	size_t off = 0;
	memset(&at, 0, sizeof at);
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(b.quote, b.quote_len, &off, &at) || off != b.quote_len ||
	    at.magic != TPM2_GENERATED_VALUE || at.type != TPM2_ST_ATTEST_QUOTE) {
		rc = xdrv_err(err, -EBADMSG, "quote: not a TPM-generated TPMS_ATTEST quote");
		goto out;
	}
	if (at.extraData.size != nlen || memcmp(at.extraData.buffer, nonce, nlen) != 0) {
		char *got = hex_of(at.extraData.buffer, at.extraData.size);
		rc = xdrv_err(err, -EPERM,
			      "quote: wrong nonce: it was made for %s, not for the nonce given "
			      "(a replayed quote)",
			      got ? got : "?");
		free(got);
		goto out;
	}
	/* 2. the signature */
	rc = check_signature(&b, ak_pem_pin, fp, err);
	if (rc)
		goto out;
	/* 3. the PCR selection: SHA-256, exactly 11 and 12 */
	const TPML_PCR_SELECTION *sel = &at.attested.quote.pcrSelect;
	if (sel->count != 1 || sel->pcrSelections[0].hash != TPM2_ALG_SHA256 ||
	    sel->pcrSelections[0].sizeofSelect < 2 || sel->pcrSelections[0].pcrSelect[0] != 0 ||
	    sel->pcrSelections[0].pcrSelect[1] !=
		    ((1u << (BOOT_PCR_PLATFORM - 8)) | (1u << (BOOT_PCR_DRIVERS - 8))) ||
	    (sel->pcrSelections[0].sizeofSelect > 2 && sel->pcrSelections[0].pcrSelect[2] != 0)) {
		rc = xdrv_err(err, -EBADMSG,
			      "quote: does not cover exactly PCRs 11 and 12 (SHA-256)");
		goto out;
	}
	/* 4. the log, replayed against the quoted digest */
	rc = evl_parse(b.log, b.log_len, &l, err);
	if (rc)
		goto out;
	uint8_t pcrs[24][32], cat[64], dg[32];
	unsigned int dl = 32;
	evl_replay(&l, pcrs);
	memcpy(cat, pcrs[BOOT_PCR_PLATFORM], 32);
	memcpy(cat + 32, pcrs[BOOT_PCR_DRIVERS], 32);
	EVP_Digest(cat, 64, dg, &dl, EVP_sha256(), NULL);
	if (at.attested.quote.pcrDigest.size != 32 ||
	    memcmp(at.attested.quote.pcrDigest.buffer, dg, 32) != 0) {
		char p11[65], p12[65];
		xdrv_hex(pcrs[BOOT_PCR_PLATFORM], 32, p11);
		xdrv_hex(pcrs[BOOT_PCR_DRIVERS], 32, p12);
		rc = xdrv_err(err, -EPERM,
			      "event log does not match the quoted PCRs (an event missing, added, "
			      "changed or reordered): the log replays to PCR 11 = %.16s..., PCR 12 "
			      "= %.16s...",
			      p11, p12);
		goto out;
	}
	fprintf(o,
		"verified   quote by attestation key %.16s... over PCRs 11 and 12, nonce "
		"matches,\n           event log of %zu events replays to the quoted PCRs\n",
		fp, l.n);
	/* 5. what the log says, against the reference */
	rc = attest_check_chain(&l, ref, o, err);
	if (!rc)
		fprintf(o, "reference  %s\n",
			ref ? "every measured driver is in the allow-list"
			    : "none given: drivers not checked against an allow-list");
out:
	evl_free(&l);
	json_decref(ref);
	free_bundle(&b);
	if (rc)
		xdrv_err_prefix(err, "%s", bundle_path);
	return rc;
}
