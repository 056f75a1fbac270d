// SPDX-License-Identifier: MIT
/*
 * TUF metadata parsing (see xdrv/tuf.h): the envelope, root, targets with delegations, snapshot
 * and timestamp into C structs, plus times, hashes and path patterns. Every field of the
 * untrusted input is type- and range-checked here; signatures are tuf_keys.c's business.
 */
#include "xdrv/tuf.h"
#include "xdrv/util.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int tuf_metadata_load(const uint8_t *buf, size_t len, size_t max, const char *what, json_t **out,
		      char **err)
{
	*out = NULL;
	if (!max)
		max = TUF_METADATA_MAX;
	if (len > max)
		return xdrv_err(err, -EFBIG, "%s: %zu bytes exceeds the limit %zu", what, len, max);
	json_error_t je;
	json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return xdrv_err(err, -EINVAL, "%s: invalid JSON at line %d: %s", what, je.line,
				je.text);
	int rc = 0;
	json_t *sigs = json_object_get(j, "signatures");
	if (!json_is_object(j) || json_object_size(j) != 2 || !json_is_array(sigs) ||
	    !json_is_object(json_object_get(j, "signed"))) {
		rc = xdrv_err(err, -EINVAL, "%s: not {\"signatures\": [...], \"signed\": {...}}",
			      what);
	} else if (json_array_size(sigs) > TUF_MAX_SIGS) {
		rc = xdrv_err(err, -EINVAL, "%s: signatures: more than %u", what, TUF_MAX_SIGS);
	} else {
		for (size_t i = 0; i < json_array_size(sigs) && rc == 0; i++) {
			json_t *s = json_array_get(sigs, i);
			const char *kid = json_string_value(json_object_get(s, "keyid"));
			const char *sig = json_string_value(json_object_get(s, "sig"));
			if (!json_is_object(s) || !kid || !sig)
				rc = xdrv_err(err, -EINVAL,
					      "%s: signatures[%zu]: keyid or sig missing", what, i);
			else if (!is_hex(kid, TUF_KEYID_LEN))
				rc = xdrv_err(err, -EINVAL, "%s: signatures[%zu].keyid: not 64 hex",
					      what, i);
			else if (strlen(sig) > 1024 || !is_hex(sig, strlen(sig)))
				rc = xdrv_err(err, -EINVAL, "%s: signatures[%zu].sig: not hex",
					      what, i);
		}
	}
	if (rc) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

/* ---- time ---------------------------------------------------------------------------------- */
int tuf_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	char z = 0, extra;
	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return -EINVAL;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &se, &z, &extra) != 7 ||
	    z != 'Z')
		return -EINVAL;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	/* days from civil (Howard Hinnant's algorithm), no timegm/TZ dependence */
	int yy = y - (mo <= 2);
	int era = yy / 400;
	int yoe = yy - era * 400;
	int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	*out = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
	return 0;
}

void tuf_time_format(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || tm.tm_year > 8099)
		tm = (struct tm){.tm_year = 70, .tm_mday = 1};
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int tuf_expiry_check(const struct tuf_common *c, int64_t now, char **err)
{
	if (c->expires > now)
		return 0;
	char e[21], n[21];
	tuf_time_format(c->expires, e);
	tuf_time_format(now, n);
	return xdrv_err(err, -EKEYEXPIRED, "%s: expired at %s (now %s)", c->type, e, n);
}

/* ---- hashes -------------------------------------------------------------------------------- */
void tuf_hashes_compute(const uint8_t *buf, size_t len, struct tuf_hashes *out)
{
	uint8_t d256[32], d512[64];
	SHA256(buf, len, d256);
	SHA512(buf, len, d512);
	xdrv_hex(d256, 32, out->sha256);
	xdrv_hex(d512, 64, out->sha512);
	out->has_sha256 = out->has_sha512 = true;
}

