// SPDX-License-Identifier: MIT
/*
 * Fixtures for the signer suites (see fixture.h). Not a suite itself: no tests live here.
 */
#include "fixture.h"

#include "../xtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sigfx_pki(struct sig_pki_opts o)
{
	char *dir = strdup(xtest_tmpdir());
	char *err = NULL;
	o.out_dir = dir;
	if (!dir || sig_pki_create(&o, &err) != 0) {
		fprintf(stderr, "fixture: pki: %s\n", err ? err : "out of memory");
		free(err);
		free(dir);
		return NULL;
	}
	return dir;
}

char *sigfx_payload(size_t n)
{
	char *path = strdup(xtest_path("%s/payload.bin", xtest_tmpdir()));
	uint8_t *b = malloc(n ? n : 1);
	if (!path || !b)
		goto fail;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + 7);
	if (xtest_write(path, b, n) != 0)
		goto fail;
	free(b);
	return path;
fail:
	free(b);
	free(path);
	return NULL;
}

const char *sigfx_file(const char *dir, const char *name)
{
	return xtest_path("%s/%s", dir, name);
}

char *sigfx_sign(const char *pki, const char *in)
{
	char *out = strdup(xtest_path("%s/signed.xdrv", xtest_tmpdir()));
	char *cert = strdup(sigfx_file(pki, "signer.pem"));
	char *key = strdup(sigfx_file(pki, "signer.key"));
	char *chain = strdup(sigfx_file(pki, "vendor.pem"));
	char *err = NULL;
	if (!out || !cert || !key || !chain ||
	    sig_sign_file(in, out, cert, key, chain, &err) != 0) {
		fprintf(stderr, "fixture: sign: %s\n", err ? err : "out of memory");
		free(out);
		out = NULL;
	}
	free(err);
	free(cert);
	free(key);
	free(chain);
	return out;
}

void sigfx_put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void sigfx_put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int sigfx_has(const char *err, const char *needle)
{
	if (!err) {
		fprintf(stderr, "\n  expected a message with \"%s\", got none\n", needle);
		return 0;
	}
	if (!strstr(err, needle)) {
		fprintf(stderr, "\n  expected \"%s\" in: %s\n", needle, err);
		return 0;
	}
	return 1;
}
