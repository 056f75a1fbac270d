/* SPDX-License-Identifier: MIT */
/*
 * The attacker's tool (issue 12): reach the C library of the process a driver runs in, and
 * resolve any of its functions by name, from a lint-clean driver that imports nothing but ABI
 * symbols. Everything is found by reading memory:
 *
 *   1. the address of the driver's `memcpy` import: the loader binds it to the host's memcpy,
 *      which is libc's (a plain build) or the sanitizer's interceptor inside the xdrv
 *      executable (a sanitizer build);
 *   2. from there, page by page back to the ELF header of the object that holds it (bounded:
 *      HX_MAX_PAGES; an object's segments are mapped back to back, so every page read on the
 *      way is mapped);
 *   3. its program headers give PT_DYNAMIC; if the object has DT_DEBUG (an executable), the
 *      dynamic linker filled it with its r_debug, whose r_map is the list of loaded objects
 *      (link_map: l_addr, l_name, l_ld); libc is the one named libc.so*. If the object is libc
 *      itself (no DT_DEBUG), it is used directly;
 *   4. libc's dynamic section gives DT_SYMTAB, DT_STRTAB, DT_VERSYM and DT_GNU_HASH (or
 *      DT_HASH), and a name is looked up as the dynamic linker would (default version first;
 *      an IFUNC's resolver is called for the implementation).
 *
 * If memcpy's object has no usable dynamic section, the walk starts again from xdrv_log (an ABI
 * function of the xdrv executable). Every list and table walk is bounded. Driver code is
 * freestanding (no headers but the ABI's), so the ELF structures are declared here, 64-bit
 * little-endian only (the profile xdrv-lp64le-1).
 *
 * Variadic libc functions (open, syscall) are called through fixed-argument pointer types: the
 * lint refuses variadic function types, and on the 64-bit ABIs of the profile the registers are
 * the same.
 */
#ifndef HOSTILE_LIBC_H
#define HOSTILE_LIBC_H

#include <xdrv/abi.h>

#define HX_PAGE	     4096u
#define HX_MAX_PAGES 16384u /* 64 MiB back from the starting address */
#define HX_MAX_DYN   1024u  /* entries of one dynamic section */
#define HX_MAX_OBJS  512u   /* objects in the link_map list */
#define HX_MAX_CHAIN 65536u /* symbols in one hash chain */

#define HX_PT_LOAD     1u
#define HX_PT_DYNAMIC  2u
#define HX_DT_NULL     0
#define HX_DT_HASH     4
#define HX_DT_STRTAB   5
#define HX_DT_SYMTAB   6
#define HX_DT_DEBUG    21
#define HX_DT_GNU_HASH 0x6ffffef5
#define HX_DT_VERSYM   0x6ffffff0
#define HX_STT_FUNC    2u
#define HX_STT_IFUNC   10u

struct hx_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct hx_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct hx_dyn {
	int64_t d_tag;
	uint64_t d_val;
};

struct hx_sym {
	uint32_t st_name;
	uint8_t st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
};

struct hx_link_map {
	uint64_t l_addr;
	const char *l_name;
	const struct hx_dyn *l_ld;
	const struct hx_link_map *l_next, *l_prev;
};

struct hx_r_debug {
	int32_t r_version;
	const struct hx_link_map *r_map;
};

/* One loaded object, as the lookups need it. */
struct hx_obj {
	uint64_t base; /* l_addr: what the object's addresses are relative to */
	const struct hx_dyn *dyn;
	const char *strtab;
	const struct hx_sym *symtab;
	const uint32_t *gnu_hash, *hash;
	const uint16_t *versym;
};

static struct {
	struct hx_obj libc;
	int ready;
	char how[160]; /* how libc was found, for the driver's log */
} hx;

/* ---- small freestanding helpers ---------------------------------------------------------- */

static inline uint32_t hx_strlen(const char *s)
{
	uint32_t n = 0;
	/* bounded: the callers' strings are NUL-terminated within 4096 bytes (a one-byte array
	 * of a caller is its empty string) */
	// cppcheck-suppress arrayIndexOutOfBoundsCond
	while (s && n < 4096 && s[n])
		n++;
	return n;
}

static inline int hx_streq(const char *a, const char *b)
{
	uint32_t i = 0;
	for (; i < 4096 && a[i] && a[i] == b[i]; i++)
		;
	return i < 4096 && a[i] == b[i];
}

/* Appends s to buf (cap bytes, NUL-terminated, truncates). */
static inline void hx_cat(char *buf, uint32_t cap, const char *s)
{
	uint32_t n = hx_strlen(buf);
	while (s && *s && n + 1 < cap)
		buf[n++] = *s++;
	buf[n] = 0;
}

