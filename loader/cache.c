// SPDX-License-Identifier: MIT
/*
 * The object cache (issue 13): the relocatable object an eager load compiled, kept so that the
 * next load of the same package on the same host links it without parsing, linting,
 * specializing or optimizing anything (image.c decides when; this file keeps the entries).
 *
 * An entry is native code this host will run, so it is a place an attacker would like to write
 * to. Every entry is authenticated with HMAC-SHA256 under a host key: cache.key in the folder,
 * 32 random bytes, mode 0600, made on first use, the way boot_floor.c keeps the floors' key. The
 * folder and the key must be ours and writable by no one else (the key readable by no one
 * else), or the cache is refused. An entry that fails (HMAC, sizes, a file named for one key
 * holding another, a truncated file) is never used: the load compiles, replaces the entry and
 * says so. File names are only where to look; what an entry is for is in its authenticated
 * header.
 *
 * KEYHEX.xoc, integers little-endian:
 *    0  "XDRVOBJC"
 *    8  u32 format (1), u32 0
 *   16  key[32]             SHA-256 of the key text (in the metadata)
 *   48  object_sha256[32]
 *   80  u64 object size, u64 metadata size
 *   96  the object, then the metadata: "name N\nversion V\nfunctions F\nkey\n" + the key text
 *  end  HMAC-SHA256 of every byte before it
 *
 * The key text (ldr_cache_key_make) is one line per input of the compilation: the package
 * payload's SHA-256, the loader (release, git commit, and the build-id of the program it is
 * linked into: a rebuilt loader never takes an older one's code), the driver ABI, LLVM (release
 * and the build-id of libLLVM, or of xdrv's private LLVM library where it is the one loaded), the
 * host triple, CPU and the full feature string, JIT mode and optimization level, every
 * specialization value, the safety policy, the budgets, the tier, and whether the code is
 * swappable (generation 0 of a served boot or a driver domain: reached through slots).
 *
 * Eviction: after each store, the least recently used entries (a hit sets its entry's mtime)
 * go until the folder is within its cap. Not sealed to a TPM (yet): who can read cache.key can
 * make entries this host accepts, as with the floors' state file (docs/BOOT.md).
 */
#define _GNU_SOURCE 1 /* dl_iterate_phdr */
#include "ldr_jit.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xdrv/abi.h"
#include "xdrv/util.h"
#include "xdrv/version.h"

#define FORMAT	    1u
#define HDR_LEN	    96u
#define MAC_LEN	    32u
#define META_MAX    (64u << 10) /* the key text is a few KiB (the CPU features) */
#define KEY_FILE    "cache.key"
#define ENTRY_EXT   ".xoc"
#define TMP_MAX_AGE 3600 /* a temporary file older than this (seconds) is a crash's leftover */

static const uint8_t magic[8] = {'X', 'D', 'R', 'V', 'O', 'B', 'J', 'C'};

struct ldr_cache {
	char *dir;
	uint64_t max_bytes;
	uint8_t key[32];
	int have_key; /* opened with LDR_CACHE_OPEN_EXISTING and no key yet: no entry verifies */
};

/* ---- build-ids ----------------------------------------------------------------------------- */
static char exe_build_id[81] = "none", llvm_build_id[81] = "none";
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

/* The NT_GNU_BUILD_ID note of one loaded object, as hex into out (81 bytes); 0 if found. */
static int note_build_id(const struct dl_phdr_info *info, char *out)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		size_t align = ph->p_align == 8 ? 8 : 4;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0, len = ph->p_memsz;
		while (off + sizeof(ElfW(Nhdr)) <= len) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(p + off);
			size_t name_at = off + sizeof *n;
			size_t desc_at = name_at + ((n->n_namesz + align - 1) & ~(align - 1));
			size_t next = desc_at + ((n->n_descsz + align - 1) & ~(align - 1));
			if (next > len || desc_at > len)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(p + name_at, "GNU", 4) == 0 && n->n_descsz >= 8 &&
			    n->n_descsz <= 40) {
				xdrv_hex(p + desc_at, n->n_descsz, out);
				return 0;
			}
			off = next;
		}
	}
	return -1;
}

