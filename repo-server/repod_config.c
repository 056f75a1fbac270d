// SPDX-License-Identifier: MIT
/*
 * xdrv-repod configuration file: "key = value" lines (or one JSON object with the same keys),
 * defaults, range checks. What the values mean: xdrv/repo_server.h.
 */
#include "xdrv/repo_server.h"
#include "xdrv/util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void repo_config_defaults(struct repo_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = REPO_DEFAULT_PORT;
	c->max_package = REPO_DEFAULT_MAX_PACKAGE;
	c->threads = 4;
	c->expiry_timestamp = 86400;
	c->expiry_snapshot = 7LL * 86400;
	c->expiry_targets = 90LL * 86400;
	c->access_log = true;
}

void repo_config_free(struct repo_config *c)
{
	if (!c)
		return;
	free(c->listen);
	free(c->data_dir);
	free(c->keys_dir);
	free(c->trust_root);
	free(c->tls_cert);
	free(c->tls_key);
	memset(c, 0, sizeof(*c));
}

static int num(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static char *path_rel(const char *base_dir, const char *v)
{
	if (v[0] == '/')
		return strdup(v);
	size_t n = strlen(base_dir) + strlen(v) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", base_dir, v);
	return s;
}

static int set(struct repo_config *c, const char *base, const char *k, const char *v,
	       const char *where, char **err)
{
	uint64_t x;
	char **str = NULL;
	bool is_path = true;
	if (strcmp(k, "listen") == 0) {
		str = &c->listen;
		is_path = false;
	} else if (strcmp(k, "data_dir") == 0) {
		str = &c->data_dir;
	} else if (strcmp(k, "keys_dir") == 0) {
		str = &c->keys_dir;
	} else if (strcmp(k, "trust_root") == 0) {
		str = &c->trust_root;
	} else if (strcmp(k, "tls_cert") == 0) {
		str = &c->tls_cert;
	} else if (strcmp(k, "tls_key") == 0) {
		str = &c->tls_key;
	}
	if (str) {
		free(*str);
		*str = is_path ? path_rel(base, v) : strdup(v);
		return *str ? 0 : xdrv_err(err, -ENOMEM, "%s: out of memory", where);
	}
	struct {
		const char *name;
		uint64_t min, max;
	} nums[] = {{"port", 0, 65535},
		    {"time_floor", 0, 1ull << 40},
		    {"max_package", 1, 1ull << 32},
		    {"threads", 1, 256},
		    {"timestamp_expiry", 60, 1ull << 32},
		    {"snapshot_expiry", 60, 1ull << 32},
		    {"targets_expiry", 60, 1ull << 32},
		    {"access_log", 0, 1}};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(k, nums[i].name) != 0)
			continue;
		if (num(v, nums[i].min, nums[i].max, &x) != 0)
			return xdrv_err(err, -EINVAL,
					"%s: %s: \"%.40s\" is not a number in %llu..%llu", where, k,
					v, (unsigned long long)nums[i].min,
					(unsigned long long)nums[i].max);
		switch (i) {
		case 0:
			c->port = (uint16_t)x;
			break;
		case 1:
			c->time_floor = (int64_t)x;
			break;
		case 2:
			c->max_package = x;
			break;
		case 3:
			c->threads = (unsigned)x;
			break;
		case 4:
			c->expiry_timestamp = (int64_t)x;
			break;
		case 5:
			c->expiry_snapshot = (int64_t)x;
			break;
		case 6:
			c->expiry_targets = (int64_t)x;
			break;
		default:
			c->access_log = x != 0;
			break;
		}
		return 0;
	}
	return xdrv_err(err, -EINVAL, "%s: unknown key %.40s", where, k);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

int repo_config_load(const char *path, struct repo_config *c, char **err)
{
	uint8_t *buf;
	size_t len;
	repo_config_defaults(c);
	int rc = xdrv_read_file(path, 1u << 20, &buf, &len, err);
	if (rc)
		return rc;
	char dirbuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	const char *base = dirname(dirbuf);
	char *s = trim((char *)buf);
	if (s[0] == '{') {
		json_error_t je;
		json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
		if (!j || !json_is_object(j)) {
			rc = xdrv_err(err, -EINVAL, "config %s: invalid JSON at line %d: %s", path,
				      je.line, j ? "not an object" : je.text);
		} else {
			const char *k;
			json_t *v;
			json_object_foreach(j, k, v)
			{
				char tmp[64];
				const char *sv = json_string_value(v);
				if (json_is_integer(v)) {
					snprintf(tmp, sizeof(tmp), "%lld",
						 (long long)json_integer_value(v));
					sv = tmp;
				} else if (json_is_boolean(v)) {
					sv = json_is_true(v) ? "1" : "0";
				}
				char where[4200];
				snprintf(where, sizeof(where), "config %s", path);
				rc = sv ? set(c, base, k, sv, where, err)
					: xdrv_err(err, -EINVAL,
						   "config %s: %.40s: not a string or number", path,
						   k);
				if (rc)
					break;
			}
		}
		json_decref(j);
	} else {
		unsigned line = 0;
		for (char *l = s, *next; l && rc == 0; l = next) {
			next = strchr(l, '\n');
			if (next)
				*next++ = 0;
			line++;
			char *t = trim(l);
			if (!*t || *t == '#')
				continue;
			char where[4200];
			snprintf(where, sizeof(where), "config %s:%u", path, line);
			char *eq = strchr(t, '=');
			if (!eq) {
				rc = xdrv_err(err, -EINVAL, "%s: expected key = value", where);
				break;
			}
			*eq = 0;
			rc = set(c, base, trim(t), trim(eq + 1), where, err);
		}
	}
	free(buf);
	if (rc == 0 && !c->listen && !(c->listen = strdup("127.0.0.1")))
		rc = xdrv_err(err, -ENOMEM, "config: out of memory");
	if (rc == 0 && !c->tls_cert != !c->tls_key)
		rc = xdrv_err(err, -EINVAL, "config %s: tls_cert and tls_key go together", path);
	if (rc == 0 && (!c->data_dir || !c->keys_dir || !c->trust_root))
		rc = xdrv_err(err, -EINVAL,
			      "config %s: data_dir, keys_dir and trust_root are required", path);
	if (rc)
		repo_config_free(c);
	return rc;
}
