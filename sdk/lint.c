// SPDX-License-Identifier: MIT
/*
 * The portability and ABI lint, on the LLVM-C API only. It walks a module once and reports every
 * construct that would not port to another host or that reaches outside the driver ABI: inline
 * and module assembly, target-specific intrinsics, types and attributes, variadic functions and
 * va_arg, aggregates or byval/sret/inalloca/preallocated in any signature that crosses the
 * driver's boundary (exported or address-taken functions, imports, indirect calls), data imports,
 * thread-local storage, constructors, imports outside driver-abi/include/xdrv/symbols.def at
 * the declared ABI version, and imports declared or called with another prototype than the ABI's
 * (sdk_abi_prototypes: the headers compiled for the profile), and operations that a host's back end
 * lowers to a compiler runtime helper the driver ABI does not provide (division and float
 * conversions of integers wider than 64 bits, frem, atomics wider than 8 bytes or misaligned,
 * half/bfloat): the SDK must not accept a package that fails to link on a host of its profile.
 * And what would run native code the lint never saw, or reach the host's machine state: prologue
 * and prefix data, personality functions, naked functions, patchable-function attributes,
 * explicit sections, aliases, calling conventions other than C (definitions, imports, calls),
 * the register and frame intrinsics, and llvm.stackrestore of anything but a saved stack pointer.
 * Every problem is one line naming the function (or global) and the construct, and saying what
 * to write instead; sdk/README.md lists the rules.
 *
 * sdk_lint_diag writes each line in the compiler's form, "FILE:LINE:COL: error: ...", taking
 * the place from the debug info `xdrv build` compiles in (the instruction's DILocation, else
 * the function's DISubprogram, else the first call of an import), and "UNIT: error: ..." where
 * the module has none; sdk_lint keeps the bare form the loader's messages embed.
 *
 * The loader runs this on bitcode it received, after LLVMVerifyModule, so it must accept any
 * verified module without crashing: it only reads, bounds every list, and caps its output.
 */
#include <errno.h>
#include <llvm-c/Target.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

/* After this many lines the rest is counted, not listed: a hostile module must not turn the
 * error message into megabytes. */
#define LINT_MAX_PROBLEMS 200
#define LINT_NAME_MAX	  120
#define LINT_PROTO_MAX	  240 /* a prototype as shown in a message */

/*
 * Parameter and result attributes that change how a value is passed, so an import must carry
 * exactly the ones its ABI prototype has: signext/zeroext say who widens an i8/i16 (the host's
 * code, compiled from the same header, relies on it), the others pick other registers. byval,
 * sret, inalloca and preallocated are refused outright (check_signature); the rest (noundef,
 * nonnull, align, noalias, ...) are promises for the optimizer of the caller's own code and are
 * not compared.
 */
static const char *const abi_attrs[] = {"zeroext",   "signext",	   "inreg",	"nest",
					"swiftself", "swifterror", "swiftasync"};
#define N_ABI_ATTRS (sizeof abi_attrs / sizeof abi_attrs[0])

/*
 * Intrinsics that every LLVM back end lowers without target help, to instructions or to the
 * memcpy/memset/memmove the ABI exports. Anything else named llvm.* is refused. Excluded on
 * purpose: va_* (variadic), readcyclecounter (use xdrv_time_ns), returnaddress/frameaddress
 * (machine frames), read/write_register (the host's registers), localescape/localrecover,
 * clear_cache, eh.* (exceptions), debugtrap/ubsantrap (breakpoints and sanitizer traps:
 * return an error status), thread-local and coroutine intrinsics, the element-wise
 * atomic mem* variants (they need runtime helpers the ABI does not have), canonicalize (LLVM 19
 * cannot select it on any host: the loader would stop), and every target's own llvm.<arch>.* set.
 * Some of these still reach a compiler runtime helper for some types: check_intrinsic_limits.
 */
static const char *const portable_intrinsics[] = {
	"llvm.memcpy",
	"llvm.memcpy.inline",
	"llvm.memmove",
	"llvm.memset",
	"llvm.memset.inline",
	"llvm.lifetime.start",
	"llvm.lifetime.end",
	"llvm.invariant.start",
	"llvm.invariant.end",
	"llvm.launder.invariant.group",
	"llvm.strip.invariant.group",
	"llvm.dbg.declare",
	"llvm.dbg.value",
	"llvm.dbg.label",
	"llvm.dbg.assign",
	"llvm.assume",
	"llvm.expect",
	"llvm.expect.with.probability",
	"llvm.experimental.noalias.scope.decl",
	"llvm.sideeffect",
	"llvm.donothing",
	"llvm.annotation",
	"llvm.var.annotation",
	"llvm.ptr.annotation",
	"llvm.objectsize",
	"llvm.is.constant",
	"llvm.trap", /* SIGILL or SIGTRAP (by CPU), both caught by the loader's fault guard */
	"llvm.prefetch",
	"llvm.stacksave",
	"llvm.stackrestore",
	"llvm.ptrmask",
	"llvm.bswap",
	"llvm.bitreverse",
	"llvm.ctpop",
	"llvm.ctlz",
	"llvm.cttz",
	"llvm.fshl",
	"llvm.fshr",
	"llvm.abs",
	"llvm.smax",
	"llvm.smin",
	"llvm.umax",
	"llvm.umin",
	"llvm.scmp",
	"llvm.ucmp",
	"llvm.sadd.with.overflow",
	"llvm.uadd.with.overflow",
	"llvm.ssub.with.overflow",
	"llvm.usub.with.overflow",
	"llvm.smul.with.overflow",
	"llvm.umul.with.overflow",
	"llvm.sadd.sat",
	"llvm.uadd.sat",
	"llvm.ssub.sat",
	"llvm.usub.sat",
	"llvm.sshl.sat",
	"llvm.ushl.sat",
	"llvm.fmuladd",
	"llvm.fma",
	"llvm.fabs",
	"llvm.copysign",
	"llvm.sqrt",
	"llvm.minnum",
	"llvm.maxnum",
	"llvm.minimum",
	"llvm.maximum",
	"llvm.floor",
	"llvm.ceil",
	"llvm.trunc",
	"llvm.rint",
	"llvm.nearbyint",
	"llvm.round",
	"llvm.roundeven",
	"llvm.is.fpclass",
	"llvm.fptosi.sat",
	"llvm.fptoui.sat",
	"llvm.vector.reduce.add",
	"llvm.vector.reduce.mul",
	"llvm.vector.reduce.and",
	"llvm.vector.reduce.or",
	"llvm.vector.reduce.xor",
	"llvm.vector.reduce.smax",
	"llvm.vector.reduce.smin",
	"llvm.vector.reduce.umax",
	"llvm.vector.reduce.umin",
};
#define N_PORTABLE (sizeof portable_intrinsics / sizeof portable_intrinsics[0])

/* Architectures whose llvm.<arch>.* intrinsics only their own back end knows. */
static const char *const target_prefixes[] = {
	"llvm.x86.",	 "llvm.aarch64.", "llvm.arm.",	     "llvm.amdgcn.", "llvm.r600.",
	"llvm.nvvm.",	 "llvm.ppc.",	  "llvm.mips.",	     "llvm.riscv.",  "llvm.s390.",
	"llvm.hexagon.", "llvm.wasm.",	  "llvm.loongarch.", "llvm.bpf.",    "llvm.ve.",
	"llvm.spv.",	 "llvm.dx.",	  "llvm.xcore.",     "llvm.nvptx.",  "llvm.systemz.",
};

/* What to use instead of common C library and OS functions. */
static const struct {
	const char *name, *instead;
} import_advice[] = {
	{"printf", "format with the xdrv_msg_* helpers and log with xdrv_log()"},
	{"fprintf", "format with the xdrv_msg_* helpers and log with xdrv_log()"},
	{"sprintf", "format with the xdrv_msg_* helpers"},
	{"snprintf", "format with the xdrv_msg_* helpers"},
	{"vprintf", "format with the xdrv_msg_* helpers and log with xdrv_log()"},
	{"puts", "log with xdrv_log()"},
	{"malloc", "use xdrv_mem_alloc()"},
	{"calloc", "use xdrv_mem_alloc() (it returns zeroed memory) "},
	{"realloc", "allocate a new block with xdrv_mem_alloc() and copy"},
	{"free", "use xdrv_mem_free()"},
	{"usleep", "use xdrv_delay_us()"},
	{"sleep", "use xdrv_delay_us()"},
	{"nanosleep", "use xdrv_delay_us()"},
	{"udelay", "use xdrv_delay_us()"},
	{"time", "use xdrv_time_ns()"},
	{"clock_gettime", "use xdrv_time_ns()"},
	{"gettimeofday", "use xdrv_time_ns()"},
	{"inb", "use xdrv_io_read8() on a port I/O region"},
	{"outb", "use xdrv_io_write8() on a port I/O region"},
	{"abort", "return a negative XDRV_E* status"},
	{"exit", "return a negative XDRV_E* status"},
	{"__stack_chk_fail", "build with `xdrv build` (no stack protector)"},
	{"__assert_fail", "check and return a negative XDRV_E* status"},
	/* compiler runtime helpers (see "compiler runtime helpers" below), declared by hand */
	{"__udivti3", "divide in 64 bits (128-bit division is a compiler runtime helper)"},
	{"__divti3", "divide in 64 bits (128-bit division is a compiler runtime helper)"},
	{"__umodti3", "divide in 64 bits (128-bit division is a compiler runtime helper)"},
	{"__modti3", "divide in 64 bits (128-bit division is a compiler runtime helper)"},
	{"fmod", "compute the remainder in integers"},
	{"fmodf", "compute the remainder in integers"},
};

