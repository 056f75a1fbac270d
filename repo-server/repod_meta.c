// SPDX-License-Identifier: MIT
/*
 * xdrv-repod metadata generation: top-level targets (one delegation per vendor), each vendor's
 * delegated targets, snapshot and timestamp are built from the database rows, signed with the
 * online keys and stored back in the same transaction, each with version = previous + 1. Also
 * the import of root versions from the keys folder. Key files: repod_keys.c.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool repod_vendor_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	static const char *const reserved[] = {"root", "targets", "snapshot", "timestamp"};
	for (size_t i = 0; i < 4; i++)
		if (strcmp(s, reserved[i]) == 0)
			return false;
	return true;
}

int repod_vendor_key_path(const struct repo *r, const char *vendor, char *out, size_t n)
{
	return xdrv_snprintf(out, n, "%s/vendors/%s.key", r->cfg.keys_dir, vendor) ? -ENAMETOOLONG
										   : 0;
}

/* Sign `sg` (consumed) and store it as role@version. */
static int sign_store(struct repo *r, const char *role, uint64_t version, int64_t expires,
		      json_t *sg, struct tuf_signer *k, char **err)
{
	json_t *env = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = sg ? tuf_sign(sg, &k, 1, &env, err) : xdrv_err(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = tuf_metadata_dump(env, &buf, &len, err);
	if (rc == 0)
		rc = repod_meta_store(r, role, version, expires, buf, len, err);
	free(buf);
	json_decref(env);
	json_decref(sg);
	if (rc)
		xdrv_err_prefix(err, "metadata %s v%llu", role, (unsigned long long)version);
	return rc;
}

static json_t *common(const char *type, uint64_t version, int64_t expires)
{
	char ex[21];
	tuf_time_format(expires, ex);
	return json_pack("{s:s, s:s, s:I, s:s}", "_type", type, "spec_version", TUF_SPEC_VERSION,
			 "version", (json_int_t)version, "expires", ex);
}

static int gen_targets(struct repo *r, int64_t now, char **err)
{
	uint64_t v;
	int rc = repod_meta_latest(r, "targets", &v, NULL, err);
	if (rc)
		return rc;
	int64_t exp = now + r->cfg.expiry_targets;
	json_t *sg = common("targets", v + 1, exp);
	json_t *keys = json_object(), *roles = json_array();
	sqlite3_stmt *st = NULL;
	if (!sg || !keys || !roles)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	else if (sqlite3_prepare_v2(r->db, "SELECT name, keyid, pubkey FROM vendors ORDER BY name",
				    -1, &st, NULL) != SQLITE_OK)
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *kid = (const char *)sqlite3_column_text(st, 1);
		const char *pub = (const char *)sqlite3_column_text(st, 2);
		char pat[80];
		snprintf(pat, sizeof(pat), "%s/*", name);
		json_object_set_new(keys, kid,
				    json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme",
					      "ed25519", "keyval", "public", pub));
		json_array_append_new(roles, json_pack("{s:s, s:[s], s:i, s:[s], s:b}", "name",
						       name, "keyids", kid, "threshold", 1, "paths",
						       pat, "terminating", 1));
	}
	sqlite3_finalize(st);
	if (rc == 0) {
		json_object_set_new(sg, "targets", json_object());
		json_object_set_new(sg, "delegations",
				    json_pack("{s:O, s:O}", "keys", keys, "roles", roles));
		rc = sign_store(r, "targets", v + 1, exp, sg, r->k_targets, err);
		sg = NULL;
	}
	json_decref(sg);
	json_decref(keys);
	json_decref(roles);
	return rc;
}

