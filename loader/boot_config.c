// SPDX-License-Identifier: MIT
/*
 * The boot configuration of `xdrv boot`: a JSON object (format in docs/BOOT.md) naming the TPM,
 * the event log, the trust anchor, the policy, the revocation inputs and the ordered drivers.
 * Parsed strictly from the very bytes that were measured (unknown keys are errors, so a typo
 * never silently weakens the policy). Running the boot is boot_seq.c's job.
 */
#include "boot_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xdrv/ext.h"
#include "xdrv/util.h"

/* Installed drivers by name (boot_set_package_resolver): set by the front end, process-wide. */
static boot_package_resolver pkg_resolver;
static void *pkg_resolver_ctx;

void boot_set_package_resolver(boot_package_resolver fn, void *ctx)
{
	pkg_resolver = fn;
	pkg_resolver_ctx = ctx;
}

static char *resolve(const char *dir, const char *p)
{
	if (p[0] == '/' || !dir || !*dir)
		return strdup(p);
	size_t n = strlen(dir) + strlen(p) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", dir, p);
	return s;
}

static int only_keys(json_t *o, const char *where, const char *const *keys, char **err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		int ok = 0;
		for (const char *const *q = keys; *q; q++)
			ok |= strcmp(*q, k) == 0;
		if (!ok)
			return xdrv_err(err, -EINVAL, "%s: unknown key \"%s\"", where, k);
	}
	return 0;
}

static int get_str(json_t *o, const char *key, const char *where, int required, const char **out,
		   char **err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return xdrv_err(err, -EINVAL, "%s.%s: missing", where, key);
		return 0;
	}
	if (!json_is_string(v) || !*json_string_value(v))
		return xdrv_err(err, -EINVAL, "%s.%s: not a non-empty string", where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, const char *where, int def, int *out, char **err)
{
	json_t *v = json_object_get(o, key);
	*out = def;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return xdrv_err(err, -EINVAL, "%s.%s: not true or false", where, key);
	*out = json_is_true(v);
	return 0;
}

