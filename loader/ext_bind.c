// SPDX-License-Identifier: MIT
/*
 * The host side of packet extensions (issue 16): the functions of ext_symbols.def an extension
 * imports, bound as the only names of its JITDylib (with the loader's own: the budget's state
 * and stop, the memory check's stop, the back end's math helpers), its tables, and the stops.
 *
 * The host functions act on the run in progress (ldr_ext_run sets it, thread-local), never on
 * what the extension passes: the packet handle it passes is compared with the run's, and a
 * handle that is not the run's stops it like an access out of bounds. Every offset is checked
 * against the frame's length and every table index and array key against the descriptor before
 * a byte is touched. A stop records what happened in the extension (failed, a message naming
 * the function, offset and length) and jumps to the fault guard of ldr_ext_run: it never
 * returns to the extension.
 */
#include "ext_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/fault_guard.h>

#include "runtime_priv.h"

static _Thread_local struct ldr_ext_run *cur;

void ldr_ext_run_begin(struct ldr_ext_run *r, struct ldr_ext_run **prev)
{
	*prev = cur;
	cur = r;
}

void ldr_ext_run_end(struct ldr_ext_run *prev)
{
	cur = prev;
}

xdrv_ext_pkt_t *ldr_ext_handle(struct ldr_ext_run *r)
{
	return (xdrv_ext_pkt_t *)(void *)r;
}

/* Stop the run: the extension is failed with rc and the message; never returns while a run's
 * guard is active. */
static _Noreturn __attribute__((format(printf, 2, 3))) void stop(int32_t rc, const char *fmt, ...)
{
	struct ldr_ext *e = cur ? cur->e : NULL;
	if (e && !e->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->failure, sizeof e->failure, fmt, ap);
		va_end(ap);
		e->failed = 1;
		e->fail_rc = rc;
	}
	xdrv_guard_jump(0);
	fprintf(stderr, "xdrv loader: extension code called outside ldr_ext_run; aborting\n");
	abort();
}

static struct ldr_ext_run *run_of(xdrv_ext_pkt_t *pkt, const char *fn)
{
	if (!cur)
		stop(-EFAULT, "%s called outside a run", fn);
	if (pkt != ldr_ext_handle(cur))
		stop(-EFAULT, "%s: the packet handle is not the one the run passed", fn);
	return cur;
}

static uint8_t *bytes(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t n, const char *fn)
{
	struct ldr_ext_run *r = run_of(pkt, fn);
	if (off > r->len || r->len - off < n)
		stop(-ERANGE,
		     "out of bounds: %s at offset %u (%u byte%s) past the frame's %u bytes", fn,
		     off, n, n == 1 ? "" : "s", r->len);
	return r->frame + off;
}

static uint32_t ext_len(xdrv_ext_pkt_t *pkt)
{
	return run_of(pkt, "xdrv_ext_len")->len;
}

static uint32_t ext_ld8(xdrv_ext_pkt_t *pkt, uint32_t off)
{
	return bytes(pkt, off, 1, "xdrv_ext_ld8")[0];
}

