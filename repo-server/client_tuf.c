// SPDX-License-Identifier: MIT
/*
 * The TUF 1.0 client workflow (specification section 5) for an xdrv repository: which metadata
 * to fetch, in which order, with which length caps, and which version, expiry, rollback,
 * mix-and-match and delegation checks to apply before any of it becomes trusted. Parsing,
 * canonical JSON and Ed25519 signatures are the TUF library's (xdrv/tuf.h); storage is store.c.
 *
 * Repository layout (the one xdrv-repod serves and --export writes): URL/metadata/N.root.json,
 * URL/metadata/timestamp.json, URL/metadata/N.snapshot.json, URL/metadata/N.targets.json,
 * URL/metadata/N.<vendor>.json, and targets as URL/targets/<dir>/<sha256>.<file> (consistent
 * snapshots). Trusted copies live in STORE/repos/NAME/ as root.json, timestamp.json,
 * snapshot.json, targets.json and deleg.<vendor>.json.
 *
 * Expiry is judged against the wall clock (TUF's freshness guarantee needs the real time; a
 * host with a wrong clock fails closed with an "expired" message), unlike package certificates,
 * which the signer checks against a stored time floor.
 */
#include "xdrv/repo_client.h"
#include "xdrv/tuf.h"
#include "xdrv/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROOT_MAX       (512ull * 1024u) /* a root with 256 keys is ~40 KiB */
#define TIMESTAMP_MAX  (16ull * 1024u)	/* as the specification suggests */
#define SNAPSHOT_MAX   (8u << 20)	/* when the timestamp gives no length */
#define TARGETS_MAX    (16u << 20)	/* when the snapshot gives no length */
#define ROOT_CHAIN_MAX 1024		/* root versions walked in one update */

struct trusted {
	struct tuf_root root;
	json_t *ts_env, *snap_env; /* trusted timestamp / snapshot, or NULL */
	struct tuf_timestamp ts;
	struct tuf_snapshot snap;
};

/* The new metadata of one update, committed only when all of it checked. */
struct fresh {
	json_t *ts_env, *snap_env, *targets_env;
	struct tuf_timestamp ts;
	struct tuf_snapshot snap;
	struct tuf_targets targets;
	json_t **deleg_env; /* per targets.roles[i] */
	struct tuf_targets *deleg;
	size_t ndeleg;
};

static void fresh_free(struct fresh *f)
{
	json_decref(f->ts_env);
	json_decref(f->snap_env);
	json_decref(f->targets_env);
	tuf_timestamp_free(&f->ts);
	tuf_snapshot_free(&f->snap);
	tuf_targets_free(&f->targets);
	for (size_t i = 0; i < f->ndeleg; i++) {
		json_decref(f->deleg_env[i]);
		tuf_targets_free(&f->deleg[i]);
	}
	free(f->deleg_env);
	free(f->deleg);
}

static void trusted_free(struct trusted *t)
{
	tuf_root_free(&t->root);
	json_decref(t->ts_env);
	json_decref(t->snap_env);
	tuf_timestamp_free(&t->ts);
	tuf_snapshot_free(&t->snap);
}