int tuf_hashes_check(const struct tuf_hashes *want, const uint8_t *buf, size_t len,
		     const char *what, char **err)
{
	if (!want->has_sha256 && !want->has_sha512)
		return xdrv_err(err, -EINVAL, "%s: no known hash to check", what);
	struct tuf_hashes got;
	tuf_hashes_compute(buf, len, &got);
	if (want->has_sha256 && strcmp(want->sha256, got.sha256) != 0)
		return xdrv_err(err, -EBADMSG, "%s: sha256 mismatch (want %.12s.., got %.12s..)",
				what, want->sha256, got.sha256);
	if (want->has_sha512 && strcmp(want->sha512, got.sha512) != 0)
		return xdrv_err(err, -EBADMSG, "%s: sha512 mismatch (want %.12s.., got %.12s..)",
				what, want->sha512, got.sha512);
	return 0;
}

json_t *tuf_hashes_to_json(const struct tuf_hashes *h)
{
	json_t *o = json_object();
	if (o && h->has_sha256)
		json_object_set_new(o, "sha256", json_string(h->sha256));
	if (o && h->has_sha512)
		json_object_set_new(o, "sha512", json_string(h->sha512));
	return o;
}

/* ---- path patterns ------------------------------------------------------------------------- */
bool tuf_path_match(const char *p, const char *s)
{
	/* iterative glob with one backtrack point; '*' and '?' stop at '/' */
	const char *star = NULL, *ss = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			ss = s;
		} else if (*p && *p != '*' && ((*p == '?' && *s != '/') || *p == *s)) {
			p++;
			s++;
		} else if (star && *ss != '/') {
			p = star + 1;
			s = ++ss;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool tuf_role_covers(const struct tuf_role *r, const char *path)
{
	for (size_t i = 0; i < r->npaths; i++)
		if (tuf_path_match(r->paths[i], path))
			return true;
	return false;
}

/* ---- field helpers ------------------------------------------------------------------------- */
static int get_u64(const json_t *o, const char *key, const char *ctx, uint64_t *out, char **err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return xdrv_err(err, -EINVAL, "%s.%s: not a non-negative integer", ctx, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_hashes(const json_t *h, const char *ctx, struct tuf_hashes *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(h))
		return xdrv_err(err, -EINVAL, "%s.hashes: not an object", ctx);
	const char *alg;
	json_t *v;
	json_object_foreach((json_t *)h, alg, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			return xdrv_err(err, -EINVAL, "%s.hashes.%.32s: not a string", ctx, alg);
		if (strcmp(alg, "sha256") == 0) {
			if (!is_hex(s, 64))
				return xdrv_err(err, -EINVAL, "%s.hashes.sha256: not 64 hex", ctx);
			memcpy(out->sha256, s, 65);
			out->has_sha256 = true;
		} else if (strcmp(alg, "sha512") == 0) {
			if (!is_hex(s, 128))
				return xdrv_err(err, -EINVAL, "%s.hashes.sha512: not 128 hex", ctx);
			memcpy(out->sha512, s, 129);
			out->has_sha512 = true;
		} /* other algorithms: ignored */
	}
	return 0;
}

static int parse_common(const json_t *env, const char *type, struct tuf_common *c, char **err)
{
	const json_t *sg = json_object_get(env, "signed");
	if (!json_is_object(sg))
		return xdrv_err(err, -EINVAL, "%s: signed: not an object", type);
	const char *t = json_string_value(json_object_get(sg, "_type"));
	if (!t)
		return xdrv_err(err, -EINVAL, "%s: signed._type: missing", type);
	if (strcmp(t, type) != 0)
		return xdrv_err(err, -EINVAL, "%s: signed._type: is \"%.32s\", expected \"%s\"",
				type, t, type);
	snprintf(c->type, sizeof(c->type), "%s", type);
	const char *sv = json_string_value(json_object_get(sg, "spec_version"));
	unsigned maj, min;
	char tail;
	if (!sv || strlen(sv) >= sizeof(c->spec_version) ||
	    (sscanf(sv, "%u.%u%c", &maj, &min, &tail) < 2) || maj != 1)
		return xdrv_err(err, -EINVAL, "%s: signed.spec_version: %.32s not supported", type,
				sv ? sv : "(missing)");
	snprintf(c->spec_version, sizeof(c->spec_version), "%s", sv);
	char ctx[48];
	snprintf(ctx, sizeof(ctx), "%s: signed", type);
	int rc = get_u64(sg, "version", ctx, &c->version, err);
	if (rc)
		return rc;
	if (c->version < 1)
		return xdrv_err(err, -EINVAL, "%s: signed.version: 0 (must be >= 1)", type);
	const char *ex = json_string_value(json_object_get(sg, "expires"));
	if (!ex || tuf_time_parse(ex, &c->expires) != 0)
		return xdrv_err(err, -EINVAL,
				"%s: signed.expires: %.40s is not YYYY-MM-DDTHH:MM:SSZ", type,
				ex ? ex : "(missing)");
	return 0;
}

static int parse_keys(const json_t *keys, const char *ctx, struct tuf_key **out, size_t *n,
		      char **err)
{
	*out = NULL;
	*n = 0;
	if (!json_is_object(keys))
		return xdrv_err(err, -EINVAL, "%s.keys: not an object", ctx);
	if (json_object_size(keys) > TUF_MAX_KEYS)
		return xdrv_err(err, -EINVAL, "%s.keys: more than %u", ctx, TUF_MAX_KEYS);
	*out = calloc(json_object_size(keys) + 1, sizeof(**out));
	if (!*out)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", ctx);
	const char *kid;
	json_t *v;
	json_object_foreach((json_t *)keys, kid, v)
	{
		int rc = tuf_key_from_json(kid, v, &(*out)[*n], err);
		if (rc == -EOPNOTSUPP) { /* a key type we cannot use: skip it, it never counts */
			if (err) {
				free(*err);
				*err = NULL;
			}
			continue;
		}
		if (rc) {
			xdrv_err_prefix(err, "%s.keys", ctx);
			return rc;
		}
		(*n)++;
	}
	return 0;
}

static bool valid_role_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TUF_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static int parse_role(const json_t *r, const char *name, const char *ctx, bool delegated,
		      struct tuf_role *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(r))
		return xdrv_err(err, -EINVAL, "%s: not an object", ctx);
	if (!valid_role_name(name))
		return xdrv_err(err, -EINVAL, "%s: role name not allowed", ctx);
	snprintf(out->name, sizeof(out->name), "%s", name);
	uint64_t th;
	int rc = get_u64(r, "threshold", ctx, &th, err);
	if (rc)
		return rc;
	if (th < 1 || th > TUF_MAX_KEYS)
		return xdrv_err(err, -EINVAL, "%s.threshold: %llu out of range 1..%u", ctx,
				(unsigned long long)th, TUF_MAX_KEYS);
	out->threshold = (uint32_t)th;
	json_t *ids = json_object_get(r, "keyids");
	if (!json_is_array(ids) || json_array_size(ids) > TUF_MAX_KEYS)
		return xdrv_err(err, -EINVAL, "%s.keyids: not an array of at most %u", ctx,
				TUF_MAX_KEYS);
	out->keyids = calloc(json_array_size(ids) + 1, sizeof(*out->keyids));
	if (!out->keyids)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", ctx);
	for (size_t i = 0; i < json_array_size(ids); i++) {
		const char *k = json_string_value(json_array_get(ids, i));
		if (!k || !is_hex(k, TUF_KEYID_LEN))
			return xdrv_err(err, -EINVAL, "%s.keyids[%zu]: not 64 hex", ctx, i);
		memcpy(out->keyids[out->nkeyids++], k, TUF_KEYID_LEN + 1);
	}
	if (!delegated)
		return 0;
	json_t *term = json_object_get(r, "terminating");
	out->terminating = json_is_true(term);
	if (term && !json_is_boolean(term))
		return xdrv_err(err, -EINVAL, "%s.terminating: not a boolean", ctx);
	json_t *paths = json_object_get(r, "paths");
	if (!paths) /* path_hash_prefixes: not supported, such a role covers nothing */
		return 0;
	if (!json_is_array(paths) || json_array_size(paths) > TUF_MAX_KEYS)
		return xdrv_err(err, -EINVAL, "%s.paths: not an array of at most %u", ctx,
				TUF_MAX_KEYS);
	out->paths = calloc(json_array_size(paths) + 1, sizeof(*out->paths));
	if (!out->paths)
		return xdrv_err(err, -ENOMEM, "%s: out of memory", ctx);
	for (size_t i = 0; i < json_array_size(paths); i++) {
		const char *p = json_string_value(json_array_get(paths, i));
		if (!p || strlen(p) > TUF_PATH_MAX)
			return xdrv_err(err, -EINVAL, "%s.paths[%zu]: not a string", ctx, i);
		if (!(out->paths[out->npaths] = strdup(p)))
			return xdrv_err(err, -ENOMEM, "%s: out of memory", ctx);
		out->npaths++;
	}
	return 0;
}

void tuf_role_free(struct tuf_role *r)
{
	if (!r)
		return;
	free(r->keyids);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	memset(r, 0, sizeof(*r));
}

/* ---- root ---------------------------------------------------------------------------------- */
static const char *const top_roles[4] = {"root", "targets", "snapshot", "timestamp"};

int tuf_root_parse(const json_t *env, struct tuf_root *out, char **err)
{
	memset(out, 0, sizeof(*out));
	int rc = parse_common(env, "root", &out->c, err);
	const json_t *sg = json_object_get(env, "signed");
	if (rc == 0) {
		json_t *cs = json_object_get(sg, "consistent_snapshot");
		if (cs && !json_is_boolean(cs))
			rc = xdrv_err(err, -EINVAL,
				      "root: signed.consistent_snapshot: not a boolean");
		out->consistent_snapshot = json_is_true(cs);
	}
	if (rc == 0)
		rc = parse_keys(json_object_get(sg, "keys"), "root: signed", &out->keys,
				&out->nkeys, err);
	json_t *roles = json_object_get(sg, "roles");
	if (rc == 0 && !json_is_object(roles))
		rc = xdrv_err(err, -EINVAL, "root: signed.roles: not an object");
	for (int i = 0; rc == 0 && i < 4; i++) {
		char ctx[64];
		snprintf(ctx, sizeof(ctx), "root: signed.roles.%s", top_roles[i]);
		json_t *r = json_object_get(roles, top_roles[i]);
		if (!r)
			rc = xdrv_err(err, -EINVAL, "%s: missing", ctx);
		else
			rc = parse_role(r, top_roles[i], ctx, false, &out->roles[i], err);
	}
	if (rc)
		tuf_root_free(out);
	return rc;
}

void tuf_root_free(struct tuf_root *r)
{
	if (!r)
		return;
	free(r->keys);
	for (int i = 0; i < 4; i++)
		tuf_role_free(&r->roles[i]);
	memset(r, 0, sizeof(*r));
}

/* ---- targets ------------------------------------------------------------------------------- */
static int parse_target(const char *path, const json_t *v, struct tuf_target *t, char **err)
{
	char ctx[96];
	snprintf(ctx, sizeof(ctx), "targets: signed.targets[\"%.48s\"]", path);
	if (strlen(path) == 0 || strlen(path) > TUF_PATH_MAX || path[0] == '/')
		return xdrv_err(err, -EINVAL, "%s: bad target path", ctx);
	if (!json_is_object(v))
		return xdrv_err(err, -EINVAL, "%s: not an object", ctx);
	int rc = get_u64(v, "length", ctx, &t->length, err);
	if (rc == 0)
		rc = parse_hashes(json_object_get(v, "hashes"), ctx, &t->hashes, err);
	if (rc == 0 && !t->hashes.has_sha256 && !t->hashes.has_sha512)
		rc = xdrv_err(err, -EINVAL, "%s.hashes: neither sha256 nor sha512", ctx);
	json_t *custom = json_object_get(v, "custom");
	if (rc == 0 && custom) {
		if (!json_is_object(custom))
			rc = xdrv_err(err, -EINVAL, "%s.custom: not an object", ctx);
		else
			t->custom = json_incref(custom);
	}
	if (rc == 0 && !(t->path = strdup(path)))
		rc = xdrv_err(err, -ENOMEM, "targets: out of memory");
	return rc;
}

int tuf_targets_parse(const json_t *env, struct tuf_targets *out, char **err)
{
	memset(out, 0, sizeof(*out));
	int rc = parse_common(env, "targets", &out->c, err);
	const json_t *sg = json_object_get(env, "signed");
	json_t *tg = json_object_get(sg, "targets");
	if (rc == 0 && !json_is_object(tg))
		rc = xdrv_err(err, -EINVAL, "targets: signed.targets: not an object");
	if (rc == 0 && json_object_size(tg) > TUF_MAX_TARGETS)
		rc = xdrv_err(err, -EINVAL, "targets: signed.targets: more than %u",
			      TUF_MAX_TARGETS);
	if (rc == 0 && !(out->targets = calloc(json_object_size(tg) + 1, sizeof(*out->targets))))
		rc = xdrv_err(err, -ENOMEM, "targets: out of memory");
	const char *path;
	json_t *v;
	if (rc == 0)
		json_object_foreach(tg, path, v)
		{
			rc = parse_target(path, v, &out->targets[out->ntargets], err);
			if (rc)
				break;
			out->ntargets++;
		}
	json_t *del = json_object_get(sg, "delegations");
	if (rc == 0 && del) {
		out->has_delegations = true;
		json_t *roles = json_object_get(del, "roles");
		if (!json_is_object(del) || !json_is_array(roles))
			rc = xdrv_err(err, -EINVAL,
				      "targets: signed.delegations: needs keys and roles");
		else if (json_array_size(roles) > TUF_MAX_ROLES)
			rc = xdrv_err(err, -EINVAL,
				      "targets: signed.delegations.roles: more than %u",
				      TUF_MAX_ROLES);
		if (rc == 0)
			rc = parse_keys(json_object_get(del, "keys"), "targets: signed.delegations",
					&out->keys, &out->nkeys, err);
		if (rc == 0 &&
		    !(out->roles = calloc(json_array_size(roles) + 1, sizeof(*out->roles))))
			rc = xdrv_err(err, -ENOMEM, "targets: out of memory");
		for (size_t i = 0; rc == 0 && i < json_array_size(roles); i++) {
			char ctx[64];
			snprintf(ctx, sizeof(ctx), "targets: signed.delegations.roles[%zu]", i);
			json_t *r = json_array_get(roles, i);
			const char *name = json_string_value(json_object_get(r, "name"));
			if (!name) {
				rc = xdrv_err(err, -EINVAL, "%s.name: missing", ctx);
				break;
			}
			for (size_t j = 0; j < 4; j++)
				if (strcmp(name, top_roles[j]) == 0)
					rc = xdrv_err(err, -EINVAL,
						      "%s.name: \"%s\" is a top-level role", ctx,
						      name);
			for (size_t j = 0; rc == 0 && j < out->nroles; j++)
				if (strcmp(name, out->roles[j].name) == 0)
					rc = xdrv_err(err, -EINVAL, "%s.name: duplicate \"%.64s\"",
						      ctx, name);
			if (rc == 0)
				rc = parse_role(r, name, ctx, true, &out->roles[i], err);
			if (rc == 0)
				out->nroles++;
			else
				tuf_role_free(&out->roles[i]);
		}
	}
	if (rc)
		tuf_targets_free(out);
	return rc;
}

void tuf_targets_free(struct tuf_targets *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ntargets; i++) {
		free(t->targets[i].path);
		json_decref(t->targets[i].custom);
	}
	free(t->targets);
	free(t->keys);
	for (size_t i = 0; i < t->nroles; i++)
		tuf_role_free(&t->roles[i]);
	free(t->roles);
	memset(t, 0, sizeof(*t));
}

