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

int repod_open_store(const struct repo_config *c, struct repo **out, char **err)
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
	r->cfg.store = dupz(c->store);
	r->cfg.postgres_conninfo = dupz(c->postgres_conninfo);
	int rc = 0;
	if (!r->cfg.listen || !r->cfg.data_dir || !r->cfg.keys_dir || !r->cfg.trust_root)
		rc = xdrv_err(err, -EINVAL,
			      "repository: data_dir, keys_dir and trust_root required");
	if (rc == 0 && !(r->db_ops = repod_db_backend(r->cfg.store)))
		rc = xdrv_err(err, -EINVAL, "repository: store %.40s: unknown (stores: %s)",
			      r->cfg.store, repod_db_backend_names());
	if (rc == 0 && xdrv_snprintf(r->blob_dir, sizeof(r->blob_dir), "%s/blobs/sha256",
				     r->cfg.data_dir) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "%s: path too long", r->cfg.data_dir);
	if (rc == 0)
		rc = xdrv_mkdirs(r->blob_dir, 0755, err);
	if (rc == 0)
		rc = load_online(r, "targets", &r->k_targets, err);
	if (rc == 0)
		rc = load_online(r, "snapshot", &r->k_snapshot, err);
	if (rc == 0)
		rc = load_online(r, "timestamp", &r->k_timestamp, err);
	if (rc == 0)
		rc = r->db_ops->open(r, &r->store, err);
	if (rc) {
		repo_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Start-up: new root versions, and the first metadata of a new repository. */
static int open_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	uint64_t tv = 0;
	int rc = repod_root_import(r, db, err);
	if (rc == 0)
		rc = r->db_ops->meta_latest(db, "timestamp", &tv, NULL, err);
	if (rc == 0 && tv == 0) {
		struct repod_meta_req q = {.targets = true, .all_vendors = true};
		rc = repod_meta_update(r, db, repod_now(), &q, err);
	}
	return rc;
}

int repo_open(const struct repo_config *c, struct repo **out, char **err)
{
	struct repo *r = NULL;
	*out = NULL;
	int rc = repod_open_store(c, &r, err);
	if (rc == 0)
		rc = sig_trust_create(r->cfg.trust_root, r->cfg.time_floor, &r->trust, err);
	if (rc == 0)
		rc = repod_txn(r, REPOD_TXN_WRITE, open_txn, NULL, err);
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
	if (r->store && r->db_ops)
		r->db_ops->close(r->store);
	sig_trust_destroy(r->trust);
	tuf_signer_destroy(r->k_targets);
	tuf_signer_destroy(r->k_snapshot);
	tuf_signer_destroy(r->k_timestamp);
	free(r->cfg.listen);
	free(r->cfg.data_dir);
	free(r->cfg.keys_dir);
	free(r->cfg.trust_root);
	free(r->cfg.tls_cert);
	free(r->cfg.tls_key);
	free(r->cfg.store);
	free(r->cfg.postgres_conninfo);
	free(r);
}

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

/* SHA-256(salt || token). Tokens are long random strings, so one salted hash is enough; a slow
 * password hash would only slow down every publish. */
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

struct vendor_add {
	const char *name, *token;
};

static int vendor_add_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	const struct vendor_add *a = arg;
	struct repod_vendor *vs = NULL, v = {0};
	size_t nv = 0;
	struct tuf_signer *k = NULL;
	int rc = r->db_ops->vendors(db, &vs, &nv, err);
	for (size_t i = 0; rc == 0 && i < nv; i++)
		if (strcmp(vs[i].name, a->name) == 0)
			rc = xdrv_err(err, -EEXIST, "vendor %s: exists", a->name);
	free(vs);
	if (rc == 0)
		rc = tuf_signer_generate(&k, err);
	if (rc == 0 && RAND_bytes(v.salt, sizeof(v.salt)) != 1)
		rc = xdrv_err(err, -EIO, "vendor %s: no random bytes", a->name);
	if (rc == 0) {
		snprintf(v.name, sizeof(v.name), "%s", a->name);
		token_hash(v.salt, a->token, strlen(a->token), v.token_hash);
		snprintf(v.keyid, sizeof(v.keyid), "%s", tuf_signer_key(k)->keyid);
		xdrv_hex(tuf_signer_key(k)->pub, 32, v.pubkey);
		v.created = repod_now();
		rc = r->db_ops->vendor_put(db, &v, err);
	}
	if (rc == 0)
		rc = repod_vendor_key_save(r, db, a->name, k, err);
	if (rc == 0) {
		struct repod_meta_req q = {.targets = true, .vendor = a->name};
		rc = repod_meta_update(r, db, repod_now(), &q, err);
	}
	tuf_signer_destroy(k);
	OPENSSL_cleanse(v.token_hash, sizeof(v.token_hash));
	return rc;
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
	struct vendor_add a = {.name = name, .token = token};
	return repod_txn(r, REPOD_TXN_WRITE, vendor_add_txn, &a, err);
}

