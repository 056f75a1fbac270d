// SPDX-License-Identifier: MIT
/*
 * Tests for the object cache (loader/cache.c, its use in image.c): a miss compiles and stores,
 * a hit links the stored object (same object digest, working code, no bitcode parsed); the
 * specialization values, the LLVM version and the CPU features are part of the key (a change
 * misses); a tampered, truncated, renamed or foreign-key entry is never used (compiled again,
 * the entry replaced); least recently used entries go first under the size cap; folders and
 * keys others could write are refused; lazy mode does not use the cache. The package is made
 * at suite start with the real SDK and signer, as test_image.c does.
 */
#include "jit_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdrv/boot.h>
#include <xdrv/signer.h>

#define DRV_SRC                                                                                    \
	"#include <xdrv/abi.h>\n"                                                                  \
	"XDRV_PARAM(uint32_t, ring);\n"                                                            \
	"static const struct xdrv_param params[] = {\n"                                            \
	"  XDRV_PARAM_ENTRY(XDRV_PARAM_U32, ring, 64, 16, 4096, \"ring size\"), "                  \
	"XDRV_PARAM_END};\n"                                                                       \
	"static const struct xdrv_match match[] = {{.bus = XDRV_BUS_PLATFORM,\n"                   \
	"  .compatible = \"test,cache\"}, {.bus = 0}};\n"                                          \
	"static int32_t probe(xdrv_device_t *d) { (void)d; return (int32_t)xdrv_param_ring; }\n"   \
	"static void rm(xdrv_device_t *d) { (void)d; }\n"                                          \
	"uint32_t ring_twice(void) { return 2 * xdrv_param_ring; }\n"                              \
	"XDRV_DRIVER(.name = \"cachetest\", .version = \"2.0.1\", .match = match, .params = "      \
	"params,\n"                                                                                \
	"  .probe = probe, .remove = rm);\n"

static char pkg[512], root_pem[512];

static int suite_init(void)
{
	char *err = NULL;
	const char *dir = xtest_tmpdir();
	char pki[600], src[600], bc[600], unsigned_pkg[600], cert[700], key[700], chain[700];
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(root_pem, sizeof root_pem, "%s/root.pem", pki);
	snprintf(src, sizeof src, "%s/drv.c", dir);
	snprintf(bc, sizeof bc, "%s/drv.bc", dir);
	snprintf(unsigned_pkg, sizeof unsigned_pkg, "%s/cachetest.unsigned.xdrv", dir);
	snprintf(pkg, sizeof pkg, "%s/cachetest.xdrv", dir);
	snprintf(cert, sizeof cert, "%s/signer.pem", pki);
	snprintf(key, sizeof key, "%s/signer.key", pki);
	snprintf(chain, sizeof chain, "%s/vendor.pem", pki);
	struct sig_pki_opts po = {.out_dir = pki};
	struct sdk_pack_opts pk = {.bitcode = bc, .output = unsigned_pkg, .security_version = 1};
	int rc = xtest_write(src, DRV_SRC, strlen(DRV_SRC));
	if (!rc)
		rc = xtest_sh(SDK_CLANG
			      " --target=" SDK_TRIPLE " -ffreestanding -nostdlibinc "
			      "-isystem '%s/driver-abi/include' -fsigned-char -O2 -Xclang "
			      "-disable-llvm-passes -emit-llvm -c '%s' -o '%s'",
			      XDRV_SRCDIR, src, bc);
	if (!rc) { /* what sdk_build does after clang */
		LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
		LLVMModuleRef m = fx_parse(tsc, bc);
		rc = m ? sdk_normalize(m, &err) : -1;
		if (!rc)
			rc = sdk_bitcode_write(m, bc, &err);
		if (m)
			LLVMDisposeModule(m);
		LLVMOrcDisposeThreadSafeContext(tsc);
	}
	if (!rc)
		rc = sig_pki_create(&po, &err);
	if (!rc)
		rc = sdk_pack(&pk, &err);
	if (!rc)
		rc = sig_sign_file(unsigned_pkg, pkg, cert, key, chain, &err);
	if (rc)
		fprintf(stderr, "test_cache fixture: %s\n", err ? err : "?");
	free(err);
	return rc ? 1 : 0;
}