const struct tuf_target *tuf_targets_find(const struct tuf_targets *t, const char *path)
{
	for (size_t i = 0; i < t->ntargets; i++)
		if (strcmp(t->targets[i].path, path) == 0)
			return &t->targets[i];
	return NULL;
}

/* ---- snapshot and timestamp ---------------------------------------------------------------- */
static int parse_meta(const char *name, const json_t *v, const char *type, struct tuf_meta *m,
		      char **err)
{
	char ctx[96];
	snprintf(ctx, sizeof(ctx), "%s: signed.meta[\"%.48s\"]", type, name);
	if (!json_is_object(v))
		return xdrv_err(err, -EINVAL, "%s: not an object", ctx);
	int rc = get_u64(v, "version", ctx, &m->version, err);
	if (rc == 0 && m->version < 1)
		rc = xdrv_err(err, -EINVAL, "%s.version: 0 (must be >= 1)", ctx);
	if (rc == 0 && json_object_get(v, "length")) {
		rc = get_u64(v, "length", ctx, &m->length, err);
		m->has_length = rc == 0;
	}
	if (rc == 0 && json_object_get(v, "hashes"))
		rc = parse_hashes(json_object_get(v, "hashes"), ctx, &m->hashes, err);
	if (rc == 0 && !(m->name = strdup(name)))
		rc = xdrv_err(err, -ENOMEM, "%s: out of memory", type);
	return rc;
}

