// SPDX-License-Identifier: MIT
/*
 * xdrv-repod repository object: open (folders, database, online keys, trusted driver root, root
 * import, clean-up of a crashed publish, initial metadata), vendors, expiry refresh and lookups
 * of metadata and targets by their served names. Publishing: repod_publish.c; HTTP: repod_http.c.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dupz(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int load_online(struct repo *r, const char *name, struct tuf_signer **k, char **err)
{
	char p[4200];
	if (xdrv_snprintf(p, sizeof(p), "%s/%s.key", r->cfg.keys_dir, name) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.keys_dir);
	return tuf_signer_load(p, k, err);
}

int repo_open(const struct repo_config *c, struct repo **out, char **err)
{
	*out = NULL;
	struct repo *r = calloc(1, sizeof(*r));
	if (!r)
		return xdrv_err(err, -ENOMEM, "repository: out of memory");
	r->cfg = *c;
	r->cfg.listen = dupz(c->listen ? c->listen : "127.0.0.1");
	r->cfg.data_dir = dupz(c->data_dir);
	r->cfg.keys_dir = dupz(c->keys_dir);
	r->cfg.trust_root = dupz(c->trust_root);
	r->cfg.tls_cert = dupz(c->tls_cert);
	r->cfg.tls_key = dupz(c->tls_key);
	pthread_mutex_init(&r->lock, NULL);
	int rc = 0;
	if (!r->cfg.listen || !r->cfg.data_dir || !r->cfg.keys_dir || !r->cfg.trust_root)
		rc = xdrv_err(err, -EINVAL,
			      "repository: data_dir, keys_dir and trust_root required");
	if (rc == 0 && xdrv_snprintf(r->blob_dir, sizeof(r->blob_dir), "%s/blobs/sha256",
				     r->cfg.data_dir) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.data_dir);
	if (rc == 0)
		rc = xdrv_mkdirs(r->blob_dir, 0755, err);
	if (rc == 0)
		rc = sig_trust_create(r->cfg.trust_root, r->cfg.time_floor, &r->trust, err);
	if (rc == 0)
		rc = load_online(r, "targets", &r->k_targets, err);
	if (rc == 0)
		rc = load_online(r, "snapshot", &r->k_snapshot, err);
	if (rc == 0)
		rc = load_online(r, "timestamp", &r->k_timestamp, err);
	if (rc == 0)
		rc = repod_db_open(r, err);
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		rc = repod_db_begin(r, err);
		if (rc == 0)
			rc = repod_root_import(r, err);
		uint64_t tv = 0;
		if (rc == 0)
			rc = repod_meta_latest(r, "timestamp", &tv, NULL, err);
		if (rc == 0 && tv == 0) {
			struct repod_meta_req q = {.targets = true, .all_vendors = true};
			rc = repod_meta_update(r, repod_now(), &q, err);
		}
		if (rc == 0)
			rc = repod_db_commit(r, err);
		else
			repod_db_rollback(r);
		pthread_mutex_unlock(&r->lock);
	}
	if (rc == 0)
		rc = repo_refresh(r, repod_now(), NULL, err);
	if (rc) {
		xdrv_err_prefix(err, "repository %s", c->data_dir ? c->data_dir : "?");
		repo_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void repo_close(struct repo *r)
{
	if (!r)
		return;
	if (r->db)
		sqlite3_close(r->db);
	sig_trust_destroy(r->trust);
	tuf_signer_destroy(r->k_targets);
	tuf_signer_destroy(r->k_snapshot);
	tuf_signer_destroy(r->k_timestamp);
	pthread_mutex_destroy(&r->lock);
	free(r->cfg.listen);
	free(r->cfg.data_dir);
	free(r->cfg.keys_dir);
	free(r->cfg.trust_root);
	free(r->cfg.tls_cert);
	free(r->cfg.tls_key);
	free(r);
}

/* SHA-256(salt || token). Tokens are long random strings, so one salted hash is enough; a slow
 * password hash would only slow down every publish. */
int repo_gc(struct repo *r, char **err)
{
	return repod_blob_gc(r, err);
}

int repo_serve_lock(struct repo *r, char **err)
{
	char p[4200];
	if (xdrv_snprintf(p, sizeof(p), "%s/serve.lock", r->cfg.data_dir) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.data_dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return xdrv_err(err, -errno, "%s: %s", p, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return xdrv_err(err, -EBUSY, "%s is served by another xdrv-repod", r->cfg.data_dir);
	}
	return 0; /* fd kept open on purpose: the lock lives as long as the process */
}

static void token_hash(const uint8_t salt[16], const char *token, size_t tlen, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 32;
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, salt, 16) != 1 || EVP_DigestUpdate(c, token, tlen) != 1 ||
	    EVP_DigestFinal_ex(c, out, &n) != 1)
		memset(out, 0xff, 32); /* matches no stored hash */
	EVP_MD_CTX_free(c);
}