static inline void hx_cat_u64(char *buf, uint32_t cap, uint64_t v)
{
	char tmp[21];
	uint32_t n = 20;
	tmp[20] = 0;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n);
	hx_cat(buf, cap, tmp + n);
}

static inline void hx_cat_hex(char *buf, uint32_t cap, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[19];
	uint32_t n = 18;
	tmp[18] = 0;
	do {
		tmp[--n] = digits[v & 0xf];
		v >>= 4;
	} while (v && n > 2);
	tmp[--n] = 'x';
	tmp[--n] = '0';
	hx_cat(buf, cap, tmp + n);
}

/* "what: text" at INFO, or WARN for failures; the prefix is the driver's name. */
static inline void hx_log2(uint32_t level, const char *a, const char *b)
{
	char line[1000];
	line[0] = 0;
	hx_cat(line, sizeof line, a);
	hx_cat(line, sizeof line, b);
	xdrv_log(level, line);
}

static inline int hx_contains(const char *hay, const char *needle)
{
	uint32_t n = hx_strlen(needle), h = hx_strlen(hay);
	for (uint32_t i = 0; n <= h && i <= h - n; i++) {
		uint32_t j = 0;
		while (j < n && hay[i + j] == needle[j])
			j++;
		if (j == n)
			return 1;
	}
	return 0;
}

/* ---- ELF ---------------------------------------------------------------------------------- */

static inline int hx_is_ehdr(const struct hx_ehdr *e)
{
	return e->e_ident[0] == 0x7f && e->e_ident[1] == 'E' && e->e_ident[2] == 'L' &&
	       e->e_ident[3] == 'F' && e->e_ident[4] == 2 /* 64-bit */ &&
	       e->e_ident[5] == 1 /* little-endian */ && (e->e_type == 2 || e->e_type == 3) &&
	       e->e_phentsize == sizeof(struct hx_phdr) && e->e_phnum && e->e_phnum < 128 &&
	       e->e_phoff >= sizeof *e && e->e_phoff < HX_PAGE - sizeof(struct hx_phdr);
}

/* The ELF header of the object `addr` is in: back page by page from addr. */
static inline const struct hx_ehdr *hx_find_ehdr(uint64_t addr)
{
	uint64_t p = addr & ~(uint64_t)(HX_PAGE - 1);
	for (uint32_t i = 0; i < HX_MAX_PAGES && p >= HX_PAGE; i++, p -= HX_PAGE) {
		const struct hx_ehdr *e = (const struct hx_ehdr *)(uintptr_t)p;
		if (hx_is_ehdr(e))
			return e;
	}
	return 0;
}

/* A pointer of a dynamic entry: the dynamic linker relocated most in place (absolute), the
 * kernel-mapped vDSO's and some architectures' are left relative. */
static inline uint64_t hx_dptr(uint64_t base, uint64_t v)
{
	return base && v < base ? base + v : v;
}

static inline int hx_obj_init(struct hx_obj *o, uint64_t base, const struct hx_dyn *dyn)
{
	o->base = base;
	o->dyn = dyn;
	o->strtab = 0;
	o->symtab = 0;
	o->gnu_hash = o->hash = 0;
	o->versym = 0;
	if (!dyn)
		return -1;
	for (uint32_t i = 0; i < HX_MAX_DYN && dyn[i].d_tag != HX_DT_NULL; i++) {
		uint64_t v = hx_dptr(base, dyn[i].d_val);
		switch (dyn[i].d_tag) {
		case HX_DT_STRTAB:
			o->strtab = (const char *)(uintptr_t)v;
			break;
		case HX_DT_SYMTAB:
			o->symtab = (const struct hx_sym *)(uintptr_t)v;
			break;
		case HX_DT_GNU_HASH:
			o->gnu_hash = (const uint32_t *)(uintptr_t)v;
			break;
		case HX_DT_HASH:
			o->hash = (const uint32_t *)(uintptr_t)v;
			break;
		case HX_DT_VERSYM:
			o->versym = (const uint16_t *)(uintptr_t)v;
			break;
		default:
			break;
		}
	}
	return o->strtab && o->symtab && (o->gnu_hash || o->hash) ? 0 : -1;
}