static int gen_vendor(struct repo *r, int64_t now, const char *vendor, char **err)
{
	uint64_t v;
	char kp[4200];
	struct tuf_signer *k = NULL;
	int rc = repod_meta_latest(r, vendor, &v, NULL, err);
	if (rc == 0 && repod_vendor_key_path(r, vendor, kp, sizeof(kp)) != 0)
		rc = xdrv_err(err, -ENAMETOOLONG, "vendor %s: key path too long", vendor);
	if (rc == 0)
		rc = tuf_signer_load(kp, &k, err);
	if (rc)
		return rc;
	int64_t exp = now + r->cfg.expiry_targets;
	json_t *sg = common("targets", v + 1, exp);
	json_t *tg = json_object();
	sqlite3_stmt *st = NULL;
	if (!sg || !tg)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	else if (sqlite3_prepare_v2(r->db,
				    "SELECT target, size, sha256, sha512, name, version,"
				    " security_version, abi_version, signer FROM packages"
				    " WHERE vendor=? ORDER BY target",
				    -1, &st, NULL) != SQLITE_OK)
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	if (st)
		sqlite3_bind_text(st, 1, vendor, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		json_t *t = json_pack("{s:I, s:{s:s, s:s}, s:{s:s, s:s, s:I, s:I, s:s, s:s}}",
				      "length", (json_int_t)sqlite3_column_int64(st, 1), "hashes",
				      "sha256", (const char *)sqlite3_column_text(st, 2), "sha512",
				      (const char *)sqlite3_column_text(st, 3), "custom", "name",
				      (const char *)sqlite3_column_text(st, 4), "version",
				      (const char *)sqlite3_column_text(st, 5), "security_version",
				      (json_int_t)sqlite3_column_int64(st, 6), "abi_version",
				      (json_int_t)sqlite3_column_int64(st, 7), "signer",
				      (const char *)sqlite3_column_text(st, 8), "vendor", vendor);
		if (!t)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
		else
			json_object_set_new(tg, (const char *)sqlite3_column_text(st, 0), t);
	}
	sqlite3_finalize(st);
	if (rc == 0) {
		json_object_set_new(sg, "targets", tg);
		tg = NULL;
		rc = sign_store(r, vendor, v + 1, exp, sg, k, err);
		sg = NULL;
	}
	json_decref(tg);
	json_decref(sg);
	tuf_signer_destroy(k);
	return rc;
}

static int gen_snapshot_timestamp(struct repo *r, int64_t now, char **err)
{
	uint64_t v, tv;
	int rc = repod_meta_latest(r, "snapshot", &v, NULL, err);
	if (rc == 0)
		rc = repod_meta_latest(r, "targets", &tv, NULL, err);
	if (rc)
		return rc;
	int64_t exp = now + r->cfg.expiry_snapshot;
	json_t *sg = common("snapshot", v + 1, exp);
	json_t *meta = json_pack("{s:{s:I}}", "targets.json", "version", (json_int_t)tv);
	sqlite3_stmt *st = NULL;
	if (!sg || !meta)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	else if (sqlite3_prepare_v2(r->db,
				    "SELECT v.name, (SELECT max(version) FROM metadata m"
				    " WHERE m.role=v.name) FROM vendors v ORDER BY v.name",
				    -1, &st, NULL) != SQLITE_OK)
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		char file[96];
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue; /* vendor row without metadata yet: added in this transaction */
		snprintf(file, sizeof(file), "%s.json", (const char *)sqlite3_column_text(st, 0));
		json_object_set_new(
			meta, file,
			json_pack("{s:I}", "version", (json_int_t)sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	if (rc) {
		json_decref(sg);
		json_decref(meta);
		return rc;
	}
	json_object_set_new(sg, "meta", meta);
	rc = sign_store(r, "snapshot", v + 1, exp, sg, r->k_snapshot, err);
	if (rc)
		return rc;
	/* timestamp: the snapshot just stored, with its length and hashes */
	uint8_t *sb;
	size_t sl;
	rc = repod_meta_body(r, "snapshot", v + 1, &sb, &sl, err);
	if (rc)
		return rc;
	struct tuf_hashes h;
	tuf_hashes_compute(sb, sl, &h);
	free(sb);
	h.has_sha512 = false; /* sha256 is what TUF clients commonly check; keep the file small */
	uint64_t tsv;
	rc = repod_meta_latest(r, "timestamp", &tsv, NULL, err);
	if (rc)
		return rc;
	exp = now + r->cfg.expiry_timestamp;
	sg = common("timestamp", tsv + 1, exp);
	if (sg)
		json_object_set_new(sg, "meta",
				    json_pack("{s:{s:I, s:I, s:o}}", "snapshot.json", "version",
					      (json_int_t)v + 1, "length", (json_int_t)sl, "hashes",
					      tuf_hashes_to_json(&h)));
	return sign_store(r, "timestamp", tsv + 1, exp, sg, r->k_timestamp, err);
}

int repod_meta_update(struct repo *r, int64_t now, const struct repod_meta_req *q, char **err)
{
	int rc = 0;
	if (q->targets)
		rc = gen_targets(r, now, err);
	if (rc == 0 && q->vendor)
		rc = gen_vendor(r, now, q->vendor, err);
	if (rc == 0 && q->all_vendors) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(r->db, "SELECT name FROM vendors ORDER BY name", -1, &st,
				       NULL) != SQLITE_OK)
			return xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
		char **names = NULL;
		size_t n = 0;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			char **nn = realloc(names, (n + 1) * sizeof(*names));
			if (!nn) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
			names = nn;
			names[n] = strdup((const char *)sqlite3_column_text(st, 0));
			if (!names[n++])
				rc = xdrv_err(err, -ENOMEM, "out of memory");
		}
		sqlite3_finalize(st);
		for (size_t i = 0; i < n; i++) {
			if (rc == 0 && (!q->vendor || strcmp(q->vendor, names[i]) != 0))
				rc = gen_vendor(r, now, names[i], err);
			free(names[i]);
		}
		free(names);
	}
	if (rc == 0)
		rc = gen_snapshot_timestamp(r, now, err);
	return rc;
}