/* A fresh cache folder (not yet created) for one test; static buffer. */
static const char *cache_dir(void)
{
	static char d[600];
	snprintf(d, sizeof d, "%s/cache", xtest_tmpdir());
	return d;
}

static struct ldr_ctx *ctx_cache(const char *dir, uint32_t mode, uint64_t cap)
{
	struct ldr_config cfg = {.trust_root = root_pem,
				 .jit_mode = mode,
				 .opt_level = 2,
				 .cache_dir = dir,
				 .cache_max_bytes = cap};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL;
	if (ldr_ctx_create(&cfg, &ctx, &err) != 0)
		fprintf(stderr, "ctx: %s\n", err);
	free(err);
	return ctx;
}

struct loaded {
	char state[16];
	uint8_t digest[32];
	int32_t probe;	/* what the descriptor's probe returns */
	uint32_t twice; /* ring_twice(), looked up by name */
	uint32_t compiled, total;
	struct ldr_timings t;
};

/* Load the package with ring=`ring` (NULL: the default), run its code, unload; 0 or the error. */
FX_JITCALL static int load(struct ldr_ctx *ctx, const char *ring, struct loaded *l)
{
	struct ldr_param_value pv[] = {{"ring", ring}};
	struct ldr_image *img = NULL;
	char *err = NULL;
	memset(l, 0, sizeof *l);
	int rc = ldr_image_load_file(ctx, pkg, pv, ring ? 1 : 0, &img, &err);
	if (rc) {
		fprintf(stderr, "load: %s\n", err);
		free(err);
		return rc;
	}
	snprintf(l->state, sizeof l->state, "%s", ldr_image_cache_state(img));
	if (ldr_image_object_digest(img, l->digest) != 0)
		rc = -ENODATA;
	const struct xdrv_driver *d = ldr_image_descriptor(img);
	l->probe = d ? d->probe(NULL) : -1;
	uint32_t (*twice)(void) = FX_FN(img, uint32_t(*)(void), "ring_twice");
	l->twice = twice ? twice() : 0;
	l->compiled = ldr_image_compiled_functions(img);
	l->total = ldr_image_total_functions(img);
	ldr_image_timings(img, &l->t);
	ldr_image_unload(img);
	return rc;
}

static int count_entry(void *arg, const struct ldr_cache_entry *e)
{
	size_t *n = arg;
	n[e->ok ? 0 : 1]++;
	return 0;
}

/* Entries in dir: [0] that authenticate, [1] that do not. */
static void entries(const char *dir, size_t n[2])
{
	struct ldr_cache *c = NULL;
	char *err = NULL;
	n[0] = n[1] = 0;
	if (ldr_cache_open(dir, 0, LDR_CACHE_OPEN_EXISTING, &c, &err) != 0 ||
	    ldr_cache_scan(c, count_entry, n, NULL, &err) != 0)
		fprintf(stderr, "entries: %s\n", err ? err : "?");
	free(err);
	ldr_cache_close(c);
}

static int first_entry(void *arg, const struct ldr_cache_entry *e)
{
	memcpy(arg, e, sizeof *e);
	return 1;
}

/* The (first) entry file's path; static buffer. */
static const char *entry_file(const char *dir, struct ldr_cache_entry *e)
{
	struct ldr_cache *c = NULL;
	char *err = NULL;
	memset(e, 0, sizeof *e);
	if (ldr_cache_open(dir, 0, LDR_CACHE_OPEN_EXISTING, &c, &err) == 0)
		ldr_cache_scan(c, first_entry, e, NULL, &err);
	free(err);
	ldr_cache_close(c);
	return xtest_path("%s/%s", dir, e->file);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* ---- hit and miss -----------------------------------------------------------------------------
 */
static void test_second_load_links_the_cached_object(void)
{
	const char *dir = cache_dir();
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded a, b, c;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.state, "miss");
	CU_ASSERT_EQUAL(a.probe, 64);
	CU_ASSERT_EQUAL(a.twice, 128);
	CU_ASSERT(a.t.parse_ns > 0 && a.t.opt_ns > 0);
	CU_ASSERT_EQUAL(mode_of(dir), 0700);
	CU_ASSERT_EQUAL(mode_of(xtest_path("%s/cache.key", dir)), 0600);
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0], 1);
	CU_ASSERT_EQUAL(n[1], 0);

	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "hit");
	CU_ASSERT_EQUAL(memcmp(a.digest, b.digest, 32), 0); /* what the event log measures */
	CU_ASSERT_EQUAL(b.probe, 64);
	CU_ASSERT_EQUAL(b.twice, 128);
	CU_ASSERT_EQUAL(b.total, a.total);
	CU_ASSERT_EQUAL(b.compiled, b.total);
	CU_ASSERT_EQUAL(b.t.parse_ns, 0); /* no bitcode parsed, nothing optimized */
	CU_ASSERT_EQUAL(b.t.opt_ns, 0);
	CU_ASSERT(b.t.jit_ns > 0 && b.t.cache_ns > 0);
	ldr_ctx_destroy(ctx);

	/* another context (another process, as far as the cache knows) */
	ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.state, "hit");
	CU_ASSERT_EQUAL(memcmp(a.digest, c.digest, 32), 0);
	CU_ASSERT_EQUAL(c.probe, 64);
	ldr_ctx_destroy(ctx);
}

