// SPDX-License-Identifier: MIT
/*
 * Fixture for the repository-client suites (see client_fixture.h): a static TUF repository in a
 * temporary folder, signed at test time. Not a suite itself.
 */
#include "client_fixture.h"

#include "../xtest.h"
#include "xdrv/util.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *key_entry(json_t *keys, struct tuf_signer *s)
{
	const struct tuf_key *k = tuf_signer_key(s);
	json_object_set_new(keys, k->keyid, tuf_key_to_json(k));
	return json_pack("[s]", k->keyid);
}

static json_t *role_json(json_t *keys, struct tuf_signer *a, struct tuf_signer *b, uint32_t thr)
{
	json_t *ids = key_entry(keys, a);
	if (b) {
		json_decref(key_entry(keys, b));
		json_array_append_new(ids, json_string(tuf_signer_key(b)->keyid));
	}
	return json_pack("{s:o, s:I}", "keyids", ids, "threshold", (json_int_t)thr);
}

static char *expires(int64_t t)
{
	static char buf[4][21];
	static unsigned i;
	char *b = buf[i++ % 4];
	tuf_time_format(t, b);
	return b;
}

static int write_env(struct cfx *f, const char *file, json_t *signed_obj,
		     struct tuf_signer *const *signers, size_t n)
{
	json_t *env = NULL;
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int rc = tuf_sign(signed_obj, signers, n, &env, &err);
	if (rc == 0)
		rc = tuf_metadata_dump(env, &buf, &len, &err);
	if (rc == 0)
		rc = xtest_write(xtest_path("%s/metadata/%s", f->dir, file), buf, len);
	if (rc != 0)
		fprintf(stderr, "fixture: %s: %s\n", file, err ? err : "write failed");
	free(err);
	free(buf);
	json_decref(env);
	json_decref(signed_obj);
	return rc;
}

int cfx_write_root(struct cfx *f, struct tuf_signer *const *signers, size_t n)
{
	json_t *keys = json_object();
	json_t *roles =
		json_pack("{s:o, s:o, s:o, s:o}", "root", role_json(keys, f->root, NULL, 1),
			  "targets", role_json(keys, f->targets, NULL, 1), "snapshot",
			  role_json(keys, f->snapshot, NULL, 1), "timestamp",
			  role_json(keys, f->timestamp, f->ts_threshold > 1 ? f->extra : NULL,
				    f->ts_threshold ? f->ts_threshold : 1));
	json_t *s = json_pack("{s:s, s:s, s:I, s:s, s:b, s:o, s:o}", "_type", "root",
			      "spec_version", "1.0.31", "version", (json_int_t)f->v_root, "expires",
			      expires(f->root_expires ? f->root_expires : f->now + 365 * 86400),
			      "consistent_snapshot", 1, "keys", keys, "roles", roles);
	char file[64];
	snprintf(file, sizeof file, "%llu.root.json", (unsigned long long)f->v_root);
	return write_env(f, file, s, signers, n);
}

static void sha256_hex(const uint8_t *b, size_t n, char out[65])
{
	uint8_t d[32];
	SHA256(b, n, d);
	xdrv_hex(d, 32, out);
}

static json_t *meta_entry(struct cfx *f, const char *file, uint64_t version, bool with_hash)
{
	json_t *m = json_pack("{s:I}", "version", (json_int_t)version);
	if (with_hash) {
		size_t len = 0;
		unsigned char *b = xtest_read(xtest_path("%s/metadata/%s", f->dir, file), &len);
		char h[65];
		if (b) {
			sha256_hex(b, len, h);
			json_object_set_new(m, "length", json_integer((json_int_t)len));
			json_object_set_new(m, "hashes", json_pack("{s:s}", "sha256", h));
		}
		free(b);
	}
	return m;
}