static uint32_t ext_ld16(xdrv_ext_pkt_t *pkt, uint32_t off)
{
	const uint8_t *p = bytes(pkt, off, 2, "xdrv_ext_ld16");
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t ext_ld32(xdrv_ext_pkt_t *pkt, uint32_t off)
{
	const uint8_t *p = bytes(pkt, off, 4, "xdrv_ext_ld32");
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void ext_st8(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val)
{
	bytes(pkt, off, 1, "xdrv_ext_st8")[0] = (uint8_t)val;
}

static void ext_st16(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val)
{
	uint8_t *p = bytes(pkt, off, 2, "xdrv_ext_st16");
	p[0] = (uint8_t)(val >> 8);
	p[1] = (uint8_t)val;
}

static void ext_st32(xdrv_ext_pkt_t *pkt, uint32_t off, uint32_t val)
{
	uint8_t *p = bytes(pkt, off, 4, "xdrv_ext_st32");
	p[0] = (uint8_t)(val >> 24);
	p[1] = (uint8_t)(val >> 16);
	p[2] = (uint8_t)(val >> 8);
	p[3] = (uint8_t)val;
}

static uint64_t ext_meta(xdrv_ext_pkt_t *pkt, uint32_t key)
{
	struct ldr_ext_run *r = run_of(pkt, "xdrv_ext_meta");
	const struct ldr_ext_meta *m = r->meta;
	if (!m)
		return 0;
	switch (key) {
	case XDRV_EXT_META_HOOK:
		return m->hook;
	case XDRV_EXT_META_QUEUE:
		return m->queue;
	case XDRV_EXT_META_TIME_NS:
		return m->time_ns;
	case XDRV_EXT_META_IFINDEX:
		return m->ifindex;
	default:
		return 0;
	}
}

/* ---- tables -------------------------------------------------------------------------------- */
static uint64_t mix(uint64_t k)
{
	/* splitmix64's finalizer: keys an extension chooses still spread */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return k;
}

/* The slot of key, or of the empty slot where it would go. Never loops forever: count < cap. */
static uint32_t hash_slot(const struct ldr_ext_table *t, uint64_t key)
{
	uint32_t mask = t->cap - 1, i = (uint32_t)mix(key) & mask;
	while (t->used[i] && t->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

int ldr_ext_tab_lookup(const struct ldr_ext_table *t, uint64_t key, uint64_t *v)
{
	*v = 0;
	if (t->kind == XDRV_EXT_TABLE_ARRAY) {
		if (key >= t->max)
			return -ERANGE;
		*v = t->vals[key];
		return 0;
	}
	uint32_t i = hash_slot(t, key);
	if (t->used[i])
		*v = t->vals[i];
	return 0;
}

int ldr_ext_tab_store(struct ldr_ext_table *t, uint64_t key, uint64_t v, uint64_t **slot)
{
	uint32_t i;
	if (t->kind == XDRV_EXT_TABLE_ARRAY) {
		if (key >= t->max)
			return -ERANGE;
		i = (uint32_t)key;
	} else {
		i = hash_slot(t, key);
		if (!t->used[i]) {
			if (t->count >= t->max)
				return -ENOSPC;
			t->used[i] = 1;
			t->keys[i] = key;
			t->vals[i] = 0;
			t->count++;
		}
	}
	if (slot)
		*slot = &t->vals[i];
	else
		t->vals[i] = v;
	return 0;
}

static struct ldr_ext_table *table_of(xdrv_ext_pkt_t *pkt, uint32_t table, const char *fn)
{
	struct ldr_ext_run *r = run_of(pkt, fn);
	if (table >= r->e->ntables)
		stop(-ERANGE, "out of bounds: %s of table %u; the extension has %u table%s", fn,
		     table, r->e->ntables, r->e->ntables == 1 ? "" : "s");
	return &r->e->tables[table];
}

static _Noreturn void key_out(const struct ldr_ext_table *t, uint64_t key, const char *fn)
{
	stop(-ERANGE, "out of bounds: %s of key %llu in array table %s of %u entries", fn,
	     (unsigned long long)key, t->name, t->max);
}

static uint64_t ext_tab_get(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key)
{
	struct ldr_ext_table *t = table_of(pkt, table, "xdrv_ext_tab_get");
	uint64_t v;
	if (ldr_ext_tab_lookup(t, key, &v))
		key_out(t, key, "xdrv_ext_tab_get");
	return v;
}

static int32_t ext_tab_set(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key, uint64_t value)
{
	struct ldr_ext_table *t = table_of(pkt, table, "xdrv_ext_tab_set");
	int rc = ldr_ext_tab_store(t, key, value, NULL);
	if (rc == -ERANGE)
		key_out(t, key, "xdrv_ext_tab_set");
	if (rc) {
		cur->e->st.table_full++;
		return -1;
	}
	return 0;
}

static uint64_t ext_tab_add(xdrv_ext_pkt_t *pkt, uint32_t table, uint64_t key, uint64_t delta)
{
	struct ldr_ext_table *t = table_of(pkt, table, "xdrv_ext_tab_add");
	uint64_t *slot = NULL;
	int rc = ldr_ext_tab_store(t, key, 0, &slot);
	if (rc == -ERANGE)
		key_out(t, key, "xdrv_ext_tab_add");
	if (rc) {
		cur->e->st.table_full++;
		return 0;
	}
	*slot += delta;
	return *slot;
}

static int name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

int ldr_ext_tables_init(struct ldr_ext *e, const struct xdrv_ext_table *list, char **err)
{
	e->ntables = 0;
	for (uint32_t i = 0; list && list[i].name; i++) {
		const struct xdrv_ext_table *d = &list[i];
		if (i == XDRV_EXT_TABLES_MAX)
			return xdrv_err(err, -EINVAL, "descriptor: more than %u tables",
					XDRV_EXT_TABLES_MAX);
		if (!name_ok(d->name, 31))
			return xdrv_err(err, -EINVAL,
					"descriptor: tables[%u].name is not [a-z0-9_]{1,31}", i);
		for (uint32_t k = 0; k < i; k++)
			if (strcmp(e->tables[k].name, d->name) == 0)
				return xdrv_err(err, -EINVAL,
						"descriptor: tables[%u].name: %s twice", i,
						d->name);
		if (d->kind != XDRV_EXT_TABLE_ARRAY && d->kind != XDRV_EXT_TABLE_HASH)
			return xdrv_err(err, -EINVAL, "descriptor: tables[%u] (%s).kind: %u", i,
					d->name, d->kind);
		if (d->max_entries < 1 || d->max_entries > XDRV_EXT_TABLE_MAX_ENTRIES)
			return xdrv_err(err, -EINVAL,
					"descriptor: tables[%u] (%s).max_entries: %u (1 to %u)", i,
					d->name, d->max_entries, XDRV_EXT_TABLE_MAX_ENTRIES);
		if (d->reserved)
			return xdrv_err(err, -EINVAL, "descriptor: tables[%u] (%s).reserved not 0",
					i, d->name);
		struct ldr_ext_table *t = &e->tables[i];
		memset(t, 0, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", d->name);
		t->kind = d->kind;
		t->max = d->max_entries;
		e->ntables = i + 1;
		if (t->kind == XDRV_EXT_TABLE_ARRAY) {
			t->vals = calloc(t->max, sizeof *t->vals);
		} else {
			/* load factor at most 3/4: a free slot always ends a probe */
			uint32_t cap = 2;
			while (cap < t->max + t->max / 3u + 1u)
				cap <<= 1;
			t->cap = cap;
			t->vals = calloc(cap, sizeof *t->vals);
			t->keys = calloc(cap, sizeof *t->keys);
			t->used = calloc(cap, 1);
		}
		if (!t->vals || (t->kind == XDRV_EXT_TABLE_HASH && (!t->keys || !t->used)))
			return xdrv_err(err, -ENOMEM, "table %s: out of memory", t->name);
	}
	return 0;
}

void ldr_ext_tables_free(struct ldr_ext *e)
{
	for (uint32_t i = 0; i < e->ntables; i++) {
		free(e->tables[i].vals);
		free(e->tables[i].keys);
		free(e->tables[i].used);
	}
	e->ntables = 0;
}

/* ---- the loader's stops -------------------------------------------------------------------- */
static void fn_copy(char *out, size_t n, const char *fn)
{
	/* the loader's own constant string in the image (budget.c, ext_guard.c): at most 120
	 * bytes, not NUL-terminated; shown escaped */
	char raw[128];
	size_t k = fn ? strnlen(fn, 120) : 0;
	memcpy(raw, fn ? fn : "", k);
	raw[k] = 0;
	xdrv_escape_text(raw, out, n);
}

/* __xdrv_budget_exhausted in an extension's JITDylib */
static void ext_budget_stop(uint32_t kind, uint64_t limit, const char *fn)
{
	char name[256];
	(void)limit;
	fn_copy(name, sizeof name, fn);
	if (kind == LDR_STOP_CALL_DEPTH)
		stop(-ELOOP, "call depth limit of %u exceeded in function %s", LDR_EXT_DEPTH_MAX,
		     name);
	stop(-ELOOP, "budget of %llu back edges per packet exhausted in function %s",
	     cur ? (unsigned long long)cur->e->budget : 0ull, name);
}

/* __xdrv_ext_range_stop: the memory check's (ext_guard.c) */
static void ext_range_stop(uint64_t off, uint64_t size, uint64_t objsize, const char *fn)
{
	char name[256];
	fn_copy(name, sizeof name, fn);
	stop(-ERANGE,
	     "out of bounds: function %s accessed %llu byte%s at offset %lld of its %llu-byte "
	     "object",
	     name, (unsigned long long)size, size == 1 ? "" : "s", (long long)off,
	     (unsigned long long)objsize);
}

/* ---- the JITDylib's names ------------------------------------------------------------------- */
struct bind {
	const char *name;
	void (*addr)(void);
};

#define FN(f) ((void (*)(void))(f))
static const struct bind ext_fns[] = {
	{"xdrv_ext_len", FN(ext_len)},
	{"xdrv_ext_ld8", FN(ext_ld8)},
	{"xdrv_ext_ld16", FN(ext_ld16)},
	{"xdrv_ext_ld32", FN(ext_ld32)},
	{"xdrv_ext_st8", FN(ext_st8)},
	{"xdrv_ext_st16", FN(ext_st16)},
	{"xdrv_ext_st32", FN(ext_st32)},
	{"xdrv_ext_meta", FN(ext_meta)},
	{"xdrv_ext_tab_get", FN(ext_tab_get)},
	{"xdrv_ext_tab_set", FN(ext_tab_set)},
	{"xdrv_ext_tab_add", FN(ext_tab_add)},
	{"memcpy", FN(memcpy)},
	{"memmove", FN(memmove)},
	{"memset", FN(memset)},
};

int ldr_ext_symbol_allowed(const char *name, size_t len)
{
	static const char *const def[] = {
#define XDRV_SYM(n, ma, mi, pa) #n,
#include <xdrv/ext_symbols.def>
#undef XDRV_SYM
	};
	for (size_t i = 0; i < sizeof def / sizeof def[0]; i++)
		if (strlen(def[i]) == len && memcmp(def[i], name, len) == 0)
			return 1;
	return 0;
}

int ldr_ext_define_abi(struct ldr_image *img, char **err)
{
	struct ldr_ctx *ctx = img->ctx;
	size_t nfn = sizeof ext_fns / sizeof ext_fns[0];
	size_t total = nfn + ctx->nrt_bindings + 3;
	if (!img->ext_budget && !(img->ext_budget = calloc(1, sizeof *img->ext_budget)))
		return xdrv_err(err, -ENOMEM, "extension bindings: out of memory");
	LLVMOrcCSymbolMapPairs syms = calloc(total, sizeof *syms);
	if (!syms)
		return xdrv_err(err, -ENOMEM, "extension bindings: out of memory");
	size_t n = 0;
	for (size_t i = 0; i < nfn + ctx->nrt_bindings; i++) {
		int rt = i >= nfn;
		const char *name = rt ? ctx->rt_bindings[i - nfn].name : ext_fns[i].name;
		void (*addr)(void) = rt ? ctx->rt_bindings[i - nfn].addr : ext_fns[i].addr;
		if (!addr)
			continue;
		if (!rt && !ldr_ext_symbol_allowed(name, strlen(name)))
			continue; /* ext_symbols.def is the list: nothing outside it */
		syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, name);
		syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)addr;
		syms[n].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported |
						 LLVMJITSymbolGenericFlagsCallable |
						 (rt ? LLVMJITSymbolGenericFlagsWeak : 0);
		n++;
	}
	syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, LDR_BUDGET_STATE_SYM);
	syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)img->ext_budget;
	syms[n].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported;
	n++;
	syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, LDR_BUDGET_STOP_SYM);
	syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)ext_budget_stop;
	syms[n].Sym.Flags.GenericFlags =
		LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
	n++;
	syms[n].Name = LLVMOrcLLJITMangleAndIntern(ctx->jit, LDR_EXT_RANGE_STOP_SYM);
	syms[n].Sym.Address = (LLVMOrcExecutorAddress)(uintptr_t)ext_range_stop;
	syms[n].Sym.Flags.GenericFlags =
		LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
	n++;
	int rc = 0;
	LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(syms, n);
	LLVMErrorRef e = LLVMOrcJITDylibDefine(img->jd, mu);
	if (e) {
		LLVMOrcDisposeMaterializationUnit(mu);
		rc = ldr_llvm_err(err, e, -EINVAL, "defining the extension ABI symbols");
	}
	free(syms);
	return rc;
}
