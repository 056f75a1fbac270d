// SPDX-License-Identifier: MIT
/*
 * Fixtures for the xdrv-repod suites (see repod_fixture.h). Not a suite itself.
 */
#include "repod_fixture.h"

#include "../xtest.h"
#include "../../repo-server/repod.h"
#include "xdrv/signer.h"
#include "xdrv/tuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rfx *rfx_create(uint64_t max_package)
{
	return rfx_create_on(max_package, NULL, NULL);
}

struct rfx *rfx_create_on(uint64_t max_package, const char *store, const char *conninfo)
{
	struct rfx *f = calloc(1, sizeof(*f));
	char *err = NULL;
	if (!f)
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "%s", xtest_tmpdir());
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	repo_config_defaults(&f->cfg);
	f->cfg.listen = strdup("127.0.0.1");
	f->cfg.port = 0;
	f->cfg.data_dir = strdup(xtest_path("%s/data", f->dir));
	f->cfg.keys_dir = strdup(xtest_path("%s/keys/online", f->dir));
	f->cfg.trust_root = strdup(xtest_path("%s/pki/root.pem", xtest_build_dir()));
	f->cfg.access_log = false;
	f->cfg.threads = 4;
	f->cfg.store = store ? strdup(store) : NULL;
	f->cfg.postgres_conninfo = conninfo ? strdup(conninfo) : NULL;
	if (max_package)
		f->cfg.max_package = max_package;
	if (repo_keys_init(f->keys, time(NULL), 365, &err) != 0 ||
	    repo_open(&f->cfg, &f->r, &err) != 0 ||
	    repo_vendor_add(f->r, "acme", RFX_ACME_TOKEN, &err) != 0 ||
	    repo_vendor_add(f->r, "beta", RFX_BETA_TOKEN, &err) != 0) {
		fprintf(stderr, "fixture: repository: %s\n", err ? err : "?");
		free(err);
		rfx_destroy(f);
		return NULL;
	}
	return f;
}

int rfx_reopen(struct rfx *f)
{
	char *err = NULL;
	repo_close(f->r);
	f->r = NULL;
	int rc = repo_open(&f->cfg, &f->r, &err);
	if (rc == 0)
		rc = repo_gc(f->r, &err); /* what `serve` does at start */
	if (rc)
		fprintf(stderr, "fixture: reopen: %s\n", err ? err : "?");
	free(err);
	return rc;
}

void rfx_destroy(struct rfx *f)
{
	if (!f)
		return;
	repo_close(f->r);
	repo_config_free(&f->cfg);
	free(f);
}

uint8_t *rfx_pkg(const char *name, size_t *len)
{
	uint8_t *b = xtest_read(xtest_path("%s/pkg/%s.xdrv", xtest_build_dir(), name), len);
	if (!b)
		fprintf(stderr, "fixture: %s/pkg/%s.xdrv missing (make drivers)\n",
			xtest_build_dir(), name);
	return b;
}

uint8_t *rfx_pkg_resigned(const char *name, size_t *len)
{
	const char *b = xtest_build_dir();
	char in[1024], out[1024], cert[1024], key[1024], chain[1024];
	char *err = NULL;
	snprintf(in, sizeof(in), "%s/pkg/%s.unsigned.xdrv", b, name);
	snprintf(out, sizeof(out), "%s/%s.resigned.xdrv", xtest_tmpdir(), name);
	snprintf(cert, sizeof(cert), "%s/pki/signer.pem", b);
	snprintf(key, sizeof(key), "%s/pki/signer.key", b);
	snprintf(chain, sizeof(chain), "%s/pki/vendor.pem", b);
	if (sig_sign_file(in, out, cert, key, chain, &err) != 0) {
		fprintf(stderr, "fixture: re-sign %s: %s\n", in, err ? err : "?");
		free(err);
		return NULL;
	}
	return xtest_read(out, len);
}