/* ---- root import ---------------------------------------------------------------------------- */
static int load_root_file(struct repo *r, uint64_t v, json_t **env, uint8_t **buf, size_t *len,
			  char **err)
{
	char p[4200];
	if (xdrv_snprintf(p, sizeof(p), "%s/root/%llu.root.json", r->cfg.keys_dir,
			  (unsigned long long)v) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "root: path too long");
	int rc = xdrv_read_file(p, TUF_METADATA_MAX, buf, len, err);
	if (rc)
		return rc;
	rc = tuf_metadata_load(*buf, *len, 0, p, env, err);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int repod_root_import(struct repo *r, char **err)
{
	uint64_t have;
	int rc = repod_meta_latest(r, "root", &have, NULL, err);
	struct tuf_root trusted = {0};
	if (rc)
		return rc;
	if (have) {
		uint8_t *b = NULL;
		size_t l;
		json_t *env = NULL;
		rc = repod_meta_body(r, "root", have, &b, &l, err);
		if (rc == 0)
			rc = tuf_metadata_load(b, l, 0, "root (database)", &env, err);
		if (rc == 0)
			rc = tuf_root_parse(env, &trusted, err);
		json_decref(env);
		free(b);
		if (rc)
			return rc;
	}
	for (uint64_t v = have + 1;; v++) {
		json_t *env = NULL;
		uint8_t *buf = NULL;
		size_t len = 0;
		char *e2 = NULL;
		if (load_root_file(r, v, &env, &buf, &len, &e2) != 0) {
			bool missing = e2 && strstr(e2, "No such file");
			if (!missing || v == 1) {
				rc = xdrv_err(err, -EINVAL, "root import: %llu.root.json: %s",
					      (unsigned long long)v, e2 ? e2 : "?");
			}
			free(e2);
			break;
		}
		struct tuf_root nr;
		rc = tuf_root_parse(env, &nr, err);
		if (rc == 0 && nr.c.version != v)
			rc = xdrv_err(err, -EINVAL, "root: %llu.root.json has version %llu",
				      (unsigned long long)v, (unsigned long long)nr.c.version);
		if (rc == 0 && have)
			rc = tuf_verify_role(env, trusted.keys, trusted.nkeys,
					     &trusted.roles[TUF_ROLE_ROOT], err);
		if (rc == 0)
			rc = tuf_verify_role(env, nr.keys, nr.nkeys, &nr.roles[TUF_ROLE_ROOT], err);
		if (rc == 0)
			rc = repod_meta_store(r, "root", v, nr.c.expires, (const char *)buf, len,
					      err);
		json_decref(env);
		free(buf);
		if (rc) {
			tuf_root_free(&nr);
			xdrv_err_prefix(err, "root import: version %llu", (unsigned long long)v);
			break;
		}
		tuf_root_free(&trusted);
		trusted = nr;
		have = v;
	}
	/* the online keys must be the ones the current root names */
	struct {
		int role;
		struct tuf_signer *k;
	} on[3] = {{TUF_ROLE_TARGETS, r->k_targets},
		   {TUF_ROLE_SNAPSHOT, r->k_snapshot},
		   {TUF_ROLE_TIMESTAMP, r->k_timestamp}};
	for (int i = 0; rc == 0 && i < 3; i++) {
		const struct tuf_role *role = &trusted.roles[on[i].role];
		bool found = false;
		for (size_t j = 0; j < role->nkeyids; j++)
			found |= strcmp(role->keyids[j], tuf_signer_key(on[i].k)->keyid) == 0;
		if (!found)
			rc = xdrv_err(err, -EPERM,
				      "online key for %s is not listed in root version %llu",
				      role->name, (unsigned long long)trusted.c.version);
	}
	tuf_root_free(&trusted);
	return rc;
}
