// SPDX-License-Identifier: MIT
/*
 * xdrv-repod key ceremony: `keys init` (offline root key, online targets/snapshot/timestamp
 * keys, root version 1) and `keys rotate-root` (root N+1 signed by the old and the new root
 * key). Only files in the keys folder are touched; the server imports new roots at start.
 * Also where a vendor's online key is kept: a file in the keys folder, or sealed in a store that
 * keeps keys.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const online_names[3] = {"targets", "snapshot", "timestamp"};

static json_t *role_json(const struct tuf_signer *k)
{
	return json_pack("{s:[s], s:i}", "keyids", tuf_signer_key(k)->keyid, "threshold", 1);
}

/* Root metadata naming root key `root` and the three online keys. */
static json_t *root_signed(uint64_t version, int64_t expires, struct tuf_signer *root,
			   struct tuf_signer *const on[3])
{
	char ex[21];
	tuf_time_format(expires, ex);
	json_t *keys = json_object();
	json_t *roles = json_object();
	json_object_set_new(keys, tuf_signer_key(root)->keyid,
			    tuf_key_to_json(tuf_signer_key(root)));
	json_object_set_new(roles, "root", role_json(root));
	for (int i = 0; i < 3; i++) {
		json_object_set_new(keys, tuf_signer_key(on[i])->keyid,
				    tuf_key_to_json(tuf_signer_key(on[i])));
		json_object_set_new(roles, online_names[i], role_json(on[i]));
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:b, s:o, s:o}", "_type", "root", "spec_version",
			 TUF_SPEC_VERSION, "version", (json_int_t)version, "expires", ex,
			 "consistent_snapshot", 1, "keys", keys, "roles", roles);
}

