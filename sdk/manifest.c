// SPDX-License-Identifier: MIT
/*
 * The package manifest, manifest.json, written and parsed with jansson (never by hand).
 *
 * Parsing is strict because the manifest comes from a package: every field must be present with
 * its type, unknown keys and duplicate keys are refused, numbers are range-checked, strings and
 * lists are capped, and the same name rules as the descriptor's apply. A message names the field
 * by its JSON path: "manifest: params[2].default: 9000 out of range 16..4096".
 *
 * 64-bit parameter values (types u64 and i64) are written as decimal strings, because a JSON
 * number beyond 2^53 is not exact in most JSON readers; 32-bit and bool values are numbers.
 * The field list is documented in sdk/README.md.
 *
 * A packet extension's manifest has "kind": "extension" (a driver's has no "kind", so the
 * manifests of drivers stay byte for byte what they were; "kind": "driver" is read too),
 * "abi_version" is then the extension ABI version, "entry" is {"run": ...}, "hooks" lists
 * "rx"/"tx" and "tables" the tables; it has no "match".
 *
 * A live patch's manifest has "kind": "patch", "patch_for" (the hex SHA-256 of its base
 * package's payload) and "functions" (the base functions it replaces); it has no "entry",
 * "match" or "params" (a patch has no descriptor: it runs in its base's image).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

#define MANIFEST_FORMAT 1
#define MAX_SAFE_INT	((1ull << 53) - 1) /* largest integer every JSON reader holds exactly */
#define PATH_LEN	96		   /* JSON path of a field in messages */

/* ---- writing ------------------------------------------------------------------------- */

static json_t *param_value(uint32_t type, uint64_t v)
{
	char s[24];
	switch (type) {
	case XDRV_PARAM_U64:
	case XDRV_PARAM_I64:
		sdk_param_value_str(type, v, s, sizeof s);
		return json_string(s);
	case XDRV_PARAM_I32:
		return json_integer((json_int_t)(int64_t)v);
	default:
		return json_integer((json_int_t)v);
	}
}

/* json_object_set_new that records failure instead of losing it. */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		*bad = 1;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* An extension's "hooks" and "tables". */
static void put_ext(json_t *root, const struct sdk_descriptor *d, int *bad)
{
	json_t *hooks = json_array(), *tables = json_array();
	if (!hooks || !tables) {
		json_decref(hooks);
		json_decref(tables);
		*bad = 1;
		return;
	}
	if ((d->hooks & XDRV_EXT_HOOK_RX) && json_array_append_new(hooks, json_string("rx")) != 0)
		*bad = 1;
	if ((d->hooks & XDRV_EXT_HOOK_TX) && json_array_append_new(hooks, json_string("tx")) != 0)
		*bad = 1;
	put(root, "hooks", hooks, bad);
	for (size_t i = 0; i < d->ntables; i++) {
		const struct sdk_ext_table *t = &d->tables[i];
		json_t *o = json_object();
		if (!o) {
			*bad = 1;
			break;
		}
		put(o, "name", str_or_null(t->name), bad);
		put(o, "kind", json_string(t->kind == XDRV_EXT_TABLE_ARRAY ? "array" : "hash"),
		    bad);
		put(o, "max_entries", json_integer(t->max_entries), bad);
		if (json_array_append_new(tables, o) != 0)
			*bad = 1;
	}
	put(root, "tables", tables, bad);
}

/* A patch's "kind", "patch_for" and "functions". */
static void put_patch(json_t *root, const struct sdk_manifest *m, int *bad)
{
	json_t *fns = json_array();
	if (!fns) {
		*bad = 1;
		return;
	}
	put(root, "kind", json_string("patch"), bad);
	put(root, "patch_for", json_string(m->patch_for), bad);
	for (size_t i = 0; i < m->npatch_functions; i++)
		if (json_array_append_new(fns, str_or_null(m->patch_functions[i])) != 0)
			*bad = 1;
	put(root, "functions", fns, bad);
}