/* A watchdog in milliseconds: 1 ms .. 1 hour. */
static int get_ms(json_t *o, const char *key, uint32_t def, uint32_t *out, char **err)
{
	json_t *v = json_object_get(o, key);
	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > BOOT_TIMEOUT_MAX_MS)
		return xdrv_err(err, -EINVAL, "policy.%s: not milliseconds 1..%u", key,
				BOOT_TIMEOUT_MAX_MS);
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int dup_path(const char *dir, const char *p, char **out, char **err)
{
	*out = NULL;
	if (!p)
		return 0;
	if (!(*out = resolve(dir, p)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	return 0;
}

static int parse_floor(json_t *v, int64_t *out, char **err)
{
	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && xdrv_parse_when(json_string_value(v), out) == 0)
		return 0;
	return xdrv_err(err, -EINVAL, "trust.time_floor: not Unix seconds or \"YYYY-MM-DD\"");
}

/* "cache": absent or true: the object cache in STATE_DIR/cache; false: none; an object
 * {"dir": PATH, "max_mib": N}, each optional. Needs state_dir parsed. */
static int parse_cache(struct boot_config *c, json_t *v, const char *dir, char **err)
{
	static const char *const keys[] = {"dir", "max_mib", NULL};
	const char *s = NULL;
	c->cache_max_bytes = LDR_CACHE_MAX_DEFAULT;
	if (v && json_is_false(v))
		return 0;
	if (v && !json_is_true(v) && !json_is_object(v))
		return xdrv_err(err, -EINVAL, "cache: not true, false or an object");
	if (v && json_is_object(v)) {
		int rc = only_keys(v, "cache", keys, err);
		if (!rc)
			rc = get_str(v, "dir", "cache", 0, &s, err);
		if (rc)
			return rc;
		json_t *m = json_object_get(v, "max_mib");
		if (m && (!json_is_integer(m) || json_integer_value(m) < 1 ||
			  json_integer_value(m) > 1024 * 1024))
			return xdrv_err(err, -EINVAL, "cache.max_mib: not 1..1048576");
		if (m)
			c->cache_max_bytes = (uint64_t)json_integer_value(m) << 20;
	}
	if (s)
		return dup_path(dir, s, &c->cache_dir, err);
	size_t n = strlen(c->state_dir) + sizeof "/cache";
	if (!(c->cache_dir = malloc(n)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	snprintf(c->cache_dir, n, "%s/cache", c->state_dir);
	return 0;
}

static int parse_policy(struct boot_config *c, json_t *p, char **err)
{
	static const char *const keys[] = {
		"require_signatures",  "allowed_vendors",  "safety", "min_security_versions",
		"continue_on_failure", "raise_floors",	   "jit",    "opt_level",
		"jit_timeout_ms",      "probe_timeout_ms", "tier",   NULL,
	};
	if (p && !json_is_object(p))
		return xdrv_err(err, -EINVAL, "policy: not an object");
	if (!p)
		p = json_object(); /* all defaults */
	else
		json_incref(p);
	int rc = only_keys(p, "policy", keys, err);
	if (!rc)
		rc = get_bool(p, "require_signatures", "policy", 1, &c->require_signatures, err);
	if (!rc)
		rc = get_bool(p, "continue_on_failure", "policy", 0, &c->continue_on_failure, err);
	if (!rc)
		rc = get_bool(p, "raise_floors", "policy", 1, &c->raise_floors, err);
	const char *s = NULL;
	if (!rc)
		rc = get_str(p, "safety", "policy", 0, &s, err);
	if (!rc && !(c->safety = strdup(s ? s : "none")))
		rc = xdrv_err(err, -ENOMEM, "out of memory");
	if (!rc)
		rc = get_str(p, "jit", "policy", 0, &s, err);
	if (!rc) {
		if (!s || strcmp(s, "eager") == 0)
			c->jit_mode = LDR_JIT_EAGER;
		else if (strcmp(s, "lazy") == 0)
			c->jit_mode = LDR_JIT_LAZY;
		else
			rc = xdrv_err(err, -EINVAL, "policy.jit: \"%s\" is not eager or lazy", s);
	}
	json_t *v = json_object_get(p, "opt_level");
	c->opt_level = 2;
	if (!rc && v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3)
			rc = xdrv_err(err, -EINVAL, "policy.opt_level: not 0..3");
		else
			c->opt_level = (uint32_t)json_integer_value(v);
	}
	if (!rc)
		rc = get_str(p, "tier", "policy", 0, &s, err);
	if (!rc && s) {
		/* tiers (loader/tier.c): auto needs the drivers to stay (xdrv boot --serve), which
		 * a configuration does not say */
		if (ldr_tier_parse(s, &c->tier) != 0 || c->tier == LDR_TIER_AUTO)
			rc = xdrv_err(
				err, -EINVAL,
				"policy.tier: \"%s\" is not full or fast (auto is chosen "
				"where the drivers stay: xdrv run --tier auto, or in a served "
				"boot: xdrv boot --serve --tier auto)",
				s);
		else if (c->tier == LDR_TIER_FAST)
			c->opt_level = 0; /* measured as opt=0 */
	}
	if (!rc)
		rc = get_ms(p, "jit_timeout_ms", BOOT_JIT_TIMEOUT_MS, &c->jit_timeout_ms, err);
	if (!rc)
		rc = get_ms(p, "probe_timeout_ms", BOOT_PROBE_TIMEOUT_MS, &c->probe_timeout_ms,
			    err);
	v = json_object_get(p, "allowed_vendors");
	if (!rc && v) {
		if (!json_is_array(v) || json_array_size(v) > 256)
			rc = xdrv_err(err, -EINVAL, "policy.allowed_vendors: not a list of names");
		c->vendors = calloc(json_array_size(v) + 1, sizeof *c->vendors);
		for (size_t i = 0; !rc && i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i);
			if (!json_is_string(e) || !*json_string_value(e))
				rc = xdrv_err(err, -EINVAL,
					      "policy.allowed_vendors[%zu]: not a name", i);
			else if (!c->vendors || !(c->vendors[i] = strdup(json_string_value(e))))
				rc = xdrv_err(err, -ENOMEM, "out of memory");
			else
				c->nvendors++;
		}
	}
	v = json_object_get(p, "min_security_versions");
	if (!rc && v) {
		if (!json_is_object(v) || json_object_size(v) > (size_t)BOOT_MAX_DRIVERS * 4)
			rc = xdrv_err(
				err, -EINVAL,
				"policy.min_security_versions: not an object of name: number");
		c->minsv = calloc(json_object_size(v) + 1, sizeof *c->minsv);
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e)
		{
			if (rc)
				break;
			if (!json_is_integer(e) || json_integer_value(e) < 0)
				rc = xdrv_err(err, -EINVAL,
					      "policy.min_security_versions.%s: not a number >= 0",
					      k);
			else if (!c->minsv || !(c->minsv[c->nminsv].name = strdup(k)))
				rc = xdrv_err(err, -ENOMEM, "out of memory");
			else
				c->minsv[c->nminsv++].min = (uint64_t)json_integer_value(e);
		}
	}
	json_decref(p);
	return rc;
}

