// SPDX-License-Identifier: MIT
/*
 * xdrv-repod configuration file: "key = value" lines (or one JSON object with the same keys),
 * defaults, range checks; and the commented file `xdrv-repod init` writes. What the values
 * mean: xdrv/repo_server.h.
 */
#include "repod_db.h"
#include "xdrv/repo_server.h"
#include "xdrv/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	c->max_connections = 4096;
	c->max_connections_per_client = 32;
	c->header_timeout = 10;
	c->body_timeout = 300;
	c->idle_timeout = 30;
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
	free(c->store);
	free(c->postgres_conninfo);
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
	} else if (strcmp(k, "store") == 0) {
		if (!repod_db_backend(v))
			return xdrv_err(err, -EINVAL, "%s: store: \"%.40s\" is not one of %s",
					where, v, repod_db_backend_names());
		str = &c->store;
		is_path = false;
	} else if (strcmp(k, "postgres_conninfo") == 0) {
		/* a libpq connection string ("host=/run/postgresql dbname=xdrv"), not a path */
		str = &c->postgres_conninfo;
		is_path = false;
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
		    {"access_log", 0, 1},
		    {"max_connections", 16, 1000000},
		    {"max_connections_per_client", 1, 1000000},
		    {"header_timeout", 1, 3600},
		    {"body_timeout", 1, 86400},
		    {"idle_timeout", 1, 3600}};
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
		case 7:
			c->access_log = x != 0;
			break;
		case 8:
			c->max_connections = (unsigned)x;
			break;
		case 9:
			c->max_connections_per_client = (unsigned)x;
			break;
		case 10:
			c->header_timeout = (unsigned)x;
			break;
		case 11:
			c->body_timeout = (unsigned)x;
			break;
		default:
			c->idle_timeout = (unsigned)x;
			break;
		}
		return 0;
	}
	static const char *const keys[] = {"listen",	       "port",
					   "data_dir",	       "keys_dir",
					   "trust_root",       "time_floor",
					   "max_package",      "threads",
					   "timestamp_expiry", "snapshot_expiry",
					   "targets_expiry",   "access_log",
					   "tls_cert",	       "tls_key",
					   "max_connections",  "max_connections_per_client",
					   "header_timeout",   "body_timeout",
					   "idle_timeout",     "store",
					   "postgres_conninfo"};
	const char *near = xdrv_suggest(k, keys, sizeof(keys) / sizeof(keys[0]));
	return xdrv_err(err, -EINVAL, "%s: unknown key %.40s%s%s%s", where, k,
			near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
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
	if (rc == 0 && c->max_connections_per_client > c->max_connections)
		rc = xdrv_err(err, -EINVAL,
			      "config %s: max_connections_per_client (%u) exceeds max_connections "
			      "(%u)",
			      path, c->max_connections_per_client, c->max_connections);
	if (rc == 0 && (!c->data_dir || !c->keys_dir || !c->trust_root))
		rc = xdrv_err(err, -EINVAL,
			      "config %s: missing%s%s%s (required: data_dir, the database folder; "
			      "keys_dir, the online keys of 'keys init'; trust_root, the PEM root "
			      "certificate published packages must chain to)",
			      path, c->data_dir ? "" : " data_dir", c->keys_dir ? "" : " keys_dir",
			      c->trust_root ? "" : " trust_root");
	if (rc)
		repo_config_free(c);
	return rc;
}