static void test_specialization_values_are_part_of_the_key(void)
{
	const char *dir = cache_dir();
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded a, b, c, d;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &a), 0);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "512", &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "miss");
	CU_ASSERT_EQUAL(b.probe, 512);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "0x200", &c), 0); /* the same value, written otherwise */
	CU_ASSERT_STRING_EQUAL(c.state, "hit");
	CU_ASSERT_EQUAL(c.probe, 512);
	CU_ASSERT_EQUAL(c.twice, 1024);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "64", &d), 0); /* the default, given */
	CU_ASSERT_STRING_EQUAL(d.state, "hit");
	CU_ASSERT_EQUAL(d.probe, 64);
	/* a refused value is refused as without a cache, and nothing is stored */
	struct ldr_param_value pv[] = {{"ring", "9000"}};
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL(ldr_image_load_file(ctx, pkg, pv, 1, &img, &err), -ERANGE);
	CU_ASSERT(fx_has(err, "out of range"));
	free(err);
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0], 2);
	ldr_ctx_destroy(ctx);
}

static void test_stale_key_llvm_version_or_cpu_features(void)
{
	const char *dir = cache_dir();
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded a, b;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.state, "miss");

	/* another LLVM release (the hook: the version string the key is made of) */
	char saved[sizeof ctx->llvm_version];
	memcpy(saved, ctx->llvm_version, sizeof saved);
	snprintf(ctx->llvm_version, sizeof ctx->llvm_version, "19.1.99");
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "miss");
	CU_ASSERT_EQUAL(b.probe, 64);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "hit"); /* stored under the new key */
	memcpy(ctx->llvm_version, saved, sizeof saved);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "hit"); /* the old entry is still there */

	/* other CPU features: the last one of the host's list left out */
	char *feat = ctx->host.features, *less = strdup(feat);
	CU_ASSERT_PTR_NOT_NULL_FATAL(less);
	char *comma = strrchr(less, ',');
	CU_ASSERT_PTR_NOT_NULL_FATAL(comma);
	*comma = 0;
	ctx->host.features = less;
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "miss");
	CU_ASSERT_EQUAL(b.probe, 64);
	ctx->host.features = feat;
	free(less);
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0], 3);
	ldr_ctx_destroy(ctx);
}

/* ---- entries that must not be used ------------------------------------------------------------
 */
/* Load once (a miss: one entry), apply `damage` to the entry file, load again: the entry is not
 * used ("rejected"), the code still works, and the entry is replaced (the next load hits). */
static void expect_rejected(void (*damage)(const char *dir, const char *path))
{
	const char *d = cache_dir();
	char dir[600];
	snprintf(dir, sizeof dir, "%s", d);
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded a, b;
	struct ldr_cache_entry e;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &a), 0);
	char path[700];
	snprintf(path, sizeof path, "%s", entry_file(dir, &e));
	CU_ASSERT_FATAL(e.ok);
	damage(dir, path);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "rejected");
	CU_ASSERT_EQUAL(b.probe, 64);
	CU_ASSERT_EQUAL(memcmp(a.digest, b.digest, 32), 0); /* compiled again: the same code */
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &b), 0);
	CU_ASSERT_STRING_EQUAL(b.state, "hit");
	ldr_ctx_destroy(ctx);
}

