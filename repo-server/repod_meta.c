// SPDX-License-Identifier: MIT
/*
 * xdrv-repod metadata generation: top-level targets (one delegation per vendor), each vendor's
 * delegated targets, snapshot and timestamp are built from the database rows, signed with the
 * online keys and stored back in the same transaction, each with version = previous + 1 as read
 * in that transaction (so that concurrent writers never produce two version N). Also
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

/* Sign `sg` (consumed) and store it as role@version. */
static int sign_store(struct repo *r, struct repod_db *db, const char *role, uint64_t version,
		      int64_t expires, json_t *sg, struct tuf_signer *k, char **err)
{
	json_t *env = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = sg ? tuf_sign(sg, &k, 1, &env, err) : xdrv_err(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = tuf_metadata_dump(env, &buf, &len, err);
	if (rc == 0)
		rc = r->db_ops->meta_put(db, role, version, expires, (const uint8_t *)buf, len,
					 err);
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

static int gen_targets(struct repo *r, struct repod_db *db, int64_t now,
		       const struct repod_vendor *vs, size_t nv, char **err)
{
	uint64_t v;
	int rc = r->db_ops->meta_latest(db, "targets", &v, NULL, err);
	if (rc)
		return rc;
	int64_t exp = now + r->cfg.expiry_targets;
	json_t *sg = common("targets", v + 1, exp);
	json_t *keys = json_object(), *roles = json_array();
	if (!sg || !keys || !roles)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		char pat[80];
		snprintf(pat, sizeof(pat), "%s/*", vs[i].name);
		json_object_set_new(keys, vs[i].keyid,
				    json_pack("{s:s, s:s, s:{s:s}}", "keytype", "ed25519", "scheme",
					      "ed25519", "keyval", "public", vs[i].pubkey));
		json_array_append_new(roles,
				      json_pack("{s:s, s:[s], s:i, s:[s], s:b}", "name", vs[i].name,
						"keyids", vs[i].keyid, "threshold", 1, "paths", pat,
						"terminating", 1));
	}
	if (rc == 0) {
		json_object_set_new(sg, "targets", json_object());
		json_object_set_new(sg, "delegations",
				    json_pack("{s:O, s:O}", "keys", keys, "roles", roles));
		rc = sign_store(r, db, "targets", v + 1, exp, sg, r->k_targets, err);
		sg = NULL;
	}
	json_decref(sg);
	json_decref(keys);
	json_decref(roles);
	return rc;
}

static int gen_vendor(struct repo *r, struct repod_db *db, int64_t now, const char *vendor,
		      char **err)
{
	uint64_t v;
	struct tuf_signer *k = NULL;
	struct repod_pkg *pk = NULL;
	size_t np = 0;
	struct repod_pkg_filter f = {.vendor = vendor};
	int rc = r->db_ops->meta_latest(db, vendor, &v, NULL, err);
	if (rc == 0)
		rc = repod_vendor_key_load(r, db, vendor, &k, err);
	if (rc == 0)
		rc = r->db_ops->packages(db, &f, &pk, &np, err);
	if (rc) {
		tuf_signer_destroy(k);
		return rc;
	}
	int64_t exp = now + r->cfg.expiry_targets;
	json_t *sg = common("targets", v + 1, exp);
	json_t *tg = json_object();
	if (!sg || !tg)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < np; i++) {
		const struct repod_pkg *p = &pk[i];
		json_t *t = json_pack(
			"{s:I, s:{s:s, s:s}, s:{s:s, s:s, s:I, s:I, s:s, s:s}}", "length",
			(json_int_t)p->size, "hashes", "sha256", p->sha256, "sha512", p->sha512,
			"custom", "name", p->name, "version", p->version, "security_version",
			(json_int_t)p->security_version, "abi_version", (json_int_t)p->abi_version,
			"signer", p->signer, "vendor", vendor);
		if (!t)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
		else
			json_object_set_new(tg, p->target, t);
	}
	repod_pkgs_free(pk, np);
	if (rc == 0) {
		json_object_set_new(sg, "targets", tg);
		tg = NULL;
		rc = sign_store(r, db, vendor, v + 1, exp, sg, k, err);
		sg = NULL;
	}
	json_decref(tg);
	json_decref(sg);
	tuf_signer_destroy(k);
	return rc;
}

