// SPDX-License-Identifier: MIT
/*
 * TUF keys and signatures (see xdrv/tuf.h): Ed25519 key objects and keyids, private keys as
 * PKCS#8 PEM files, signing a "signed" object into an envelope, and counting valid signatures of
 * a role against its threshold. Metadata parsing lives in tuf.c.
 */
#include "xdrv/tuf.h"
#include "xdrv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tuf_signer {
	EVP_PKEY *pkey;
	struct tuf_key key;
};

static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
						       : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

json_t *tuf_key_to_json(const struct tuf_key *k)
{
	char hex[65];
	xdrv_hex(k->pub, sizeof(k->pub), hex);
	return json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519", "keyval",
			 "public", hex);
}

int tuf_key_from_json(const char *keyid, const json_t *j, struct tuf_key *out, char **err)
{
	const char *id = keyid ? keyid : "(no keyid)";
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return xdrv_err(err, -EINVAL, "key %.64s: not an object", id);
	const char *kt = json_string_value(json_object_get(j, "keytype"));
	const char *sc = json_string_value(json_object_get(j, "scheme"));
	json_t *kv = json_object_get(j, "keyval");
	const char *pub = json_string_value(json_object_get(kv, "public"));
	if (!kt || !sc || !json_is_object(kv) || !pub)
		return xdrv_err(err, -EINVAL, "key %.64s: keytype, scheme or keyval.public missing",
				id);
	if (strcmp(kt, "ed25519") != 0)
		return xdrv_err(err, -EOPNOTSUPP, "key %.64s: keytype %.32s not supported", id, kt);
	if (strcmp(sc, "ed25519") != 0)
		return xdrv_err(err, -EOPNOTSUPP, "key %.64s: scheme %.32s not supported", id, sc);
	if (strlen(pub) != 64 || unhex(pub, 32, out->pub) != 0)
		return xdrv_err(err, -EINVAL, "key %.64s: keyval.public: not 64 lower-case hex",
				id);
	char computed[65];
	int rc = tuf_cjson_sha256(j, computed, err);
	if (rc)
		return rc;
	if (keyid && strcmp(keyid, computed) != 0) {
		memset(out, 0, sizeof(*out));
		return xdrv_err(err, -EINVAL, "key %.64s: keyid does not match the key (%s)", id,
				computed);
	}
	memcpy(out->keyid, computed, sizeof(out->keyid));
	return 0;
}

static int signer_from_pkey(EVP_PKEY *pk, struct tuf_signer **out, char **err)
{
	struct tuf_signer *s = calloc(1, sizeof(*s));
	size_t n = sizeof(s->key.pub);
	if (!s) {
		EVP_PKEY_free(pk);
		return xdrv_err(err, -ENOMEM, "tuf key: out of memory");
	}
	s->pkey = pk;
	if (EVP_PKEY_get_raw_public_key(pk, s->key.pub, &n) != 1 || n != 32) {
		tuf_signer_destroy(s);
		return xdrv_err(err, -EINVAL, "tuf key: cannot read the Ed25519 public key");
	}
	json_t *j = tuf_key_to_json(&s->key);
	int rc = j ? tuf_cjson_sha256(j, s->key.keyid, err)
		   : xdrv_err(err, -ENOMEM, "tuf key: out of memory");
	json_decref(j);
	if (rc) {
		tuf_signer_destroy(s);
		return rc;
	}
	*out = s;
	return 0;
}

int tuf_signer_generate(struct tuf_signer **out, char **err)
{
	*out = NULL;
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pk)
		return xdrv_err(err, -EIO, "tuf key: Ed25519 key generation failed");
	return signer_from_pkey(pk, out, err);
}

int tuf_signer_load(const char *path, struct tuf_signer **out, char **err)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return xdrv_err(err, -errno, "key %s: %s", path, strerror(errno));
	EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!pk)
		return xdrv_err(err, -EINVAL, "key %s: not a PEM private key", path);
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		return xdrv_err(err, -EINVAL, "key %s: not an Ed25519 key", path);
	}
	int rc = signer_from_pkey(pk, out, err);
	if (rc)
		xdrv_err_prefix(err, "key %s", path);
	return rc;
}

int tuf_signer_save(const struct tuf_signer *s, const char *path, bool overwrite, char **err)
{
	if (!overwrite && access(path, F_OK) == 0)
		return xdrv_err(err, -EEXIST, "key %s: exists (not replaced)", path);
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PrivateKey(b, s->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		BIO_free(b);
		return xdrv_err(err, -EIO, "key %s: cannot encode", path);
	}
	char *p;
	long n = BIO_get_mem_data(b, &p);
	int rc = xdrv_write_file_atomic(path, p, (size_t)n, 0600, err);
	OPENSSL_cleanse(p, (size_t)n);
	BIO_free(b);
	return rc;
}

int tuf_signer_pem(const struct tuf_signer *s, char **pem, size_t *len, char **err)
{
	*pem = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = 0;
	if (!b || PEM_write_bio_PrivateKey(b, s->pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0)
		rc = xdrv_err(err, -EIO, "tuf key: cannot encode");
	else if (!(*pem = malloc((size_t)n + 1)))
		rc = xdrv_err(err, -ENOMEM, "tuf key: out of memory");
	if (rc == 0) {
		memcpy(*pem, p, (size_t)n);
		(*pem)[n] = 0;
		*len = (size_t)n;
		OPENSSL_cleanse(p, (size_t)n);
	}
	BIO_free(b);
	return rc;
}

int tuf_signer_from_pem(const void *pem, size_t len, const char *what, struct tuf_signer **out,
			char **err)
{
	*out = NULL;
	BIO *b = len <= 65536 ? BIO_new_mem_buf(pem, (int)len) : NULL;
	EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!pk)
		return xdrv_err(err, -EINVAL, "key %s: not a PEM private key", what);
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		return xdrv_err(err, -EINVAL, "key %s: not an Ed25519 key", what);
	}
	int rc = signer_from_pkey(pk, out, err);
	if (rc)
		xdrv_err_prefix(err, "key %s", what);
	return rc;
}