int sdk_manifest_write(const struct sdk_manifest *m, char **json, size_t *len, char **err)
{
	int bad = 0;
	*json = NULL;
	json_t *root = json_object();
	json_t *entry = json_object(), *match = json_array(), *params = json_array(),
	       *files = json_array();
	if (!root || !entry || !match || !params || !files) {
		json_decref(entry);
		json_decref(match);
		json_decref(params);
		json_decref(files);
		json_decref(root);
		return xdrv_err(err, -ENOMEM, "manifest: out of memory");
	}
	put(root, "format", json_integer(MANIFEST_FORMAT), &bad);
	put(root, "name", str_or_null(m->name), &bad);
	put(root, "version", str_or_null(m->version), &bad);
	put(root, "security_version", json_integer((json_int_t)m->security_version), &bad);
	put(root, "abi_version", json_integer(m->abi_version), &bad);
	put(root, "profile", str_or_null(m->profile), &bad);
	put(root, "bitcode", str_or_null(m->bitcode), &bad);
	if (m->description) /* optional: absent rather than null, so older manifests read the same
			     */
		put(root, "description", json_string(m->description), &bad);
	bool ext = m->desc.kind == SDK_KIND_EXTENSION;
	if (m->desc.kind == SDK_KIND_PATCH) {
		put_patch(root, m, &bad);
		json_decref(entry);
		json_decref(match);
		json_decref(params);
		entry = match = params = NULL;
	} else if (ext) {
		put(root, "kind", json_string("extension"), &bad);
		put(entry, "run", str_or_null(m->desc.run), &bad);
		put_ext(root, &m->desc, &bad);
		json_decref(match);
		match = NULL;
	} else {
		put(entry, "probe", str_or_null(m->desc.probe), &bad);
		put(entry, "remove", str_or_null(m->desc.remove), &bad);
	}
	if (entry)
		put(root, "entry", entry, &bad);
	for (size_t i = 0; match && i < m->desc.nmatch; i++) {
		const struct sdk_match *mt = &m->desc.match[i];
		json_t *o = json_object();
		if (!o) {
			bad = 1;
			break;
		}
		put(o, "bus", json_string(mt->bus == XDRV_BUS_PCI ? "pci" : "platform"), &bad);
		put(o, "vendor", json_integer(mt->vendor), &bad);
		put(o, "device", json_integer(mt->device), &bad);
		put(o, "class_code", json_integer(mt->class_code), &bad);
		put(o, "class_mask", json_integer(mt->class_mask), &bad);
		put(o, "compatible", str_or_null(mt->compatible), &bad);
		if (json_array_append_new(match, o) != 0)
			bad = 1;
	}
	if (match)
		put(root, "match", match, &bad);
	for (size_t i = 0; params && i < m->desc.nparams; i++) {
		const struct sdk_param *p = &m->desc.params[i];
		json_t *o = json_object();
		const char *tn = sdk_param_type_name(p->type);
		if (!o || !tn) {
			json_decref(o);
			bad = 1;
			break;
		}
		put(o, "name", str_or_null(p->name), &bad);
		put(o, "type", json_string(tn), &bad);
		put(o, "default", param_value(p->type, p->def), &bad);
		put(o, "min", param_value(p->type, p->min), &bad);
		put(o, "max", param_value(p->type, p->max), &bad);
		put(o, "desc", str_or_null(p->desc), &bad);
		if (p->flags & XDRV_PARAM_F_LIVE) /* only when set: older manifests stay the same */
			put(o, "live", json_true(), &bad);
		if (json_array_append_new(params, o) != 0)
			bad = 1;
	}
	if (params)
		put(root, "params", params, &bad);
	for (size_t i = 0; i < m->nfiles && i < SDK_MAX_FILES; i++) {
		json_t *o = json_object();
		if (!o) {
			bad = 1;
			break;
		}
		put(o, "path", str_or_null(m->files[i].path), &bad);
		put(o, "sha256", json_string(m->files[i].sha256), &bad);
		put(o, "size", json_integer((json_int_t)m->files[i].size), &bad);
		if (json_array_append_new(files, o) != 0)
			bad = 1;
	}
	put(root, "files", files, &bad);
	char *text = bad ? NULL : json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(root);
	if (!text)
		return xdrv_err(err, -ENOMEM, "manifest: could not serialize");
	size_t n = strlen(text);
	char *out = malloc(n + 2);
	if (!out) {
		free(text);
		return xdrv_err(err, -ENOMEM, "manifest: out of memory");
	}
	memcpy(out, text, n);
	out[n] = '\n';
	out[n + 1] = 0;
	free(text);
	*json = out;
	if (len)
		*len = n + 1;
	return 0;
}