/* Read a trusted file of the store; -ENOENT if absent. */
static int load_local(const char *dir, const char *file, const char *what, json_t **env, char **err)
{
	char p[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	snprintf(p, sizeof p, "%s/%s", dir, file);
	if (access(p, F_OK) != 0)
		return -ENOENT;
	int rc = xdrv_read_file(p, TUF_METADATA_MAX, &buf, &len, err);
	if (rc == 0)
		rc = tuf_metadata_load(buf, len, 0, what, env, err);
	free(buf);
	return rc;
}

static int save_local(const char *dir, const char *file, const json_t *env, char **err)
{
	char p[4096], *buf = NULL;
	size_t len = 0;
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int rc = tuf_metadata_dump(env, &buf, &len, err);
	if (rc == 0)
		rc = xdrv_write_file_atomic(p, buf, len, 0644, err);
	free(buf);
	return rc;
}

/* Fetch URL/metadata/FILE, at most max bytes, into an envelope. */
static int fetch_meta(const char *url, const char *file, uint64_t max,
		      const struct repo_http_opts *http, json_t **env, uint8_t **raw,
		      size_t *rawlen, char **err)
{
	char u[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	if (xdrv_snprintf(u, sizeof u, "%s/metadata/%s", url, file) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s: URL too long", file);
	int rc = repo_http_get(u, max, http, &buf, &len, err);
	if (rc == 0)
		rc = tuf_metadata_load(buf, len, max, file, env, err);
	if (rc == 0 && raw) {
		*raw = buf;
		*rawlen = len;
		buf = NULL;
	}
	free(buf);
	return rc;
}

static bool same_keys(const struct tuf_root *a, const struct tuf_root *b, int role)
{
	const struct tuf_role *x = &a->roles[role], *y = &b->roles[role];
	if (x->nkeyids != y->nkeyids || x->threshold != y->threshold)
		return false;
	for (size_t i = 0; i < x->nkeyids; i++) {
		bool found = false;
		for (size_t j = 0; j < y->nkeyids && !found; j++)
			found = strcmp(x->keyids[i], y->keyids[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* 5.3: walk N+1.root.json until 404. Each new root is signed by a threshold of the trusted
 * root's root keys and of its own, and has exactly version N+1. */
static int update_root(const char *dir, const char *url, const struct repo_http_opts *http,
		       struct trusted *t, char **err)
{
	for (int i = 0; i < ROOT_CHAIN_MAX; i++) {
		char file[64];
		uint64_t next = t->root.c.version + 1;
		json_t *env = NULL;
		struct tuf_root nr = {0};
		snprintf(file, sizeof file, "%" PRIu64 ".root.json", next);
		int rc = fetch_meta(url, file, ROOT_MAX, http, &env, NULL, NULL, err);
		/* No newer root: the chain ends here (5.3.3: "if the file is not available").
		 * S3-style object stores answer 403 for an object that does not exist when the
		 * bucket may not be listed, so 403 counts as absent too, as python-tuf's updater
		 * does, for this probe only: a 403 anywhere else is an error. Trusting nothing
		 * new is always safe; the timestamp's expiry bounds what withholding can do. */
		if (rc == -ENOENT || rc == -EACCES) {
			if (err) {
				free(*err);
				*err = NULL;
			}
			return 0;
		}
		if (rc == 0) {
			rc = tuf_verify_role(env, t->root.keys, t->root.nkeys,
					     &t->root.roles[TUF_ROLE_ROOT], err);
			if (rc != 0)
				xdrv_err_prefix(err,
						"%s: not signed by the trusted root "
						"version %" PRIu64,
						file, t->root.c.version);
		}
		if (rc == 0)
			rc = tuf_root_parse(env, &nr, err);
		if (rc == 0) {
			rc = tuf_verify_role(env, nr.keys, nr.nkeys, &nr.roles[TUF_ROLE_ROOT], err);
			if (rc != 0)
				xdrv_err_prefix(err, "%s: not signed by its own root keys", file);
		}
		if (rc == 0 && nr.c.version != next)
			rc = xdrv_err(err, -EINVAL, "%s: version %" PRIu64 ", expected %" PRIu64,
				      file, nr.c.version, next);
		if (rc == 0)
			rc = save_local(dir, "root.json", env, err);
		if (rc == 0) {
			/* 5.3.11: new timestamp/snapshot keys: forget the old ones so that a
			 * fast-forward attack on them can be recovered from */
			if (!same_keys(&t->root, &nr, TUF_ROLE_TIMESTAMP) ||
			    !same_keys(&t->root, &nr, TUF_ROLE_SNAPSHOT)) {
				char p[4096];
				snprintf(p, sizeof p, "%s/timestamp.json", dir);
				unlink(p);
				snprintf(p, sizeof p, "%s/snapshot.json", dir);
				unlink(p);
			}
			tuf_root_free(&t->root);
			t->root = nr;
			memset(&nr, 0, sizeof nr);
		}
		tuf_root_free(&nr);
		json_decref(env);
		if (rc != 0) {
			xdrv_err_prefix(err, "root update");
			return rc;
		}
	}
	return xdrv_err(err, -ELOOP, "root update: more than %d new root versions", ROOT_CHAIN_MAX);
}

static int load_trusted_root(const char *dir, struct trusted *t, char **err)
{
	json_t *env = NULL;
	int rc = load_local(dir, "root.json", "root.json", &env, err);
	if (rc == -ENOENT)
		return xdrv_err(err, -ENOENT, "%s/root.json: no trusted root", dir);
	if (rc == 0)
		rc = tuf_root_parse(env, &t->root, err);
	json_decref(env);
	return rc;
}

/* The trusted timestamp and snapshot, read after the root update (which may remove them). */
static int load_trusted_rest(const char *dir, struct trusted *t, char **err)
{
	int rc = load_local(dir, "timestamp.json", "trusted timestamp.json", &t->ts_env, err);
	if (rc == 0)
		rc = tuf_timestamp_parse(t->ts_env, &t->ts, err);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0)
		rc = load_local(dir, "snapshot.json", "trusted snapshot.json", &t->snap_env, err);
	if (rc == 0)
		rc = tuf_snapshot_parse(t->snap_env, &t->snap, err);
	if (rc == -ENOENT)
		rc = 0;
	return rc;
}

/* 5.4: timestamp. */
static int update_timestamp(const char *url, const struct repo_http_opts *http, int64_t now,
			    const struct trusted *t, struct fresh *f, char **err)
{
	int rc =
		fetch_meta(url, "timestamp.json", TIMESTAMP_MAX, http, &f->ts_env, NULL, NULL, err);
	if (rc == 0)
		rc = tuf_verify_role(f->ts_env, t->root.keys, t->root.nkeys,
				     &t->root.roles[TUF_ROLE_TIMESTAMP], err);
	if (rc == 0)
		rc = tuf_timestamp_parse(f->ts_env, &f->ts, err);
	if (rc == 0 && t->ts_env && f->ts.c.version < t->ts.c.version)
		rc = xdrv_err(err, -ESTALE,
			      "timestamp: version %" PRIu64
			      " is older than the trusted version %" PRIu64 " (rollback attack?)",
			      f->ts.c.version, t->ts.c.version);
	if (rc == 0 && t->ts_env && f->ts.snapshot.version < t->ts.snapshot.version)
		rc = xdrv_err(err, -ESTALE,
			      "timestamp: snapshot version %" PRIu64
			      " is older than the trusted %" PRIu64 " (rollback attack?)",
			      f->ts.snapshot.version, t->ts.snapshot.version);
	if (rc == 0)
		rc = tuf_expiry_check(&f->ts.c, now, err);
	if (rc == -EKEYEXPIRED)
		xdrv_err_prefix(err, "freeze attack?");
	return rc;
}

/* Fetch a versioned role file and check it against the meta entry that announced it. */
static int fetch_versioned(const char *url, const struct tuf_root *root, const char *role,
			   const struct tuf_meta *m, uint64_t dflt_max,
			   const struct repo_http_opts *http, json_t **env, char **err)
{
	char file[TUF_NAME_MAX + 48];
	uint8_t *raw = NULL;
	size_t len = 0;
	if (root->consistent_snapshot)
		snprintf(file, sizeof file, "%" PRIu64 ".%s.json", m->version, role);
	else
		snprintf(file, sizeof file, "%s.json", role);
	uint64_t max = m->has_length ? m->length : dflt_max;
	int rc = fetch_meta(url, file, max, http, env, &raw, &len, err);
	if (rc == -EFBIG && m->has_length)
		xdrv_err_prefix(err, "%s: longer than the %" PRIu64 " bytes listed", role, max);
	else if (rc == -EFBIG) /* nothing listed: the cap is this client's own */
		xdrv_err_prefix(err,
				"%s: longer than this client's cap of %" PRIu64
				" bytes (no length listed for it)",
				role, max);
	if (rc == 0 && m->has_length && len != m->length)
		rc = xdrv_err(err, -EBADMSG, "%s: %zu bytes, %" PRIu64 " listed", file, len,
			      m->length);
	if (rc == 0 && (m->hashes.has_sha256 || m->hashes.has_sha512))
		rc = tuf_hashes_check(&m->hashes, raw, len, file, err);
	free(raw);
	return rc;
}

/* 5.5: snapshot. */
static int update_snapshot(const char *url, const struct repo_http_opts *http, int64_t now,
			   const struct trusted *t, struct fresh *f, char **err)
{
	int rc = fetch_versioned(url, &t->root, "snapshot", &f->ts.snapshot, SNAPSHOT_MAX, http,
				 &f->snap_env, err);
	if (rc == 0)
		rc = tuf_verify_role(f->snap_env, t->root.keys, t->root.nkeys,
				     &t->root.roles[TUF_ROLE_SNAPSHOT], err);
	if (rc == 0)
		rc = tuf_snapshot_parse(f->snap_env, &f->snap, err);
	if (rc == 0 && f->snap.c.version != f->ts.snapshot.version)
		rc = xdrv_err(err, -EINVAL,
			      "snapshot: version %" PRIu64
			      " does not match the timestamp's %" PRIu64 " (mix-and-match?)",
			      f->snap.c.version, f->ts.snapshot.version);
	for (size_t i = 0; rc == 0 && t->snap_env && i < t->snap.nmeta; i++) {
		const struct tuf_meta *old = &t->snap.meta[i];
		const struct tuf_meta *nw = tuf_snapshot_find(&f->snap, old->name);
		if (!nw)
			rc = xdrv_err(err, -ESTALE,
				      "snapshot: %s, listed by the trusted snapshot, "
				      "is missing (rollback attack?)",
				      old->name);
		else if (nw->version < old->version)
			rc = xdrv_err(err, -ESTALE,
				      "snapshot: %s version %" PRIu64
				      " is older than the trusted %" PRIu64 " (rollback attack?)",
				      old->name, nw->version, old->version);
	}
	if (rc == 0)
		rc = tuf_expiry_check(&f->snap.c, now, err);
	if (rc == -EKEYEXPIRED)
		xdrv_err_prefix(err, "freeze attack?");
	return rc;
}

/* 5.6: a targets file (top-level or delegated), its version from the snapshot. */
static int update_targets_role(const char *url, const struct repo_http_opts *http, int64_t now,
			       const struct tuf_root *root, const struct tuf_snapshot *snap,
			       const char *role, const struct tuf_key *keys, size_t nkeys,
			       const struct tuf_role *r, json_t **env, struct tuf_targets *out,
			       char **err)
{
	char name[TUF_NAME_MAX + 8];
	snprintf(name, sizeof name, "%s.json", role);
	const struct tuf_meta *m = tuf_snapshot_find(snap, name);
	if (!m)
		return xdrv_err(err, -EINVAL, "snapshot: does not list %s", name);
	int rc = fetch_versioned(url, root, role, m, TARGETS_MAX, http, env, err);
	if (rc == 0)
		rc = tuf_verify_role(*env, keys, nkeys, r, err);
	if (rc == 0)
		rc = tuf_targets_parse(*env, out, err);
	if (rc == 0 && out->c.version != m->version)
		rc = xdrv_err(err, -EINVAL,
			      "%s: version %" PRIu64 " does not match the snapshot's %" PRIu64
			      " (mix-and-match?)",
			      role, out->c.version, m->version);
	if (rc == 0)
		rc = tuf_expiry_check(&out->c, now, err);
	if (rc == -EKEYEXPIRED)
		xdrv_err_prefix(err, "freeze attack?");
	return rc;
}

static bool role_name_ok(const char *n)
{
	return repo_name_valid(n) && strcmp(n, "root") != 0 && strcmp(n, "targets") != 0 &&
	       strcmp(n, "snapshot") != 0 && strcmp(n, "timestamp") != 0;
}

static void base_name(const char *path, char *out, size_t size)
{
	const char *b = strrchr(path, '/');
	snprintf(out, size, "%s", b ? b + 1 : path);
}

static void target_fill(const struct tuf_target *tt, const char *vendor, struct repo_target *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->path, sizeof o->path, "%s", tt->path);
	snprintf(o->vendor, sizeof o->vendor, "%s", vendor);
	snprintf(o->sha256, sizeof o->sha256, "%s", tt->hashes.has_sha256 ? tt->hashes.sha256 : "");
	o->length = tt->length;
	const json_t *c = tt->custom;
	const char *s;
	if (c && (s = json_string_value(json_object_get(c, "name"))))
		snprintf(o->name, sizeof o->name, "%s", s);
	if (c && (s = json_string_value(json_object_get(c, "version"))))
		snprintf(o->version, sizeof o->version, "%s", s);
	if (c && (s = json_string_value(json_object_get(c, "signer"))))
		snprintf(o->signer, sizeof o->signer, "%s", s);
	if (c && json_is_integer(json_object_get(c, "security_version")))
		o->security_version =
			(uint64_t)json_integer_value(json_object_get(c, "security_version"));
	if (!o->name[0]) {
		/* no custom data: NAME-VERSION.xdrv */
		char b[256];
		base_name(tt->path, b, sizeof b);
		char *dash = strrchr(b, '-'), *dot = strstr(b, ".xdrv");
		if (dash && dot && dot > dash) {
			*dot = 0;
			snprintf(o->version, sizeof o->version, "%s", dash + 1);
			*dash = 0;
			snprintf(o->name, sizeof o->name, "%s", b);
		}
	}
}

/* A problem that does not stop the update, shown once: through the caller's function, else on
 * stderr. `msg` holds repository strings already escaped. */
static void warn(const struct repo_update_opts *o, const char *msg)
{
	if (o && o->warn)
		o->warn(o->warn_ctx, msg);
	else
		fprintf(stderr, "warning: %s\n", msg);
}

/* 5.6.7 (the paths a delegation covers): a role may only speak for the paths delegated to it.
 * A target it lists outside them is not trusted through this role: it is left out of the list
 * (so it can never be picked or installed through that role), and one warning per role names
 * the first such target and the count; the rest of the repository, other vendors and the
 * role's own in-path targets stay usable, as with other TUF clients. */
static void warn_outside(const struct repo_update_opts *o, const struct tuf_role *r,
			 const char *first, size_t count)
{
	char role[160], path[1100], pat[600], msg[2048];
	xdrv_escape_text(r->name, role, sizeof role);
	xdrv_escape_text(first, path, sizeof path);
	xdrv_escape_text(r->npaths ? r->paths[0] : "", pat, sizeof pat);
	snprintf(msg, sizeof msg,
		 "%s: lists %zu target(s) outside its delegated paths (%s%s), e.g. %s: "
		 "ignored, not trusted",
		 role, count, pat, r->npaths > 1 ? ", ..." : "", path);
	warn(o, msg);
}

static int collect(const struct fresh *f, const struct repo_update_opts *o,
		   struct repo_target **out, size_t *n, char **err)
{
	size_t total = f->targets.ntargets, k = 0;
	for (size_t i = 0; i < f->ndeleg; i++)
		total += f->deleg[i].ntargets;
	struct repo_target *v = calloc(total ? total : 1, sizeof *v);
	if (!v)
		return xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < f->targets.ntargets; i++)
		target_fill(&f->targets.targets[i], "", &v[k++]);
	for (size_t i = 0; i < f->ndeleg; i++) {
		const struct tuf_role *r = &f->targets.roles[i];
		const char *first = NULL;
		size_t outside = 0;
		for (size_t j = 0; j < f->deleg[i].ntargets; j++) {
			const struct tuf_target *tt = &f->deleg[i].targets[j];
			if (!tuf_role_covers(r, tt->path)) {
				first = first ? first : tt->path;
				outside++;
				continue;
			}
			target_fill(tt, r->name, &v[k++]);
		}
		if (outside)
			warn_outside(o, r, first, outside);
	}
	*out = v;
	*n = k;
	return 0;
}

int repo_update(struct repo_store *s, const char *repo, const struct repo_update_opts *o,
		struct repo_target **targets, size_t *n, char **err)
{
	char dir[4096];
	char *url = NULL;
	struct trusted t = {0};
	struct fresh f = {0};
	const struct repo_http_opts *http = o ? o->http : NULL;
	int64_t now = o && o->now ? o->now : (int64_t)time(NULL);
	int rc = repo_store_repo_url(s, repo, &url, err);
	if (rc != 0)
		return rc;
	repo_store_meta_dir(s, repo, dir, sizeof dir);
	rc = load_trusted_root(dir, &t, err);
	if (rc == 0)
		rc = update_root(dir, url, http, &t, err);
	if (rc == 0) {
		/* 5.3.10: a root that expired is a freeze */
		rc = tuf_expiry_check(&t.root.c, now, err);
		if (rc != 0)
			xdrv_err_prefix(err, "freeze attack?");
	}
	if (rc == 0)
		rc = load_trusted_rest(dir, &t, err);
	if (rc == 0)
		rc = update_timestamp(url, http, now, &t, &f, err);
	if (rc == 0)
		rc = update_snapshot(url, http, now, &t, &f, err);
	if (rc == 0)
		rc = update_targets_role(url, http, now, &t.root, &f.snap, "targets", t.root.keys,
					 t.root.nkeys, &t.root.roles[TUF_ROLE_TARGETS],
					 &f.targets_env, &f.targets, err);
	if (rc == 0 && f.targets.nroles) {
		f.deleg_env = calloc(f.targets.nroles, sizeof *f.deleg_env);
		f.deleg = calloc(f.targets.nroles, sizeof *f.deleg);
		if (!f.deleg_env || !f.deleg)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < f.targets.nroles; i++) {
		const struct tuf_role *r = &f.targets.roles[i];
		f.ndeleg = i + 1;
		if (!role_name_ok(r->name)) {
			rc = xdrv_err(err, -EINVAL,
				      "targets: delegated role name '%s' not "
				      "supported",
				      r->name);
			break;
		}
		rc = update_targets_role(url, http, now, &t.root, &f.snap, r->name, f.targets.keys,
					 f.targets.nkeys, r, &f.deleg_env[i], &f.deleg[i], err);
	}
	if (rc == 0 && targets)
		rc = collect(&f, o, targets, n, err);
	/* all checked: the new metadata becomes trusted, each file replaced atomically */
	if (rc == 0)
		rc = save_local(dir, "timestamp.json", f.ts_env, err);
	if (rc == 0)
		rc = save_local(dir, "snapshot.json", f.snap_env, err);
	if (rc == 0)
		rc = save_local(dir, "targets.json", f.targets_env, err);
	for (size_t i = 0; rc == 0 && i < f.ndeleg; i++) {
		char file[TUF_NAME_MAX + 16];
		snprintf(file, sizeof file, "deleg.%s.json", f.targets.roles[i].name);
		rc = save_local(dir, file, f.deleg_env[i], err);
	}
	if (rc != 0) {
		if (targets) {
			free(*targets);
			*targets = NULL;
		}
		xdrv_err_prefix(err, "repository %s", repo);
	}
	fresh_free(&f);
	trusted_free(&t);
	free(url);
	return rc;
}

int repo_fetch_target(struct repo_store *s, const char *repo, const struct repo_target *t,
		      const struct repo_http_opts *http, uint8_t **buf, size_t *len, char **err)
{
	char *url = NULL, u[4096], part[4096], dir[1024], base[256];
	int rc = repo_store_repo_url(s, repo, &url, err);
	if (rc != 0)
		return rc;
	if (strlen(t->sha256) != 64) {
		free(url);
		return xdrv_err(err, -EINVAL, "target %s: no sha256 listed", t->path);
	}
	snprintf(dir, sizeof dir, "%s", t->path);
	char *slash = strrchr(dir, '/');
	base_name(t->path, base, sizeof base);
	if (slash) {
		*slash = 0;
		rc = xdrv_snprintf(u, sizeof u, "%s/targets/%s/%s.%s", url, dir, t->sha256, base);
	} else {
		rc = xdrv_snprintf(u, sizeof u, "%s/targets/%s.%s", url, t->sha256, base);
	}
	free(url);
	if (rc != 0)
		return xdrv_err(err, -ENAMETOOLONG, "target %s: URL too long", t->path);
	snprintf(part, sizeof part, "%s/tmp/%s.part", repo_store_dir(s), t->sha256);
	struct repo_http_opts ho = {0};
	if (http)
		ho = *http;
	ho.label = t->path; /* the progress line names the target, not its hashed file name */
	rc = repo_http_download(u, part, t->length, &ho, err);
	if (rc == -EFBIG)
		xdrv_err_prefix(err,
				"target %s: longer than the %" PRIu64 " bytes listed (endless "
				"data attack?)",
				t->path, t->length);
	if (rc == 0)
		rc = xdrv_read_file(part, t->length, buf, len, err);
	if (rc == 0 && *len != t->length) {
		rc = xdrv_err(err, -EBADMSG, "target %s: %zu bytes, %" PRIu64 " listed", t->path,
			      *len, t->length);
		free(*buf);
		*buf = NULL;
	}
	if (rc == 0) {
		struct tuf_hashes h = {.has_sha256 = true};
		memcpy(h.sha256, t->sha256, 65);
		rc = tuf_hashes_check(&h, *buf, *len, t->path, err);
		if (rc != 0) {
			free(*buf);
			*buf = NULL;
			unlink(part); /* wrong bytes: do not resume from them */
		}
	}
	if (rc == 0)
		unlink(part);
	return rc;
}

int repo_version_cmp(const char *a, const char *b)
{
	unsigned long x[3] = {0}, y[3] = {0};
	int na = sscanf(a, "%lu.%lu.%lu", &x[0], &x[1], &x[2]);
	int nb = sscanf(b, "%lu.%lu.%lu", &y[0], &y[1], &y[2]);
	if (na != 3 || nb != 3)
		return (na == 3) - (nb == 3);
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}