uint64_t rfx_version(struct rfx *f, const char *role)
{
	uint8_t *buf;
	size_t len;
	char file[128];
	json_t *env = NULL;
	uint64_t v = 0;
	snprintf(file, sizeof(file), "%s.json", role);
	if (repo_metadata_get(f->r, file, &buf, &len, NULL) != 0)
		return 0;
	if (tuf_metadata_load(buf, len, 0, file, &env, NULL) == 0)
		v = (uint64_t)json_integer_value(
			json_object_get(json_object_get(env, "signed"), "version"));
	json_decref(env);
	free(buf);
	return v;
}

/* ---- a small TUF client over the repository (rfx_check_chain) ------------------------------- */
static json_t *get_env(struct rfx *f, const char *file)
{
	uint8_t *b;
	size_t n;
	json_t *env = NULL;
	char *err = NULL;
	if (repo_metadata_get(f->r, file, &b, &n, &err) != 0 ||
	    tuf_metadata_load(b, n, 0, file, &env, &err) != 0)
		fprintf(stderr, "chain: %s: %s\n", file, err ? err : "?");
	else
		free(b);
	free(err);
	return env;
}

int rfx_check_chain(struct rfx *f)
{
	char *err = NULL, file[128];
	int rc = 0, ntargets = 0;
	uint8_t *rb;
	size_t rl;
	json_t *env = NULL;
	struct tuf_root root = {0};
	struct tuf_timestamp ts = {0};
	struct tuf_snapshot snap = {0};
	struct tuf_targets top = {0};
	rb = xtest_read(xtest_path("%s/online/root/1.root.json", f->keys), &rl);
	rc = rb ? 0 : -ENOENT;
	if (rc == 0)
		rc = tuf_metadata_load(rb, rl, 0, "1.root.json", &env, &err);
	free(rb);
	if (rc == 0)
		rc = tuf_root_parse(env, &root, &err);
	json_decref(env);
	for (uint64_t v = 2; rc == 0; v++) { /* root chain */
		snprintf(file, sizeof(file), "%llu.root.json", (unsigned long long)v);
		uint8_t *b;
		size_t n;
		if (repo_metadata_get(f->r, file, &b, &n, NULL) != 0)
			break;
		struct tuf_root nr;
		rc = tuf_metadata_load(b, n, 0, file, &env, &err);
		free(b);
		if (rc == 0)
			rc = tuf_verify_role(env, root.keys, root.nkeys, &root.roles[0], &err);
		if (rc == 0 && tuf_root_parse(env, &nr, &err) == 0) {
			rc = tuf_verify_role(env, nr.keys, nr.nkeys, &nr.roles[0], &err);
			tuf_root_free(&root);
			root = nr;
		}
		json_decref(env);
	}
	env = rc ? NULL : get_env(f, "timestamp.json");
	if (rc == 0 && !env)
		rc = -ENOENT;
	if (rc == 0)
		rc = tuf_verify_role(env, root.keys, root.nkeys, &root.roles[TUF_ROLE_TIMESTAMP],
				     &err);
	if (rc == 0)
		rc = tuf_timestamp_parse(env, &ts, &err);
	if (rc == 0)
		rc = tuf_expiry_check(&ts.c, time(NULL), &err);
	json_decref(env);
	/* snapshot by consistent name, hash from the timestamp */
	if (rc == 0) {
		uint8_t *b;
		size_t n;
		snprintf(file, sizeof(file), "%llu.snapshot.json",
			 (unsigned long long)ts.snapshot.version);
		rc = repo_metadata_get(f->r, file, &b, &n, &err);
		if (rc == 0) {
			rc = tuf_hashes_check(&ts.snapshot.hashes, b, n, file, &err);
			if (rc == 0 && n != ts.snapshot.length)
				rc = -EBADMSG;
			if (rc == 0)
				rc = tuf_metadata_load(b, n, 0, file, &env, &err);
			free(b);
		}
	}
	if (rc == 0) {
		rc = tuf_verify_role(env, root.keys, root.nkeys, &root.roles[TUF_ROLE_SNAPSHOT],
				     &err);
		if (rc == 0)
			rc = tuf_snapshot_parse(env, &snap, &err);
		json_decref(env);
	}
	const struct tuf_meta *tm = rc ? NULL : tuf_snapshot_find(&snap, "targets.json");
	if (rc == 0 && !tm)
		rc = -ENOENT;
	if (rc == 0) {
		snprintf(file, sizeof(file), "%llu.targets.json", (unsigned long long)tm->version);
		env = get_env(f, file);
		rc = env ? tuf_verify_role(env, root.keys, root.nkeys,
					   &root.roles[TUF_ROLE_TARGETS], &err)
			 : -ENOENT;
		if (rc == 0)
			rc = tuf_targets_parse(env, &top, &err);
		json_decref(env);
	}
	for (size_t i = 0; rc == 0 && i < top.nroles; i++) {
		char mf[160];
		snprintf(mf, sizeof(mf), "%s.json", top.roles[i].name);
		const struct tuf_meta *dm = tuf_snapshot_find(&snap, mf);
		struct tuf_targets d;
		if (!dm) {
			rc = -ENOENT;
			break;
		}
		snprintf(file, sizeof(file), "%llu.%s", (unsigned long long)dm->version, mf);
		env = get_env(f, file);
		rc = env ? tuf_verify_role(env, top.keys, top.nkeys, &top.roles[i], &err) : -ENOENT;
		if (rc == 0)
			rc = tuf_targets_parse(env, &d, &err);
		json_decref(env);
		for (size_t j = 0; rc == 0 && j < d.ntargets; j++) {
			const struct tuf_target *t = &d.targets[j];
			char tf[400], *blob = NULL;
			uint64_t size;
			const char *slash = strrchr(t->path, '/');
			if (!tuf_role_covers(&top.roles[i], t->path)) {
				rc = -EPERM;
				break;
			}
			snprintf(tf, sizeof(tf), "%.*s/%s.%s", (int)(slash - t->path), t->path,
				 t->hashes.sha256, slash + 1);
			rc = repo_target_lookup(f->r, tf, &blob, &size, &err);
			size_t bl = 0;
			uint8_t *bb = rc ? NULL : xtest_read(blob, &bl);
			if (rc == 0 && (!bb || bl != t->length))
				rc = -EBADMSG;
			if (rc == 0)
				rc = tuf_hashes_check(&t->hashes, bb, bl, t->path, &err);
			free(bb);
			free(blob);
			ntargets++;
		}
		if (rc == 0)
			tuf_targets_free(&d);
	}
	if (rc)
		fprintf(stderr, "chain: %d %s\n", rc, err ? err : "");
	free(err);
	tuf_root_free(&root);
	tuf_timestamp_free(&ts);
	tuf_snapshot_free(&snap);
	tuf_targets_free(&top);
	return rc ? rc : ntargets;
}