/* ---- parsing ---------------------------------------------------------------------------- */

struct ps {
	char **err;
};

/* A key from the input, printable and bounded for a message. */
static void safe_key(const char *k, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *k && o + 4 < outlen; k++)
		out[o++] = ((unsigned char)*k >= 0x20 && (unsigned char)*k < 0x7f) ? *k : '?';
	if (*k) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

/* Join a JSON path: "params[2]" + "default" -> "params[2].default". */
static const char *join(char *buf, const char *base, const char *key)
{
	snprintf(buf, PATH_LEN, "%s%s%s", base, *base ? "." : "", key);
	return buf;
}

/* Every key of o must be in `keys` (required) or `optional` (may be NULL); every required key
 * must be present. */
static int check_keys_opt(struct ps *ps, json_t *o, const char *path, const char *const *keys,
			  const char *const *optional)
{
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *k = json_object_iter_key(it);
		bool known = false;
		for (const char *const *p = keys; *p && !known; p++)
			known = strcmp(*p, k) == 0;
		for (const char *const *p = optional; p && *p && !known; p++)
			known = strcmp(*p, k) == 0;
		if (!known) {
			char sk[72], pb[PATH_LEN];
			safe_key(k, sk, sizeof sk);
			return xdrv_err(ps->err, -EINVAL, "manifest: %s: unknown key",
					join(pb, path, sk));
		}
	}
	for (const char *const *p = keys; *p; p++) {
		if (!json_object_get(o, *p)) {
			char pb[PATH_LEN];
			return xdrv_err(ps->err, -EINVAL, "manifest: %s: missing",
					join(pb, path, *p));
		}
	}
	return 0;
}

static int check_keys(struct ps *ps, json_t *o, const char *path, const char *const *keys)
{
	return check_keys_opt(ps, o, path, keys, NULL);
}

static int want_object(struct ps *ps, json_t *v, const char *path)
{
	if (!json_is_object(v))
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be an object",
				*path ? path : "top level");
	return 0;
}

static int get_uint(struct ps *ps, json_t *o, const char *path, const char *key, uint64_t min,
		    uint64_t max, uint64_t *out)
{
	char pb[PATH_LEN];
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be an integer",
				join(pb, path, key));
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: %s: %lld out of range %" PRIu64 "..%" PRIu64,
				join(pb, path, key), (long long)i, min, max);
	*out = (uint64_t)i;
	return 0;
}

static int get_u32(struct ps *ps, json_t *o, const char *path, const char *key, uint32_t *out)
{
	uint64_t v = 0;
	int rc = get_uint(ps, o, path, key, 0, UINT32_MAX, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* A string field: copied into *out (or NULL for JSON null when nullable), at most max bytes,
 * then checked with `valid` (may be NULL) described by `rule`. */
static int get_str(struct ps *ps, json_t *o, const char *path, const char *key, size_t max,
		   bool nullable, bool (*valid)(const char *), const char *rule, char **out)
{
	char pb[PATH_LEN];
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be a string%s",
				join(pb, path, key), nullable ? " or null" : "");
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len > max)
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: %zu bytes, over the limit of %zu",
				join(pb, path, key), len, max);
	if (strlen(s) != len || (valid && !valid(s)))
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be %s", join(pb, path, key),
				rule);
	*out = strdup(s);
	if (!*out)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	return 0;
}

static bool valid_profile(const char *s)
{
	return strcmp(s, SDK_PROFILE) == 0;
}

static bool valid_path(const char *s)
{
	return sdk_valid_member_path(s, NULL) && strcmp(s, SDK_MANIFEST_NAME) != 0;
}