/* The object an ELF header starts, and its r_debug if it has one (an executable). */
static inline int hx_obj_from_ehdr(const struct hx_ehdr *e, struct hx_obj *o,
				   const struct hx_r_debug **dbg)
{
	const struct hx_phdr *ph = (const struct hx_phdr *)((uintptr_t)e + e->e_phoff);
	uint64_t first_load = ~(uint64_t)0, dyn_vaddr = 0;
	int have_dyn = 0;
	for (uint32_t i = 0; i < e->e_phnum; i++) {
		if (ph[i].p_type == HX_PT_LOAD && ph[i].p_vaddr < first_load)
			first_load = ph[i].p_vaddr & ~(uint64_t)(HX_PAGE - 1);
		if (ph[i].p_type == HX_PT_DYNAMIC) {
			dyn_vaddr = ph[i].p_vaddr;
			have_dyn = 1;
		}
	}
	if (!have_dyn || first_load == ~(uint64_t)0)
		return -1;
	uint64_t base = e->e_type == 3 ? (uint64_t)(uintptr_t)e - first_load : 0;
	const struct hx_dyn *dyn = (const struct hx_dyn *)(uintptr_t)(base + dyn_vaddr);
	*dbg = 0;
	for (uint32_t i = 0; i < HX_MAX_DYN && dyn[i].d_tag != HX_DT_NULL; i++)
		if (dyn[i].d_tag == HX_DT_DEBUG && dyn[i].d_val)
			*dbg = (const struct hx_r_debug *)(uintptr_t)dyn[i].d_val;
	return hx_obj_init(o, base, dyn);
}

static inline uint32_t hx_gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (uint32_t i = 0; i < 4096 && s[i]; i++)
		h = h * 33u + (uint8_t)s[i];
	return h;
}