/* a native instruction changed: the kind of edit an attacker would make */
static void flip_object_byte(const char *dir, const char *path)
{
	size_t len = 0;
	unsigned char *b = xtest_read(path, &len);
	CU_ASSERT_FATAL(b && len > 200);
	b[96 + 64] ^= 0x01;
	CU_ASSERT_EQUAL(xtest_write(path, b, len), 0);
	free(b);
	/* the scan sees it too, and says why */
	struct ldr_cache_entry e;
	entry_file(dir, &e);
	CU_ASSERT_FALSE(e.ok);
	CU_ASSERT(fx_has(e.problem, "HMAC does not verify"));
	CU_ASSERT_STRING_EQUAL(e.name, ""); /* nothing of it is shown */
}

static void truncate_entry(const char *dir, const char *path)
{
	CU_ASSERT_EQUAL(truncate(path, 150), 0);
}

static void empty_entry(const char *dir, const char *path)
{
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
}

/* a whole, authentic entry, but of another key, under this key's name */
static void other_key_under_this_name(const char *dir, const char *path)
{
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded l;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "256", &l), 0);
	ldr_ctx_destroy(ctx);
	/* the two entries: the one that is not `path` goes in its place */
	DIR *d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	char other[700] = "";
	for (struct dirent *de; (de = readdir(d));)
		if (strstr(de->d_name, ".xoc") && !strstr(path, de->d_name))
			snprintf(other, sizeof other, "%s/%s", dir, de->d_name);
	closedir(d);
	CU_ASSERT_FATAL(other[0] != 0);
	CU_ASSERT_EQUAL(rename(other, path), 0);
}

/* entries made under another host's key */
static void another_hosts_key(const char *dir, const char *path)
{
	const char *key = xtest_path("%s/cache.key", dir);
	uint8_t k[32];
	memset(k, 0x5a, sizeof k);
	CU_ASSERT_EQUAL(unlink(key), 0);
	CU_ASSERT_EQUAL(xtest_write(key, k, sizeof k), 0);
	CU_ASSERT_EQUAL(chmod(key, 0600), 0);
}

/* what is there is not a file: a FIFO (a read would wait forever), a link to a real entry */
static void fifo_entry(const char *dir, const char *path)
{
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(mkfifo(path, 0600), 0);
}

static void link_entry(const char *dir, const char *path)
{
	const char *copy = xtest_path("%s/../elsewhere.xoc", dir);
	CU_ASSERT_EQUAL(rename(path, copy), 0);
	CU_ASSERT_EQUAL(symlink(copy, path), 0);
}

static void test_tampered_entry_is_recompiled(void)
{
	expect_rejected(flip_object_byte);
}

static void test_truncated_entry_is_recompiled(void)
{
	expect_rejected(truncate_entry);
	expect_rejected(empty_entry);
}

static void test_entry_of_another_key_is_recompiled(void)
{
	expect_rejected(other_key_under_this_name);
}

static void test_entry_that_is_no_file_is_recompiled(void)
{
	expect_rejected(fifo_entry);
	expect_rejected(link_entry);
}

static void test_entry_under_another_hosts_key_is_recompiled(void)
{
	/* the context read the old key at creation: a new context reads the new one */
	const char *d = cache_dir();
	char dir[600];
	snprintf(dir, sizeof dir, "%s", d);
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded l;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	ldr_ctx_destroy(ctx);
	another_hosts_key(dir, NULL);
	ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "rejected");
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "hit");
	ldr_ctx_destroy(ctx);
}

/* ---- the size cap -----------------------------------------------------------------------------
 */
static int sizes(void *arg, const struct ldr_cache_entry *e)
{
	uint64_t *s = arg;
	s[0] += e->size;
	s[1] = s[1] > e->size ? s[1] : e->size;
	return 0;
}