static bool valid_sha(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

/* A parameter value: a number for 32-bit and bool types, a decimal string for 64-bit ones. */
static int get_param_value(struct ps *ps, json_t *o, const char *path, const char *key,
			   uint32_t type, uint64_t *out)
{
	char pb[PATH_LEN];
	json_t *v = json_object_get(o, key);
	join(pb, path, key);
	if (type == XDRV_PARAM_U64 || type == XDRV_PARAM_I64) {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		if (!s)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: must be a decimal string for type %s", pb,
					sdk_param_type_name(type));
		const char *d = s + (type == XDRV_PARAM_I64 && s[0] == '-');
		size_t n = strlen(d);
		bool ok =
			n > 0 && n <= 20 && strspn(d, "0123456789") == n && (d[0] != '0' || n == 1);
		if (ok) {
			char *end;
			errno = 0;
			if (type == XDRV_PARAM_U64)
				*out = strtoull(s, &end, 10);
			else
				*out = (uint64_t)strtoll(s, &end, 10);
			ok = errno == 0 && *end == 0 && json_string_length(v) == strlen(s);
		}
		if (!ok)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: '%.32s' is not a %s decimal number", pb, s,
					sdk_param_type_name(type));
		return 0;
	}
	if (!json_is_integer(v))
		return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be an integer", pb);
	json_int_t i = json_integer_value(v);
	int64_t lo = type == XDRV_PARAM_I32 ? INT32_MIN : 0;
	int64_t hi = type == XDRV_PARAM_I32 ? INT32_MAX : type == XDRV_PARAM_BOOL ? 1 : UINT32_MAX;
	if (i < lo || i > hi)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: %s: %lld out of range %" PRId64 "..%" PRId64
				" for type %s",
				pb, (long long)i, lo, hi, sdk_param_type_name(type));
	*out = (uint64_t)(int64_t)i;
	return 0;
}

static int parse_match(struct ps *ps, json_t *arr, struct sdk_descriptor *d)
{
	static const char *const keys[] = {"bus",	 "vendor",     "device", "class_code",
					   "class_mask", "compatible", NULL};
	if (!json_is_array(arr))
		return xdrv_err(ps->err, -EINVAL, "manifest: match: must be an array");
	size_t n = json_array_size(arr);
	if (n == 0 || n > SDK_MAX_MATCH)
		return xdrv_err(ps->err, -EINVAL, "manifest: match: %zu entries, must be 1..%d", n,
				SDK_MAX_MATCH);
	d->match = calloc(n, sizeof *d->match);
	if (!d->match)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN], pb[PATH_LEN];
		snprintf(path, sizeof path, "match[%zu]", i);
		json_t *o = json_array_get(arr, i);
		struct sdk_match *mt = &d->match[i];
		int rc;
		if ((rc = want_object(ps, o, path)) || (rc = check_keys(ps, o, path, keys)))
			return rc;
		d->nmatch = i + 1;
		const char *bus = json_string_value(json_object_get(o, "bus"));
		if (bus && strcmp(bus, "pci") == 0)
			mt->bus = XDRV_BUS_PCI;
		else if (bus && strcmp(bus, "platform") == 0)
			mt->bus = XDRV_BUS_PLATFORM;
		else
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: must be \"pci\" or \"platform\"",
					join(pb, path, "bus"));
		if ((rc = get_u32(ps, o, path, "vendor", &mt->vendor)) ||
		    (rc = get_u32(ps, o, path, "device", &mt->device)) ||
		    (rc = get_u32(ps, o, path, "class_code", &mt->class_code)) ||
		    (rc = get_u32(ps, o, path, "class_mask", &mt->class_mask)) ||
		    (rc = get_str(ps, o, path, "compatible", SDK_COMPAT_MAX, true,
				  sdk_valid_compatible, "[a-z0-9,._+-]{1,63}", &mt->compatible)))
			return rc;
		if (mt->bus == XDRV_BUS_PLATFORM && !mt->compatible)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: a platform match needs a compatible string",
					join(pb, path, "compatible"));
		if (mt->bus == XDRV_BUS_PCI && mt->compatible)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: must be null for a pci match",
					join(pb, path, "compatible"));
		if (mt->class_code & ~mt->class_mask)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: 0x%x has bits outside class_mask 0x%x",
					join(pb, path, "class_code"), mt->class_code,
					mt->class_mask);
	}
	return 0;
}