static int gen_snapshot_timestamp(struct repo *r, struct repod_db *db, int64_t now, char **err)
{
	const struct repod_db_ops *o = r->db_ops;
	uint64_t v, tv;
	struct repod_vendor *vs = NULL;
	size_t nv = 0;
	int rc = o->meta_latest(db, "snapshot", &v, NULL, err);
	if (rc == 0)
		rc = o->meta_latest(db, "targets", &tv, NULL, err);
	if (rc == 0) /* read again: the caller has just signed some of them */
		rc = o->vendors(db, &vs, &nv, err);
	if (rc)
		return rc;
	int64_t exp = now + r->cfg.expiry_snapshot;
	json_t *sg = common("snapshot", v + 1, exp);
	json_t *meta = json_pack("{s:{s:I}}", "targets.json", "version", (json_int_t)tv);
	if (!sg || !meta)
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		char file[96];
		if (!vs[i].meta_version)
			continue; /* vendor row without metadata yet: added in this transaction */
		snprintf(file, sizeof(file), "%s.json", vs[i].name);
		json_object_set_new(meta, file,
				    json_pack("{s:I}", "version", (json_int_t)vs[i].meta_version));
	}
	free(vs);
	if (rc) {
		json_decref(sg);
		json_decref(meta);
		return rc;
	}
	json_object_set_new(sg, "meta", meta);
	rc = sign_store(r, db, "snapshot", v + 1, exp, sg, r->k_snapshot, err);
	if (rc)
		return rc;
	/* timestamp: the snapshot just stored, with its length and hashes */
	uint8_t *sb;
	size_t sl;
	rc = o->meta_get(db, "snapshot", v + 1, &sb, &sl, err);
	if (rc)
		return rc;
	struct tuf_hashes h;
	tuf_hashes_compute(sb, sl, &h);
	free(sb);
	h.has_sha512 = false; /* sha256 is what TUF clients commonly check; keep the file small */
	uint64_t tsv;
	rc = o->meta_latest(db, "timestamp", &tsv, NULL, err);
	if (rc)
		return rc;
	exp = now + r->cfg.expiry_timestamp;
	sg = common("timestamp", tsv + 1, exp);
	if (sg)
		json_object_set_new(sg, "meta",
				    json_pack("{s:{s:I, s:I, s:o}}", "snapshot.json", "version",
					      (json_int_t)v + 1, "length", (json_int_t)sl, "hashes",
					      tuf_hashes_to_json(&h)));
	return sign_store(r, db, "timestamp", tsv + 1, exp, sg, r->k_timestamp, err);
}

int repod_meta_update(struct repo *r, struct repod_db *db, int64_t now,
		      const struct repod_meta_req *q, char **err)
{
	struct repod_vendor *vs = NULL;
	size_t nv = 0;
	int rc = 0;
	if (q->targets || q->all_vendors)
		rc = r->db_ops->vendors(db, &vs, &nv, err);
	if (rc == 0 && q->targets)
		rc = gen_targets(r, db, now, vs, nv, err);
	if (rc == 0 && q->vendor)
		rc = gen_vendor(r, db, now, q->vendor, err);
	for (size_t i = 0; rc == 0 && q->all_vendors && i < nv; i++)
		if (!q->vendor || strcmp(q->vendor, vs[i].name) != 0)
			rc = gen_vendor(r, db, now, vs[i].name, err);
	free(vs);
	if (rc == 0)
		rc = gen_snapshot_timestamp(r, db, now, err);
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

int repod_root_import(struct repo *r, struct repod_db *db, char **err)
{
	uint64_t have;
	int rc = r->db_ops->meta_latest(db, "root", &have, NULL, err);
	struct tuf_root trusted = {0};
	if (rc)
		return rc;
	if (have) {
		uint8_t *b = NULL;
		size_t l;
		json_t *env = NULL;
		rc = r->db_ops->meta_get(db, "root", have, &b, &l, err);
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
			rc = r->db_ops->meta_put(db, "root", v, nr.c.expires, buf, len, err);
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