int repo_vendor_add(struct repo *r, const char *name, const char *token, char **err)
{
	if (!repod_vendor_name_ok(name))
		return xdrv_err(
			err, -EINVAL,
			"vendor \"%.64s\": name must match [a-z0-9][a-z0-9-]{0,63} and not be"
			" a top-level role",
			name);
	if (strlen(token) < 16 || strlen(token) > 4096)
		return xdrv_err(err, -EINVAL, "vendor %s: token must be 16..4096 bytes", name);
	char kp[4200], dir[4200];
	struct tuf_signer *k = NULL;
	uint8_t salt[16], h[32];
	int rc = 0;
	if (repod_vendor_key_path(r, name, kp, sizeof(kp)) != 0 ||
	    xdrv_snprintf(dir, sizeof(dir), "%s/vendors", r->cfg.keys_dir) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "vendor %s: path too long", name);
	pthread_mutex_lock(&r->lock);
	rc = repod_db_begin(r, err);
	sqlite3_stmt *st = NULL;
	if (rc == 0 && sqlite3_prepare_v2(r->db, "SELECT 1 FROM vendors WHERE name=?", -1, &st,
					  NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = xdrv_err(err, -EEXIST, "vendor %s: exists", name);
	}
	sqlite3_finalize(st);
	st = NULL;
	/* the key file first (a stray key of a vendor that never made it is replaced) */
	if (rc == 0)
		rc = xdrv_mkdirs(dir, 0700, err);
	if (rc == 0)
		rc = tuf_signer_generate(&k, err);
	if (rc == 0)
		rc = tuf_signer_save(k, kp, true, err);
	if (rc == 0 && RAND_bytes(salt, sizeof(salt)) != 1)
		rc = xdrv_err(err, -EIO, "vendor %s: no random bytes", name);
	if (rc == 0) {
		token_hash(salt, token, strlen(token), h);
		char pub[65];
		xdrv_hex(tuf_signer_key(k)->pub, 32, pub);
		if (sqlite3_prepare_v2(r->db,
				       "INSERT INTO vendors(name, salt, token_hash, keyid, pubkey,"
				       " created) VALUES(?,?,?,?,?,?)",
				       -1, &st, NULL) != SQLITE_OK)
			rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
		else {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_blob(st, 2, salt, 16, SQLITE_STATIC);
			sqlite3_bind_blob(st, 3, h, 32, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, tuf_signer_key(k)->keyid, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, pub, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 6, repod_now());
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
		}
		sqlite3_finalize(st);
	}
	if (rc == 0) {
		struct repod_meta_req q = {.targets = true, .vendor = name};
		rc = repod_meta_update(r, repod_now(), &q, err);
	}
	if (rc == 0)
		rc = repod_db_commit(r, err);
	else
		repod_db_rollback(r);
	pthread_mutex_unlock(&r->lock);
	tuf_signer_destroy(k);
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

int repod_vendor_by_token(struct repo *r, const char *token, size_t tlen, char *vendor, size_t vn,
			  char **err)
{
	sqlite3_stmt *st;
	int rc = -EACCES;
	if (sqlite3_prepare_v2(r->db, "SELECT name, salt, token_hash FROM vendors", -1, &st,
			       NULL) != SQLITE_OK)
		return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != 16 || sqlite3_column_bytes(st, 2) != 32)
			continue;
		uint8_t h[32];
		token_hash(sqlite3_column_blob(st, 1), token, tlen, h);
		if (CRYPTO_memcmp(h, sqlite3_column_blob(st, 2), 32) == 0 && rc != 0) {
			snprintf(vendor, vn, "%s", (const char *)sqlite3_column_text(st, 0));
			rc = 0; /* keep going: the time taken does not depend on which vendor */
		}
	}
	sqlite3_finalize(st);
	if (rc)
		return xdrv_err(err, -EACCES, "publish: missing or wrong token");
	return 0;
}