static int parse_params(struct ps *ps, json_t *arr, struct sdk_descriptor *d)
{
	static const char *const keys[] = {"name", "type", "default", "min", "max", "desc", NULL};
	static const char *const optional[] = {"live", NULL}; /* ABI 1.2 */
	if (!json_is_array(arr))
		return xdrv_err(ps->err, -EINVAL, "manifest: params: must be an array");
	size_t n = json_array_size(arr);
	if (n > SDK_MAX_PARAMS)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: params: %zu entries, over the limit of %d", n,
				SDK_MAX_PARAMS);
	if (n == 0)
		return 0;
	d->params = calloc(n, sizeof *d->params);
	if (!d->params)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN], pb[PATH_LEN];
		snprintf(path, sizeof path, "params[%zu]", i);
		json_t *o = json_array_get(arr, i);
		struct sdk_param *p = &d->params[i];
		int rc;
		if ((rc = want_object(ps, o, path)) ||
		    (rc = check_keys_opt(ps, o, path, keys, optional)))
			return rc;
		d->nparams = i + 1;
		if ((rc = get_str(ps, o, path, "name", SDK_PARAM_NAME_MAX, false,
				  sdk_valid_param_name, "[a-z0-9_]{1,31}", &p->name)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (d->params[j].name && p->name && strcmp(d->params[j].name, p->name) == 0)
				return xdrv_err(ps->err, -EINVAL,
						"manifest: %s: parameter '%s' listed twice",
						join(pb, path, "name"), p->name);
		const char *tn = json_string_value(json_object_get(o, "type"));
		p->type = sdk_param_type_from_name(tn);
		if (!p->type)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: must be one of u32, u64, i32, i64, bool",
					join(pb, path, "type"));
		if ((rc = get_param_value(ps, o, path, "default", p->type, &p->def)) ||
		    (rc = get_param_value(ps, o, path, "min", p->type, &p->min)) ||
		    (rc = get_param_value(ps, o, path, "max", p->type, &p->max)) ||
		    (rc = get_str(ps, o, path, "desc", SDK_DESC_MAX, true, sdk_valid_desc,
				  "printable ASCII on one line", &p->desc)))
			return rc;
		json_t *live = json_object_get(o, "live");
		if (live && !json_is_true(live))
			return xdrv_err(ps->err, -EINVAL, "manifest: %s: must be true or absent",
					join(pb, path, "live"));
		p->flags = live ? XDRV_PARAM_F_LIVE : 0;
		char why[160];
		const char *bad;
		if (!sdk_param_range_ok(p->type, p->def, p->min, p->max, &bad, why, sizeof why))
			return xdrv_err(ps->err, -EINVAL, "manifest: %s: %s", join(pb, path, bad),
					why);
	}
	return 0;
}

static int parse_files(struct ps *ps, json_t *arr, struct sdk_manifest *m)
{
	static const char *const keys[] = {"path", "sha256", "size", NULL};
	if (!json_is_array(arr))
		return xdrv_err(ps->err, -EINVAL, "manifest: files: must be an array");
	size_t n = json_array_size(arr);
	if (n == 0 || n > SDK_MAX_FILES)
		return xdrv_err(ps->err, -EINVAL, "manifest: files: %zu entries, must be 1..%d", n,
				SDK_MAX_FILES);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN], pb[PATH_LEN];
		snprintf(path, sizeof path, "files[%zu]", i);
		json_t *o = json_array_get(arr, i);
		struct sdk_file *f = &m->files[i];
		char *sha = NULL;
		int rc;
		if ((rc = want_object(ps, o, path)) || (rc = check_keys(ps, o, path, keys)))
			return rc;
		m->nfiles = i + 1;
		rc = get_str(ps, o, path, "path", SDK_PATH_MAX, false, valid_path,
			     "a relative member name other than manifest.json", &f->path);
		if (rc == 0)
			rc = get_str(ps, o, path, "sha256", 64, false, valid_sha,
				     "64 lower-case hex digits", &sha);
		if (rc == 0)
			rc = get_uint(ps, o, path, "size", 0, MAX_SAFE_INT, &f->size);
		if (rc == 0 && sha)
			memcpy(f->sha256, sha, 65);
		free(sha);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->files[j].path, f->path) == 0)
				return xdrv_err(ps->err, -EINVAL, "manifest: %s: '%s' listed twice",
						join(pb, path, "path"), f->path);
	}
	return 0;
}

