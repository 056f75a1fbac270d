// SPDX-License-Identifier: MIT
/*
 * Rollback floors: the lowest security_version each driver may still boot with. With a TPM they
 * live in monotonic NV indices (tpm_nv.c), checked before any value is used. Without one, in a
 * local state file authenticated with HMAC-SHA256 under a host key kept next to it (mode 0600):
 *
 *   xdrv-floors 1
 *   .generation 7
 *   hello 2
 *   uart16550 1
 *   hmac <64 hex digits over every byte above>
 *
 * The generation goes up with every write, and a second file, floors.gen, records the latest
 * under the same key ("xdrv-floors-generation 1", "generation 7", "hmac ..."). Fail closed: once
 * the key exists, a missing state file (every floor would read as 0), a missing generation
 * record, or a state file older than the record (a copy put back) stops the boot until an
 * explicit re-initialization (BOOT_FLOORS_REINIT, `xdrv boot --reinit-floors`), which the boot
 * measures. Writes go state file first, then the record: a crash in between leaves a state file
 * one generation ahead, which is accepted (newer is not a rollback).
 *
 * What this can promise: it stops an edit, a copy from another host, the deletion of the state
 * file, and the return of an older copy of it. It cannot stop a root user who holds the key, or
 * who puts back an older copy of the whole folder (state and record together), or who deletes
 * the key as well (that is a new host, and the policy event says "new"). That is what the TPM
 * is for, and the event log says which store was used.
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
/* The reserved names (driver names are [a-z0-9_-]{1,63}, none starts with a dot). */
#define GENERATION_NAME ".generation"
#define CRL_NUMBER_NAME ".crl_number"

struct boot_floors {
	struct ldr_tpm *tpm;
	char *path, *key_path, *gen_path;
	uint8_t key[32];
	struct boot_minsv *v; /* name + floor */
	size_t n;
	uint64_t gen;	/* the state file's generation (0: a file from before generations) */
	int fresh;	/* the store did not exist: every floor starts at 0 */
	int reinit;	/* BOOT_FLOORS_REINIT was asked */
	char note[512]; /* what the re-initialization found */
};

static int load_key(struct boot_floors *f, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(f->key_path, 64, &buf, &len, NULL);
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

/* Check the trailing "hmac HEX" line of buf (a file that starts with `head`) and cut it off. */
static int verify(const struct boot_floors *f, const char *path, const char *head, char *buf,
		  char **err)
{
	char *h = strstr(buf, "hmac ");
	while (h && h != buf && h[-1] != '\n')
		h = strstr(h + 1, "hmac ");
	char want[65];
	if (!h || strncmp(buf, head, strlen(head)) != 0 || strlen(h) < 5 + 64)
		return xdrv_err(err, -EBADMSG, "rollback state %s: not an xdrv %s file", path,
				strcmp(head, "xdrv-floors 1\n") == 0 ? "floors" : "generation");
	mac(f, buf, (size_t)(h - buf), want);
	if (CRYPTO_memcmp(want, h + 5, 64) != 0)
		return xdrv_err(err, -EBADMSG,
				"rollback state %s: HMAC does not verify (changed outside xdrv, or "
				"another host's key)",
				path);
	*h = 0;
	return 0;
}

static void drop_floors(struct boot_floors *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].name);
	free(f->v);
	f->v = NULL;
	f->n = 0;
	f->gen = 0;
}