int repo_refresh(struct repo *r, int64_t now, bool *changed, char **err)
{
	struct {
		const char *role;
		int64_t period;
	} roles[3] = {{"targets", r->cfg.expiry_targets},
		      {"snapshot", r->cfg.expiry_snapshot},
		      {"timestamp", r->cfg.expiry_timestamp}};
	bool need[3] = {0};
	uint64_t v;
	int64_t exp;
	int rc = 0;
	if (changed)
		*changed = false;
	pthread_mutex_lock(&r->lock);
	/* a root rotated meanwhile (keys rotate-root, file copied in) is served from now on */
	uint64_t rv0 = 0, rv1 = 0;
	rc = repod_meta_latest(r, "root", &rv0, NULL, err);
	if (rc == 0)
		rc = repod_db_begin(r, err);
	if (rc == 0) {
		rc = repod_root_import(r, err);
		if (rc == 0)
			rc = repod_db_commit(r, err);
		else
			repod_db_rollback(r);
	}
	if (rc == 0)
		rc = repod_meta_latest(r, "root", &rv1, NULL, err);
	if (rc == 0 && rv1 != rv0 && changed)
		*changed = true;
	for (int i = 0; i < 3 && rc == 0; i++) {
		rc = repod_meta_latest(r, roles[i].role, &v, &exp, err);
		need[i] = rc == 0 && exp - now < roles[i].period / 2;
	}
	/* vendors share the targets period; any of them near expiry re-signs all of them */
	sqlite3_stmt *st;
	bool vend = false;
	if (rc == 0 && sqlite3_prepare_v2(r->db,
					  "SELECT min(m.expires) FROM vendors v JOIN metadata m ON"
					  " m.role=v.name AND m.version=(SELECT max(version) FROM"
					  " metadata WHERE role=v.name)",
					  -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			vend = sqlite3_column_int64(st, 0) - now < r->cfg.expiry_targets / 2;
		sqlite3_finalize(st);
	}
	if (rc == 0 && (need[0] || need[1] || need[2] || vend)) {
		struct repod_meta_req q = {.targets = need[0], .all_vendors = vend};
		rc = repod_db_begin(r, err);
		if (rc == 0)
			rc = repod_meta_update(r, now, &q, err);
		if (rc == 0)
			rc = repod_db_commit(r, err);
		else
			repod_db_rollback(r);
		if (rc == 0 && changed)
			*changed = true;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

const char *repod_esc(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t j = 0;
	if (n < 4) { /* no room for anything useful */
		if (n)
			out[0] = 0;
		return out;
	}
	/* invariant: j + 4 <= n, so "..." and the NUL always fit */
	for (size_t i = 0; s && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool plain = ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
		if (j + (plain ? 1 : 3) + 4 > n) {
			memcpy(out + j, "...", 3);
			j += 3;
			break;
		}
		if (plain) {
			out[j++] = (char)ch;
		} else {
			out[j++] = '%';
			out[j++] = hex[ch >> 4];
			out[j++] = hex[ch & 15];
		}
	}
	out[j] = 0;
	return out;
}

bool repo_valid_metadata_name(const char *f)
{
	size_t n = strlen(f);
	if (n < 6 || n > 200 || strcmp(f + n - 5, ".json") != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' && f[i] <= '9') || f[i] == '-' ||
		      f[i] == '.'))
			return false;
	return true;
}

int repo_metadata_get(struct repo *r, const char *file, uint8_t **buf, size_t *len, char **err)
{
	if (!repo_valid_metadata_name(file))
		return xdrv_err(err, -ENOENT, "metadata %.64s: not found", file);
	char role[200];
	uint64_t version = 0;
	const char *p = file;
	if (p[0] >= '1' && p[0] <= '9') {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (*end != '.' || v > (1ull << 53))
			return xdrv_err(err, -ENOENT, "metadata %.64s: not found", file);
		version = v;
		p = end + 1;
	}
	snprintf(role, sizeof(role), "%.*s", (int)(strlen(p) - 5), p);
	if (strcmp(role, "timestamp") == 0 && version)
		return xdrv_err(err, -ENOENT, "metadata %.64s: not found", file);
	if (strcmp(role, "root") != 0 && strcmp(role, "targets") != 0 &&
	    strcmp(role, "snapshot") != 0 && strcmp(role, "timestamp") != 0 &&
	    !repod_vendor_name_ok(role))
		return xdrv_err(err, -ENOENT, "metadata %.64s: not found", file);
	pthread_mutex_lock(&r->lock);
	int rc = repod_meta_body(r, role, version, buf, len, err);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int repo_target_lookup(struct repo *r, const char *file, char **blob_path, uint64_t *size,
		       char **err)
{
	/* VENDOR/<64 hex>.NAME-VERSION.xdrv */
	const char *slash = strchr(file, '/');
	if (!slash || strchr(slash + 1, '/') || strlen(slash + 1) < 66 || slash[65] != '.')
		return xdrv_err(err, -ENOENT, "target %.100s: not found", file);
	char sha[65], target[300];
	memcpy(sha, slash + 1, 64);
	sha[64] = 0;
	if (xdrv_snprintf(target, sizeof(target), "%.*s/%s", (int)(slash - file), file,
			  slash + 66) != 0)
		return xdrv_err(err, -ENOENT, "target %.100s: not found", file);
	sqlite3_stmt *st;
	int rc = -ENOENT;
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db, "SELECT size FROM packages WHERE target=? AND sha256=?", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*size = (uint64_t)sqlite3_column_int64(st, 0);
			rc = 0;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->lock);
	if (rc)
		return xdrv_err(err, -ENOENT, "target %.100s: not found", file);
	char p[4200];
	if (repod_blob_path(r, sha, p, sizeof(p)) != 0 || !(*blob_path = strdup(p)))
		return xdrv_err(err, -ENOMEM, "target: out of memory");
	return 0;
}