static int phdr_visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	int *first = arg;
	if (*first) { /* the program itself comes first */
		*first = 0;
		note_build_id(info, exe_build_id);
	} else if (info->dlpi_name && (strstr(info->dlpi_name, "libLLVM") ||
				       strstr(info->dlpi_name, "libxdrv-llvm"))) {
		note_build_id(info, llvm_build_id);
	}
	return 0;
}

static void build_ids_once(void)
{
	int first = 1;
	dl_iterate_phdr(phdr_visit, &first);
}

/* ---- the key -------------------------------------------------------------------------------- */
/* A value on one line of the key text: bytes outside '!'..'~' and '%' as %XX. */
static void put_token(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < '!' || *p > '~' || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

int ldr_cache_key_make(const struct ldr_ctx *ctx, const char *payload_hex,
		       const struct sdk_manifest *m, const uint64_t *values,
		       struct ldr_cache_key *k, char **err)
{
	char *text = NULL;
	size_t len = 0;
	memset(k, 0, sizeof *k);
	/* the libLLVM in use is loaded by now (the context made the LLJIT) */
	if (pthread_once(&build_id_once, build_ids_once) != 0)
		return xdrv_err(err, -EAGAIN, "cache key: build-ids");
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xdrv_err(err, -ENOMEM, "cache key: out of memory");
	fprintf(f, "xdrv-object-cache-key %u\npackage_sha256 ", FORMAT);
	put_token(f, payload_hex);
	fprintf(f, "\nloader %s git=", XDRV_VERSION);
	put_token(f, xdrv_version_git_commit());
	fprintf(f, " build_id=%s\nabi %u\nllvm ", exe_build_id, (unsigned)XDRV_ABI_VERSION);
	put_token(f, ctx->llvm_version);
	fprintf(f, " build_id=%s\ntriple ", llvm_build_id);
	put_token(f, ctx->host.triple);
	fputs("\ncpu ", f);
	put_token(f, ctx->host.cpu);
	fputs("\nfeatures ", f);
	put_token(f, ctx->host.features);
	fprintf(f, "\nmode %s\nopt %u\nparams ",
		ctx->cfg.jit_mode == LDR_JIT_LAZY ? "lazy" : "eager", ctx->cfg.opt_level);
	for (size_t i = 0; m && i < m->desc.nparams; i++) {
		fprintf(f, "%s", i ? "," : "");
		put_token(f, m->desc.params[i].name);
		fprintf(f, "=%" PRIu64, values[i]);
	}
	fputs("\npolicy ", f);
	put_token(f, ctx->cache_policy ? ctx->cache_policy : "none");
	/* budget instrumentation (budget.c): instrumented and plain objects never mix */
	fprintf(f, "\nbudget edges=%llu depth=%u\n", (unsigned long long)ctx->cfg.budget_edges,
		ctx->cfg.budget_depth);
	/* tiers (tier.c): a fast tier's O0 object and a full one never mix; tier auto looks up
	 * (and never stores) the full tier's object, which is what it ends up running */
	fprintf(f, "tier %s\n", ctx->cfg.tier == LDR_TIER_FAST ? "fast" : "full");
	/* swappable generation 0 (compile.c): entries reached through slots, never a plain load's
	 * object; a plain key has no such line (its entries from before stay valid) */
	if (ctx->cfg.swappable)
		fprintf(f, "code swappable\n");
	if (fclose(f) != 0 || !text) {
		free(text);
		return xdrv_err(err, -ENOMEM, "cache key: out of memory");
	}
	unsigned int dl = 32;
	if (!EVP_Digest(text, len, k->digest, &dl, EVP_sha256(), NULL)) {
		free(text);
		return xdrv_err(err, -EIO, "cache key: SHA-256 failed");
	}
	xdrv_hex(k->digest, 32, k->hex);
	k->text = text;
	return 0;
}

void ldr_cache_key_free(struct ldr_cache_key *k)
{
	if (!k)
		return;
	free(k->text);
	k->text = NULL;
}

/* ---- the folder and its key ------------------------------------------------------------------
 */
static int check_owner(const char *path, const struct stat *st, unsigned forbidden,
		       const char *what, char **err)
{
	if (st->st_uid != geteuid())
		return xdrv_err(err, -EPERM,
				"object cache: %s %s belongs to uid %u, not to this user (uid %u): "
				"refused (another user could put code in it)",
				what, path, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & forbidden)
		return xdrv_err(err, -EPERM,
				"object cache: %s %s has mode %04o: %s by others; chmod %s it",
				what, path, (unsigned)(st->st_mode & 07777),
				forbidden & 044 ? "readable or writable" : "writable",
				forbidden & 044 ? "600" : "go-w");
	return 0;
}

static int load_key(struct ldr_cache *c, int create, char **err)
{
	char path[4096];
	if (xdrv_snprintf(path, sizeof path, "%s/" KEY_FILE, c->dir) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "object cache: %s: path too long", c->dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !create)
		return 0; /* have_key stays 0 */
	if (fd < 0 && errno == ENOENT) {
		if (RAND_bytes(c->key, sizeof c->key) != 1)
			return xdrv_err(err, -EIO, "object cache: no randomness for the key");
		/* O_EXCL through link(): two first uses at once must not end with two keys, one
		 * of which signed entries the other cannot check; xdrv_write_file_atomic renames
		 * over, so write a temporary file and link it in */
		char tmp[4200];
		snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid());
		int rc = xdrv_write_file_atomic(tmp, c->key, sizeof c->key, 0600, err);
		if (rc)
			return rc;
		int lr = link(tmp, path);
		int le = errno;
		unlink(tmp);
		if (lr != 0 && le != EEXIST)
			return xdrv_err(err, -le, "object cache: %s: %s", path, strerror(le));
		c->have_key = lr == 0;
		if (lr == 0)
			return 0;
		fd = open(path,
			  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); /* another process won */
	}
	if (fd < 0)
		return xdrv_err(err, -errno, "object cache: key %s: %s", path, strerror(errno));
	struct stat st;
	int rc = fstat(fd, &st) != 0
			 ? xdrv_err(err, -errno, "object cache: key %s: %s", path, strerror(errno))
		 : !S_ISREG(st.st_mode)
			 ? xdrv_err(err, -EPERM, "object cache: key %s: not a file", path)
			 : check_owner(path, &st, 077, "key", err);
	if (!rc && st.st_size != (off_t)sizeof c->key)
		rc = xdrv_err(err, -EBADMSG, "object cache: key %s: %lld bytes, not 32", path,
			      (long long)st.st_size);
	if (!rc && read(fd, c->key, sizeof c->key) != (ssize_t)sizeof c->key)
		rc = xdrv_err(err, -EIO, "object cache: key %s: short read", path);
	close(fd);
	c->have_key = rc == 0;
	return rc;
}

