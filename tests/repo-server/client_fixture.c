// SPDX-License-Identifier: MIT
/*
 * Fixture for the repository-client suites (see client_fixture.h): a static TUF repository in a
 * temporary folder, signed at test time. Not a suite itself.
 */
#include "client_fixture.h"

#include "../xtest.h"
#include "xdrv/util.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
		json_t *roles = json_pack("[o]", r);
		if (f->with_core) {
			json_t *c = role_json(dkeys, f->core, NULL, 1);
			json_object_set_new(c, "name", json_string("core"));
			json_object_set_new(c, "paths", json_pack("[s]", "core/*"));
			json_object_set_new(c, "terminating", json_true());
			json_array_append_new(roles, c);
		}
		json_t *s = json_pack("{s:s, s:s, s:I, s:s, s:{}, s:{s:o, s:o}}", "_type",
				      "targets", "spec_version", "1.0.31", "version",
				      (json_int_t)f->v_targets, "expires", expires(exp), "targets",
				      "delegations", "keys", dkeys, "roles", roles);
		snprintf(file, sizeof file, "%llu.targets.json", (unsigned long long)f->v_targets);
		return write_env(f, file, s, &f->targets, 1);
	}
	if (strcmp(role, "acme") == 0 || strcmp(role, "core") == 0) {
		json_t *tg = json_object();
		for (size_t i = 0; i < f->nt; i++) {
			char h[65];
			if (strcmp(f->t[i].role, role) != 0)
				continue;
			sha256_hex(f->t[i].bytes, f->t[i].len, h);
			json_object_set_new(tg, f->t[i].path,
					    json_pack("{s:I, s:{s:s}, s:{s:s, s:s, s:I, s:s}}",
						      "length", (json_int_t)f->t[i].len, "hashes",
						      "sha256", h, "custom", "name", f->t[i].name,
						      "version", f->t[i].version,
						      "security_version",
						      (json_int_t)f->t[i].secver, "vendor", role));
		}
		bool acme = strcmp(role, "acme") == 0;
		uint64_t v = acme ? f->v_acme : f->v_core;
		json_t *s = json_pack("{s:s, s:s, s:I, s:s, s:o}", "_type", "targets",
				      "spec_version", "1.0.31", "version", (json_int_t)v, "expires",
				      expires(exp), "targets", tg);
		snprintf(file, sizeof file, "%llu.%s.json", (unsigned long long)v, role);
		return write_env(f, file, s, acme ? &f->acme : &f->core, 1);
	}
	if (strcmp(role, "snapshot") == 0) {
		json_t *meta = json_pack("{s:{s:I}, s:{s:I}}", "targets.json", "version",
					 (json_int_t)f->v_targets, "acme.json", "version",
					 (json_int_t)f->v_acme);
		if (f->with_core)
			json_object_set_new(meta, "core.json",
					    json_pack("{s:I}", "version", (json_int_t)f->v_core));
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
	if (rc == 0 && f->with_core)
		rc = cfx_write_role(f, "core");
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
	return cfx_add_role_target(f, "acme", path, name, version, bytes, len);
}

int cfx_add_role_target(struct cfx *f, const char *role, const char *path, const char *name,
			const char *version, const uint8_t *bytes, size_t len)
{
	if (f->nt == sizeof f->t / sizeof f->t[0])
		return -1;
	struct cfx_target *t = &f->t[f->nt];
	snprintf(t->role, sizeof t->role, "%s", role);
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

int cfx_add_repo(struct cfx *f, const char *name, const char *url)
{
	size_t rlen = 0;
	char *err = NULL;
	uint8_t *root = xtest_read(xtest_path("%s/metadata/1.root.json", f->dir), &rlen);
	int rc = root ? repo_store_repo_add(f->s, name, url, root, rlen, &err) : -1;
	if (rc != 0)
		fprintf(stderr, "fixture: repo add %s: %s\n", name, err ? err : "no 1.root.json");
	free(err);
	free(root);
	return rc;
}

/* The "s3" mirror: http.server's handler with every 404 answered as 403. */
static const char s3_server[] =
	"import functools, http.server, sys\n"
	"class H(http.server.SimpleHTTPRequestHandler):\n"
	"    def send_error(self, code, message=None, explain=None):\n"
	"        super().send_error(403 if code == 404 else code, message, explain)\n"
	"    def log_message(self, *args):\n"
	"        pass\n"
	"s = http.server.ThreadingHTTPServer(('127.0.0.1', 0),\n"
	"                                    functools.partial(H, directory=sys.argv[1]))\n"
	"print('Serving HTTP on 127.0.0.1 port %d' % s.server_address[1], flush=True)\n"
	"s.serve_forever()\n";

int cfx_http_start(const struct cfx *f, const char *kind, char *url, size_t cap, int *pid)
{
	int fds[2];
	*pid = -1;
	if (pipe(fds) != 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2); /* the access log */
		if (strcmp(kind, "s3") == 0)
			execlp("python3", "python3", "-u", "-c", s3_server, f->dir, (char *)NULL);
		else
			execlp("python3", "python3", "-u", "-m", "http.server", "--bind",
			       "127.0.0.1", "--directory", f->dir, "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if (p < 0) {
		close(fds[0]);
		return -1;
	}
	/* the first line says where it listens ("Serving HTTP on 127.0.0.1 port N ..."); it
	 * comes once the socket is bound, so no waiting is needed after it */
	FILE *in = fdopen(fds[0], "r");
	char line[256] = "";
	unsigned port = 0;
	const char *at = NULL;
	if (in && fgets(line, sizeof line, in))
		at = strstr(line, " port ");
	if (in)
		fclose(in);
	else
		close(fds[0]);
	if (!at || sscanf(at, " port %u", &port) != 1 || port == 0) {
		fprintf(stderr, "fixture: python3 %s did not start: %s\n", kind, line);
		cfx_http_stop(p);
		return -1;
	}
	snprintf(url, cap, "http://127.0.0.1:%u", port);
	*pid = p;
	return 0;
}

void cfx_http_stop(int pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
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
	f->v_core = 1;
	struct tuf_signer **ks[] = {&f->root, &f->targets, &f->snapshot, &f->timestamp,
				    &f->acme, &f->extra,   &f->core};
	for (size_t i = 0; i < 7; i++)
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
	struct tuf_signer *ks[] = {f->root, f->targets, f->snapshot, f->timestamp,
				   f->acme, f->extra,	f->core};
	for (size_t i = 0; i < 7; i++)
		tuf_signer_destroy(ks[i]);
	for (size_t i = 0; i < f->nt; i++)
		free(f->t[i].bytes);
	free(f);
}