int repod_vendor_by_token(struct repo *r, const char *token, size_t tlen, char *vendor, size_t vn,
			  char **err)
{
	struct repod_db *db;
	struct repod_vendor *vs = NULL;
	size_t nv = 0;
	int rc = repod_db_get(r, &db, err);
	if (rc)
		return rc;
	rc = r->db_ops->vendors(db, &vs, &nv, err);
	repod_db_put(r, db);
	if (rc)
		return rc;
	rc = -EACCES;
	for (size_t i = 0; i < nv; i++) {
		uint8_t h[32];
		token_hash(vs[i].salt, token, tlen, h);
		if (CRYPTO_memcmp(h, vs[i].token_hash, 32) == 0 && rc != 0) {
			snprintf(vendor, vn, "%s", vs[i].name);
			rc = 0; /* keep going: the time taken does not depend on which vendor */
		}
	}
	if (vs)
		OPENSSL_cleanse(vs, nv * sizeof(*vs));
	free(vs);
	if (rc)
		return xdrv_err(err, -EACCES, "publish: missing or wrong token");
	return 0;
}

struct refresh {
	int64_t now;
	bool changed;
};

/* Decided inside the write transaction: another server may have re-signed meanwhile. */
static int refresh_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct refresh *f = arg;
	const struct repod_db_ops *o = r->db_ops;
	struct {
		const char *role;
		int64_t period;
	} roles[3] = {{"targets", r->cfg.expiry_targets},
		      {"snapshot", r->cfg.expiry_snapshot},
		      {"timestamp", r->cfg.expiry_timestamp}};
	bool need[3] = {0}, vend = false;
	uint64_t v, rv0 = 0, rv1 = 0;
	int64_t exp;
	struct repod_vendor *vs = NULL;
	size_t nv = 0;
	f->changed = false;
	/* a root rotated meanwhile (keys rotate-root, file copied in) is served from now on */
	int rc = o->meta_latest(db, "root", &rv0, NULL, err);
	if (rc == 0)
		rc = repod_root_import(r, db, err);
	if (rc == 0)
		rc = o->meta_latest(db, "root", &rv1, NULL, err);
	f->changed = rv1 != rv0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		rc = o->meta_latest(db, roles[i].role, &v, &exp, err);
		need[i] = rc == 0 && exp - f->now < roles[i].period / 2;
	}
	/* vendors share the targets period; any of them near expiry re-signs all of them */
	if (rc == 0)
		rc = o->vendors(db, &vs, &nv, err);
	for (size_t i = 0; rc == 0 && i < nv; i++)
		vend |= vs[i].meta_version &&
			vs[i].meta_expires - f->now < r->cfg.expiry_targets / 2;
	free(vs);
	if (rc == 0 && (need[0] || need[1] || need[2] || vend)) {
		struct repod_meta_req q = {.targets = need[0], .all_vendors = vend};
		rc = repod_meta_update(r, db, f->now, &q, err);
		f->changed = rc == 0;
	}
	return rc;
}

int repo_refresh(struct repo *r, int64_t now, bool *changed, char **err)
{
	struct refresh f = {.now = now};
	int rc = repod_txn(r, REPOD_TXN_WRITE, refresh_txn, &f, err);
	if (changed)
		*changed = rc == 0 && f.changed;
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
	struct repod_db *db;
	int rc = repod_db_get(r, &db, err);
	if (rc == 0) {
		rc = r->db_ops->meta_get(db, role, version, buf, len, err);
		repod_db_put(r, db);
	}
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
	struct repod_pkg *p = NULL;
	struct repod_pkg_filter f = {.target = target, .sha256 = sha};
	struct repod_db *db;
	size_t n = 0;
	int rc = repod_db_get(r, &db, err);
	if (rc)
		return rc;
	rc = r->db_ops->packages(db, &f, &p, &n, err);
	repod_db_put(r, db);
	uint64_t sz = n == 1 ? p->size : 0;
	repod_pkgs_free(p, n);
	if (rc)
		return rc;
	if (n != 1)
		return xdrv_err(err, -ENOENT, "target %.100s: not found", file);
	*size = sz;
	return repod_blob_file(r, sha, sz, blob_path, err);
}