int ldr_cache_open(const char *dir, uint64_t max_bytes, unsigned flags, struct ldr_cache **out,
		   char **err)
{
	*out = NULL;
	if (!dir || !*dir)
		return xdrv_err(err, -EINVAL, "object cache: no folder given");
	struct stat st;
	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT || (flags & LDR_CACHE_OPEN_EXISTING))
			return xdrv_err(err, -errno, "object cache: %s: %s", dir, strerror(errno));
		char d[4096];
		if (xdrv_snprintf(d, sizeof d, "%s/", dir) != 0) /* mkdirs makes what ends in / */
			return xdrv_err(err, -ENAMETOOLONG, "object cache: %s: too long", dir);
		int rc = xdrv_mkdirs(d, 0700, err);
		if (rc)
			return rc;
		if (lstat(dir, &st) != 0)
			return xdrv_err(err, -errno, "object cache: %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return xdrv_err(err, -ENOTDIR, "object cache: %s: not a folder", dir);
	int rc = check_owner(dir, &st, 022, "folder", err);
	if (rc)
		return rc;
	struct ldr_cache *c = calloc(1, sizeof *c);
	if (!c || !(c->dir = strdup(dir))) {
		free(c);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	c->max_bytes = max_bytes ? max_bytes : LDR_CACHE_MAX_DEFAULT;
	rc = load_key(c, !(flags & LDR_CACHE_OPEN_EXISTING), err);
	if (rc) {
		ldr_cache_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ldr_cache_close(struct ldr_cache *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->key, sizeof c->key);
	free(c->dir);
	free(c);
}

const char *ldr_cache_dir(const struct ldr_cache *c)
{
	return c ? c->dir : "";
}

/* ---- entries -------------------------------------------------------------------------------- */
static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int entry_path(const struct ldr_cache *c, const char *file, char *out, size_t n)
{
	return xdrv_snprintf(out, n, "%s/%s", c->dir, file);
}

/* One line "WORD value" of the metadata or key text into out (n bytes); "" if absent. */
static const char *field(const char *text, const char *word, char *out, size_t n)
{
	size_t wl = strlen(word);
	out[0] = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, word, wl) != 0 || l[wl] != ' ')
			continue;
		const char *v = l + wl + 1, *e = strchr(v, '\n');
		size_t vl = e ? (size_t)(e - v) : strlen(v);
		if (vl >= n)
			vl = n - 1;
		memcpy(out, v, vl);
		out[vl] = 0;
		break;
	}
	return out;
}