int cfx_write_role(struct cfx *f, const char *role)
{
	char file[64];
	int64_t exp = f->now + 7 * 86400;
	if (strcmp(role, "targets") == 0) {
		json_t *dkeys = json_object();
		json_t *r = role_json(dkeys, f->acme, NULL, 1);
		json_object_set_new(r, "name", json_string("acme"));
		json_object_set_new(r, "paths", json_pack("[s]", "acme/*"));
		json_object_set_new(r, "terminating", json_true());
		json_t *s = json_pack("{s:s, s:s, s:I, s:s, s:{}, s:{s:o, s:[o]}}", "_type",
				      "targets", "spec_version", "1.0.31", "version",
				      (json_int_t)f->v_targets, "expires", expires(exp), "targets",
				      "delegations", "keys", dkeys, "roles", r);
		snprintf(file, sizeof file, "%llu.targets.json", (unsigned long long)f->v_targets);
		return write_env(f, file, s, &f->targets, 1);
	}
	if (strcmp(role, "acme") == 0) {
		json_t *tg = json_object();
		for (size_t i = 0; i < f->nt; i++) {
			char h[65];
			sha256_hex(f->t[i].bytes, f->t[i].len, h);
			json_object_set_new(
				tg, f->t[i].path,
				json_pack("{s:I, s:{s:s}, s:{s:s, s:s, s:I, s:s}}", "length",
					  (json_int_t)f->t[i].len, "hashes", "sha256", h, "custom",
					  "name", f->t[i].name, "version", f->t[i].version,
					  "security_version", (json_int_t)f->t[i].secver, "vendor",
					  "acme"));
		}
		json_t *s = json_pack("{s:s, s:s, s:I, s:s, s:o}", "_type", "targets",
				      "spec_version", "1.0.31", "version", (json_int_t)f->v_acme,
				      "expires", expires(exp), "targets", tg);
		snprintf(file, sizeof file, "%llu.acme.json", (unsigned long long)f->v_acme);
		return write_env(f, file, s, &f->acme, 1);
	}
	if (strcmp(role, "snapshot") == 0) {
		json_t *meta = json_pack("{s:{s:I}, s:{s:I}}", "targets.json", "version",
					 (json_int_t)f->v_targets, "acme.json", "version",
					 (json_int_t)f->v_acme);
		json_t *s =
			json_pack("{s:s, s:s, s:I, s:s, s:o}", "_type", "snapshot", "spec_version",
				  "1.0.31", "version", (json_int_t)f->v_snapshot, "expires",
				  expires(exp), "meta", meta);
		snprintf(file, sizeof file, "%llu.snapshot.json",
			 (unsigned long long)f->v_snapshot);
		return write_env(f, file, s, &f->snapshot, 1);
	}
	/* timestamp */
	snprintf(file, sizeof file, "%llu.snapshot.json", (unsigned long long)f->v_snapshot);
	json_t *meta = json_pack("{s:o}", "snapshot.json",
				 meta_entry(f, file, f->v_snapshot, !f->ts_no_hashes));
	json_t *s =
		json_pack("{s:s, s:s, s:I, s:s, s:o}", "_type", "timestamp", "spec_version",
			  "1.0.31", "version", (json_int_t)f->v_timestamp, "expires",
			  expires(f->ts_expires ? f->ts_expires : f->now + 86400), "meta", meta);
	return write_env(f, "timestamp.json", s, &f->timestamp, 1);
}

int cfx_publish(struct cfx *f)
{
	int rc = cfx_write_role(f, "acme");
	if (rc == 0)
		rc = cfx_write_role(f, "targets");
	if (rc == 0)
		rc = cfx_write_role(f, "snapshot");
	if (rc == 0)
		rc = cfx_write_role(f, "timestamp");
	return rc;
}

int cfx_write_target_file(struct cfx *f, size_t i, const uint8_t *bytes, size_t len)
{
	char h[65], dir[512];
	sha256_hex(f->t[i].bytes, f->t[i].len, h);
	snprintf(dir, sizeof dir, "%s", f->t[i].path);
	char *slash = strrchr(dir, '/');
	*slash = 0;
	xtest_sh("mkdir -p '%s/targets/%s'", f->dir, dir);
	return xtest_write(xtest_path("%s/targets/%s/%s.%s", f->dir, dir, h, slash + 1), bytes,
			   len);
}