/* C math library functions: not ABI symbols, but some have a builtin that needs none. */
static const char *const math_names[] = {
	"sqrt",	 "sin",	  "cos",       "tan",	"asin",	   "acos",   "atan", "atan2",
	"sinh",	 "cosh",  "tanh",      "exp",	"exp2",	   "expm1",  "log",  "log2",
	"log10", "log1p", "pow",       "cbrt",	"hypot",   "floor",  "ceil", "trunc",
	"round", "rint",  "nearbyint", "fabs",	"fmin",	   "fmax",   "fma",  "ldexp",
	"frexp", "modf",  "lround",    "lrint", "llround", "llrint",
};

struct lint {
	LLVMModuleRef m;
	bool ext;     /* a packet extension: extension ABI and profile (sdk/lint_ext.c) */
	bool patch;   /* a live patch (sdk_lint_patch): no descriptor, base references allowed */
	uint32_t abi; /* the driver ABI version, or the extension ABI's when ext */
	char abi_str[16];
	struct sdk_buf out;
	unsigned long dropped; /* problems past LINT_MAX_PROBLEMS */
	unsigned portable_ids[N_PORTABLE];
	unsigned id_stacksave, id_stackrestore;
	unsigned k_naked;
	unsigned k_byval, k_sret, k_inalloca, k_prealloc;
	unsigned abi_attr_kinds[N_ABI_ATTRS];
	LLVMModuleRef protos; /* the ABI's prototypes (sdk_abi_prototypes), in m's context */
	char names[4][LINT_NAME_MAX + 8]; /* rotating buffers for printable names */
	unsigned next_name;
	const char *unit; /* sdk_lint_diag: the fallback place; NULL: no place prefix */
	LLVMValueRef at;  /* the instruction or function being checked, for its debug location */
};

/* "file:line:col: error: " for l->at from its debug info (col only for instructions), or
 * "UNIT: error: " without; the file name is printable-filtered and bounded like value names. */
static void place(struct lint *l, char *out, size_t outlen)
{
	unsigned flen = 0, line = 0, col = 0;
	const char *file = NULL;
	LLVMValueRef v = l->at;
	/* LLVMGetDebugLoc* accept instructions, functions and global variables only */
	if (v && (LLVMIsAInstruction(v) || LLVMIsAFunction(v) || LLVMIsAGlobalVariable(v))) {
		file = LLVMGetDebugLocFilename(v, &flen);
		line = file && flen ? LLVMGetDebugLocLine(v) : 0;
		col = line && LLVMIsAInstruction(v) ? LLVMGetDebugLocColumn(v) : 0;
	}
	if (!file || flen == 0 || line == 0) {
		snprintf(out, outlen, "%s: error: ", l->unit);
		return;
	}
	/* clang splits a source path into a directory and a name relative to it (for an absolute
	 * path outside the compilation folder, their common prefix and the rest): join them again,
	 * then show the path relative to this process's folder when it is inside it, as typed */
	unsigned dlen = 0;
	const char *dir = file[0] != '/' ? LLVMGetDebugLocDirectory(v, &dlen) : NULL;
	char full[2 * LINT_NAME_MAX + 8], cwd[LINT_NAME_MAX + 8];
	if (dir && dlen)
		snprintf(full, sizeof full, "%.*s/%.*s", (int)dlen, dir, (int)flen, file);
	else
		snprintf(full, sizeof full, "%.*s", (int)flen, file);
	const char *shown = full;
	size_t cl = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
	if (cl > 1 && strncmp(full, cwd, cl) == 0 && full[cl] == '/')
		shown = full + cl + 1;
	char f[LINT_NAME_MAX + 8];
	size_t o = 0;
	for (size_t i = 0; shown[i] && o < LINT_NAME_MAX; i++)
		f[o++] = (shown[i] >= 0x20 && shown[i] < 0x7f) ? shown[i] : '?';
	f[o] = 0;
	if (col)
		snprintf(out, outlen, "%s:%u:%u: error: ", f, line, col);
	else
		snprintf(out, outlen, "%s:%u: error: ", f, line);
}

__attribute__((format(printf, 2, 3))) static void problem(struct lint *l, const char *fmt, ...)
{
	if (l->out.lines >= LINT_MAX_PROBLEMS) {
		l->dropped++;
		return;
	}
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	char where[LINT_NAME_MAX + 64] = "";
	if (l->unit)
		place(l, where, sizeof where);
	sdk_buf_line(&l->out, "%s%s", where, line);
}

/* The kind's symbol list: the driver ABI's or the extension ABI's. */
static uint32_t symbol_version(const struct lint *l, const char *name)
{
	return l->ext ? sdk_ext_symbol_version(name) : sdk_abi_symbol_version(name);
}

/* A value's name, printable and bounded (names in bitcode are arbitrary bytes). */
static const char *vname(struct lint *l, LLVMValueRef v)
{
	char *b = l->names[l->next_name++ % 4];
	size_t len = 0;
	const char *n = v ? LLVMGetValueName2(v, &len) : NULL;
	if (!n || len == 0) {
		snprintf(b, LINT_NAME_MAX, "<unnamed>");
		return b;
	}
	size_t o = 0;
	for (size_t i = 0; i < len && o < LINT_NAME_MAX; i++)
		b[o++] = (n[i] > 0x20 && n[i] < 0x7f) ? n[i] : '?';
	if (len > LINT_NAME_MAX) {
		memcpy(b + o, "...", 3);
		o += 3;
	}
	b[o] = 0;
	return b;
}

/* A C string from the module (a section name), printable and bounded like value names. */
static const char *printable(struct lint *l, const char *s)
{
	char *b = l->names[l->next_name++ % 4];
	size_t o = 0, i = 0;
	for (; s[i] && o < LINT_NAME_MAX; i++)
		b[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	if (s[i]) {
		memcpy(b + o, "...", 3);
		o += 3;
	}
	b[o] = 0;
	return b;
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t pl = strlen(p);
	return len >= pl && memcmp(s, p, pl) == 0;
}

static bool is_intrinsic_name(LLVMValueRef f)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(f, &len);
	return n && has_prefix(n, len, "llvm.");
}

/* ---- types ---------------------------------------------------------------------------- */

static const char *aggregate_kind(LLVMTypeRef t)
{
	switch (LLVMGetTypeKind(t)) {
	case LLVMStructTypeKind:
		return "a struct";
	case LLVMArrayTypeKind:
		return "an array";
	case LLVMVectorTypeKind:
	case LLVMScalableVectorTypeKind:
		return "a vector";
	default:
		return NULL;
	}
}

/* The first non-portable type inside t (x86_fp80, fp128, ppc_fp128, x86_mmx/amx, target
 * extension types, scalable vectors), or NULL. */
static const char *bad_type(LLVMTypeRef t, int depth)
{
	if (!t || depth > 32)
		return NULL;
	switch (LLVMGetTypeKind(t)) {
	case LLVMX86_FP80TypeKind:
		return "x86_fp80";
	case LLVMFP128TypeKind:
		return "fp128";
	case LLVMPPC_FP128TypeKind:
		return "ppc_fp128";
	case LLVMX86_MMXTypeKind:
		return "x86_mmx";
	case LLVMX86_AMXTypeKind:
		return "x86_amx";
	case LLVMTargetExtTypeKind:
		return "a target extension type";
	case LLVMScalableVectorTypeKind:
		return "a scalable vector";
	case LLVMHalfTypeKind:
		return "half";
	case LLVMBFloatTypeKind:
		return "bfloat";
	case LLVMArrayTypeKind:
	case LLVMVectorTypeKind:
		return bad_type(LLVMGetElementType(t), depth + 1);
	case LLVMStructTypeKind: {
		unsigned n = LLVMCountStructElementTypes(t);
		for (unsigned i = 0; i < n; i++) {
			const char *b = bad_type(LLVMStructGetTypeAtIndex(t, i), depth + 1);
			if (b)
				return b;
		}
		return NULL;
	}
	case LLVMFunctionTypeKind: {
		const char *b = bad_type(LLVMGetReturnType(t), depth + 1);
		unsigned n = LLVMCountParamTypes(t);
		if (b || n == 0)
			return b;
		LLVMTypeRef *ps = calloc(n, sizeof *ps);
		if (!ps)
			return NULL;
		LLVMGetParamTypes(t, ps);
		for (unsigned i = 0; i < n && !b; i++)
			b = bad_type(ps[i], depth + 1);
		free(ps);
		return b;
	}
	default:
		return NULL;
	}
}

static void check_type(struct lint *l, const char *who, LLVMTypeRef t)
{
	const char *b = bad_type(t, 0);
	if (b && (strcmp(b, "half") == 0 || strcmp(b, "bfloat") == 0))
		/* clang refuses _Float16 and __bf16 for the profile; hand-written IR can have them
		 */
		problem(l,
			"%s: uses %s: hosts without 16-bit floating point convert it with compiler "
			"runtime helpers (__extendhfsf2, __truncdfhf2, __truncsfbf2), which the "
			"driver ABI does not provide: use float",
			who, b);
	else if (b)
		problem(l,
			"%s: uses %s: use double or fixed-width integers (the type exists on one "
			"target only)",
			who, b);
}

/* ---- signatures ------------------------------------------------------------------------- */

/* Aggregates and by-value attributes of a signature that crosses the driver's boundary (the
 * calling convention of every function and call: check_cc). `fn` is the function (attributes read
 * from it) or NULL; `call` the call instruction (call-site attributes) or NULL. `where` says which
 * boundary. */
