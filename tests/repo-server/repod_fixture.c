// SPDX-License-Identifier: MIT
/*
 * Fixtures for the xdrv-repod suites (see repod_fixture.h). Not a suite itself.
 */
#include "repod_fixture.h"

#include "../xtest.h"
#include "xdrv/signer.h"
#include "xdrv/tuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rfx *rfx_create(uint64_t max_package)
{
	struct rfx *f = calloc(1, sizeof(*f));
	char *err = NULL;
	if (!f)
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "%s", xtest_tmpdir());
	snprintf(f->keys, sizeof(f->keys), "%s/keys", f->dir);
	repo_config_defaults(&f->cfg);
	f->cfg.listen = strdup("127.0.0.1");
	f->cfg.port = 0;
	f->cfg.data_dir = strdup(xtest_path("%s/data", f->dir));
	f->cfg.keys_dir = strdup(xtest_path("%s/keys/online", f->dir));
	f->cfg.trust_root = strdup(xtest_path("%s/pki/root.pem", xtest_build_dir()));
	f->cfg.access_log = false;
	f->cfg.threads = 4;
	if (max_package)
		f->cfg.max_package = max_package;
	if (repo_keys_init(f->keys, time(NULL), 365, &err) != 0 ||
	    repo_open(&f->cfg, &f->r, &err) != 0 ||
	    repo_vendor_add(f->r, "acme", RFX_ACME_TOKEN, &err) != 0 ||
	    repo_vendor_add(f->r, "beta", RFX_BETA_TOKEN, &err) != 0) {
		fprintf(stderr, "fixture: repository: %s\n", err ? err : "?");
		free(err);
		rfx_destroy(f);
		return NULL;
	}
	return f;
}

int rfx_reopen(struct rfx *f)
{
	char *err = NULL;
	repo_close(f->r);
	f->r = NULL;
	int rc = repo_open(&f->cfg, &f->r, &err);
	if (rc == 0)
		rc = repo_gc(f->r, &err); /* what `serve` does at start */
	if (rc)
		fprintf(stderr, "fixture: reopen: %s\n", err ? err : "?");
	free(err);
	return rc;
}

void rfx_destroy(struct rfx *f)
{
	if (!f)
		return;
	repo_close(f->r);
	repo_config_free(&f->cfg);
	free(f);
}

uint8_t *rfx_pkg(const char *name, size_t *len)
{
	uint8_t *b = xtest_read(xtest_path("%s/pkg/%s.xdrv", xtest_build_dir(), name), len);
	if (!b)
		fprintf(stderr, "fixture: %s/pkg/%s.xdrv missing (make drivers)\n",
			xtest_build_dir(), name);
	return b;
}

uint8_t *rfx_pkg_resigned(const char *name, size_t *len)
{
	const char *b = xtest_build_dir();
	char in[1024], out[1024], cert[1024], key[1024], chain[1024];
	char *err = NULL;
	snprintf(in, sizeof(in), "%s/pkg/%s.unsigned.xdrv", b, name);
	snprintf(out, sizeof(out), "%s/%s.resigned.xdrv", xtest_tmpdir(), name);
	snprintf(cert, sizeof(cert), "%s/pki/signer.pem", b);
	snprintf(key, sizeof(key), "%s/pki/signer.key", b);
	snprintf(chain, sizeof(chain), "%s/pki/vendor.pem", b);
	if (sig_sign_file(in, out, cert, key, chain, &err) != 0) {
		fprintf(stderr, "fixture: re-sign %s: %s\n", in, err ? err : "?");
		free(err);
		return NULL;
	}
	return xtest_read(out, len);
}

uint64_t rfx_version(struct rfx *f, const char *role)
{
	uint8_t *buf;
	size_t len;
	char file[128];
	json_t *env = NULL;
	uint64_t v = 0;
	snprintf(file, sizeof(file), "%s.json", role);
	if (repo_metadata_get(f->r, file, &buf, &len, NULL) != 0)
		return 0;
	if (tuf_metadata_load(buf, len, 0, file, &env, NULL) == 0)
		v = (uint64_t)json_integer_value(
			json_object_get(json_object_get(env, "signed"), "version"));
	json_decref(env);
	free(buf);
	return v;
}