int cfx_add_target(struct cfx *f, const char *path, const char *name, const char *version,
		   const uint8_t *bytes, size_t len)
{
	struct cfx_target *t = &f->t[f->nt];
	snprintf(t->path, sizeof t->path, "%s", path);
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->version, sizeof t->version, "%s", version);
	t->secver = 1;
	t->bytes = malloc(len ? len : 1);
	if (!t->bytes)
		return -1;
	memcpy(t->bytes, bytes, len);
	t->len = len;
	f->nt++;
	return cfx_write_target_file(f, f->nt - 1, bytes, len);
}

int cfx_update(struct cfx *f, struct repo_target **t, size_t *n, char **err)
{
	struct repo_update_opts o = {.now = f->now};
	struct repo_target *tmp = NULL;
	size_t tn = 0;
	int rc = repo_update(f->s, "test", &o, t ? t : &tmp, n ? n : &tn, err);
	free(tmp);
	return rc;
}

struct cfx *cfx_create(const char *pkg_path)
{
	struct cfx *f = calloc(1, sizeof *f);
	char *err = NULL;
	uint8_t *pkg = NULL;
	size_t len = 0;
	if (!f)
		return NULL;
	snprintf(f->dir, sizeof f->dir, "%s", xtest_tmpdir());
	snprintf(f->url, sizeof f->url, "file://%s", f->dir);
	snprintf(f->store, sizeof f->store, "%s", xtest_tmpdir());
	xtest_sh("mkdir -p '%s/metadata' '%s/targets'", f->dir, f->dir);
	f->now = (int64_t)time(NULL);
	f->v_root = f->v_targets = f->v_acme = f->v_snapshot = f->v_timestamp = 1;
	struct tuf_signer **ks[] = {&f->root,	   &f->targets, &f->snapshot,
				    &f->timestamp, &f->acme,	&f->extra};
	for (size_t i = 0; i < 6; i++)
		if (tuf_signer_generate(ks[i], &err) != 0)
			goto fail;
	if (pkg_path) {
		pkg = xtest_read(pkg_path, &len);
		if (!pkg) {
			err = strdup(pkg_path);
			goto fail;
		}
	} else {
		len = 3000;
		pkg = malloc(len);
		for (size_t i = 0; pkg && i < len; i++)
			pkg[i] = (uint8_t)(i * 7 + 1);
	}
	if (!pkg || cfx_add_target(f, "acme/hello-1.0.0.xdrv", "hello", "1.0.0", pkg, len) != 0)
		goto fail;
	free(pkg);
	pkg = NULL;
	if (cfx_write_root(f, &f->root, 1) != 0 || cfx_publish(f) != 0)
		goto fail;
	size_t rlen = 0;
	uint8_t *root = xtest_read(xtest_path("%s/metadata/1.root.json", f->dir), &rlen);
	int rc = root ? repo_store_open(f->store, &f->s, &err) : -1;
	if (rc == 0)
		rc = repo_store_repo_add(f->s, "test", f->url, root, rlen, &err);
	free(root);
	if (rc != 0)
		goto fail;
	return f;
fail:
	fprintf(stderr, "fixture: %s\n", err ? err : "failed");
	free(err);
	free(pkg);
	cfx_destroy(f);
	return NULL;
}

void cfx_destroy(struct cfx *f)
{
	if (!f)
		return;
	repo_store_close(f->s);
	struct tuf_signer *ks[] = {f->root,	 f->targets, f->snapshot,
				   f->timestamp, f->acme,    f->extra};
	for (size_t i = 0; i < 6; i++)
		tuf_signer_destroy(ks[i]);
	for (size_t i = 0; i < f->nt; i++)
		free(f->t[i].bytes);
	free(f);
}
