// SPDX-License-Identifier: MIT
/*
 * Rollback floors: the lowest security_version each driver may still boot with. With a TPM they
 * live in monotonic NV indices (tpm.c). Without one, in a local state file authenticated with
 * HMAC-SHA256 under a host key kept next to it (mode 0600):
 *
 *   xdrv-floors 1
 *   hello 2
 *   uart16550 1
 *   hmac <64 hex digits over every byte above>
 *
 * The file stops an edit or a copy from another host, not a root user who holds the key; that is
 * what the TPM is for, and the event log says which store was used.
 *
 * The highest CRL number the host has accepted lives in the same store (a line ".crl_number N"
 * in the file, its own NV index with a TPM), so that an older CRL cannot be replayed.
 */
#include "boot_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdrv/util.h"

#define FLOORS_MAX 1024u

struct boot_floors {
	struct ldr_tpm *tpm;
	char *path, *key_path;
	uint8_t key[32];
	struct boot_minsv *v; /* name + floor */
	size_t n;
};

static int load_key(struct boot_floors *f, int create, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(f->key_path, 64, &buf, &len, NULL);
	if (rc == -ENOENT && create) {
		if (RAND_bytes(f->key, sizeof f->key) != 1)
			return xdrv_err(err, -EIO, "rollback state: no randomness for the key");
		return xdrv_write_file_atomic(f->key_path, f->key, sizeof f->key, 0600, err);
	}
	if (rc || len != sizeof f->key) {
		if (buf)
			OPENSSL_cleanse(buf, len);
		free(buf);
		return xdrv_err(err, rc ? rc : -EBADMSG, "rollback state: key %s: %s", f->key_path,
				rc ? "cannot be read" : "not 32 bytes");
	}
	memcpy(f->key, buf, sizeof f->key);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return 0;
}

static void mac(const struct boot_floors *f, const void *d, size_t n, char hex[65])
{
	uint8_t m[32];
	unsigned int ml = 32;
	if (!HMAC(EVP_sha256(), f->key, sizeof f->key, d, n, m, &ml))
		memset(m, 0, sizeof m);
	xdrv_hex(m, 32, hex);
}