int tuf_signer_derive(const struct tuf_signer *s, const char *label, uint8_t out[32], char **err)
{
	uint8_t seed[32];
	size_t n = sizeof(seed);
	int rc = 0;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!c || EVP_PKEY_get_raw_private_key(s->pkey, seed, &n) != 1 || n != sizeof(seed)) {
		rc = xdrv_err(err, -EIO, "tuf key: cannot derive a secret");
	} else {
		OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
								   (char *)"SHA256", 0),
				  OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, seed, n),
				  OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
								    (char *)label, strlen(label)),
				  OSSL_PARAM_construct_end()};
		if (EVP_KDF_derive(c, out, 32, p) != 1)
			rc = xdrv_err(err, -EIO, "tuf key: cannot derive a secret");
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
	return rc;
}

const struct tuf_key *tuf_signer_key(const struct tuf_signer *s)
{
	return &s->key;
}

void tuf_signer_destroy(struct tuf_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->pkey); /* OpenSSL wipes the key material */
	free(s);
}

int tuf_sign(json_t *signed_obj, struct tuf_signer *const *signers, size_t nsigners, json_t **out,
	     char **err)
{
	*out = NULL;
	char *msg;
	size_t mlen;
	int rc = tuf_cjson_encode(signed_obj, &msg, &mlen, err);
	if (rc)
		return rc;
	json_t *sigs = json_array();
	for (size_t i = 0; sigs && i < nsigners && rc == 0; i++) {
		uint8_t sig[64];
		size_t slen = sizeof(sig);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, signers[i]->pkey) != 1 ||
		    EVP_DigestSign(md, sig, &slen, (const uint8_t *)msg, mlen) != 1)
			rc = xdrv_err(err, -EIO, "tuf sign: Ed25519 signing failed");
		EVP_MD_CTX_free(md);
		if (rc)
			break;
		char hex[129];
		xdrv_hex(sig, slen, hex);
		json_array_append_new(
			sigs, json_pack("{s:s, s:s}", "keyid", signers[i]->key.keyid, "sig", hex));
	}
	free(msg);
	if (rc == 0 && sigs) {
		*out = json_pack("{s:O, s:O}", "signatures", sigs, "signed", signed_obj);
		if (!*out)
			rc = xdrv_err(err, -ENOMEM, "tuf sign: out of memory");
	} else if (rc == 0) {
		rc = xdrv_err(err, -ENOMEM, "tuf sign: out of memory");
	}
	json_decref(sigs);
	return rc;
}

static bool ed25519_ok(const uint8_t pub[32], const uint8_t sig[64], const char *msg, size_t n)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = pk && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		  EVP_DigestVerify(md, sig, 64, (const uint8_t *)msg, n) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

int tuf_verify_role(const json_t *envelope, const struct tuf_key *keys, size_t nkeys,
		    const struct tuf_role *role, char **err)
{
	if (role->threshold < 1)
		return xdrv_err(err, -EINVAL, "%s: threshold 0", role->name);
	json_t *sigs = json_object_get(envelope, "signatures");
	json_t *sg = json_object_get(envelope, "signed");
	if (!json_is_array(sigs) || !json_is_object(sg))
		return xdrv_err(err, -EINVAL, "%s: not a metadata envelope", role->name);
	char *msg;
	size_t mlen;
	int rc = tuf_cjson_encode(sg, &msg, &mlen, err);
	if (rc)
		return rc;
	/* Counted keys, by index into keys[], so that neither a repeated keyid nor two keyids of
	 * one public key can count twice. */
	size_t nsig = json_array_size(sigs);
	const struct tuf_key **counted = calloc(nsig ? nsig : 1, sizeof(*counted));
	size_t good = 0;
	if (!counted) {
		free(msg);
		return xdrv_err(err, -ENOMEM, "%s: out of memory", role->name);
	}
	for (size_t i = 0; i < nsig; i++) {
		json_t *s = json_array_get(sigs, i);
		const char *kid = json_string_value(json_object_get(s, "keyid"));
		const char *hex = json_string_value(json_object_get(s, "sig"));
		if (!kid || !hex || strlen(hex) != 128)
			continue;
		bool listed = false;
		for (size_t j = 0; j < role->nkeyids && !listed; j++)
			listed = strcmp(role->keyids[j], kid) == 0;
		const struct tuf_key *k = NULL;
		for (size_t j = 0; j < nkeys && !k; j++)
			if (strcmp(keys[j].keyid, kid) == 0)
				k = &keys[j];
		if (!listed || !k)
			continue;
		bool dup = false;
		for (size_t j = 0; j < good && !dup; j++)
			dup = counted[j] == k || memcmp(counted[j]->pub, k->pub, 32) == 0;
		uint8_t sig[64];
		if (dup || unhex(hex, 64, sig) != 0)
			continue;
		if (ed25519_ok(k->pub, sig, msg, mlen))
			counted[good++] = k;
	}
	free(counted);
	free(msg);
	if (good < role->threshold)
		return xdrv_err(err, -EPERM, "%s: %zu valid signature(s), threshold %u", role->name,
				good, role->threshold);
	return 0;
}