static void check_signature(struct lint *l, const char *who, const char *where, LLVMTypeRef fty,
			    LLVMValueRef fn, LLVMValueRef call)
{
	const char *k = aggregate_kind(LLVMGetReturnType(fty));
	if (k)
		problem(l,
			"%s: returns %s by value (%s): return a status and fill a caller-provided "
			"pointer",
			who, k, where);
	unsigned n = LLVMCountParamTypes(fty);
	LLVMTypeRef *ps = n ? calloc(n, sizeof *ps) : NULL;
	if (n && !ps)
		return;
	if (n)
		LLVMGetParamTypes(fty, ps);
	for (unsigned i = 0; i < n; i++) {
		k = aggregate_kind(ps[i]);
		if (k)
			problem(l,
				"%s: parameter %u is %s passed by value (%s): pass a pointer to it",
				who, i + 1, k, where);
	}
	free(ps);
	if (call)
		n = LLVMGetNumArgOperands(call);
	else if (fn)
		n = LLVMCountParams(fn);
	static const char *const by_names[] = {"byval", "sret", "inalloca", "preallocated"};
	const unsigned kinds[] = {l->k_byval, l->k_sret, l->k_inalloca, l->k_prealloc};
	for (unsigned i = 0; (fn || call) && i < n; i++) {
		for (unsigned j = 0; j < 4; j++) {
			if (!kinds[j])
				continue;
			LLVMAttributeRef a =
				call ? LLVMGetCallSiteEnumAttribute(call, i + 1, kinds[j])
				     : LLVMGetEnumAttributeAtIndex(fn, i + 1, kinds[j]);
			if (!a)
				continue;
			if (j == 1)
				problem(l,
					"%s: returns a struct through a hidden sret pointer (%s): "
					"return a status and fill a caller-provided pointer",
					who, where);
			else
				problem(l,
					"%s: parameter %u is passed %s, a struct copied by value "
					"(%s): pass a pointer to it",
					who, i + 1, by_names[j], where);
		}
	}
}

/* ---- calling conventions ---------------------------------------------------------------- */

/* The IR's name of a calling convention (llvm/IR/CallingConv.h), or NULL for one without. */
static const char *cc_name(unsigned cc)
{
	static const struct {
		unsigned cc;
		const char *name;
	} names[] = {
		{8, "fastcc"},
		{9, "coldcc"},
		{10, "ghccc"},
		{13, "anyregcc"},
		{14, "preserve_mostcc"},
		{15, "preserve_allcc"},
		{16, "swiftcc"},
		{17, "cxx_fast_tlscc"},
		{18, "tailcc"},
		{19, "cfguard_checkcc"},
		{20, "swifttailcc"},
		{21, "preserve_nonecc"},
		{64, "x86_stdcallcc"},
		{65, "x86_fastcallcc"},
		{66, "arm_apcscc"},
		{67, "arm_aapcscc"},
		{68, "arm_aapcs_vfpcc"},
		{70, "x86_thiscallcc"},
		{78, "x86_64_sysvcc"},
		{79, "win64cc"},
		{80, "x86_vectorcallcc"},
		{83, "x86_intrcc"},
		{97, "aarch64_vector_pcs"},
		{98, "aarch64_sve_vector_pcs"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].cc == cc)
			return names[i].name;
	return NULL;
}

/*
 * Every function, import and call uses the C calling convention. The others are target-specific
 * (a back end that lacks one stops the loader's process with "LLVM ERROR"), change which
 * registers survive a call (ghccc, anyregcc, preserve_*cc) or how a function returns
 * (x86_intrcc returns with iretq), and none is reachable from the profile's C but by attributes
 * the SDK refuses. fastcc and coldcc are what LLVM's optimizer gives internal functions itself,
 * after this check (the SDK compiles with -disable-llvm-passes, the loader lints before it
 * optimizes): bitcode that arrives with them was not written by `xdrv build`.
 */
static void check_cc(struct lint *l, const char *who, unsigned cc, const char *what)
{
	if (cc == LLVMCCallConv)
		return;
	const char *n = cc_name(cc);
	char ccs[32];
	if (n)
		snprintf(ccs, sizeof ccs, "%s (%u)", n, cc);
	else
		snprintf(ccs, sizeof ccs, "cc %u", cc);
	problem(l,
		"%s: %s calling convention %s: use the default C calling convention (no "
		"__attribute__((ms_abi/regparm/preserve_most/...)))",
		who, what, ccs);
}

/* ---- prototypes ---------------------------------------------------------------------------- */

/* The ABI-shaping attributes (abi_attrs, as a bit mask) at index idx (0: the result, i + 1:
 * parameter i) of the declaration fn and/or the call site call (either may be NULL). */
static unsigned attr_mask(const struct lint *l, LLVMValueRef fn, LLVMValueRef call, unsigned idx)
{
	unsigned mask = 0;
	for (size_t k = 0; k < N_ABI_ATTRS; k++) {
		unsigned kind = l->abi_attr_kinds[k];
		if (kind && ((fn && LLVMGetEnumAttributeAtIndex(fn, idx, kind)) ||
			     (call && LLVMGetCallSiteEnumAttribute(call, idx, kind))))
			mask |= 1u << k;
	}
	return mask;
}

/* The ABI's prototype of the import f, or NULL if f's name is not in the symbol list. */
static LLVMValueRef abi_proto(const struct lint *l, LLVMValueRef f)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(f, &len);
	/* an embedded NUL would make the lookup see another name */
	if (!l->protos || !n || strlen(n) != len || symbol_version(l, n) == 0)
		return NULL;
	return LLVMGetNamedFunction(l->protos, n);
}

/* Does the function type fty, with the attributes of the declaration fn and/or the call site
 * call, pass arguments and the result exactly as the ABI's prototype ref does? Both modules are
 * in one context, where LLVM keeps one object per function type: same type, same pointer. */
static bool proto_matches(const struct lint *l, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef call,
			  LLVMValueRef ref)
{
	if (fty != LLVMGlobalGetValueType(ref))
		return false;
	unsigned n = LLVMCountParamTypes(fty); /* the ABI's count: a handful */
	for (unsigned i = 0; i <= n; i++)
		if (attr_mask(l, fn, call, i) != attr_mask(l, ref, NULL, i))
			return false;
	return true;
}