static int parse_state(struct boot_floors *f, char *buf, size_t len, char **err)
{
	char *h = strstr(buf, "hmac ");
	while (h && h != buf && h[-1] != '\n')
		h = strstr(h + 1, "hmac ");
	char want[65];
	if (!h || strncmp(buf, "xdrv-floors 1\n", 14) != 0 || strlen(h) < 5 + 64)
		return xdrv_err(err, -EBADMSG, "rollback state %s: not an xdrv floors file",
				f->path);
	mac(f, buf, (size_t)(h - buf), want);
	if (CRYPTO_memcmp(want, h + 5, 64) != 0)
		return xdrv_err(err, -EBADMSG,
				"rollback state %s: HMAC does not verify (changed outside xdrv, or "
				"another host's key)",
				f->path);
	*h = 0;
	char *save = NULL;
	for (char *l = strtok_r(buf + 14, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[256];
		unsigned long long v;
		int used = 0;
		if (f->n >= FLOORS_MAX || sscanf(l, "%255s %llu%n", name, &v, &used) != 2 ||
		    l[used] != 0)
			return xdrv_err(err, -EBADMSG, "rollback state %s: bad line \"%.60s\"",
					f->path, l);
		struct boot_minsv *nv = realloc(f->v, (f->n + 1) * sizeof *nv);
		if (!nv)
			return xdrv_err(err, -ENOMEM, "out of memory");
		f->v = nv;
		if (!(nv[f->n].name = strdup(name)))
			return xdrv_err(err, -ENOMEM, "out of memory");
		nv[f->n++].min = v;
	}
	(void)len;
	return 0;
}

int boot_floors_open(struct ldr_tpm *tpm, const char *state_dir, struct boot_floors **out,
		     char **err)
{
	*out = NULL;
	struct boot_floors *f = calloc(1, sizeof *f);
	if (!f)
		return xdrv_err(err, -ENOMEM, "out of memory");
	f->tpm = tpm;
	int rc = 0;
	if (!tpm) {
		size_t n = strlen(state_dir) + 16;
		f->path = malloc(n);
		f->key_path = malloc(n);
		if (!f->path || !f->key_path) {
			rc = xdrv_err(err, -ENOMEM, "out of memory");
			goto out;
		}
		snprintf(f->path, n, "%s/floors.state", state_dir);
		snprintf(f->key_path, n, "%s/floors.key", state_dir);
		rc = xdrv_mkdirs(state_dir, 0700, err);
		uint8_t *buf = NULL;
		size_t len = 0;
		int have = !rc && access(f->path, F_OK) == 0;
		if (!rc)
			rc = load_key(f, !have, err);
		if (!rc && have) {
			rc = xdrv_read_file(f->path, 1u << 20, &buf, &len, err);
			if (!rc)
				rc = parse_state(f, (char *)buf, len, err);
			free(buf);
		}
	}
out:
	if (rc) {
		boot_floors_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

void boot_floors_close(struct boot_floors *f)
{
	if (!f)
		return;
	OPENSSL_cleanse(f->key, sizeof f->key);
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].name);
	free(f->v);
	free(f->path);
	free(f->key_path);
	free(f);
}

const char *boot_floors_where(const struct boot_floors *f)
{
	return f->tpm ? "TPM NV" : f->path;
}

int boot_floors_get(struct boot_floors *f, const char *name, uint64_t *floor, char **err)
{
	*floor = 0;
	if (f->tpm)
		return ldr_tpm_floor_read(f->tpm, name, floor, err);
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			*floor = f->v[i].min;
	return 0;
}

static int save(struct boot_floors *f, char **err)
{
	size_t cap = 64 + f->n * 300, off = 0;
	char *buf = malloc(cap);
	if (!buf)
		return xdrv_err(err, -ENOMEM, "out of memory");
	off += (size_t)snprintf(buf, cap, "xdrv-floors 1\n");
	for (size_t i = 0; i < f->n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s %llu\n", f->v[i].name,
					(unsigned long long)f->v[i].min);
	char hex[65];
	mac(f, buf, off, hex);
	off += (size_t)snprintf(buf + off, cap - off, "hmac %s\n", hex);
	int rc = xdrv_write_file_atomic(f->path, buf, off, 0600, err);
	free(buf);
	return rc;
}

int boot_floors_raise(struct boot_floors *f, const char *name, uint64_t floor, char **err)
{
	if (f->tpm)
		return ldr_tpm_floor_raise(f->tpm, name, floor, err);
	if (strlen(name) > 255 || strspn(name, " \t\n") || strpbrk(name, " \t\n"))
		return xdrv_err(err, -EINVAL, "rollback floor: bad driver name");
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].name, name) == 0) {
			if (f->v[i].min >= floor)
				return 0; /* floors only go up */
			f->v[i].min = floor;
			return save(f, err);
		}
	}
	if (f->n >= FLOORS_MAX)
		return xdrv_err(err, -E2BIG, "rollback state: too many drivers");
	struct boot_minsv *nv = realloc(f->v, (f->n + 1) * sizeof *nv);
	if (!nv)
		return xdrv_err(err, -ENOMEM, "out of memory");
	f->v = nv;
	if (!(nv[f->n].name = strdup(name)))
		return xdrv_err(err, -ENOMEM, "out of memory");
	nv[f->n++].min = floor;
	return save(f, err);
}

/* The CRL number shares the store: a name no driver can have (driver names are
 * [a-z0-9_-]{1,63}), so the state file format stays as it is. */
#define CRL_NUMBER_NAME ".crl_number"

int boot_floors_crl_get(struct boot_floors *f, uint64_t *number, char **err)
{
	if (f->tpm)
		return ldr_tpm_crl_number_read(f->tpm, number, err);
	return boot_floors_get(f, CRL_NUMBER_NAME, number, err);
}

int boot_floors_crl_raise(struct boot_floors *f, uint64_t number, char **err)
{
	if (f->tpm)
		return ldr_tpm_crl_number_raise(f->tpm, number, err);
	return boot_floors_raise(f, CRL_NUMBER_NAME, number, err);
}