static int write_root(const char *dir, uint64_t v, json_t *sg, struct tuf_signer *const *signers,
		      size_t n, char **err)
{
	json_t *env = NULL;
	char *buf = NULL;
	size_t len;
	char p[4200];
	int rc = sg ? tuf_sign(sg, signers, n, &env, err) : xdrv_err(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = tuf_metadata_dump(env, &buf, &len, err);
	if (rc == 0 && xdrv_snprintf(p, sizeof(p), "%s/online/root/%llu.root.json", dir,
				     (unsigned long long)v) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
	if (rc == 0)
		rc = xdrv_write_file_atomic(p, buf, len, 0644, err);
	free(buf);
	json_decref(env);
	json_decref(sg);
	return rc;
}

static int path_of(char *out, size_t n, const char *dir, const char *sub, char **err)
{
	if (xdrv_snprintf(out, n, "%s/%s", dir, sub) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int repo_keys_init(const char *dir, int64_t now, unsigned root_days, char **err)
{
	char p[4200];
	struct tuf_signer *root = NULL, *on[3] = {0};
	int rc = path_of(p, sizeof(p), dir, "offline/root.key", err);
	if (rc == 0 && access(p, F_OK) == 0)
		rc = xdrv_err(err, -EEXIST, "keys init: %s exists (not replaced)", p);
	if (rc == 0 && path_of(p, sizeof(p), dir, "offline", err) == 0)
		rc = xdrv_mkdirs(p, 0700, err);
	if (rc == 0 && path_of(p, sizeof(p), dir, "online/root", err) == 0)
		rc = xdrv_mkdirs(p, 0755, err);
	if (rc == 0 && path_of(p, sizeof(p), dir, "online/vendors", err) == 0)
		rc = xdrv_mkdirs(p, 0700, err);
	if (rc == 0)
		rc = tuf_signer_generate(&root, err);
	for (int i = 0; rc == 0 && i < 3; i++) {
		char sub[64];
		snprintf(sub, sizeof(sub), "online/%s.key", online_names[i]);
		rc = tuf_signer_generate(&on[i], err);
		if (rc == 0)
			rc = path_of(p, sizeof(p), dir, sub, err);
		if (rc == 0)
			rc = tuf_signer_save(on[i], p, true, err);
	}
	if (rc == 0)
		rc = write_root(dir, 1, root_signed(1, now + (int64_t)root_days * 86400, root, on),
				&root, 1, err);
	/* the root key last: its presence means "initialised" */
	if (rc == 0 && path_of(p, sizeof(p), dir, "offline/root.key", err) == 0)
		rc = tuf_signer_save(root, p, false, err);
	tuf_signer_destroy(root);
	for (int i = 0; i < 3; i++)
		tuf_signer_destroy(on[i]);
	if (rc)
		xdrv_err_prefix(err, "keys init %s", dir);
	return rc;
}

int repo_keys_rotate_root(const char *dir, int64_t now, unsigned root_days, char **err)
{
	char p[4200], old_copy[4200];
	struct tuf_signer *old = NULL, *nk = NULL, *on[3] = {0};
	uint64_t n = 0;
	int rc = path_of(p, sizeof(p), dir, "offline/root.key", err);
	if (rc == 0)
		rc = tuf_signer_load(p, &old, err);
	/* the latest root version present */
	for (uint64_t v = 1; rc == 0; v++) {
		char f[4200];
		if (xdrv_snprintf(f, sizeof(f), "%s/online/root/%llu.root.json", dir,
				  (unsigned long long)v) != 0)
			rc = xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
		else if (access(f, F_OK) != 0)
			break;
		n = v;
	}
	if (rc == 0 && n == 0)
		rc = xdrv_err(err, -ENOENT, "no %s/online/root/1.root.json (run keys init)", dir);
	for (int i = 0; rc == 0 && i < 3; i++) {
		char sub[64];
		snprintf(sub, sizeof(sub), "online/%s.key", online_names[i]);
		rc = path_of(p, sizeof(p), dir, sub, err);
		if (rc == 0)
			rc = tuf_signer_load(p, &on[i], err);
	}
	if (rc == 0)
		rc = tuf_signer_generate(&nk, err);
	if (rc == 0) {
		struct tuf_signer *both[2] = {old, nk};
		rc = write_root(dir, n + 1,
				root_signed(n + 1, now + (int64_t)root_days * 86400, nk, on), both,
				2, err);
	}
	/* keep the old key under its version, then put the new one in place */
	if (rc == 0 && xdrv_snprintf(old_copy, sizeof(old_copy), "%s/offline/root.%llu.key", dir,
				     (unsigned long long)n) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "%s: path too long", dir);
	if (rc == 0)
		rc = tuf_signer_save(old, old_copy, true, err);
	if (rc == 0 && path_of(p, sizeof(p), dir, "offline/root.key", err) == 0)
		rc = tuf_signer_save(nk, p, true, err);
	tuf_signer_destroy(old);
	tuf_signer_destroy(nk);
	for (int i = 0; i < 3; i++)
		tuf_signer_destroy(on[i]);
	if (rc)
		xdrv_err_prefix(err, "keys rotate-root %s", dir);
	return rc;
}

int repod_vendor_key_path(const struct repo *r, const char *vendor, char *out, size_t n)
{
	return xdrv_snprintf(out, n, "%s/vendors/%s.key", r->cfg.keys_dir, vendor) ? -ENAMETOOLONG
										   : 0;
}

/* ---- vendors' online keys ------------------------------------------------------------------ */
/* In a store that keeps them (PostgreSQL: every server signs for every vendor), a vendor's key is
 * sealed with AES-256-GCM under a key derived from the targets online key, which every server
 * holds (root names it, and repod_root_import checks it) and the database does not: a copy of
 * the database alone signs nothing. The vendor's name is the associated data, so a sealed key
 * moved to another vendor's row does not open. Layout: "XVK1" | 12-byte nonce | ciphertext |
 * 16-byte tag. */
#define SEAL_MAGIC    "XVK1"
#define SEAL_LABEL    "xdrv-repod vendor keys v1"
#define SEAL_OVERHEAD (4 + 12 + 16)

static int seal_cipher(struct repo *r, const char *vendor, bool enc, const uint8_t nonce[12],
		       const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16], char **err)
{
	uint8_t key[32];
	int rc = tuf_signer_derive(r->k_targets, SEAL_LABEL, key, err);
	if (rc)
		return rc;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;
	bool ok =
		c && n < (1u << 20) &&
		EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0) == 1 &&
		EVP_CipherUpdate(c, NULL, &l, (const uint8_t *)vendor, (int)strlen(vendor)) == 1 &&
		EVP_CipherUpdate(c, out, &l, in, (int)n) == 1 &&
		(enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
		EVP_CipherFinal_ex(c, out + l, &l) == 1 &&
		(!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok && enc)
		return xdrv_err(err, -EIO, "vendor %s: cannot seal its key", vendor);
	if (!ok)
		return xdrv_err(err, -EKEYREJECTED,
				"vendor %s: its key in the database does not open with this "
				"server's targets key (every server needs the same keys_dir)",
				vendor);
	return 0;
}

int repod_vendor_key_save(struct repo *r, struct repod_db *db, const char *vendor,
			  const struct tuf_signer *k, char **err)
{
	char kp[4200], dir[4200];
	if (!r->db_ops->vendor_key_put) {
		if (repod_vendor_key_path(r, vendor, kp, sizeof(kp)) != 0 ||
		    xdrv_snprintf(dir, sizeof(dir), "%s/vendors", r->cfg.keys_dir) != 0)
			return xdrv_err(err, -ENAMETOOLONG, "vendor %s: path too long", vendor);
		int rc = xdrv_mkdirs(dir, 0700, err);
		/* a stray key of a vendor that never made it into the database is replaced */
		return rc ? rc : tuf_signer_save(k, kp, true, err);
	}
	char *pem = NULL;
	size_t n = 0;
	uint8_t *box = NULL;
	int rc = tuf_signer_pem(k, &pem, &n, err);
	if (rc == 0 && !(box = malloc(n + SEAL_OVERHEAD)))
		rc = xdrv_err(err, -ENOMEM, "vendor %s: out of memory", vendor);
	if (rc == 0 && RAND_bytes(box + 4, 12) != 1)
		rc = xdrv_err(err, -EIO, "vendor %s: no random bytes", vendor);
	if (rc == 0) {
		memcpy(box, SEAL_MAGIC, 4);
		rc = seal_cipher(r, vendor, true, box + 4, (const uint8_t *)pem, n, box + 16,
				 box + 16 + n, err);
	}
	if (rc == 0)
		rc = r->db_ops->vendor_key_put(db, vendor, box, n + SEAL_OVERHEAD, err);
	if (pem)
		OPENSSL_cleanse(pem, n);
	free(pem);
	free(box);
	return rc;
}

int repod_vendor_key_load(struct repo *r, struct repod_db *db, const char *vendor,
			  struct tuf_signer **k, char **err)
{
	char kp[4200];
	*k = NULL;
	if (!r->db_ops->vendor_key_get) {
		if (repod_vendor_key_path(r, vendor, kp, sizeof(kp)) != 0)
			return xdrv_err(err, -ENAMETOOLONG, "vendor %s: key path too long", vendor);
		return tuf_signer_load(kp, k, err);
	}
	uint8_t *box = NULL, *pem = NULL;
	size_t n = 0;
	int rc = r->db_ops->vendor_key_get(db, vendor, &box, &n, err);
	if (rc == 0 && (n <= SEAL_OVERHEAD || memcmp(box, SEAL_MAGIC, 4) != 0))
		rc = xdrv_err(err, -EINVAL,
			      "vendor %s: its key in the database is not sealed "
			      "by xdrv-repod",
			      vendor);
	if (rc == 0 && !(pem = malloc(n - SEAL_OVERHEAD)))
		rc = xdrv_err(err, -ENOMEM, "vendor %s: out of memory", vendor);
	if (rc == 0)
		rc = seal_cipher(r, vendor, false, box + 4, box + 16, n - SEAL_OVERHEAD, pem,
				 box + n - 16, err);
	if (rc == 0) {
		char what[100];
		snprintf(what, sizeof(what), "of vendor %s (database)", vendor);
		rc = tuf_signer_from_pem(pem, n - SEAL_OVERHEAD, what, k, err);
	}
	if (pem)
		OPENSSL_cleanse(pem, n - SEAL_OVERHEAD);
	free(pem);
	free(box);
	return rc;
}
