// SPDX-License-Identifier: MIT
/*
 * xdrv-repod key ceremony: `keys init` (offline root key, online targets/snapshot/timestamp
 * keys, root version 1) and `keys rotate-root` (root N+1 signed by the old and the new root
 * key). Only files in the keys folder are touched; the server imports new roots at start.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
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