int repo_config_write(const char *path, const struct repo_config *c, bool force, char **err)
{
	char trust[4300], body[8192];
	if (c->trust_root) {
		if (xdrv_snprintf(
			    trust, sizeof(trust),
			    "# the PEM root certificate every published package must chain to\n"
			    "trust_root = %s\n",
			    c->trust_root) != 0)
			return xdrv_err(err, -ENAMETOOLONG, "config %s: trust_root too long", path);
	} else {
		snprintf(trust, sizeof(trust),
			 "# REQUIRED, the server does not start without it: the PEM root "
			 "certificate\n"
			 "# every published package must chain to (the driver-signing root)\n"
			 "# trust_root = /path/to/root.pem\n");
	}
	if (xdrv_snprintf(
		    body, sizeof(body),
		    "# xdrv-repod configuration (written by 'xdrv-repod init').\n"
		    "# \"key = value\" lines, '#' starts a comment; relative paths are relative "
		    "to\n"
		    "# this file's folder. Every key: docs/REPOSITORY.md, \"Configuration\".\n"
		    "\n"
		    "# address and port to serve on (port 0: any free port, printed at start)\n"
		    "listen = %s\n"
		    "port = %u\n"
		    "# database and package blobs (created at the first start)\n"
		    "data_dir = %s\n"
		    "# the online keys made by 'keys init' (the offline root key does not go "
		    "here)\n"
		    "keys_dir = %s\n"
		    "%s"
		    "\n"
		    "# Defaults, uncomment to change.\n"
		    "# upload cap in bytes (HTTP 413 above it)\n"
		    "# max_package = %llu\n"
		    "# HTTP worker threads\n"
		    "# threads = %u\n"
		    "# metadata lifetimes in seconds (re-signed at half): timestamp, snapshot, "
		    "targets\n"
		    "# timestamp_expiry = %lld\n"
		    "# snapshot_expiry = %lld\n"
		    "# targets_expiry = %lld\n"
		    "# one logfmt line per request on stderr (0: off)\n"
		    "# access_log = 1\n"
		    "# connection limits: in all, and from one client address (a client over its\n"
		    "# limit is refused at once and logged; behind nginx every connection comes\n"
		    "# from 127.0.0.1, so let nginx limit per client and raise this one)\n"
		    "# max_connections = %u\n"
		    "# max_connections_per_client = %u\n"
		    "# seconds a connection may take to send complete request headers (from its\n"
		    "# start or the previous answer; idle keep-alive connections end then too),\n"
		    "# to send an upload's body, and to make any progress while being answered\n"
		    "# header_timeout = %u\n"
		    "# body_timeout = %u\n"
		    "# idle_timeout = %u\n"
		    "# lower bound on \"now\" for certificate expiry, Unix seconds (default: build "
		    "date)\n"
		    "# time_floor = 0\n"
		    "# HTTPS through libmicrohttpd's own TLS: PEM certificate chain and key, both "
		    "or\n"
		    "# neither\n"
		    "# tls_cert = tls.pem\n"
		    "# tls_key = tls.key\n"
		    "# the database: sqlite (data_dir/repod.db, one server) or postgresql, shared "
		    "by\n"
		    "# any number of servers (a libpq connection string; 'xdrv-repod migrate' "
		    "copies\n"
		    "# a repository from sqlite to it)\n"
		    "# store = sqlite\n"
		    "# postgres_conninfo = host=/run/postgresql dbname=xdrv\n",
		    c->listen ? c->listen : "127.0.0.1", (unsigned)c->port,
		    c->data_dir ? c->data_dir : "data", c->keys_dir ? c->keys_dir : "keys/online",
		    trust, (unsigned long long)c->max_package, c->threads,
		    (long long)c->expiry_timestamp, (long long)c->expiry_snapshot,
		    (long long)c->expiry_targets, c->max_connections, c->max_connections_per_client,
		    c->header_timeout, c->body_timeout, c->idle_timeout) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "config %s: too long", path);
	/* without force, claim the name first so that an existing file is never replaced */
	if (!force) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno == EEXIST
				       ? xdrv_err(err, -EEXIST,
						  "%s exists (not replaced; --force rewrites it)",
						  path)
				       : xdrv_err(err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
	}
	int rc = xdrv_write_file_atomic(path, body, strlen(body), 0644, err);
	if (rc && !force)
		unlink(path);
	return rc;
}