static void test_least_recently_used_entries_are_evicted(void)
{
	const char *d0 = cache_dir();
	char big[600], dir[600];
	snprintf(big, sizeof big, "%s", d0);
	snprintf(dir, sizeof dir, "%s", cache_dir());
	/* the three entries' sizes, from an uncapped cache */
	struct ldr_ctx *ctx = ctx_cache(big, LDR_JIT_EAGER, 0);
	struct loaded l;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "16", &l), 0);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "32", &l), 0);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "48", &l), 0);
	ldr_ctx_destroy(ctx);
	uint64_t s[2] = {0, 0}, total = 0;
	struct ldr_cache *c = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(ldr_cache_open(big, 0, LDR_CACHE_OPEN_EXISTING, &c, &err), 0);
	CU_ASSERT_EQUAL(ldr_cache_scan(c, sizes, s, &total, &err), 0);
	CU_ASSERT_EQUAL(total, s[0]);
	ldr_cache_close(c);

	/* room for any two, not for three */
	ctx = ctx_cache(dir, LDR_JIT_EAGER, s[0] - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "16", &l), 0); /* A */
	CU_ASSERT_EQUAL_FATAL(load(ctx, "32", &l), 0); /* B */
	CU_ASSERT_EQUAL_FATAL(load(ctx, "16", &l), 0); /* A used again: B is the oldest now */
	CU_ASSERT_STRING_EQUAL(l.state, "hit");
	CU_ASSERT_EQUAL_FATAL(load(ctx, "48", &l), 0); /* C: B goes */
	CU_ASSERT_STRING_EQUAL(l.state, "miss");
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0], 2);
	CU_ASSERT_EQUAL_FATAL(load(ctx, "16", &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "hit");
	CU_ASSERT_EQUAL_FATAL(load(ctx, "48", &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "hit");
	CU_ASSERT_EQUAL_FATAL(load(ctx, "32", &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "miss");
	CU_ASSERT_EQUAL(l.probe, 32);
	ldr_ctx_destroy(ctx);

	/* a cap smaller than any entry: nothing is stored, every load compiles */
	snprintf(dir, sizeof dir, "%s", cache_dir());
	ctx = ctx_cache(dir, LDR_JIT_EAGER, s[1] / 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "miss");
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "miss");
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0] + n[1], 0);
	ldr_ctx_destroy(ctx);
	free(err);
}

/* ---- what the cache refuses, and where it is not used ------------------------------------------
 */
static void test_unsafe_folder_or_key_is_refused(void)
{
	struct ldr_config cfg = {.trust_root = root_pem, .opt_level = 2};
	struct ldr_ctx *ctx = NULL;
	char *err = NULL, dir[600];
	snprintf(dir, sizeof dir, "%s", cache_dir());
	cfg.cache_dir = dir;
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	CU_ASSERT_EQUAL(chmod(dir, 0777), 0); /* anyone could put a key and entries here */
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EPERM);
	CU_ASSERT(fx_has(err, "writable by others"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(ldr_ctx_create(&cfg, &ctx, &err), 0); /* makes the key */
	ldr_ctx_destroy(ctx);
	const char *key = xtest_path("%s/cache.key", dir);
	CU_ASSERT_EQUAL(chmod(key, 0644), 0);
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EPERM);
	CU_ASSERT(fx_has(err, "readable or writable by others"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(chmod(key, 0600), 0);
	CU_ASSERT_EQUAL(truncate(key, 16), 0);
	CU_ASSERT_EQUAL(ldr_ctx_create(&cfg, &ctx, &err), -EBADMSG);
	CU_ASSERT(fx_has(err, "not 32"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(unlink(key), 0);
	CU_ASSERT_EQUAL(symlink("/dev/zero", key), 0); /* not followed */
	CU_ASSERT(ldr_ctx_create(&cfg, &ctx, &err) < 0);
	free(err);
	err = NULL;
	/* a file where the folder should be */
	cfg.cache_dir = key;
	CU_ASSERT(ldr_ctx_create(&cfg, &ctx, &err) < 0);
	free(err);
}

static void test_lazy_mode_and_a_dropped_cache_compile(void)
{
	const char *d = cache_dir();
	char dir[600];
	snprintf(dir, sizeof dir, "%s", d);
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_LAZY, 0);
	struct ldr_image *img = NULL;
	char *err = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(ldr_image_load_file(ctx, pkg, NULL, 0, &img, &err), 0);
	CU_ASSERT_STRING_EQUAL(ldr_image_cache_state(img), "off");
	ldr_image_unload(img);
	ldr_ctx_destroy(ctx);
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0] + n[1], 0);

	struct loaded l;
	ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "miss");
	ldr_ctx_drop_cache(ctx); /* what a boot's driver process does before probe */
	CU_ASSERT_PTR_NULL(ctx->cache);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	CU_ASSERT_STRING_EQUAL(l.state, "off");
	ldr_ctx_destroy(ctx);
	free(err);
}