/* Check a whole entry file's bytes: HMAC first (nothing else is read from a forged entry), then
 * the layout, the object's digest and the key text's. On success fills what e has room for. */
static int entry_check(const struct ldr_cache *c, const uint8_t *buf, size_t len,
		       struct ldr_cache_entry *e, const uint8_t **obj, char **why)
{
	uint8_t mac[32], d[32];
	unsigned int ml = 32;
	if (!c->have_key)
		return xdrv_err(why, -EBADMSG, "cannot be verified: the folder has no key (%s)",
				KEY_FILE);
	if (len < HDR_LEN + MAC_LEN)
		return xdrv_err(why, -EBADMSG, "%zu bytes: truncated (not even a header)", len);
	if (!HMAC(EVP_sha256(), c->key, sizeof c->key, buf, len - MAC_LEN, mac, &ml))
		return xdrv_err(why, -EIO, "HMAC-SHA256 failed");
	if (CRYPTO_memcmp(mac, buf + len - MAC_LEN, MAC_LEN) != 0)
		return xdrv_err(why, -EBADMSG,
				"HMAC does not verify (changed or truncated outside xdrv, or made "
				"under another host's key)");
	uint64_t olen = get_le(buf + 80, 8), mlen = get_le(buf + 88, 8);
	if (memcmp(buf, magic, sizeof magic) != 0 || get_le(buf + 8, 4) != FORMAT ||
	    get_le(buf + 12, 4) != 0)
		return xdrv_err(why, -EBADMSG, "not an xdrv object cache entry of format %u",
				FORMAT);
	if (olen == 0 || mlen == 0 || mlen > META_MAX || olen > LDR_CACHE_ENTRY_MAX ||
	    HDR_LEN + olen + mlen + MAC_LEN != len)
		return xdrv_err(why, -EBADMSG, "sizes do not add up");
	const uint8_t *o = buf + HDR_LEN;
	const char *meta = (const char *)(o + olen);
	if (!EVP_Digest(o, olen, d, &ml, EVP_sha256(), NULL) || memcmp(d, buf + 48, 32) != 0)
		return xdrv_err(why, -EBADMSG, "object does not match its digest");
	if (memchr(meta, 0, mlen) || meta[mlen - 1] != '\n')
		return xdrv_err(why, -EBADMSG, "metadata is not text");
	const char *kt = NULL;
	for (const char *l = meta; l < meta + mlen; l = strchr(l, '\n') + 1) {
		if (strncmp(l, "key\n", 4) == 0) {
			kt = l + 4;
			break;
		}
	}
	if (!kt || !EVP_Digest(kt, (size_t)(meta + mlen - kt), d, &ml, EVP_sha256(), NULL) ||
	    memcmp(d, buf + 16, 32) != 0)
		return xdrv_err(why, -EBADMSG, "key text does not match the key");
	if (obj)
		*obj = o;
	if (e) {
		char *mt = strndup(meta, mlen), v[32];
		if (!mt)
			return xdrv_err(why, -ENOMEM, "out of memory");
		xdrv_hex(buf + 16, 32, e->key);
		xdrv_hex(buf + 48, 32, e->object_sha256);
		e->object_size = olen;
		field(mt, "name", e->name, sizeof e->name);
		field(mt, "version", e->version, sizeof e->version);
		field(mt, "package_sha256", e->package_sha256, sizeof e->package_sha256);
		field(mt, "cpu", e->cpu, sizeof e->cpu);
		field(mt, "mode", e->mode, sizeof e->mode);
		e->opt = (uint32_t)strtoul(field(mt, "opt", v, sizeof v), NULL, 10);
		e->functions = (uint32_t)strtoul(field(mt, "functions", v, sizeof v), NULL, 10);
		free(mt);
	}
	return 0;
}