static int parse_hooks(struct ps *ps, json_t *arr, struct sdk_descriptor *d)
{
	if (!json_is_array(arr) || json_array_size(arr) < 1 || json_array_size(arr) > 2)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: hooks: must be an array of \"rx\" and/or \"tx\"");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *h = json_string_value(json_array_get(arr, i));
		uint32_t bit = !h		      ? 0
			       : strcmp(h, "rx") == 0 ? XDRV_EXT_HOOK_RX
			       : strcmp(h, "tx") == 0 ? XDRV_EXT_HOOK_TX
						      : 0;
		if (!bit || (d->hooks & bit))
			return xdrv_err(ps->err, -EINVAL,
					"manifest: hooks[%zu]: must be \"rx\" or \"tx\", each once",
					i);
		d->hooks |= bit;
	}
	return 0;
}

static int parse_tables(struct ps *ps, json_t *arr, struct sdk_descriptor *d)
{
	static const char *const keys[] = {"name", "kind", "max_entries", NULL};
	if (!json_is_array(arr))
		return xdrv_err(ps->err, -EINVAL, "manifest: tables: must be an array");
	size_t n = json_array_size(arr);
	if (n > SDK_MAX_TABLES)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: tables: %zu entries, over the limit of %d", n,
				SDK_MAX_TABLES);
	if (n == 0)
		return 0;
	d->tables = calloc(n, sizeof *d->tables);
	if (!d->tables)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[PATH_LEN], pb[PATH_LEN];
		snprintf(path, sizeof path, "tables[%zu]", i);
		json_t *o = json_array_get(arr, i);
		struct sdk_ext_table *t = &d->tables[i];
		uint64_t max = 0;
		int rc;
		if ((rc = want_object(ps, o, path)) || (rc = check_keys(ps, o, path, keys)))
			return rc;
		d->ntables = i + 1;
		if ((rc = get_str(ps, o, path, "name", SDK_PARAM_NAME_MAX, false,
				  sdk_valid_param_name, "[a-z0-9_]{1,31}", &t->name)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->tables[j].name, t->name) == 0)
				return xdrv_err(ps->err, -EINVAL,
						"manifest: %s: table '%s' listed twice",
						join(pb, path, "name"), t->name);
		const char *k = json_string_value(json_object_get(o, "kind"));
		t->kind = !k			    ? 0
			  : strcmp(k, "array") == 0 ? XDRV_EXT_TABLE_ARRAY
			  : strcmp(k, "hash") == 0  ? XDRV_EXT_TABLE_HASH
						    : 0;
		if (!t->kind)
			return xdrv_err(ps->err, -EINVAL,
					"manifest: %s: must be \"array\" or \"hash\"",
					join(pb, path, "kind"));
		if ((rc = get_uint(ps, o, path, "max_entries", 1, XDRV_EXT_TABLE_MAX_ENTRIES,
				   &max)))
			return rc;
		t->max_entries = (uint32_t)max;
	}
	return 0;
}