/* "params": {NAME: string | integer | boolean}, at most BOOT_MAX_PARAMS. */
static int parse_params(json_t *p, const char *where, struct ldr_param_value **out, size_t *n,
			char **err)
{
	if (!p)
		return 0;
	if (!json_is_object(p) || json_object_size(p) > BOOT_MAX_PARAMS)
		return xdrv_err(err, -EINVAL, "%s.params: not an object of at most %u entries",
				where, BOOT_MAX_PARAMS);
	*out = calloc(json_object_size(p) + 1, sizeof **out);
	if (!*out)
		return xdrv_err(err, -ENOMEM, "out of memory");
	const char *k;
	json_t *v;
	json_object_foreach(p, k, v)
	{
		char buf[32];
		const char *val = NULL;
		if (json_is_string(v))
			val = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			val = buf;
		} else if (json_is_boolean(v))
			val = json_is_true(v) ? "true" : "false";
		else
			return xdrv_err(err, -EINVAL,
					"%s.params.%s: not a string, integer or boolean", where, k);
		struct ldr_param_value *pv = &(*out)[*n];
		pv->name = strdup(k);
		pv->value = strdup(val);
		(*n)++;
		if (!pv->name || !pv->value)
			return xdrv_err(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* A package: a file, or an installed NAME[@VERSION] the front end's resolver turns into its
 * package file now; a name that resolves to nothing stops here, before anything is measured. */
static int parse_package(struct boot_config *c, const char *pkg, const char *where, const char *dir,
			 char **out, char **err)
{
	char *named = NULL;
	if (pkg_resolver) {
		int rc = pkg_resolver(pkg_resolver_ctx, c->store, pkg, dir, &named, err);
		if (rc) {
			xdrv_err_prefix(err, "%s.package", where);
			return rc;
		}
	}
	*out = named ? named : resolve(dir, pkg);
	return *out ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
}

/* One extension of a driver entry: {"package", "hook": "rx"|"tx", "policy": "pass"|"drop",
 * "tables": {NAME: FILE}, "params": {...}}. Whether the package is an extension, and declares
 * the hook, the boot checks on the bytes it measures (boot_seq.c). */
static int parse_ext(struct boot_config *c, json_t *x, const char *where, const char *dir,
		     struct boot_ext *be, char **err)
{
	static const char *const keys[] = {"package", "hook", "policy", "tables", "params", NULL};
	if (!json_is_object(x))
		return xdrv_err(err, -EINVAL, "%s: not an object", where);
	const char *pkg, *hook, *pol;
	int rc = only_keys(x, where, keys, err);
	if (!rc)
		rc = get_str(x, "package", where, 1, &pkg, err);
	if (!rc)
		rc = get_str(x, "hook", where, 1, &hook, err);
	if (!rc)
		rc = get_str(x, "policy", where, 0, &pol, err);
	if (rc)
		return rc;
	if (!strcmp(hook, "rx"))
		be->hook = XDRV_EXT_HOOK_RX;
	else if (!strcmp(hook, "tx"))
		be->hook = XDRV_EXT_HOOK_TX;
	else
		return xdrv_err(err, -EINVAL, "%s.hook: \"%s\" is neither rx nor tx", where, hook);
	if (!pol || !strcmp(pol, "pass"))
		be->policy = 0;
	else if (!strcmp(pol, "drop"))
		be->policy = 1;
	else
		return xdrv_err(err, -EINVAL, "%s.policy: \"%s\" is neither pass nor drop", where,
				pol);
	json_t *t = json_object_get(x, "tables");
	if (t && (!json_is_object(t) || json_object_size(t) > BOOT_MAX_TABLES))
		return xdrv_err(err, -EINVAL,
				"%s.tables: not an object of at most %u NAME: FILE entries", where,
				BOOT_MAX_TABLES);
	if (t) {
		be->tables = calloc(json_object_size(t) + 1, sizeof *be->tables);
		if (!be->tables)
			return xdrv_err(err, -ENOMEM, "out of memory");
		const char *k;
		json_t *v;
		json_object_foreach(t, k, v)
		{
			if (!*k || strlen(k) > 31)
				return xdrv_err(err, -EINVAL,
						"%s.tables: a table name of 1..31 bytes", where);
			if (!json_is_string(v) || !*json_string_value(v))
				return xdrv_err(err, -EINVAL, "%s.tables.%s: not a file name",
						where, k);
			struct boot_ext_table *bt = &be->tables[be->ntables++];
			bt->name = strdup(k);
			bt->file = resolve(dir, json_string_value(v));
			if (!bt->name || !bt->file)
				return xdrv_err(err, -ENOMEM, "out of memory");
		}
	}
	rc = parse_params(json_object_get(x, "params"), where, &be->params, &be->nparams, err);
	if (!rc)
		rc = parse_package(c, pkg, where, dir, &be->package, err);
	return rc;
}

static int parse_exts(struct boot_config *c, json_t *l, const char *where, const char *dir,
		      struct boot_driver *bd, char **err)
{
	if (!l)
		return 0;
	if (!json_is_array(l) || json_array_size(l) > BOOT_MAX_EXTS)
		return xdrv_err(err, -EINVAL, "%s.extensions: not a list of at most %u extensions",
				where, BOOT_MAX_EXTS);
	bd->exts = calloc(json_array_size(l) + 1, sizeof *bd->exts);
	if (!bd->exts)
		return xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(l); i++) {
		char w[64];
		snprintf(w, sizeof w, "%s.extensions[%zu]", where, i);
		bd->nexts = i + 1;
		int rc = parse_ext(c, json_array_get(l, i), w, dir, &bd->exts[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_driver(struct boot_config *c, json_t *d, size_t i, const char *dir, char **err)
{
	static const char *const keys[] = {"package",	 "device", "backend", "params",
					   "extensions", "wire",   NULL};
	char where[32];
	snprintf(where, sizeof where, "drivers[%zu]", i);
	struct boot_driver *bd = &c->drivers[i];
	if (!json_is_object(d))
		return xdrv_err(err, -EINVAL, "%s: not an object", where);
	const char *pkg, *dev, *be, *wire;
	int rc = only_keys(d, where, keys, err);
	if (!rc)
		rc = get_str(d, "package", where, 1, &pkg, err);
	if (!rc)
		rc = get_str(d, "device", where, 1, &dev, err);
	if (!rc)
		rc = get_str(d, "backend", where, 0, &be, err);
	if (!rc)
		rc = get_str(d, "wire", where, 0, &wire, err);
	if (rc)
		return rc;
	if (wire && !(bd->wire = strdup(wire)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	/* the boot reads and measures that file once, as any other */
	rc = parse_package(c, pkg, where, dir, &bd->package, err);
	if (rc)
		return rc;
	bd->device = strdup(dev);
	bd->backend = strdup(be ? be : "native");
	if (!bd->package || !bd->device || !bd->backend)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int prc = parse_params(json_object_get(d, "params"), where, &bd->params, &bd->nparams, err);
	if (prc)
		return prc;
	return parse_exts(c, json_object_get(d, "extensions"), where, dir, bd, err);
}

static int parse(struct boot_config *c, json_t *root, const char *dir, char **err)
{
	static const char *const keys[] = {
		"format", "tpm",    "tpm_required", "tpm_owner_auth", "event_log", "state_dir",
		"trust",  "policy", "revocation",   "drivers",	      "store",	   "cache",
		NULL};
	if (!json_is_object(root))
		return xdrv_err(err, -EINVAL, "not a JSON object");
	int rc = only_keys(root, "config", keys, err);
	if (rc)
		return rc;
	json_t *f = json_object_get(root, "format");
	if (!json_is_integer(f) || json_integer_value(f) != 1)
		return xdrv_err(err, -EINVAL, "format: must be 1");
	const char *s;
	rc = get_str(root, "tpm", "config", 0, &s, err);
	if (rc)
		return rc;
	if (s && strcmp(s, "none") != 0 && !(c->tpm = strdup(s)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	rc = get_bool(root, "tpm_required", "config", c->tpm != NULL, &c->tpm_required, err);
	/* a path, never the secret itself: the configuration's bytes are measured into PCR 11 and
	 * its digest is in the event log */
	if (!rc)
		rc = get_str(root, "tpm_owner_auth", "config", 0, &s, err);
	if (!rc && s)
		rc = dup_path(dir, s, &c->tpm_owner_auth, err);
	if (!rc)
		rc = get_str(root, "event_log", "config", 1, &s, err);
	if (!rc)
		rc = dup_path(dir, s, &c->event_log, err);
	if (!rc)
		rc = get_str(root, "state_dir", "config", 1, &s, err);
	if (!rc)
		rc = dup_path(dir, s, &c->state_dir, err);
	if (!rc) /* where drivers named by NAME[@VERSION] are installed; NULL: the default */
		rc = get_str(root, "store", "config", 0, &s, err);
	if (!rc)
		rc = dup_path(dir, s, &c->store, err);
	if (!rc)
		rc = parse_policy(c, json_object_get(root, "policy"), err);
	if (!rc)
		rc = parse_cache(c, json_object_get(root, "cache"), dir, err);
	if (rc)
		return rc;

	json_t *t = json_object_get(root, "trust");
	static const char *const tkeys[] = {"root", "time_floor", NULL};
	if (t && !json_is_object(t))
		return xdrv_err(err, -EINVAL, "trust: not an object");
	if (t && (rc = only_keys(t, "trust", tkeys, err)))
		return rc;
	s = NULL;
	if (t && (rc = get_str(t, "root", "trust", 0, &s, err)))
		return rc;
	if (!s && c->require_signatures)
		return xdrv_err(err, -EINVAL,
				"trust.root: missing, and policy.require_signatures is true");
	if ((rc = dup_path(dir, s, &c->trust_root, err)) ||
	    (t && (rc = parse_floor(json_object_get(t, "time_floor"), &c->time_floor, err))))
		return rc;

	json_t *r = json_object_get(root, "revocation");
	static const char *const rkeys[] = {"crl", "deny_list", "crl_required", NULL};
	if (r && !json_is_object(r))
		return xdrv_err(err, -EINVAL, "revocation: not an object");
	if (r) {
		if ((rc = only_keys(r, "revocation", rkeys, err)) ||
		    (rc = get_str(r, "crl", "revocation", 0, &s, err)) ||
		    (rc = dup_path(dir, s, &c->crl, err)) ||
		    (rc = get_str(r, "deny_list", "revocation", 0, &s, err)) ||
		    (rc = dup_path(dir, s, &c->deny_list, err)))
			return rc;
		if (c->crl && !c->trust_root)
			return xdrv_err(err, -EINVAL, "revocation.crl: needs trust.root");
		/* Fail closed: a configured CRL that is stale, undated or older than one seen
		 * before stops the boot unless the configuration says otherwise. */
		if ((rc = get_bool(r, "crl_required", "revocation", 1, &c->crl_required, err)))
			return rc;
		if (json_object_get(r, "crl_required") && !c->crl)
			return xdrv_err(err, -EINVAL,
					"revocation.crl_required: needs revocation.crl");
	}

	json_t *d = json_object_get(root, "drivers");
	if (!json_is_array(d) || json_array_size(d) > BOOT_MAX_DRIVERS)
		return xdrv_err(err, -EINVAL, "drivers: not a list of at most %u drivers",
				BOOT_MAX_DRIVERS);
	c->drivers = calloc(json_array_size(d) + 1, sizeof *c->drivers);
	if (!c->drivers)
		return xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(d); i++) {
		c->ndrivers = i + 1;
		rc = parse_driver(c, json_array_get(d, i), i, dir, err);
		if (rc)
			return rc;
	}
	return 0;
}

int boot_config_parse(const uint8_t *buf, size_t len, const char *dir, struct boot_config **out,
		      char **err)
{
	*out = NULL;
	if (len > BOOT_CONFIG_MAX)
		return xdrv_err(err, -EFBIG, "boot configuration: larger than %u bytes",
				BOOT_CONFIG_MAX);
	json_error_t je;
	json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return xdrv_err(err, -EINVAL, "boot configuration: line %d column %d: %s", je.line,
				je.column, je.text);
	struct boot_config *c = calloc(1, sizeof *c);
	int rc = c ? parse(c, root, dir, err) : xdrv_err(err, -ENOMEM, "out of memory");
	json_decref(root);
	if (rc) {
		xdrv_err_prefix(err, "boot configuration");
		boot_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void boot_config_free(struct boot_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ndrivers; i++) {
		struct boot_driver *d = &c->drivers[i];
		free(d->package);
		free(d->device);
		free(d->backend);
		free(d->wire);
		for (size_t k = 0; k < d->nparams; k++) {
			free((char *)d->params[k].name);
			free((char *)d->params[k].value);
		}
		free(d->params);
		for (size_t x = 0; x < d->nexts; x++) {
			struct boot_ext *e = &d->exts[x];
			free(e->package);
			for (size_t k = 0; k < e->ntables; k++) {
				free(e->tables[k].name);
				free(e->tables[k].file);
			}
			free(e->tables);
			for (size_t k = 0; k < e->nparams; k++) {
				free((char *)e->params[k].name);
				free((char *)e->params[k].value);
			}
			free(e->params);
		}
		free(d->exts);
	}
	free(c->drivers);
	for (size_t i = 0; i < c->nvendors; i++)
		free(c->vendors[i]);
	free(c->vendors);
	for (size_t i = 0; i < c->nminsv; i++)
		free(c->minsv[i].name);
	free(c->minsv);
	free(c->tpm);
	free(c->tpm_owner_auth);
	free(c->event_log);
	free(c->state_dir);
	free(c->cache_dir);
	free(c->store);
	free(c->trust_root);
	free(c->safety);
	free(c->crl);
	free(c->deny_list);
	free(c);
}

const char *boot_config_event_log(const struct boot_config *c)
{
	return c->event_log;
}

const char *boot_config_tpm(const struct boot_config *c)
{
	return c->tpm;
}

uint64_t boot_config_min_secver(const struct boot_config *c, const char *name)
{
	for (size_t i = 0; i < c->nminsv; i++)
		if (strcmp(c->minsv[i].name, name) == 0)
			return c->minsv[i].min;
	return 0;
}