/* ---- every metadata row of a store, as text (rfx_meta_digest) ------------------------------ */
struct digest {
	char *buf;
	size_t len, cap;
};

static int digest_row(void *arg, const char *role, uint64_t version, int64_t expires, bool latest,
		      const uint8_t *body, size_t len, char **err)
{
	struct digest *d = arg;
	struct tuf_hashes h;
	char line[400];
	tuf_hashes_compute(body, len, &h);
	int n = snprintf(line, sizeof(line), "%s %llu %lld %s\n", role, (unsigned long long)version,
			 (long long)expires, h.sha256);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	if (d->len + (size_t)n + 1 > d->cap) {
		size_t cap = (d->cap + (size_t)n + 1) * 2;
		char *nb = realloc(d->buf, cap);
		if (!nb)
			return -ENOMEM;
		d->buf = nb;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, line, (size_t)n + 1);
	d->len += (size_t)n;
	return 0;
}

static int digest_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct digest *d = arg;
	d->len = 0; /* what a lost attempt read */
	return r->db_ops->meta_each(db, digest_row, d, err);
}

char *rfx_meta_digest(struct repo *r)
{
	struct digest d = {0};
	char *err = NULL;
	if (repod_txn(r, REPOD_TXN_READ, digest_txn, &d, &err) != 0 || !d.buf) {
		fprintf(stderr, "fixture: metadata digest: %s\n", err ? err : "empty");
		free(d.buf);
		d.buf = NULL;
	}
	free(err);
	return d.buf;
}