static int parse_state(struct boot_floors *f, char *buf, char **err)
{
	int rc = verify(f, f->path, "xdrv-floors 1\n", buf, err);
	if (rc)
		return rc;
	char *save = NULL;
	for (char *l = strtok_r(buf + 14, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[256];
		unsigned long long v;
		int used = 0;
		if (f->n >= FLOORS_MAX || sscanf(l, "%255s %llu%n", name, &v, &used) != 2 ||
		    l[used] != 0)
			return xdrv_err(err, -EBADMSG, "rollback state %s: bad line \"%.60s\"",
					f->path, l);
		if (strcmp(name, GENERATION_NAME) == 0) {
			f->gen = v;
			continue;
		}
		struct boot_minsv *nv = realloc(f->v, (f->n + 1) * sizeof *nv);
		if (!nv)
			return xdrv_err(err, -ENOMEM, "out of memory");
		f->v = nv;
		if (!(nv[f->n].name = strdup(name)))
			return xdrv_err(err, -ENOMEM, "out of memory");
		nv[f->n++].min = v;
	}
	return 0;
}

static int read_state(struct boot_floors *f, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = xdrv_read_file(f->path, 1u << 20, &buf, &len, err);
	if (!rc)
		rc = parse_state(f, (char *)buf, err);
	free(buf);
	return rc;
}

/* The generation floors.gen records. */
static int read_gen(struct boot_floors *f, uint64_t *gen, char **err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned long long g = 0;
	int used = 0;
	int rc = xdrv_read_file(f->gen_path, 4096, &buf, &len, err);
	if (!rc)
		rc = verify(f, f->gen_path, "xdrv-floors-generation 1\n", (char *)buf, err);
	if (!rc && (sscanf((char *)buf + 25, "generation %llu\n%n", &g, &used) != 1 ||
		    buf[25 + used] != 0))
		rc = xdrv_err(err, -EBADMSG, "rollback state %s: no generation line", f->gen_path);
	free(buf);
	*gen = g;
	return rc;
}

/* One more generation: the state file, then the record. */
static int save(struct boot_floors *f, char **err)
{
	size_t cap = 128 + f->n * 300, off = 0;
	char *buf = malloc(cap);
	if (!buf)
		return xdrv_err(err, -ENOMEM, "out of memory");
	f->gen++;
	off += (size_t)snprintf(buf, cap, "xdrv-floors 1\n%s %llu\n", GENERATION_NAME,
				(unsigned long long)f->gen);
	for (size_t i = 0; i < f->n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s %llu\n", f->v[i].name,
					(unsigned long long)f->v[i].min);
	char hex[65];
	mac(f, buf, off, hex);
	off += (size_t)snprintf(buf + off, cap - off, "hmac %s\n", hex);
	int rc = xdrv_write_file_atomic(f->path, buf, off, 0600, err);
	if (!rc) {
		off = (size_t)snprintf(buf, cap, "xdrv-floors-generation 1\ngeneration %llu\n",
				       (unsigned long long)f->gen);
		mac(f, buf, off, hex);
		off += (size_t)snprintf(buf + off, cap - off, "hmac %s\n", hex);
		rc = xdrv_write_file_atomic(f->gen_path, buf, off, 0600, err);
	}
	free(buf);
	return rc;
}

static const char reinit_hint[] =
	"refusing to boot (if the loss is known and accepted: xdrv boot --reinit-floors, which is "
	"measured)";

/* No key: a new store, unless something of an old one is left (then the key was deleted). */
static int open_without_key(struct boot_floors *f, int have_state, int have_gen, char **err)
{
	if ((have_state || have_gen) && !f->reinit)
		return xdrv_err(
			err, -ENOKEY,
			"rollback state: the key %s is missing while %s exists: nothing can "
			"verify the floors any more; %s",
			f->key_path, have_state ? f->path : f->gen_path, reinit_hint);
	if (have_state || have_gen)
		snprintf(f->note, sizeof f->note,
			 "the key was missing: a new key, the old floors discarded, every floor at "
			 "0");
	else if (f->reinit)
		snprintf(f->note, sizeof f->note, "no store yet: a new one");
	f->fresh = !have_state && !have_gen;
	if (RAND_bytes(f->key, sizeof f->key) != 1)
		return xdrv_err(err, -EIO, "rollback state: no randomness for the key");
	int rc = xdrv_write_file_atomic(f->key_path, f->key, sizeof f->key, 0600, err);
	return rc ? rc : save(f, err);
}

static int open_file(struct boot_floors *f, const char *state_dir, char **err)
{
	size_t n = strlen(state_dir) + 16;
	f->path = malloc(n);
	f->key_path = malloc(n);
	f->gen_path = malloc(n);
	if (!f->path || !f->key_path || !f->gen_path)
		return xdrv_err(err, -ENOMEM, "out of memory");
	snprintf(f->path, n, "%s/floors.state", state_dir);
	snprintf(f->key_path, n, "%s/floors.key", state_dir);
	snprintf(f->gen_path, n, "%s/floors.gen", state_dir);
	int rc = xdrv_mkdirs(state_dir, 0700, err);
	if (rc)
		return rc;
	int have_key = access(f->key_path, F_OK) == 0, have_state = access(f->path, F_OK) == 0,
	    have_gen = access(f->gen_path, F_OK) == 0;
	if (!have_key)
		return open_without_key(f, have_state, have_gen, err);
	if ((rc = load_key(f, err)))
		return rc;
	uint64_t gen = 0;
	char *why = NULL;
	if (have_gen && (rc = read_gen(f, &gen, &why)) != 0 && !f->reinit) {
		xdrv_err(err, rc, "%s; %s", why, reinit_hint);
		free(why);
		return rc;
	}
	if (rc) { /* re-initializing over a generation record that does not verify */
		snprintf(f->note, sizeof f->note, "%.300s: ignored; ", why);
		have_gen = 0;
	}
	free(why);
	why = NULL;
	size_t o = strlen(f->note);
	if (!have_state) {
		if (!f->reinit)
			return xdrv_err(
				err, -ENOENT,
				"rollback state: %s is missing while its key %s exists: the "
				"floors were deleted (every floor would read as 0); %s",
				f->path, f->key_path, reinit_hint);
		snprintf(f->note + o, sizeof f->note - o,
			 "floors.state was missing: every floor starts at 0 again");
		f->gen = gen;
		return save(f, err);
	}
	if ((rc = read_state(f, &why)) != 0) {
		if (!f->reinit) {
			xdrv_err(err, rc, "%s", why);
			free(why);
			return rc;
		}
		snprintf(f->note + o, sizeof f->note - o,
			 "%.300s: discarded, every floor starts at 0 again", why);
		free(why);
		drop_floors(f);
		f->gen = gen;
		return save(f, err);
	}
	if (!have_gen && f->gen == 0 && !f->reinit)
		return save(f, err); /* a state file from before generations: start counting */
	if (!have_gen && !f->reinit)
		return xdrv_err(err, -ENOENT,
				"rollback state: %s is missing: the record of the floors' "
				"generation was deleted, so an older copy of %s could not be told "
				"from the latest; %s",
				f->gen_path, f->path, reinit_hint);
	if (f->gen < gen && !f->reinit)
		return xdrv_err(err, -ESTALE,
				"rollback state: %s is generation %llu but %s records generation "
				"%llu: an older copy was put back (its floors may be lower); %s",
				f->path, (unsigned long long)f->gen, f->gen_path,
				(unsigned long long)gen, reinit_hint);
	if (f->reinit) {
		if (!have_gen)
			snprintf(f->note + o, sizeof f->note - o,
				 "floors.gen was missing: floors.state (generation %llu) accepted "
				 "as it is",
				 (unsigned long long)f->gen);
		else if (f->gen < gen)
			snprintf(f->note + o, sizeof f->note - o,
				 "floors.state is generation %llu, older than the recorded %llu: "
				 "accepted as it is",
				 (unsigned long long)f->gen, (unsigned long long)gen);
		else
			snprintf(f->note + o, sizeof f->note - o,
				 "nothing missing or older (generation %llu)",
				 (unsigned long long)f->gen);
		if (f->gen < gen)
			f->gen = gen; /* the generations go on from the highest seen */
		return save(f, err);
	}
	if (f->gen > gen)
		return save(f, err); /* a crash between the two writes: the record catches up */
	return 0;
}

int boot_floors_open(struct ldr_tpm *tpm, const char *state_dir, unsigned flags,
		     struct boot_floors **out, char **err)
{
	*out = NULL;
	struct boot_floors *f = calloc(1, sizeof *f);
	if (!f)
		return xdrv_err(err, -ENOMEM, "out of memory");
	f->tpm = tpm;
	f->reinit = (flags & BOOT_FLOORS_REINIT) != 0;
	int rc;
	if (tpm) {
		rc = ldr_tpm_nv_check(tpm, f->reinit, f->note, sizeof f->note, err);
		f->fresh = !rc && ldr_tpm_nv_fresh(tpm);
	} else {
		rc = open_file(f, state_dir, err);
	}
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
	drop_floors(f);
	free(f->path);
	free(f->key_path);
	free(f->gen_path);
	free(f);
}

const char *boot_floors_where(const struct boot_floors *f)
{
	return f->tpm ? "TPM NV" : f->path;
}

const char *boot_floors_store(const struct boot_floors *f)
{
	if (!f->tpm)
		return "state-file";
	return strcmp(ldr_tpm_nv_mode(f->tpm), "owner") == 0 ? "tpm-nv-owner" : "tpm-nv-platform";
}

const char *boot_floors_state(const struct boot_floors *f)
{
	return f->reinit ? "reinit" : f->fresh ? "new" : "existing";
}

const char *boot_floors_reinit_note(const struct boot_floors *f)
{
	return f->reinit ? f->note : NULL;
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

static int raise_in_file(struct boot_floors *f, const char *name, uint64_t floor, char **err)
{
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

int boot_floors_raise(struct boot_floors *f, const char *name, uint64_t floor, char **err)
{
	if (f->tpm)
		return ldr_tpm_floor_raise(f->tpm, name, floor, err);
	if (strlen(name) > 255 || strspn(name, " \t\n") || strpbrk(name, " \t\n") ||
	    strcmp(name, GENERATION_NAME) == 0)
		return xdrv_err(err, -EINVAL, "rollback floor: bad driver name");
	return raise_in_file(f, name, floor, err);
}

/* The CRL number shares the store: a name no driver can have (driver names are
 * [a-z0-9_-]{1,63}), so the state file format stays as it is. */
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
	return raise_in_file(f, CRL_NUMBER_NAME, number, err);
}

int boot_floor_check(const char *state_dir, const char *name, uint64_t secver, uint64_t *floor,
		     char **err)
{
	if (floor)
		*floor = 0;
	char key[4096];
	if (!state_dir || !name ||
	    (size_t)snprintf(key, sizeof key, "%s/floors.key", state_dir) >= sizeof key)
		return xdrv_err(err, -EINVAL, "rollback state: no state folder or driver name");
	if (access(key, F_OK) != 0)
		return xdrv_err(err, -ENOENT, "rollback state: %s has no store (no %s)", state_dir,
				key);
	struct boot_floors *f = NULL;
	int rc = boot_floors_open(NULL, state_dir, 0, &f, err);
	uint64_t stored = 0;
	if (rc == 0)
		rc = boot_floors_get(f, name, &stored, err);
	if (rc == 0 && secver < stored)
		rc = xdrv_err(err, -EKEYREVOKED,
			      "security_version %llu is below the floor %llu (stored in %s)",
			      (unsigned long long)secver, (unsigned long long)stored,
			      boot_floors_where(f));
	if (floor)
		*floor = stored;
	boot_floors_close(f);
	return rc;
}