static inline uint32_t hx_sysv_hash(const char *s)
{
	uint32_t h = 0;
	for (uint32_t i = 0; i < 4096 && s[i]; i++) {
		h = (h << 4) + (uint8_t)s[i];
		uint32_t g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* A defined function symbol `name` of o, its default version if there are several. */
static inline const struct hx_sym *hx_lookup_sym(const struct hx_obj *o, const char *name)
{
	const struct hx_sym *hidden = 0;
	if (o->gnu_hash) {
		const uint32_t *h = o->gnu_hash;
		uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
		if (!nbuckets || bloom_size > (1u << 20))
			return 0;
		const uint32_t *buckets = h + 4 + 2 * bloom_size; /* 64-bit bloom words */
		const uint32_t *chain = buckets + nbuckets;
		uint32_t hash = hx_gnu_hash(name), idx = buckets[hash % nbuckets];
		if (idx < symoffset)
			return 0;
		for (uint32_t n = 0; n < HX_MAX_CHAIN; n++, idx++) {
			uint32_t c = chain[idx - symoffset];
			if ((c | 1u) == (hash | 1u)) {
				const struct hx_sym *s = &o->symtab[idx];
				if (s->st_shndx && hx_streq(o->strtab + s->st_name, name)) {
					if (!o->versym || !(o->versym[idx] & 0x8000u))
						return s;
					hidden = s;
				}
			}
			if (c & 1u)
				break;
		}
		return hidden;
	}
	const uint32_t *h = o->hash;
	uint32_t nbucket = h[0], nchain = h[1];
	if (!nbucket)
		return 0;
	const uint32_t *buckets = h + 2, *chains = buckets + nbucket;
	uint32_t idx = buckets[hx_sysv_hash(name) % nbucket];
	for (uint32_t n = 0; idx && idx < nchain && n < HX_MAX_CHAIN; n++, idx = chains[idx]) {
		const struct hx_sym *s = &o->symtab[idx];
		if (s->st_shndx && hx_streq(o->strtab + s->st_name, name)) {
			if (!o->versym || !(o->versym[idx] & 0x8000u))
				return s;
			hidden = s;
		}
	}
	return hidden;
}

static inline const char *hx_basename(const char *p)
{
	const char *b = p;
	for (uint32_t i = 0; p && i < 4096 && p[i]; i++)
		if (p[i] == '/')
			b = p + i + 1;
	return b;
}

static inline int hx_is_libc_name(const char *path)
{
	const char *b = hx_basename(path);
	return b && b[0] == 'l' && b[1] == 'i' && b[2] == 'b' && b[3] == 'c' &&
	       (b[4] == '.' || b[4] == '-');
}

/* From the object holding `start`: libc into hx.libc. 0, or -1 (logged). */
static inline int hx_find_libc_from(uint64_t start, const char *start_name)
{
	const struct hx_ehdr *e = hx_find_ehdr(start);
	struct hx_obj o;
	const struct hx_r_debug *dbg = 0;
	char line[300];
	line[0] = 0;
	hx_cat(line, sizeof line, "libc.h: ");
	hx_cat(line, sizeof line, start_name);
	hx_cat(line, sizeof line, " at ");
	hx_cat_hex(line, sizeof line, start);
	if (!e || hx_obj_from_ehdr(e, &o, &dbg) != 0) {
		hx_cat(line, sizeof line, ": no ELF object with a dynamic section behind it");
		xdrv_log(XDRV_LOG_WARN, line);
		return -1;
	}
	hx_cat(line, sizeof line, " is in the ELF object at ");
	hx_cat_hex(line, sizeof line, (uint64_t)(uintptr_t)e);
	if (dbg && dbg->r_map) {
		/* an executable: the dynamic linker's list of loaded objects */
		const struct hx_link_map *m = dbg->r_map;
		for (uint32_t n = 0; m && n < HX_MAX_OBJS; n++, m = m->l_next) {
			if (!m->l_name || !hx_is_libc_name(m->l_name))
				continue;
			if (hx_obj_init(&hx.libc, m->l_addr, m->l_ld) != 0)
				continue;
			hx_cat(line, sizeof line,
			       " (an executable: DT_DEBUG -> r_debug -> link_map "
			       "entry ");
			hx_cat_u64(line, sizeof line, n);
			hx_cat(line, sizeof line, ", ");
			hx_cat(line, sizeof line, m->l_name);
			hx_cat(line, sizeof line, " at ");
			hx_cat_hex(line, sizeof line, m->l_addr);
			hx_cat(line, sizeof line, ")");
			hx.how[0] = 0;
			hx_cat(hx.how, sizeof hx.how, "link_map");
			xdrv_log(XDRV_LOG_INFO, line);
			return 0;
		}
	}
	if (hx_lookup_sym(&o, "system")) {
		hx.libc = o;
		hx.how[0] = 0;
		hx_cat(hx.how, sizeof hx.how, "memcpy's object");
		hx_cat(line, sizeof line, " (libc itself: its dynamic symbol table has system)");
		xdrv_log(XDRV_LOG_INFO, line);
		return 0;
	}
	hx_cat(line, sizeof line, ": neither libc nor an executable with a link_map to it");
	xdrv_log(XDRV_LOG_WARN, line);
	return -1;
}

/* Find libc once. 0, or -1 (logged). */
static inline int hx_libc(void)
{
	if (hx.ready)
		return hx.ready > 0 ? 0 : -1;
	/* the import's address, as data: the compiler cannot know what it is */
	void *(*volatile mc)(void *, const void *, unsigned long) = memcpy;
	void (*volatile lg)(uint32_t, const char *) = xdrv_log;
	int rc = hx_find_libc_from((uint64_t)(uintptr_t)mc, "memcpy");
	if (rc != 0)
		rc = hx_find_libc_from((uint64_t)(uintptr_t)lg, "xdrv_log");
	hx.ready = rc == 0 ? 1 : -1;
	return rc;
}

/* The address of libc's function `name`, or 0 (logged). */
static inline void *hx_sym(const char *name)
{
	if (hx_libc() != 0)
		return 0;
	const struct hx_sym *s = hx_lookup_sym(&hx.libc, name);
	if (!s) {
		hx_log2(XDRV_LOG_WARN, "libc.h: libc has no symbol ", name);
		return 0;
	}
	uint64_t a = hx.libc.base + s->st_value;
	if ((s->st_info & 0xfu) == HX_STT_IFUNC)
		a = ((uint64_t(*)(void))(uintptr_t)a)();
	char line[200];
	line[0] = 0;
	hx_cat(line, sizeof line, "libc.h: resolved ");
	hx_cat(line, sizeof line, name);
	hx_cat(line, sizeof line, " at ");
	hx_cat_hex(line, sizeof line, a);
	xdrv_log(XDRV_LOG_INFO, line);
	return (void *)(uintptr_t)a;
}

/* libc's prototypes, without varargs (see above). */
typedef int (*hx_system_fn)(const char *cmd);
typedef long (*hx_syscall_fn)(long nr, long a, long b, long c, long d, long e, long f);
typedef int (*hx_open_fn)(const char *path, int flags, int mode);
typedef long (*hx_read_fn)(int fd, void *buf, unsigned long n);
typedef long (*hx_write_fn)(int fd, const void *buf, unsigned long n);
typedef long (*hx_pread_fn)(int fd, void *buf, unsigned long n, long off);
typedef int (*hx_close_fn)(int fd);
typedef int (*hx_fork_fn)(void);
typedef int (*hx_execve_fn)(const char *path, char *const *argv, char *const *envp);
typedef int (*hx_waitpid_fn)(int pid, int *status, int options);
typedef void (*hx_exit_fn)(int status);
typedef int (*hx_getpid_fn)(void);
typedef void *(*hx_malloc_fn)(unsigned long n);
typedef void *(*hx_fopen_fn)(const char *path, const char *mode);
typedef char *(*hx_fgets_fn)(char *buf, int n, void *f);
typedef int (*hx_fclose_fn)(void *f);
typedef int *(*hx_errno_fn)(void);

/* errno after a failed call, or -1 if __errno_location is not found. */
static inline int hx_errno(void)
{
	hx_errno_fn f = (hx_errno_fn)hx_sym("__errno_location");
	return f ? *f() : -1;
}

#endif