/* A patch's "patch_for" and "functions". */
static int parse_patch(struct ps *ps, json_t *root, struct sdk_manifest *m)
{
	char *sha = NULL;
	int rc = get_str(ps, root, "", "patch_for", 64, false, valid_sha,
			 "64 lower-case hex digits (the SHA-256 of the base package's payload)",
			 &sha);
	if (rc)
		return rc;
	memcpy(m->patch_for, sha, 65);
	free(sha);
	json_t *arr = json_object_get(root, "functions");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	if (!json_is_array(arr) || n == 0 || n > SDK_MAX_PATCH_FUNCTIONS)
		return xdrv_err(ps->err, -EINVAL,
				"manifest: functions: must be an array of 1..%d function names",
				SDK_MAX_PATCH_FUNCTIONS);
	m->patch_functions = calloc(n, sizeof *m->patch_functions);
	if (!m->patch_functions)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		const char *s = json_string_value(v);
		if (!s || json_string_length(v) != strlen(s) || !sdk_valid_symbol(s))
			return xdrv_err(ps->err, -EINVAL,
					"manifest: functions[%zu]: must be a function name "
					"[A-Za-z0-9_.$]{1,255}",
					i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->patch_functions[j], s) == 0)
				return xdrv_err(ps->err, -EINVAL,
						"manifest: functions[%zu]: '%s' listed twice", i,
						s);
		if (!(m->patch_functions[i] = strdup(s)))
			return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
		m->npatch_functions = i + 1;
	}
	return 0;
}

static int parse_root(struct ps *ps, json_t *root, struct sdk_manifest *m)
{
	static const char *const keys[] = {"format",	  "name",    "version", "security_version",
					   "abi_version", "profile", "bitcode", "entry",
					   "match",	  "params",  "files",	NULL};
	static const char *const ext_keys[] = {
		"format",  "name",  "version", "security_version", "abi_version", "profile",
		"bitcode", "entry", "hooks",   "tables",	   "params",	  "files",
		"kind",	   NULL};
	static const char *const patch_keys[] = {
		"format",  "name",  "version", "security_version", "abi_version", "profile",
		"bitcode", "files", "kind",    "patch_for",	   "functions",	  NULL};
	static const char *const optional_keys[] = {"description", "kind", NULL};
	static const char *const entry_keys[] = {"probe", "remove", NULL};
	static const char *const ext_entry_keys[] = {"run", NULL};
	uint64_t v = 0;
	int rc;
	if ((rc = want_object(ps, root, "")))
		return rc;
	json_t *kind = json_object_get(root, "kind");
	const char *ks = json_string_value(kind);
	bool ext = ks && strcmp(ks, "extension") == 0;
	bool patch = ks && strcmp(ks, "patch") == 0;
	if (kind && !(ks && (ext || patch || strcmp(ks, "driver") == 0)))
		return xdrv_err(ps->err, -EINVAL,
				"manifest: kind: must be \"driver\", \"extension\" or \"patch\"");
	m->desc.kind = ext ? SDK_KIND_EXTENSION : patch ? SDK_KIND_PATCH : SDK_KIND_DRIVER;
	if ((rc = check_keys_opt(ps, root, "",
				 ext	 ? ext_keys
				 : patch ? patch_keys
					 : keys,
				 optional_keys)))
		return rc;
	if ((rc = get_uint(ps, root, "", "format", MANIFEST_FORMAT, MANIFEST_FORMAT, &v)))
		return rc;
	m->format = (uint32_t)v;
	if ((rc = get_str(ps, root, "", "name", SDK_NAME_MAX, false, sdk_valid_driver_name,
			  "a driver name [a-z0-9_-]{1,63}", &m->name)) ||
	    (rc = get_str(ps, root, "", "version", SDK_VERSION_MAX, false, sdk_valid_version,
			  "MAJOR.MINOR.PATCH", &m->version)) ||
	    (rc = get_uint(ps, root, "", "security_version", 0, MAX_SAFE_INT,
			   &m->security_version)))
		return rc;
	/* major 1..999; minor and patch are below 1000 by construction of the number */
	if ((rc = get_uint(ps, root, "", "abi_version", XDRV_ABI_MKVER(1, 0, 0), 999999999u, &v)))
		return rc;
	m->abi_version = (uint32_t)v;
	if ((rc = get_str(ps, root, "", "profile", 64, false, valid_profile, "\"" SDK_PROFILE "\"",
			  &m->profile)) ||
	    (rc = get_str(ps, root, "", "bitcode", SDK_PATH_MAX, false, valid_path,
			  "a relative member name", &m->bitcode)))
		return rc;
	if (json_object_get(root, "description") &&
	    (rc = get_str(ps, root, "", "description", SDK_DESC_MAX, false, sdk_valid_desc,
			  "printable ASCII (one line)", &m->description)))
		return rc;
	json_t *entry = json_object_get(root, "entry");
	if (patch) {
		if ((rc = parse_patch(ps, root, m)))
			return rc;
	} else if (ext) {
		if ((rc = want_object(ps, entry, "entry")) ||
		    (rc = check_keys(ps, entry, "entry", ext_entry_keys)) ||
		    (rc = get_str(ps, entry, "entry", "run", SDK_SYMBOL_MAX, false,
				  sdk_valid_symbol, "a function name [A-Za-z0-9_.$]",
				  &m->desc.run)) ||
		    (rc = parse_hooks(ps, json_object_get(root, "hooks"), &m->desc)) ||
		    (rc = parse_tables(ps, json_object_get(root, "tables"), &m->desc)))
			return rc;
	} else if ((rc = want_object(ps, entry, "entry")) ||
		   (rc = check_keys(ps, entry, "entry", entry_keys)) ||
		   (rc = get_str(ps, entry, "entry", "probe", SDK_SYMBOL_MAX, false,
				 sdk_valid_symbol, "a function name [A-Za-z0-9_.$]",
				 &m->desc.probe)) ||
		   (rc = get_str(ps, entry, "entry", "remove", SDK_SYMBOL_MAX, false,
				 sdk_valid_symbol, "a function name [A-Za-z0-9_.$]",
				 &m->desc.remove)) ||
		   (rc = parse_match(ps, json_object_get(root, "match"), &m->desc))) {
		return rc;
	}
	if ((!patch && (rc = parse_params(ps, json_object_get(root, "params"), &m->desc))) ||
	    (rc = parse_files(ps, json_object_get(root, "files"), m)))
		return rc;
	bool listed = false;
	for (size_t i = 0; i < m->nfiles; i++)
		listed = listed || (m->files[i].path && m->bitcode &&
				    strcmp(m->files[i].path, m->bitcode) == 0);
	if (!listed)
		return xdrv_err(ps->err, -EINVAL, "manifest: bitcode: '%s' is not listed in files",
				m->bitcode);
	m->desc.abi_version = m->abi_version;
	m->desc.name = strdup(m->name);
	m->desc.version = strdup(m->version);
	if (!m->desc.name || !m->desc.version)
		return xdrv_err(ps->err, -ENOMEM, "manifest: out of memory");
	return 0;
}