static int keep_entry(void *arg, const struct ldr_cache_entry *e)
{
	if (e->ok)
		memcpy(arg, e, sizeof *e);
	return 0;
}

static void test_scan_shows_entries_and_clear_removes_them(void)
{
	const char *d = cache_dir();
	char dir[600];
	snprintf(dir, sizeof dir, "%s", d);
	struct ldr_ctx *ctx = ctx_cache(dir, LDR_JIT_EAGER, 0);
	struct loaded l;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
	CU_ASSERT_EQUAL_FATAL(load(ctx, NULL, &l), 0);
	ldr_ctx_destroy(ctx);
	struct ldr_cache *c = NULL;
	struct ldr_cache_entry e;
	char *err = NULL, hex[65];
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL_FATAL(ldr_cache_open(dir, 0, LDR_CACHE_OPEN_EXISTING, &c, &err), 0);
	CU_ASSERT_EQUAL(ldr_cache_scan(c, keep_entry, &e, NULL, &err), 0);
	CU_ASSERT(e.ok);
	CU_ASSERT_STRING_EQUAL(e.name, "cachetest");
	CU_ASSERT_STRING_EQUAL(e.version, "2.0.1");
	CU_ASSERT_STRING_EQUAL(e.mode, "eager");
	CU_ASSERT_EQUAL(e.opt, 2);
	CU_ASSERT_EQUAL(e.functions, l.total);
	CU_ASSERT_EQUAL(strncmp(e.file, e.key, 64), 0);
	/* the object digest of the entry is the one the image measured (one object) */
	uint8_t od[32], cat[64], want[32];
	size_t ol = 0;
	CU_ASSERT_EQUAL(boot_hex_decode(e.object_sha256, od, sizeof od, &ol), 0);
	memset(cat, 0, 32);
	memcpy(cat + 32, od, 32);
	unsigned int dl = 32;
	CU_ASSERT(EVP_Digest(cat, sizeof cat, want, &dl, EVP_sha256(), NULL));
	xdrv_hex(want, 32, hex);
	char got[65];
	xdrv_hex(l.digest, 32, got);
	CU_ASSERT_STRING_EQUAL(hex, got);
	/* a stray temporary file goes with clear, the key stays */
	CU_ASSERT_EQUAL(xtest_write(xtest_path("%s/%s.tmp.abcdef", dir, e.file), "x", 1), 0);
	size_t removed = 0;
	CU_ASSERT_EQUAL(ldr_cache_clear(c, &removed, &err), 0);
	CU_ASSERT_EQUAL(removed, 1);
	ldr_cache_close(c);
	size_t n[2];
	entries(dir, n);
	CU_ASSERT_EQUAL(n[0] + n[1], 0);
	CU_ASSERT_EQUAL(access(xtest_path("%s/%s.tmp.abcdef", dir, e.file), F_OK), -1);
	CU_ASSERT_EQUAL(access(xtest_path("%s/cache.key", dir), F_OK), 0);
	/* a folder that does not exist is not made by a read-only open */
	CU_ASSERT_EQUAL(
		ldr_cache_open(xtest_path("%s/none", dir), 0, LDR_CACHE_OPEN_EXISTING, &c, &err),
		-ENOENT);
	free(err);
}

XTEST_SUITE(loader_cache, suite_init, NULL, XTEST(test_second_load_links_the_cached_object),
	    XTEST(test_specialization_values_are_part_of_the_key),
	    XTEST(test_stale_key_llvm_version_or_cpu_features),
	    XTEST(test_tampered_entry_is_recompiled), XTEST(test_truncated_entry_is_recompiled),
	    XTEST(test_entry_of_another_key_is_recompiled),
	    XTEST(test_entry_that_is_no_file_is_recompiled),
	    XTEST(test_entry_under_another_hosts_key_is_recompiled),
	    XTEST(test_least_recently_used_entries_are_evicted),
	    XTEST(test_unsafe_folder_or_key_is_refused),
	    XTEST(test_lazy_mode_and_a_dropped_cache_compile),
	    XTEST(test_scan_shows_entries_and_clear_removes_them))