/* Read the file at `path` (opened without following links or waiting on a FIFO: a regular file
 * of at most a whole entry's size). fd_out (may be NULL) keeps the file open for the caller. */
static int read_entry(const char *path, uint8_t **buf, size_t *len, int *fd_out, char **why)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return xdrv_err(why, -EBADMSG, "a symbolic link, not an entry");
	if (fd < 0)
		return errno == ENOENT
			       ? -ENOENT
			       : xdrv_err(why, -errno, "cannot be opened: %s", strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = xdrv_err(why, -errno, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = xdrv_err(why, -EBADMSG, "not a regular file");
	else if ((uint64_t)st.st_size >
		 (uint64_t)HDR_LEN + LDR_CACHE_ENTRY_MAX + META_MAX + MAC_LEN)
		rc = xdrv_err(why, -EBADMSG, "%lld bytes: larger than any entry",
			      (long long)st.st_size);
	size_t n = rc ? 0 : (size_t)st.st_size, have = 0;
	uint8_t *b = rc ? NULL : malloc(n ? n : 1);
	if (!rc && !b)
		rc = xdrv_err(why, -ENOMEM, "out of memory");
	while (!rc && have < n) {
		ssize_t r = read(fd, b + have, n - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			rc = xdrv_err(why, r < 0 ? -errno : -EBADMSG, "short read");
		else
			have += (size_t)r;
	}
	if (rc || !fd_out) {
		close(fd);
	} else {
		*fd_out = fd;
	}
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* now, with the clock's full resolution (file times come from a coarse clock) */
static void touch(int fd)
{
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[1] = t[0];
	(void)futimens(fd, t);
}

int ldr_cache_get(struct ldr_cache *c, const struct ldr_cache_key *k, struct ldr_cache_hit *h,
		  char **why)
{
	char file[96], path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1;
	const uint8_t *obj = NULL;
	memset(h, 0, sizeof *h);
	snprintf(file, sizeof file, "%s" ENTRY_EXT, k->hex);
	if (entry_path(c, file, path, sizeof path) != 0)
		return xdrv_err(why, -ENAMETOOLONG, "path too long");
	int rc = read_entry(path, &buf, &len, &fd, why);
	if (rc)
		return rc;
	struct ldr_cache_entry e;
	rc = entry_check(c, buf, len, &e, &obj, why);
	if (!rc && memcmp(buf + 16, k->digest, 32) != 0)
		rc = xdrv_err(why, -EBADMSG, "it is the entry of another key (%.16s...)", e.key);
	if (rc == -EBADMSG) /* never usable: gone, even if the load cannot store a new one */
		unlink(path);
	if (!rc && !(h->obj = malloc(e.object_size)))
		rc = xdrv_err(why, -ENOMEM, "out of memory");
	if (!rc) {
		memcpy(h->obj, obj, e.object_size);
		h->obj_len = e.object_size;
		memcpy(h->obj_sha256, buf + 48, 32);
		h->functions = e.functions;
		touch(fd); /* least recently used goes first */
	}
	close(fd);
	free(buf);
	return rc;
}

void ldr_cache_hit_free(struct ldr_cache_hit *h)
{
	if (!h)
		return;
	free(h->obj);
	memset(h, 0, sizeof *h);
}

/* ---- scanning, eviction, clearing ----------------------------------------------------------- */
static int is_entry_name(const char *n)
{
	if (strlen(n) != 64 + strlen(ENTRY_EXT) || strcmp(n + 64, ENTRY_EXT) != 0)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return 1;
}

static int is_tmp_name(const char *n)
{
	const char *t = strstr(n, ENTRY_EXT ".tmp.");
	return t && t == n + 64;
}

struct found {
	char name[96];
	uint64_t size;
	struct timespec mtime;
};

static int older(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->name, ((const struct found *)b)->name);
}

/* The entries of the folder (regular files named KEYHEX.xoc); temporary files older than an
 * hour are removed on the way (or all of them, with all_tmp). */
static int list_entries(struct ldr_cache *c, int all_tmp, struct found **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(c->dir);
	if (!d)
		return xdrv_err(err, -errno, "object cache: %s: %s", c->dir, strerror(errno));
	struct found *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0;
	time_t now = time(NULL);
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		int entry = is_entry_name(de->d_name), tmp = !entry && is_tmp_name(de->d_name);
		if ((!entry && !tmp) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (tmp) {
			if (all_tmp || now - st.st_mtime > TMP_MAX_AGE)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (cnt == cap) {
			struct found *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *nv);
			if (!nv) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		snprintf(v[cnt].name, sizeof v[cnt].name, "%s", de->d_name);
		v[cnt].size = (uint64_t)st.st_size;
		v[cnt].mtime = st.st_mtim;
		cnt++;
	}
	closedir(d);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Remove the least recently used entries (never `keep`) until the folder is within the cap. */
static int evict(struct ldr_cache *c, const char *keep, char **err)
{
	struct found *v = NULL;
	size_t n = 0;
	int rc = list_entries(c, 0, &v, &n, err);
	if (rc)
		return rc;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].size;
	if (n)
		qsort(v, n, sizeof *v, older);
	for (size_t i = 0; i < n && total > c->max_bytes; i++) {
		char path[4096];
		if (strcmp(v[i].name, keep) == 0 || entry_path(c, v[i].name, path, sizeof path))
			continue;
		if (unlink(path) == 0 || errno == ENOENT) /* another process may have won */
			total -= v[i].size;
	}
	free(v);
	return 0;
}

int ldr_cache_put(struct ldr_cache *c, const struct ldr_cache_key *k, const char *name,
		  const char *version, uint32_t functions, const uint8_t *obj, size_t len,
		  char **err)
{
	char *meta = NULL;
	size_t mlen = 0;
	if (!c->have_key)
		return xdrv_err(err, -ENOKEY, "object cache %s: no key", c->dir);
	FILE *f = open_memstream(&meta, &mlen);
	if (!f)
		return xdrv_err(err, -ENOMEM, "out of memory");
	fputs("name ", f);
	put_token(f, name);
	fputs("\nversion ", f);
	put_token(f, version);
	fprintf(f, "\nfunctions %" PRIu32 "\nkey\n%s", functions, k->text);
	if (fclose(f) != 0 || !meta) {
		free(meta);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	size_t total = HDR_LEN + len + mlen + MAC_LEN;
	if (!len || len > LDR_CACHE_ENTRY_MAX || mlen > META_MAX || total > c->max_bytes) {
		free(meta);
		return xdrv_err(err, -EFBIG,
				"an entry of %zu bytes: larger than the cache's cap (%" PRIu64
				" bytes) or one entry's (%u)",
				total, c->max_bytes, LDR_CACHE_ENTRY_MAX);
	}
	uint8_t *buf = malloc(total);
	if (!buf) {
		free(meta);
		return xdrv_err(err, -ENOMEM, "out of memory");
	}
	unsigned int dl = 32;
	memcpy(buf, magic, sizeof magic);
	put_le(buf + 8, FORMAT, 4);
	put_le(buf + 12, 0, 4);
	memcpy(buf + 16, k->digest, 32);
	int rc = EVP_Digest(obj, len, buf + 48, &dl, EVP_sha256(), NULL) ? 0 : -EIO;
	put_le(buf + 80, len, 8);
	put_le(buf + 88, mlen, 8);
	memcpy(buf + HDR_LEN, obj, len);
	memcpy(buf + HDR_LEN + len, meta, mlen);
	free(meta);
	if (!rc && !HMAC(EVP_sha256(), c->key, sizeof c->key, buf, total - MAC_LEN,
			 buf + total - MAC_LEN, &dl))
		rc = -EIO;
	if (rc) {
		free(buf);
		return xdrv_err(err, rc, "SHA-256/HMAC failed");
	}
	char file[96], path[4096];
	snprintf(file, sizeof file, "%s" ENTRY_EXT, k->hex);
	rc = entry_path(c, file, path, sizeof path)
		     ? xdrv_err(err, -ENAMETOOLONG, "%s: path too long", c->dir)
		     : xdrv_write_file_atomic(path, buf, total, 0600, err);
	free(buf);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		touch(fd);
		close(fd);
	}
	return evict(c, file, err);
}

int ldr_cache_scan(struct ldr_cache *c, int (*fn)(void *arg, const struct ldr_cache_entry *e),
		   void *arg, uint64_t *total, char **err)
{
	struct found *v = NULL;
	size_t n = 0;
	if (total)
		*total = 0;
	int rc = list_entries(c, 0, &v, &n, err);
	if (rc)
		return rc;
	if (n)
		qsort(v, n, sizeof *v, by_name);
	for (size_t i = 0; i < n && !rc; i++) {
		struct ldr_cache_entry e;
		char path[4096], *why = NULL;
		uint8_t *buf = NULL;
		size_t len = 0;
		memset(&e, 0, sizeof e);
		snprintf(e.file, sizeof e.file, "%s", v[i].name);
		e.size = v[i].size;
		e.used = (int64_t)v[i].mtime.tv_sec;
		if (total)
			*total += v[i].size;
		int r = entry_path(c, v[i].name, path, sizeof path)
				? -ENAMETOOLONG
				: read_entry(path, &buf, &len, NULL, &why);
		if (r == -ENOENT) /* removed since the listing */
			continue;
		if (!r)
			r = entry_check(c, buf, len, &e, NULL, &why);
		if (!r && strncmp(e.key, v[i].name, 64) != 0)
			r = xdrv_err(&why, -EBADMSG,
				     "it is the entry of key %.16s..., not of its name", e.key);
		free(buf);
		e.ok = r == 0;
		if (!e.ok) {
			char keep[sizeof e.file];
			memcpy(keep, e.file, sizeof keep);
			uint64_t size = e.size;
			int64_t used = e.used;
			memset(&e, 0, sizeof e); /* nothing of a failed entry is shown */
			memcpy(e.file, keep, sizeof keep);
			e.size = size;
			e.used = used;
			snprintf(e.problem, sizeof e.problem, "%s", why ? why : "unreadable");
		}
		free(why);
		rc = fn(arg, &e);
	}
	free(v);
	return rc;
}

int ldr_cache_clear(struct ldr_cache *c, size_t *removed, char **err)
{
	struct found *v = NULL;
	size_t n = 0;
	*removed = 0;
	int rc = list_entries(c, 1, &v, &n, err);
	for (size_t i = 0; !rc && i < n; i++) {
		char path[4096];
		if (entry_path(c, v[i].name, path, sizeof path))
			continue;
		if (unlink(path) == 0)
			(*removed)++;
		else if (errno != ENOENT)
			rc = xdrv_err(err, -errno, "object cache: %s: %s", path, strerror(errno));
	}
	free(v);
	return rc;
}