int sdk_manifest_parse(const char *json, size_t len, struct sdk_manifest *out, char **err)
{
	struct ps ps = {.err = err};
	json_error_t jerr;
	memset(out, 0, sizeof *out);
	if (!json)
		return xdrv_err(err, -EINVAL, "manifest: empty");
	if (len > SDK_MANIFEST_MAX)
		return xdrv_err(err, -EFBIG, "manifest: %zu bytes, over the limit of %u", len,
				SDK_MANIFEST_MAX);
	/* duplicate keys are refused: two readers could otherwise see two different manifests */
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return xdrv_err(err, -EINVAL, "manifest: line %d column %d: %.120s", jerr.line,
				jerr.column, jerr.text);
	int rc = parse_root(&ps, root, out);
	json_decref(root);
	if (rc != 0)
		sdk_manifest_free(out);
	return rc;
}

void sdk_patch_names_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

void sdk_manifest_free(struct sdk_manifest *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->version);
	free(m->profile);
	free(m->bitcode);
	free(m->description);
	sdk_descriptor_free(&m->desc);
	for (size_t i = 0; i < m->nfiles && i < SDK_MAX_FILES; i++)
		free(m->files[i].path);
	sdk_patch_names_free(m->patch_functions, m->npatch_functions);
	memset(m, 0, sizeof *m);
}