int tuf_snapshot_parse(const json_t *env, struct tuf_snapshot *out, char **err)
{
	memset(out, 0, sizeof(*out));
	int rc = parse_common(env, "snapshot", &out->c, err);
	json_t *meta = json_object_get(json_object_get(env, "signed"), "meta");
	if (rc == 0 && (!json_is_object(meta) || json_object_size(meta) > TUF_MAX_TARGETS))
		rc = xdrv_err(err, -EINVAL, "snapshot: signed.meta: not an object");
	if (rc == 0 && !(out->meta = calloc(json_object_size(meta) + 1, sizeof(*out->meta))))
		rc = xdrv_err(err, -ENOMEM, "snapshot: out of memory");
	const char *name;
	json_t *v;
	if (rc == 0)
		json_object_foreach(meta, name, v)
		{
			rc = parse_meta(name, v, "snapshot", &out->meta[out->nmeta], err);
			if (rc)
				break;
			out->nmeta++;
		}
	if (rc)
		tuf_snapshot_free(out);
	return rc;
}

void tuf_snapshot_free(struct tuf_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmeta; i++)
		free(s->meta[i].name);
	free(s->meta);
	memset(s, 0, sizeof(*s));
}

const struct tuf_meta *tuf_snapshot_find(const struct tuf_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nmeta; i++)
		if (strcmp(s->meta[i].name, name) == 0)
			return &s->meta[i];
	return NULL;
}

int tuf_timestamp_parse(const json_t *env, struct tuf_timestamp *out, char **err)
{
	memset(out, 0, sizeof(*out));
	int rc = parse_common(env, "timestamp", &out->c, err);
	json_t *meta = json_object_get(json_object_get(env, "signed"), "meta");
	json_t *snap = json_object_get(meta, "snapshot.json");
	if (rc == 0 && !snap)
		rc = xdrv_err(err, -EINVAL, "timestamp: signed.meta[\"snapshot.json\"]: missing");
	if (rc == 0)
		rc = parse_meta("snapshot.json", snap, "timestamp", &out->snapshot, err);
	if (rc)
		tuf_timestamp_free(out);
	return rc;
}

void tuf_timestamp_free(struct tuf_timestamp *t)
{
	if (!t)
		return;
	free(t->snapshot.name);
	memset(t, 0, sizeof(*t));
}