/* Append s to out (outlen bytes, *o used), printable-filtered; false once out is full. */
static bool cat(char *out, size_t outlen, size_t *o, const char *s)
{
	for (; *s; s++) {
		if (*o + 1 >= outlen)
			return false;
		out[(*o)++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	}
	out[*o] = 0;
	return true;
}

static bool cat_type(char *out, size_t outlen, size_t *o, LLVMTypeRef t)
{
	char *ts = LLVMPrintTypeToString(t);
	bool ok = cat(out, outlen, o, ts ? ts : "?");
	LLVMDisposeMessage(ts);
	return ok;
}

static bool cat_attrs(char *out, size_t outlen, size_t *o, unsigned mask, bool before)
{
	bool ok = true;
	for (size_t k = 0; k < N_ABI_ATTRS && ok; k++)
		if (mask & (1u << k))
			ok = cat(out, outlen, o, before ? "" : " ") &&
			     cat(out, outlen, o, abi_attrs[k]) &&
			     cat(out, outlen, o, before ? " " : "");
	return ok;
}

/* A prototype as the IR writes it, with the attributes that shape the ABI, e.g.
 * "zeroext i8 (ptr, i64)" or "void (ptr, i64, i8 zeroext)"; cut with "..." at outlen. */
static void proto_str(const struct lint *l, LLVMTypeRef fty, LLVMValueRef fn, LLVMValueRef call,
		      char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = 0;
	unsigned n = LLVMCountParamTypes(fty);
	LLVMTypeRef *ps = n ? calloc(n, sizeof *ps) : NULL;
	if (n && !ps) {
		snprintf(out, outlen, "(out of memory)");
		return;
	}
	if (n)
		LLVMGetParamTypes(fty, ps);
	bool ok = cat_attrs(out, outlen, &o, attr_mask(l, fn, call, 0), true) &&
		  cat_type(out, outlen, &o, LLVMGetReturnType(fty)) && cat(out, outlen, &o, " (");
	for (unsigned i = 0; i < n && ok; i++)
		ok = (i == 0 || cat(out, outlen, &o, ", ")) && cat_type(out, outlen, &o, ps[i]) &&
		     cat_attrs(out, outlen, &o, attr_mask(l, fn, call, i + 1), false);
	free(ps);
	if (ok && LLVMIsFunctionVarArg(fty))
		ok = cat(out, outlen, &o, n ? ", ..." : "...");
	if (ok)
		ok = cat(out, outlen, &o, ")");
	if (!ok && outlen > 4)
		memcpy(out + outlen - 4, "...", 4);
}

/* An ABI import declared with another prototype than the ABI's: the host would read its
 * arguments from the wrong registers, or widths, or read a result that was never written. */
static void check_import_prototype(struct lint *l, const char *who, LLVMValueRef f,
				   const char *used)
{
	LLVMValueRef ref = abi_proto(l, f);
	if (!ref) {
		/* every listed symbol has one (sdk/abi_protos.c.in takes each one's address) */
		problem(l, "%s: import without an ABI prototype in this SDK: rebuild the SDK", who);
		return;
	}
	LLVMTypeRef fty = LLVMGlobalGetValueType(f);
	if (proto_matches(l, fty, f, NULL, ref))
		return;
	char found[LINT_PROTO_MAX], want[LINT_PROTO_MAX];
	proto_str(l, fty, f, NULL, found, sizeof found);
	proto_str(l, LLVMGlobalGetValueType(ref), ref, NULL, want, sizeof want);
	problem(l,
		"%s: import prototype %s does not match the ABI's %s%s: use the declaration of "
		"<xdrv/abi.h>, not one of your own",
		who, found, want, used);
}

/* A call of an ABI import through a function type other than the declaration's (a cast
 * function pointer, or two files declaring it differently) or with ABI-shaping attributes of
 * its own: what counts is the call's type and attributes. One with the declaration's own type
 * and nothing added is judged with the declaration. */
static void check_import_call(struct lint *l, const char *who, LLVMValueRef call, LLVMValueRef fn,
			      LLVMTypeRef fty)
{
	LLVMValueRef ref = abi_proto(l, fn);
	if (!ref)
		return; /* not an ABI import, or without a prototype: reported with the import */
	bool own = LLVMGlobalGetValueType(fn) == fty;
	if (own) {
		/* the call inherits the declaration's attributes; only what it adds is its own */
		bool adds = false;
		unsigned n = LLVMCountParamTypes(fty);
		for (unsigned i = 0; i <= n && !adds; i++)
			adds = (attr_mask(l, NULL, call, i) & ~attr_mask(l, fn, NULL, i)) != 0;
		if (!adds)
			return;
	}
	/* a call through another type than the callee's does not take the callee's attributes */
	if (proto_matches(l, fty, own ? fn : NULL, call, ref))
		return;
	char found[LINT_PROTO_MAX], want[LINT_PROTO_MAX];
	proto_str(l, fty, own ? fn : NULL, call, found, sizeof found);
	proto_str(l, LLVMGlobalGetValueType(ref), ref, NULL, want, sizeof want);
	problem(l,
		"%s: calls %s through prototype %s, which does not match the ABI's %s: call it "
		"as <xdrv/abi.h> declares it, without casting the function",
		who, vname(l, fn), found, want);
}

/* ---- imports ------------------------------------------------------------------------------ */

static const char *advice_for(const char *name)
{
	for (size_t i = 0; i < sizeof import_advice / sizeof import_advice[0]; i++)
		if (strcmp(import_advice[i].name, name) == 0)
			return import_advice[i].instead;
	if (strncmp(name, "__atomic_", 9) == 0)
		return "clang calls the atomic library for an atomic object larger than 8 bytes or "
		       "not aligned to its size: use naturally aligned atomics of 1, 2, 4 or 8 "
		       "bytes";
	size_t nl = strlen(name);
	for (size_t i = 0; i < sizeof math_names / sizeof math_names[0]; i++) {
		size_t ml = strlen(math_names[i]);
		if (strncmp(name, math_names[i], ml) == 0 &&
		    (nl == ml || (nl == ml + 1 && name[ml] == 'f')))
			return "the C math library is not part of the ABI: __builtin_floor, "
			       "__builtin_ceil, __builtin_trunc, __builtin_round, __builtin_fabs "
			       "and "
			       "__builtin_elementwise_sqrt compile to instructions; write anything "
			       "else in the driver";
	}
	if (strncmp(name, "str", 3) == 0 || strncmp(name, "mem", 3) == 0)
		return "write it as a static function in the driver (the ABI exports only memcpy, "
		       "memmove and memset)";
	return "use only symbols that `xdrv abi` lists, or define the function in the driver";
}

/* Up to three functions that use `f`, for the message. */
static void users_of(struct lint *l, LLVMValueRef f, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned n = 0;
	out[0] = 0;
	for (LLVMUseRef u = LLVMGetFirstUse(f); u && n < 4; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (!LLVMIsAInstruction(user))
			continue;
		LLVMValueRef p = LLVMGetBasicBlockParent(LLVMGetInstructionParent(user));
		const char *pn = vname(l, p);
		if (strstr(out, pn))
			continue;
		int w = snprintf(out + o, outlen - o, "%s%s", n ? ", " : "", n == 3 ? "..." : pn);
		if (w < 0 || (size_t)w >= outlen - o)
			break;
		o += (size_t)w;
		n++;
	}
}

/* The first instruction using f that has a debug location, else f itself. */
static LLVMValueRef first_located_use(LLVMValueRef f)
{
	unsigned n = 0;
	for (LLVMUseRef u = LLVMGetFirstUse(f); u && n < 64; u = LLVMGetNextUse(u), n++) {
		LLVMValueRef user = LLVMGetUser(u);
		unsigned len = 0;
		if (LLVMIsAInstruction(user) && LLVMGetDebugLocFilename(user, &len) && len)
			return user;
	}
	return f;
}

static void check_import(struct lint *l, LLVMValueRef f)
{
	l->at = first_located_use(f);
	char who[LINT_NAME_MAX + 32];
	size_t len = 0;
	const char *raw = LLVMGetValueName2(f, &len);
	snprintf(who, sizeof who, "function %s", vname(l, f));
	const char *name = who + strlen("function "); /* vname's buffers rotate: keep a copy */
	char users[3 * LINT_NAME_MAX + 16];
	users_of(l, f, users, sizeof users);
	char used[sizeof users + 16] = "";
	if (users[0])
		snprintf(used, sizeof used, " (used by %s)", users);

	/* an embedded NUL would make strcmp see another name: such a name is never in the list */
	uint32_t introduced = (raw && strlen(raw) == len) ? symbol_version(l, raw) : 0;
	if (introduced == 0 && l->ext) {
		problem(l,
			"%s: import not in the xdrv extension ABI %s symbol list%s: an extension "
			"calls only what <xdrv/ext.h> declares (ext_symbols.def: the packet "
			"accessors, the table functions, memcpy/memmove/memset); write anything "
			"else in the extension",
			who, l->abi_str, used);
	} else if (introduced == 0 && l->patch) {
		/* a patch's reference to a function of its base: sdk_patch_check resolves it */
	} else if (introduced == 0) {
		problem(l, "%s: import not in the xdrv ABI %s symbol list%s: %s", who, l->abi_str,
			used, advice_for(name));
	} else if (introduced > l->abi) {
		char v[16];
		sdk_abi_version_str(introduced, v, sizeof v);
		problem(l,
			"%s: import introduced in ABI %s, but the driver declares ABI %s%s: build "
			"against the newer headers (XDRV_ABI_WANT) or avoid it",
			who, v, l->abi_str, used);
	}
	if (introduced != 0)
		check_import_prototype(l, who, f, used);
	LLVMTypeRef fty = LLVMGlobalGetValueType(f);
	if (LLVMIsFunctionVarArg(fty))
		problem(l,
			"%s: variadic import: variadic calls do not port; use a fixed parameter "
			"list "
			"(for logging: xdrv_msg_* helpers and xdrv_log())",
			who);
	check_signature(l, who, "ABI import", fty, f, NULL);
	check_cc(l, who, LLVMGetFunctionCallConv(f), "declared with");
	check_type(l, who, fty);
}

/* ---- intrinsics ------------------------------------------------------------------------- */

static void check_intrinsic_call(struct lint *l, const char *who, LLVMValueRef callee)
{
	unsigned id = LLVMGetIntrinsicID(callee);
	for (size_t i = 0; id && i < N_PORTABLE; i++)
		if (l->portable_ids[i] == id)
			return;
	size_t len = 0;
	const char *n = LLVMGetValueName2(callee, &len);
	const char *name = vname(l, callee);
	if (has_prefix(n, len, "llvm.va_start") || has_prefix(n, len, "llvm.va_end") ||
	    has_prefix(n, len, "llvm.va_copy")) {
		problem(l,
			"%s: variadic arguments (%s): pass a fixed parameter list, e.g. a pointer "
			"and "
			"a count",
			who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.readcyclecounter") ||
	    has_prefix(n, len, "llvm.readsteadycounter")) {
		problem(l, "%s: reads a CPU counter (%s): use xdrv_time_ns()", who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.returnaddress") || has_prefix(n, len, "llvm.frameaddress") ||
	    has_prefix(n, len, "llvm.addressofreturnaddress") ||
	    has_prefix(n, len, "llvm.sponentry")) {
		problem(l, "%s: reads the machine stack frame (%s): not portable; remove it", who,
			name);
		return;
	}
	if (has_prefix(n, len, "llvm.debugtrap") || has_prefix(n, len, "llvm.ubsantrap")) {
		/* a breakpoint for a debugger (int3/brk) or a sanitizer's check: not a way for a
		 * driver to fail; llvm.trap (__builtin_trap) stays allowed as a last resort */
		problem(l,
			"%s: trap intrinsic %s: return a negative XDRV_E* status (e.g. XDRV_EIO) "
			"instead; build without -fsanitize-trap",
			who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.canonicalize")) {
		/* clang's __builtin_canonicalize; "LLVM ERROR: Cannot select" in every back end */
		problem(l,
			"%s: %s (__builtin_canonicalize): LLVM 19 cannot compile it for any "
			"host, the loader's compiler would stop: remove it",
			who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.read_register") ||
	    has_prefix(n, len, "llvm.read_volatile_register") ||
	    has_prefix(n, len, "llvm.write_register")) {
		/* named registers are the host's: its stack and frame pointers, a thread pointer */
		problem(l,
			"%s: %s a machine register by name (%s): the registers belong to the host "
			"(writing the stack pointer moves the host's stack): remove it; keep "
			"values in variables",
			who, has_prefix(n, len, "llvm.write_") ? "writes" : "reads", name);
		return;
	}
	if (has_prefix(n, len, "llvm.localescape") || has_prefix(n, len, "llvm.localrecover")) {
		problem(l,
			"%s: %s (Windows SEH frame escape): other functions would reach into this "
			"function's stack frame: pass a pointer to the variable instead",
			who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.clear_cache")) {
		problem(l,
			"%s: %s (__builtin___clear_cache): drivers do not write code, the loader "
			"owns the code memory: remove it",
			who, name);
		return;
	}
	if (has_prefix(n, len, "llvm.eh.")) {
		problem(l, "%s: exception handling (%s): return a negative XDRV_E* status", who,
			name);
		return;
	}
	for (size_t i = 0; i < sizeof target_prefixes / sizeof target_prefixes[0]; i++) {
		if (has_prefix(n, len, target_prefixes[i])) {
			if (strstr(name, "pause") || strstr(name, "yield"))
				problem(l,
					"%s: target-specific intrinsic %s: to wait, use "
					"xdrv_delay_us()",
					who, name);
			else
				problem(l,
					"%s: target-specific intrinsic %s: write portable C; the "
					"loader optimizes for the host CPU",
					who, name);
			return;
		}
	}
	problem(l,
		"%s: intrinsic %s is not in the portable set: write portable C (sdk/README.md "
		"lists "
		"the allowed intrinsics)",
		who, name);
}

/* ---- compiler runtime helpers ----------------------------------------------------------- */
/*
 * A back end lowers a few IR operations to calls instead of instructions: to the compiler's runtime
 * library (libgcc/compiler-rt) or to the C library. The JIT links driver code against the ABI's
 * symbols and the loader's math helpers only (loader/README.md), so such a call fails at load with
 * "Symbols not found". Measured with LLVM 19's llc for every host of the profile (x86-64 baseline
 * and v3, arm64, ppc64el power8 and power10, riscv64 rv64gc; the table is in sdk/README.md):
 *   udiv/sdiv/urem/srem of integers wider than 64 bits   __udivti3 __divti3 __umodti3 __modti3
 *   fpto[su]i/[su]itofp and llvm.fpto[su]i.sat, same    __fix[uns]{s,d}fti __float[un]ti{s,d}f
 *   llvm.smul.with.overflow, same                        __muloti4 (arm64, riscv64)
 *   frem                                                 fmod, fmodf
 *   atomics of 16 bytes                                  __atomic_*_16 (x86-64 without
 *                                                        cmpxchg16b, riscv64)
 *   atomics of other sizes above 8, or misaligned        the generic __atomic_* (every host)
 * Above 128 bits the conversions stop LLVM 19 itself on arm64, ppc64el and riscv64; division is
 * refused from 65 bits on, one rule (clang cannot write integers wider than 128 bits for the
 * profile anyway). Multiplication, shifts, comparisons and bit operations of wide integers are
 * inline on every 64-bit host and stay allowed.
 */
#define LINT_WIDE_BITS 64 /* the widest integer every host of the profile divides and converts */

/* The width of an integer type, or of a vector's integer elements; 0 for anything else. */
static unsigned int_bits(LLVMTypeRef t)
{
	if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
		t = LLVMGetElementType(t);
	return LLVMGetTypeKind(t) == LLVMIntegerTypeKind ? LLVMGetIntTypeWidth(t) : 0;
}

/* The helpers' letter for float ('s') or double ('d'), of a scalar or a vector's elements. */
static char fp_letter(LLVMTypeRef t)
{
	if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
		t = LLVMGetElementType(t);
	switch (LLVMGetTypeKind(t)) {
	case LLVMFloatTypeKind:
		return 's';
	case LLVMDoubleTypeKind:
		return 'd';
	default:
		return 0;
	}
}

/* A first-class type as the IR writes it ("i128", "<2 x double>"), printable and bounded. */
static const char *type_str(struct lint *l, LLVMTypeRef t)
{
	char *b = l->names[l->next_name++ % 4];
	char *s = LLVMPrintTypeToString(t);
	size_t o = 0;
	for (size_t i = 0; s && s[i] && o < LINT_NAME_MAX; i++)
		b[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	b[o] = 0;
	LLVMDisposeMessage(s);
	return b;
}

static void check_wide_divide(struct lint *l, const char *who, LLVMValueRef i, LLVMOpcode op)
{
	unsigned w = int_bits(LLVMTypeOf(i));
	if (w <= LINT_WIDE_BITS)
		return;
	const char *opname = op == LLVMUDiv   ? "udiv"
			     : op == LLVMSDiv ? "sdiv"
			     : op == LLVMURem ? "urem"
					      : "srem";
	const char *helper = op == LLVMUDiv   ? "__udivti3"
			     : op == LLVMSDiv ? "__divti3"
			     : op == LLVMURem ? "__umodti3"
					      : "__modti3";
	const char *what = op == LLVMUDiv || op == LLVMSDiv ? "division" : "remainder";
	const char *ty = type_str(l, LLVMTypeOf(i));
	if (w <= 128)
		problem(l,
			"%s: %u-bit %s (%s %s) lowers to the compiler runtime helper %s, which the "
			"driver ABI does not provide: divide in 64 bits",
			who, w, what, opname, ty, helper);
	else
		problem(l,
			"%s: %u-bit %s (%s %s): drivers divide integers of at most 64 bits "
			"(from 65 to 128 bits the back end calls the compiler runtime helper "
			"%s, which the driver ABI does not provide): divide in 64 bits",
			who, w, what, opname, ty, helper);
}

/* A conversion between a floating-point type and an integer (opname: fptoui, fptosi, uitofp,
 * sitofp; the .sat intrinsics lower through fptoui/fptosi). */
static void check_wide_convert(struct lint *l, const char *who, const char *opname,
			       LLVMTypeRef from, LLVMTypeRef to)
{
	bool to_int = opname[0] == 'f';
	bool is_unsigned = strchr(opname, 'u') != NULL;
	unsigned w = int_bits(to_int ? to : from);
	if (w <= LINT_WIDE_BITS)
		return;
	char c = fp_letter(to_int ? from : to);
	char helper[32] = "a compiler runtime helper";
	if (c && to_int)
		snprintf(helper, sizeof helper, "__fix%s%cfti", is_unsigned ? "uns" : "", c);
	else if (c)
		snprintf(helper, sizeof helper, "__float%sti%cf", is_unsigned ? "un" : "", c);
	const char *fs = type_str(l, from), *ts = type_str(l, to);
	if (w <= 128)
		problem(l,
			"%s: conversion between floating point and a %u-bit integer (%s %s to %s) "
			"lowers to the compiler runtime helper %s, which the driver ABI does not "
			"provide: convert through a 64-bit integer",
			who, w, opname, fs, ts, helper);
	else
		problem(l,
			"%s: conversion between floating point and a %u-bit integer (%s %s to %s): "
			"LLVM 19 cannot compile it for arm64, ppc64el or riscv64 hosts: convert "
			"through a 64-bit integer",
			who, w, opname, fs, ts);
}

static void check_frem(struct lint *l, const char *who, LLVMValueRef i)
{
	LLVMTypeRef t = LLVMTypeOf(i);
	problem(l,
		"%s: floating-point remainder (frem %s) lowers to the C library's %s, which the "
		"driver ABI does not provide: compute the remainder in integers",
		who, type_str(l, t), fp_letter(t) == 's' ? "fmodf" : "fmod");
}

/* The __atomic_* helper an atomicrmw lowers to when it cannot be inline: the fetch_OP ones
 * exist for the integer operations, the rest become a compare-and-swap loop. */
static const char *rmw_helper(LLVMAtomicRMWBinOp op, const char **name)
{
	static const struct {
		LLVMAtomicRMWBinOp op;
		const char *ir, *helper;
	} ops[] = {
		{LLVMAtomicRMWBinOpXchg, "xchg", "exchange"},
		{LLVMAtomicRMWBinOpAdd, "add", "fetch_add"},
		{LLVMAtomicRMWBinOpSub, "sub", "fetch_sub"},
		{LLVMAtomicRMWBinOpAnd, "and", "fetch_and"},
		{LLVMAtomicRMWBinOpNand, "nand", "fetch_nand"},
		{LLVMAtomicRMWBinOpOr, "or", "fetch_or"},
		{LLVMAtomicRMWBinOpXor, "xor", "fetch_xor"},
		{LLVMAtomicRMWBinOpMax, "max", "compare_exchange"},
		{LLVMAtomicRMWBinOpMin, "min", "compare_exchange"},
		{LLVMAtomicRMWBinOpUMax, "umax", "compare_exchange"},
		{LLVMAtomicRMWBinOpUMin, "umin", "compare_exchange"},
		{LLVMAtomicRMWBinOpFAdd, "fadd", "compare_exchange"},
		{LLVMAtomicRMWBinOpFSub, "fsub", "compare_exchange"},
		{LLVMAtomicRMWBinOpFMax, "fmax", "compare_exchange"},
		{LLVMAtomicRMWBinOpFMin, "fmin", "compare_exchange"},
		{LLVMAtomicRMWBinOpUIncWrap, "uinc_wrap", "compare_exchange"},
		{LLVMAtomicRMWBinOpUDecWrap, "udec_wrap", "compare_exchange"},
	};
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (ops[k].op == op) {
			*name = ops[k].ir;
			return ops[k].helper;
		}
	*name = "?";
	return "compare_exchange";
}

/* atomicrmw, cmpxchg, and atomic load/store: inline only up to 8 bytes on every host of the
 * profile, and only when aligned to their size. */
static void check_atomic(struct lint *l, const char *who, LLVMValueRef i, LLVMOpcode op)
{
	LLVMTypeRef t;
	const char *helper, *rmw = NULL;
	switch (op) {
	case LLVMLoad:
		t = LLVMTypeOf(i);
		helper = "load";
		break;
	case LLVMStore:
		t = LLVMTypeOf(LLVMGetOperand(i, 0));
		helper = "store";
		break;
	case LLVMAtomicCmpXchg:
		t = LLVMTypeOf(LLVMGetOperand(i, 1));
		helper = "compare_exchange";
		break;
	default:
		t = LLVMTypeOf(i);
		helper = rmw_helper(LLVMGetAtomicRMWBinOp(i), &rmw);
		break;
	}
	unsigned long long size = LLVMStoreSizeOfType(LLVMGetModuleDataLayout(l->m), t);
	unsigned align = LLVMGetAlignment(i);
	if (size <= 8 && align >= size)
		return;
	char what[LINT_NAME_MAX + 40];
	const char *ty = type_str(l, t);
	if (op == LLVMLoad || op == LLVMStore)
		snprintf(what, sizeof what, "%s atomic %s", helper, ty);
	else if (op == LLVMAtomicCmpXchg)
		snprintf(what, sizeof what, "cmpxchg %s", ty);
	else
		snprintf(what, sizeof what, "atomicrmw %s %s", rmw, ty);
	if (size == 16 && align >= 16) {
		problem(l,
			"%s: 16-byte atomic operation (%s) lowers to the compiler runtime helper "
			"__atomic_%s_16 on hosts without a 16-byte compare-and-swap "
			"(x86-64 without cmpxchg16b, riscv64), which the driver ABI does "
			"not provide: use atomics of at most 8 bytes, or a lock",
			who, what, helper);
		return;
	}
	/* the generic helpers: __atomic_load/store/exchange, the rest a compare-and-swap loop */
	bool own = strcmp(helper, "load") == 0 || strcmp(helper, "store") == 0 ||
		   strcmp(helper, "exchange") == 0;
	problem(l,
		"%s: atomic operation on %llu bytes aligned to %u (%s) lowers to the C library's "
		"generic __atomic_%s on every host, which the driver ABI does not provide: use a "
		"naturally aligned atomic of 1, 2, 4 or 8 bytes",
		who, size, align, what, own ? helper : "compare_exchange");
}

/* Portable intrinsics that still reach a compiler runtime helper for wide integers. */
static void check_intrinsic_limits(struct lint *l, const char *who, LLVMValueRef call,
				   LLVMValueRef callee)
{
	size_t len = 0;
	const char *n = LLVMGetValueName2(callee, &len);
	if (LLVMGetNumArgOperands(call) < 1)
		return;
	LLVMTypeRef arg = LLVMTypeOf(LLVMGetOperand(call, 0));
	if (has_prefix(n, len, "llvm.fptosi.sat."))
		check_wide_convert(l, who, "fptosi", arg, LLVMTypeOf(call));
	else if (has_prefix(n, len, "llvm.fptoui.sat."))
		check_wide_convert(l, who, "fptoui", arg, LLVMTypeOf(call));
	else if (has_prefix(n, len, "llvm.smul.with.overflow.") && int_bits(arg) > LINT_WIDE_BITS)
		problem(l,
			"%s: %u-bit signed multiplication with overflow check (%s) lowers to the "
			"compiler runtime helper __muloti4 on arm64 and riscv64 hosts, which the "
			"driver ABI does not provide: check the product in 64 bits",
			who, int_bits(arg), vname(l, callee));
}

/* ---- llvm.stackrestore ------------------------------------------------------------------- */
/*
 * llvm.stackrestore sets the stack pointer to its operand: with any other value than one that
 * llvm.stacksave returned in the same call of the function, a driver moves the host's stack
 * pointer where it likes (and the next `ret` jumps where that memory says). clang emits the pair
 * for variable-length arrays: the saved value goes through a slot, a static alloca:
 *   %saved_stack = alloca ptr              (entry block)
 *   %0 = call ptr @llvm.stacksave.p0()     store ptr %0, ptr %saved_stack
 *   %1 = load ptr, ptr %saved_stack        call void @llvm.stackrestore.p0(ptr %1)
 * Accepted: the operand is a stacksave call, or a load from a slot in the entry block whose
 * every use is a load from it or a store of a stacksave call into it, with a store on every path
 * from the entry to that load (else the load reads whatever the stack held before).
 */
#define LINT_CFG_WORK_MAX (1u << 22) /* block visits of the dataflow before it gives up */

static bool is_intrinsic_call(LLVMValueRef v, unsigned id)
{
	if (!id || !v || !LLVMIsACallInst(v))
		return false;
	LLVMValueRef c = LLVMGetCalledValue(v);
	return c && LLVMIsAFunction(c) && LLVMGetIntrinsicID(c) == id;
}

/* Is every use of the alloca slot a plain load from it or a store of a stacksave into it? */
static bool slot_only_holds_stacksaves(const struct lint *l, LLVMValueRef slot)
{
	for (LLVMUseRef u = LLVMGetFirstUse(slot); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (LLVMIsALoadInst(user) && LLVMGetOperand(user, 0) == slot)
			continue;
		if (LLVMIsAStoreInst(user) && LLVMGetOperand(user, 1) == slot &&
		    LLVMGetOperand(user, 0) != slot &&
		    is_intrinsic_call(LLVMGetOperand(user, 0), l->id_stacksave))
			continue;
		return false;
	}
	return true;
}

static bool stores_to(LLVMValueRef i, LLVMValueRef slot)
{
	return LLVMIsAStoreInst(i) && LLVMGetOperand(i, 1) == slot;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

/* Is there a store to slot on every path from f's entry to the instruction load? A must-
 * dataflow over the blocks: in[B] = AND of out[P] over B's predecessors, in[entry] = false,
 * out[B] = in[B] or B stores. 1: yes, 0: no, -1: out of memory or too large to tell. */
static int stored_on_every_path(LLVMValueRef f, LLVMValueRef slot, LLVMValueRef load)
{
	unsigned nb = LLVMCountBasicBlocks(f);
	if (nb == 0)
		return 0;
	LLVMBasicBlockRef *bbs = calloc(nb, sizeof *bbs), *sorted = calloc(nb, sizeof *sorted);
	unsigned *idx = calloc(nb, sizeof *idx);
	bool *in = calloc(nb, 1), *stores = calloc(nb, 1);
	int rc = -1;
	if (!bbs || !sorted || !idx || !in || !stores)
		goto out;
	LLVMGetBasicBlocks(f, bbs);
	memcpy(sorted, bbs, nb * sizeof *bbs);
	qsort(sorted, nb, sizeof *sorted, cmp_ptr);
	for (unsigned b = 0; b < nb; b++) {
		LLVMBasicBlockRef *p = bsearch(&bbs[b], sorted, nb, sizeof *sorted, cmp_ptr);
		idx[p - sorted] = b; /* sorted position -> block number */
		in[b] = b != 0;
		for (LLVMValueRef i = LLVMGetFirstInstruction(bbs[b]); i && !stores[b];
		     i = LLVMGetNextInstruction(i))
			stores[b] = stores_to(i, slot);
	}
	unsigned long work = 0;
	for (bool changed = true; changed;) {
		changed = false;
		for (unsigned b = 0; b < nb; b++) {
			bool out = in[b] || stores[b];
			LLVMValueRef t = LLVMGetBasicBlockTerminator(bbs[b]);
			unsigned ns = t ? LLVMGetNumSuccessors(t) : 0;
			if ((work += 1 + ns) > LINT_CFG_WORK_MAX)
				goto out;
			for (unsigned k = 0; k < ns && !out; k++) {
				LLVMBasicBlockRef s = LLVMGetSuccessor(t, k);
				LLVMBasicBlockRef *p =
					bsearch(&s, sorted, nb, sizeof *sorted, cmp_ptr);
				unsigned si = p ? idx[p - sorted] : 0;
				if (si != 0 && in[si]) {
					in[si] = false;
					changed = true;
				}
			}
		}
	}
	LLVMBasicBlockRef lb = LLVMGetInstructionParent(load);
	LLVMBasicBlockRef *p = bsearch(&lb, sorted, nb, sizeof *sorted, cmp_ptr);
	unsigned b = p ? idx[p - sorted] : 0;
	rc = p && in[b];
	for (LLVMValueRef i = LLVMGetFirstInstruction(lb); i && i != load && !rc;
	     i = LLVMGetNextInstruction(i))
		rc = stores_to(i, slot);
out:
	free(bbs);
	free(sorted);
	free(idx);
	free(in);
	free(stores);
	return rc;
}

static void check_stackrestore(struct lint *l, const char *who, LLVMValueRef call)
{
	LLVMValueRef v = LLVMGetNumArgOperands(call) ? LLVMGetOperand(call, 0) : NULL;
	if (is_intrinsic_call(v, l->id_stacksave))
		return;
	const char *why = "a value that no llvm.stacksave of this function returned";
	LLVMValueRef slot =
		v && LLVMIsALoadInst(v) ? LLVMIsAAllocaInst(LLVMGetOperand(v, 0)) : NULL;
	LLVMValueRef f = LLVMGetBasicBlockParent(LLVMGetInstructionParent(call));
	if (slot && LLVMGetInstructionParent(slot) == LLVMGetEntryBasicBlock(f) &&
	    slot_only_holds_stacksaves(l, slot)) {
		int rc = stored_on_every_path(f, slot, v);
		if (rc == 1)
			return;
		why = rc == 0 ? "a slot that may not hold a llvm.stacksave yet"
			      : "a slot the lint cannot follow (too many blocks)";
	}
	problem(l,
		"%s: llvm.stackrestore of %s: it would set the host's stack pointer to any value: "
		"leave stacksave/stackrestore to the compiler (variable-length arrays)",
		who, why);
}

/* ---- function bodies ---------------------------------------------------------------------- */

static bool is_call(LLVMValueRef i)
{
	return LLVMIsACallInst(i) || LLVMIsAInvokeInst(i) || LLVMIsACallBrInst(i);
}

/* Is f used other than as the callee of a direct call (stored, passed, in an initializer)? */
static bool address_taken(LLVMValueRef f)
{
	for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (!is_call(user) || LLVMGetCalledValue(user) != f)
			return true;
		unsigned n = LLVMGetNumArgOperands(user);
		for (unsigned k = 0; k < n; k++)
			if (LLVMGetOperand(user, k) == f)
				return true;
	}
	return false;
}

static void check_call(struct lint *l, const char *who, LLVMValueRef call)
{
	LLVMValueRef callee = LLVMGetCalledValue(call);
	LLVMTypeRef fty = LLVMGetCalledFunctionType(call);
	if (callee && LLVMIsAInlineAsm(callee)) {
		problem(l,
			"%s: inline assembly: use xdrv_io_read*()/xdrv_io_write*() for register "
			"and "
			"port I/O, xdrv_delay_us() to wait, or portable C",
			who);
		return;
	}
	LLVMValueRef fn = callee ? LLVMIsAFunction(callee) : NULL;
	char what[LINT_NAME_MAX + 32];
	if (fn)
		snprintf(what, sizeof what, "calls %s with", vname(l, fn));
	else
		snprintf(what, sizeof what, "indirect call with");
	check_cc(l, who, LLVMGetInstructionCallConv(call), what);
	if (fn && is_intrinsic_name(fn)) {
		check_intrinsic_call(l, who, fn);
		check_intrinsic_limits(l, who, call, fn);
		if (l->id_stackrestore && LLVMGetIntrinsicID(fn) == l->id_stackrestore)
			check_stackrestore(l, who, call);
		return;
	}
	if (fn && LLVMIsDeclaration(fn))
		check_import_call(l, who, call, fn, fty);
	if (fn && LLVMGlobalGetValueType(fn) == fty)
		return; /* direct call with the callee's own type: checked with the callee */
	/* indirect call, or a direct call through a mismatched prototype */
	const char *where = fn ? "call through a mismatched prototype" : "indirect call";
	if (LLVMIsFunctionVarArg(fty))
		problem(l, "%s: variadic %s: use a fixed parameter list", who, where);
	check_signature(l, who, where, fty, NULL, call);
	check_type(l, who, fty);
}

static void check_body(struct lint *l, LLVMValueRef f)
{
	char who[LINT_NAME_MAX + 32];
	snprintf(who, sizeof who, "function %s", vname(l, f));
	bool eh_reported = false;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb)) {
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
		     i = LLVMGetNextInstruction(i)) {
			unsigned dl = 0;
			/* an instruction without a location (clang's own) keeps the function's */
			l->at = LLVMGetDebugLocFilename(i, &dl) && dl ? i : f;
			LLVMOpcode op = LLVMGetInstructionOpcode(i);
			switch (op) {
			case LLVMVAArg:
				problem(l,
					"%s: va_arg: variadic arguments do not port; pass a fixed "
					"parameter list",
					who);
				break;
			case LLVMLandingPad:
			case LLVMResume:
			case LLVMCatchSwitch:
			case LLVMCatchPad:
			case LLVMCleanupPad:
			case LLVMCatchRet:
			case LLVMCleanupRet:
				if (!eh_reported)
					problem(l,
						"%s: exception handling: return a negative XDRV_E* "
						"status",
						who);
				eh_reported = true;
				break;
			case LLVMAlloca:
				check_type(l, who, LLVMGetAllocatedType(i));
				break;
			case LLVMUDiv:
			case LLVMSDiv:
			case LLVMURem:
			case LLVMSRem:
				check_wide_divide(l, who, i, op);
				break;
			case LLVMFPToUI:
			case LLVMFPToSI:
			case LLVMUIToFP:
			case LLVMSIToFP:
				check_wide_convert(l, who,
						   op == LLVMFPToUI   ? "fptoui"
						   : op == LLVMFPToSI ? "fptosi"
						   : op == LLVMUIToFP ? "uitofp"
								      : "sitofp",
						   LLVMTypeOf(LLVMGetOperand(i, 0)), LLVMTypeOf(i));
				break;
			case LLVMFRem:
				check_frem(l, who, i);
				break;
			case LLVMAtomicRMW:
			case LLVMAtomicCmpXchg:
				check_atomic(l, who, i, op);
				break;
			case LLVMLoad:
			case LLVMStore:
				if (LLVMGetOrdering(i) != LLVMAtomicOrderingNotAtomic)
					check_atomic(l, who, i, op);
				break;
			case LLVMGetElementPtr:
				check_type(l, who, LLVMGetGEPSourceElementType(i));
				break;
			default:
				break;
			}
			if (is_call(i))
				check_call(l, who, i);
			check_type(l, who, LLVMTypeOf(i));
			int nops = LLVMGetNumOperands(i);
			for (int k = 0; k < nops; k++) {
				LLVMValueRef o = LLVMGetOperand(i, k);
				if (o)
					check_type(l, who, LLVMTypeOf(o));
			}
		}
	}
}

static void check_function_attrs(struct lint *l, const char *who, LLVMValueRef f)
{
	LLVMAttributeIndex idx = LLVMAttributeFunctionIndex;
	unsigned n = LLVMGetAttributeCountAtIndex(f, idx);
	if (n == 0)
		return;
	LLVMAttributeRef *attrs = calloc(n, sizeof *attrs);
	if (!attrs)
		return;
	LLVMGetAttributesAtIndex(f, idx, attrs);
	for (unsigned i = 0; i < n; i++) {
		if (!LLVMIsStringAttribute(attrs[i]))
			continue;
		unsigned len = 0;
		const char *k = LLVMGetStringAttributeKind(attrs[i], &len);
		if (has_prefix(k, len, "patchable-function"))
			/* patchable-function-entry/-prefix (clang's patchable_function_entry(N, M))
			 * and patchable-function: NOPs in and before the entry for someone to
			 * overwrite at run time, listed in a __patchable_function_entries section
			 */
			problem(l,
				"%s: attribute \"%.*s\" (code patched at run time: NOPs at the "
				"entry and a __patchable_function_entries section): remove "
				"__attribute__((patchable_function_entry))",
				who, (int)(len > 64 ? 64 : len), k);
		else if (sdk_attr_is_target_specific(k, len))
			problem(l,
				"%s: target-specific attribute \"%.*s\": build with `xdrv build`, "
				"which removes it",
				who, (int)(len > 64 ? 64 : len), k);
	}
	free(attrs);
}

/*
 * A function's personality, prefix data and prologue data are its hung-off operands 0, 1 and 2
 * (llvm/IR/Function.h); LLVM allocates all three once one is set and fills the others with a
 * `ptr null` placeholder. LLVM-C 19 has a getter for the personality only, so the other two are
 * read as operands: anything but `ptr null` is set. A `ptr null` is either the placeholder or
 * data that is itself `ptr null` (eight zero bytes, which as prologue data run as code): only
 * the function's text can tell, and it is printed only then, when something is set anyway.
 */
static bool fn_data_is_set(LLVMValueRef f, unsigned idx, const char *keyword)
{
	if (LLVMGetNumOperands(f) <= (int)idx)
		return false;
	LLVMValueRef v = LLVMGetOperand(f, idx);
	if (!v)
		return false;
	if (!LLVMIsAConstantPointerNull(v) || LLVMGetPointerAddressSpace(LLVMTypeOf(v)) != 0)
		return true;
	char *text = LLVMPrintValueToString(f);
	if (!text)
		return true; /* cannot tell: refuse rather than let eight bytes run */
	/* the header is the line that starts with define/declare (a comment line may precede
	 * it); the data are written after the closing parenthesis of the parameters as
	 * "prefix ptr null" / "prologue ptr null" */
	const char *h = strncmp(text, "define", 6) == 0 || strncmp(text, "declare", 7) == 0
				? text
				: strstr(text, "\ndefine");
	if (!h)
		h = strstr(text, "\ndeclare");
	bool set = true;
	if (h) {
		const char *eol = strchr(h + 1, '\n');
		size_t hl = eol ? (size_t)(eol - h) : strlen(h);
		char pat[32];
		snprintf(pat, sizeof pat, " %s ptr null", keyword);
		size_t pl = strlen(pat);
		set = false;
		for (size_t i = 0; i + pl <= hl && !set; i++)
			set = memcmp(h + i, pat, pl) == 0;
	}
	LLVMDisposeMessage(text);
	return set;
}

/* Prologue data, prefix data, personality, an explicit section and `naked`, on any function. */
static void check_function_object(struct lint *l, const char *who, LLVMValueRef f)
{
	if (fn_data_is_set(f, 2, "prologue"))
		problem(l,
			"%s: prologue data: bytes placed at the function's entry run as native "
			"code, unchecked (a driver made raw system calls with them): remove the "
			"prologue; write the function in C",
			who);
	if (fn_data_is_set(f, 1, "prefix"))
		problem(l,
			"%s: prefix data: bytes placed in the code right before the function's "
			"entry, where a jump can run them as native code: remove the prefix; keep "
			"data in globals",
			who);
	if (LLVMHasPersonalityFn(f)) {
		LLVMValueRef p = LLVMGetPersonalityFn(f);
		problem(l,
			"%s: personality function %s: the host's unwinder would call it while "
			"unwinding through the driver (exception handling): remove it and return "
			"a negative XDRV_E* status",
			who, p && LLVMIsAFunction(p) ? vname(l, p) : "(a constant expression)");
	}
	/* without a prologue, the back end puts the body's stack slots in the caller's frame */
	if (l->k_naked && LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, l->k_naked))
		problem(l,
			"%s: naked function (no prologue or epilogue: its stack slots land in the "
			"caller's frame, the host's): remove __attribute__((naked))",
			who);
	const char *sec = LLVMGetSection(f);
	if (sec && *sec)
		problem(l,
			"%s: explicit section \"%s\" (__attribute__((section))): the loader places "
			"code itself (a named section also picks the memory's protection): remove "
			"the attribute",
			who, printable(l, sec));
}

static void check_function(struct lint *l, LLVMValueRef f)
{
	char who[LINT_NAME_MAX + 32];
	snprintf(who, sizeof who, "function %s", vname(l, f));
	l->at = f;
	check_function_object(l, who, f);
	if (is_intrinsic_name(f))
		return; /* judged where called */
	if (LLVMIsDeclaration(f)) {
		check_import(l, f);
		return;
	}
	l->at = f;
	LLVMTypeRef fty = LLVMGlobalGetValueType(f);
	LLVMLinkage lk = LLVMGetLinkage(f);
	bool local = lk == LLVMInternalLinkage || lk == LLVMPrivateLinkage;
	if (LLVMIsFunctionVarArg(fty))
		problem(l,
			"%s: variadic function: variadic calls do not port; use a fixed parameter "
			"list",
			who);
	if (!local)
		check_signature(l, who, "exported function", fty, f, NULL);
	else if (address_taken(f))
		check_signature(l, who, "callback: its address is taken", fty, f, NULL);
	check_cc(l, who, LLVMGetFunctionCallConv(f), "defined with");
	check_type(l, who, fty);
	check_function_attrs(l, who, f);
	check_body(l, f);
}

/* ---- globals -------------------------------------------------------------------------------- */

static void check_global(struct lint *l, LLVMValueRef g)
{
	l->at = LLVMIsAGlobalVariable(g) ? first_located_use(g) : NULL;
	char who[LINT_NAME_MAX + 32];
	snprintf(who, sizeof who, "global %s", vname(l, g));
	size_t len = 0;
	const char *n = LLVMGetValueName2(g, &len);
	if (has_prefix(n, len, "llvm.global_ctors") || has_prefix(n, len, "llvm.global_dtors")) {
		problem(l,
			"%s: constructor or destructor functions: do the work in probe() and "
			"remove()",
			who);
		return;
	}
	if (LLVMIsDeclaration(g) && !l->patch) /* a patch's: the base's data (sdk_patch_check) */
		problem(l,
			"%s: data import: the ABI exports functions only; keep the data in the "
			"driver or use an accessor that `xdrv abi` lists",
			who);
	if (LLVMIsThreadLocal(g))
		problem(l,
			"%s: thread-local storage: keep per-device state behind "
			"xdrv_dev_set_priv()/xdrv_dev_priv()",
			who);
	/* llvm.used, llvm.compiler.used, llvm.global.annotations and the strings of
	 * __attribute__((annotate)) live in "llvm.metadata", which no back end emits */
	const char *sec = LLVMGetSection(g);
	if (sec && *sec && strcmp(sec, "llvm.metadata") != 0)
		problem(l,
			"%s: explicit section \"%s\" (__attribute__((section))): the loader places "
			"data itself, and a section's name picks its memory's protection (data in "
			"\".text.*\" would be executable): remove the attribute",
			who, printable(l, sec));
	check_type(l, who, LLVMGlobalGetValueType(g));
}

/* A second name for a function or global (__attribute__((alias))), or a symbol for any constant
 * address (into the middle of a function, past a global's end): refused, the ABI's symbols and
 * the descriptor name the driver's own functions and data. */
static void check_alias(struct lint *l, LLVMValueRef a)
{
	LLVMValueRef target = LLVMAliasGetAliasee(a);
	const char *what = "a constant expression";
	char buf[LINT_NAME_MAX + 16];
	if (target && (LLVMIsAFunction(target) || LLVMIsAGlobalVariable(target) ||
		       LLVMIsAGlobalAlias(target))) {
		snprintf(buf, sizeof buf, "@%s", vname(l, target));
		what = buf;
	}
	problem(l,
		"alias %s: global alias of %s (__attribute__((alias))): use the function or "
		"global under its own name",
		vname(l, a), what);
}

static void check_descriptor_present(struct lint *l)
{
	if (l->patch) {
		static const char *const descs[] = {"xdrv_driver", "xdrv_extension"};
		for (size_t i = 0; i < 2; i++) {
			LLVMValueRef d = LLVMGetNamedGlobal(l->m, descs[i]);
			if (d && !LLVMIsDeclaration(d))
				problem(l,
					"global %s: a patch has no descriptor (it runs in its "
					"base's image): remove the XDRV_DRIVER/XDRV_EXTENSION",
					descs[i]);
		}
		return;
	}
	if (l->ext) {
		LLVMValueRef e = LLVMGetNamedGlobal(l->m, "xdrv_extension");
		if (e && !LLVMIsDeclaration(e) && LLVMGetLinkage(e) != LLVMExternalLinkage)
			problem(l, "global xdrv_extension: the descriptor must be a non-static, "
				   "non-weak definition: use XDRV_EXTENSION(...) at file scope");
		return;
	}
	LLVMValueRef d = LLVMGetNamedGlobal(l->m, "xdrv_driver");
	if (!d) {
		problem(l, "module: no xdrv_driver descriptor: define one with XDRV_DRIVER(...)");
		return;
	}
	if (LLVMIsDeclaration(d))
		return; /* reported as a data import */
	LLVMLinkage lk = LLVMGetLinkage(d);
	if (lk != LLVMExternalLinkage)
		problem(l, "global xdrv_driver: the descriptor must be a non-static, non-weak "
			   "definition: use XDRV_DRIVER(...) at file scope");
}

__attribute__((format(printf, 3, 4))) static void lint_report(struct lint *l, LLVMValueRef at,
							      const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	unsigned dl = 0;
	/* an instruction without a location (clang's own) keeps the function's */
	if (at && LLVMIsAInstruction(at) && !(LLVMGetDebugLocFilename(at, &dl) && dl))
		at = LLVMGetBasicBlockParent(LLVMGetInstructionParent(at));
	l->at = at;
	problem(l, "%s", line);
}

static const char *lint_name(struct lint *l, LLVMValueRef v)
{
	return vname(l, v);
}

static const struct sdk_lint_io lint_io = {lint_report, lint_name};

static int lint_run(LLVMModuleRef m, uint32_t abi_version, const char *unit, bool patch,
		    char **err);

int sdk_lint(LLVMModuleRef m, uint32_t abi_version, char **err)
{
	return lint_run(m, abi_version, NULL, false, err);
}

int sdk_lint_diag(LLVMModuleRef m, uint32_t abi_version, const char *unit, char **err)
{
	return lint_run(m, abi_version, unit, false, err);
}

int sdk_lint_patch(LLVMModuleRef m, uint32_t abi_version, const char *unit, char **err)
{
	return lint_run(m, abi_version, unit, true, err);
}

static int lint_run(LLVMModuleRef m, uint32_t abi_version, const char *unit, bool patch, char **err)
{
	struct lint *l = calloc(1, sizeof *l);
	if (!l)
		return xdrv_err(err, -ENOMEM, "lint: out of memory");
	l->m = m;
	l->unit = unit;
	l->abi = abi_version;
	l->patch = patch;
	/* a patch is driver code: the driver profile, whatever descriptor it (wrongly) holds */
	l->ext = !patch && sdk_module_kind(m) == SDK_KIND_EXTENSION;
	sdk_abi_version_str(abi_version, l->abi_str, sizeof l->abi_str);
	for (size_t i = 0; i < N_PORTABLE; i++)
		l->portable_ids[i] = LLVMLookupIntrinsicID(portable_intrinsics[i],
							   strlen(portable_intrinsics[i]));
	l->id_stacksave = LLVMLookupIntrinsicID("llvm.stacksave", 14);
	l->id_stackrestore = LLVMLookupIntrinsicID("llvm.stackrestore", 17);
	l->k_naked = LLVMGetEnumAttributeKindForName("naked", 5);
	l->k_byval = LLVMGetEnumAttributeKindForName("byval", 5);
	l->k_sret = LLVMGetEnumAttributeKindForName("sret", 4);
	l->k_inalloca = LLVMGetEnumAttributeKindForName("inalloca", 8);
	l->k_prealloc = LLVMGetEnumAttributeKindForName("preallocated", 12);
	for (size_t i = 0; i < N_ABI_ATTRS; i++)
		l->abi_attr_kinds[i] =
			LLVMGetEnumAttributeKindForName(abi_attrs[i], strlen(abi_attrs[i]));
	int prc = l->ext ? sdk_ext_prototypes(LLVMGetModuleContext(m), &l->protos, err)
			 : sdk_abi_prototypes(LLVMGetModuleContext(m), &l->protos, err);
	if (prc) {
		free(l);
		return prc;
	}

	if (l->ext &&
	    (abi_version < XDRV_ABI_MKVER(1, 0, 0) || abi_version > XDRV_EXT_ABI_VERSION)) {
		char known[16];
		sdk_abi_version_str(XDRV_EXT_ABI_VERSION, known, sizeof known);
		problem(l,
			"module: declares extension ABI %s (%u), this SDK knows extension ABI "
			"1.0.0 to %s: build against these headers",
			l->abi_str, abi_version, known);
	} else if (!l->ext &&
		   (abi_version < XDRV_ABI_MKVER(1, 0, 0) || abi_version > XDRV_ABI_VERSION)) {
		char known[16];
		sdk_abi_version_str(XDRV_ABI_VERSION, known, sizeof known);
		problem(l,
			"module: declares ABI %s (%u), this SDK knows ABI 1.0.0 to %s: build "
			"against these headers",
			l->abi_str, abi_version, known);
	}
	size_t asm_len = 0;
	(void)LLVMGetModuleInlineAsm(m, &asm_len);
	if (asm_len > 0)
		problem(l,
			"module: module-level assembly (asm() at file scope): write the code in C");
	for (LLVMValueRef g = LLVMGetFirstGlobal(m); g; g = LLVMGetNextGlobal(g))
		check_global(l, g);
	l->at = NULL; /* module-level problems have no place of their own */
	for (LLVMValueRef a = LLVMGetFirstGlobalIFunc(m); a; a = LLVMGetNextGlobalIFunc(a))
		problem(l,
			"ifunc %s: ifunc resolvers pick code per CPU at load time: write one "
			"portable function",
			vname(l, a));
	for (LLVMValueRef a = LLVMGetFirstGlobalAlias(m); a; a = LLVMGetNextGlobalAlias(a))
		check_alias(l, a);
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f))
		check_function(l, f);
	l->at = NULL;
	check_descriptor_present(l);
	if (l->ext)
		sdk_lint_ext(l, &lint_io, m);

	int rc = 0;
	if (l->out.lines || l->out.oom) {
		if (l->dropped)
			sdk_buf_printf(&l->out, "... and %lu more problems\n", l->dropped);
		rc = -EINVAL;
		char *text = sdk_buf_take(&l->out);
		if (err) {
			if (text && !*err) {
				*err = text;
				text = NULL;
			} else {
				xdrv_err(err, rc, "%s", text ? text : "lint: out of memory");
			}
		}
		free(text);
	}
	sdk_buf_free(&l->out);
	LLVMDisposeModule(l->protos);
	free(l);
	return rc;
}
