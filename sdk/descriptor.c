// SPDX-License-Identifier: MIT
/*
 * Reading the driver descriptor (`const struct xdrv_driver xdrv_driver`, driver-abi's
 * xdrv/driver.h) out of bitcode without running any code: the global's constant initializer is
 * walked by byte offset, with the module's data layout, down to the scalar or pointer at each
 * field of the ABI layout. Working by offset rather than by struct field index keeps the reader
 * independent of how clang happened to type the initializer (explicit padding fields, nested
 * arrays), and every step checks what it finds, so a malformed initializer (wrong type,
 * non-constant, missing fields, pointers into the middle of things) is an error, never a crash.
 *
 * Validation of what was read follows driver.h; the same name rules apply in the manifest.
 *
 * A packet extension (xdrv/ext.h) has `const struct xdrv_ext xdrv_extension` instead, read the
 * same way (read_ext): header, hooks, tables, params (as a driver's), run.
 */
#include <errno.h>
#include <inttypes.h>
#include <llvm-c/Target.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/abi.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

/* ABI layout of struct xdrv_driver, xdrv_match and xdrv_param (see the diagrams in driver.h). */
enum {
	DRV_MAGIC = 0,
	DRV_ABI = 4,
	DRV_SIZE = 8,
	DRV_FLAGS = 12,
	DRV_NAME = 16,
	DRV_VERSION = 24,
	DRV_MATCH = 32,
	DRV_PARAMS = 40,
	DRV_PROBE = 48,
	DRV_REMOVE = 56,
	DRV_RESERVED = 64,
	DRV_STRUCT_SIZE = 128,
	M_BUS = 0,
	M_VENDOR = 4,
	M_DEVICE = 8,
	M_CLASS = 12,
	M_CMASK = 16,
	M_RSVD = 20,
	M_COMPAT = 24,
	M_SIZE = 32,
	P_NAME = 0,
	P_TYPE = 8,
	P_RSVD = 12,
	P_DEF = 16,
	P_MIN = 24,
	P_MAX = 32,
	P_VAR = 40,
	P_DESC = 48,
	P_SIZE = 56,
	/* struct xdrv_ext and xdrv_ext_table (see the diagrams in ext.h) */
	EXT_MAGIC = 0,
	EXT_ABI = 4,
	EXT_SIZE = 8,
	EXT_HOOKS = 12,
	EXT_NAME = 16,
	EXT_VERSION = 24,
	EXT_TABLES = 32,
	EXT_PARAMS = 40,
	EXT_RUN = 48,
	EXT_RESERVED = 56,
	EXT_NRESERVED = 9,
	EXT_STRUCT_SIZE = 128,
	T_NAME = 0,
	T_KIND = 8,
	T_MAX = 12,
	T_RSVD = 16,
	T_SIZE = 24,
};
_Static_assert(EXT_PARAMS == DRV_PARAMS, "read_params reads both descriptors' params");
_Static_assert(SDK_MAX_TABLES == XDRV_EXT_TABLES_MAX, "sdk.h's table cap is the ABI's");

#define MAX_DEPTH 16

struct rd {
	LLVMModuleRef m;
	LLVMTargetDataRef td;
	char **err;
};

/* A scalar read from a constant: an integer, a null pointer, or a pointer to a global. */
struct cval {
	enum { CV_INT, CV_NULL, CV_GLOBAL } kind;
	uint64_t i;
	LLVMValueRef g;
};

/* Is t made only of integers, pointers, floating point, arrays and (non-opaque) structs, so that
 * asking the data layout for its size is safe? */
static bool plain_type(LLVMTypeRef t, int depth)
{
	if (depth > MAX_DEPTH)
		return false;
	switch (LLVMGetTypeKind(t)) {
	case LLVMIntegerTypeKind:
	case LLVMPointerTypeKind:
	case LLVMHalfTypeKind:
	case LLVMBFloatTypeKind:
	case LLVMFloatTypeKind:
	case LLVMDoubleTypeKind:
		return true;
	case LLVMArrayTypeKind:
		return plain_type(LLVMGetElementType(t), depth + 1);
	case LLVMStructTypeKind: {
		if (LLVMIsOpaqueStruct(t))
			return false;
		unsigned n = LLVMCountStructElementTypes(t);
		for (unsigned i = 0; i < n; i++)
			if (!plain_type(LLVMStructGetTypeAtIndex(t, i), depth + 1))
				return false;
		return true;
	}
	default:
		return false;
	}
}

/* Follow a constant pointer expression to the global it points at (offset 0 only). */
static int resolve_ptr(struct rd *r, LLVMValueRef c, const char *field, struct cval *out)
{
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		if (LLVMIsAConstantPointerNull(c)) {
			out->kind = CV_NULL;
			return 0;
		}
		if (LLVMIsAGlobalValue(c)) {
			out->kind = CV_GLOBAL;
			out->g = c;
			return 0;
		}
		if (!LLVMIsAConstantExpr(c))
			break;
		LLVMOpcode op = LLVMGetConstOpcode(c);
		if (op == LLVMGetElementPtr) {
			int n = LLVMGetNumOperands(c);
			for (int k = 1; k < n; k++) {
				LLVMValueRef idx = LLVMGetOperand(c, (unsigned)k);
				if (!idx || !LLVMIsAConstantInt(idx) ||
				    LLVMGetIntTypeWidth(LLVMTypeOf(idx)) > 64 ||
				    LLVMConstIntGetZExtValue(idx) != 0)
					return xdrv_err(
						r->err, -EINVAL,
						"descriptor: %s: points into the middle of an "
						"object: point at its start",
						field);
			}
		} else if (op != LLVMBitCast && op != LLVMAddrSpaceCast) {
			break;
		}
		c = LLVMGetOperand(c, 0);
		if (!c)
			break;
	}
	return xdrv_err(r->err, -EINVAL,
			"descriptor: %s: not a constant address (NULL or &global expected)", field);
}

/* Read the scalar of `size` bytes at byte offset `off` inside constant `c`. */
static int cread(struct rd *r, LLVMValueRef c, uint64_t off, unsigned size, bool want_ptr,
		 const char *field, struct cval *out)
{
	memset(out, 0, sizeof *out);
	for (int depth = 0; c && depth < MAX_DEPTH; depth++) {
		LLVMTypeRef ty = LLVMTypeOf(c);
		LLVMTypeKind k = LLVMGetTypeKind(ty);
		if (k == LLVMStructTypeKind || k == LLVMArrayTypeKind) {
			if (!plain_type(ty, 0))
				break;
			uint64_t tsize = LLVMABISizeOfType(r->td, ty);
			if (off >= tsize)
				break;
			uint64_t eoff, esize;
			unsigned idx;
			if (k == LLVMStructTypeKind) {
				idx = LLVMElementAtOffset(r->td, ty, off);
				if (idx >= LLVMCountStructElementTypes(ty))
					break;
				eoff = LLVMOffsetOfElement(r->td, ty, idx);
				esize = LLVMABISizeOfType(r->td, LLVMStructGetTypeAtIndex(ty, idx));
			} else {
				esize = LLVMABISizeOfType(r->td, LLVMGetElementType(ty));
				if (esize == 0 || off / esize >= LLVMGetArrayLength2(ty) ||
				    off / esize > UINT32_MAX)
					break;
				idx = (unsigned)(off / esize);
				eoff = (uint64_t)idx * esize;
			}
			if (off < eoff || off - eoff >= esize)
				break; /* the field falls into padding */
			c = LLVMGetAggregateElement(c, idx);
			off -= eoff;
			continue;
		}
		if (off != 0)
			break;
		if (want_ptr) {
			if (k != LLVMPointerTypeKind || LLVMPointerSize(r->td) != size)
				break;
			return resolve_ptr(r, c, field, out);
		}
		if (k != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(ty) != size * 8u)
			break;
		if (!LLVMIsAConstantInt(c))
			return xdrv_err(r->err, -EINVAL, "descriptor: %s: not a constant integer",
					field);
		out->kind = CV_INT;
		out->i = LLVMConstIntGetZExtValue(c);
		return 0;
	}
	return xdrv_err(r->err, -EINVAL,
			"descriptor: %s: the initializer does not have the xdrv ABI layout here "
			"(a %u-byte %s expected)",
			field, size, want_ptr ? "pointer" : "integer");
}

static int read_u(struct rd *r, LLVMValueRef c, uint64_t off, unsigned size, const char *field,
		  uint64_t *v)
{
	struct cval cv;
	int rc = cread(r, c, off, size, false, field, &cv);
	if (rc == 0)
		*v = cv.i;
	return rc;
}

/* The constant initializer of a pointed-to constant global. */
static int pointee_init(struct rd *r, const struct cval *cv, const char *field, const char *what,
			LLVMValueRef *init)
{
	LLVMValueRef g = cv->kind == CV_GLOBAL ? LLVMIsAGlobalVariable(cv->g) : NULL;
	if (!g)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: must point to %s", field, what);
	if (LLVMIsDeclaration(g) || !LLVMGetInitializer(g))
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: %s is not defined in the driver",
				field, what);
	if (!LLVMIsGlobalConstant(g))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s: %s must be const (it is read at build time)",
				field, what);
	*init = LLVMGetInitializer(g);
	return 0;
}

/* A pointer field that must point to a NUL-terminated constant string (or NULL if allowed). */
static int read_str(struct rd *r, LLVMValueRef c, uint64_t off, const char *field, size_t max,
		    bool nullable, char **out)
{
	struct cval cv;
	*out = NULL;
	int rc = cread(r, c, off, 8, true, field, &cv);
	if (rc)
		return rc;
	if (cv.kind == CV_NULL) {
		if (nullable)
			return 0;
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: missing (NULL)", field);
	}
	LLVMValueRef init = NULL;
	rc = pointee_init(r, &cv, field, "a string constant", &init);
	if (rc || !init)
		return rc ? rc : -EINVAL;
	const char *s = "";
	size_t len = 0;
	if (LLVMIsAConstantDataSequential(init) && LLVMIsConstantString(init)) {
		size_t total = 0;
		s = LLVMGetAsString(init, &total);
		const char *nul = s ? memchr(s, 0, total) : NULL;
		if (!nul)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s: string is not NUL-terminated", field);
		len = (size_t)(nul - s);
	} else if (!(LLVMIsAConstantAggregateZero(init) &&
		     LLVMGetTypeKind(LLVMTypeOf(init)) == LLVMArrayTypeKind &&
		     LLVMGetTypeKind(LLVMGetElementType(LLVMTypeOf(init))) == LLVMIntegerTypeKind &&
		     LLVMGetIntTypeWidth(LLVMGetElementType(LLVMTypeOf(init))) == 8)) {
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: must point to a string constant",
				field);
	}
	if (len > max)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: %zu bytes, over the limit of %zu",
				field, len, max);
	*out = strndup(s, len);
	if (!*out)
		return xdrv_err(r->err, -ENOMEM, "descriptor: %s: out of memory", field);
	return 0;
}

/* A pointer field that must point to a function defined in the driver. */
static int read_fn(struct rd *r, LLVMValueRef c, uint64_t off, const char *field, char **out)
{
	struct cval cv;
	*out = NULL;
	int rc = cread(r, c, off, 8, true, field, &cv);
	if (rc)
		return rc;
	if (cv.kind == CV_NULL)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: missing (NULL)", field);
	LLVMValueRef f = LLVMIsAFunction(cv.g);
	if (!f)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: must point to a function", field);
	if (LLVMIsDeclaration(f))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s: the function must be defined in the driver",
				field);
	size_t len = 0;
	const char *n = LLVMGetValueName2(f, &len);
	if (!n || strlen(n) != len || !sdk_valid_symbol(n))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s: the function needs a plain name of at most %d "
				"characters [A-Za-z0-9_.$]",
				field, SDK_SYMBOL_MAX);
	*out = strdup(n);
	return *out ? 0 : xdrv_err(r->err, -ENOMEM, "descriptor: out of memory");
}

/* The table a pointer field points to: its initializer and how many bytes it holds. */
static int read_table(struct rd *r, LLVMValueRef c, uint64_t off, const char *field,
		      const char *what, LLVMValueRef *init, uint64_t *size)
{
	struct cval cv;
	*init = NULL;
	*size = 0;
	int rc = cread(r, c, off, 8, true, field, &cv);
	if (rc || cv.kind == CV_NULL)
		return rc;
	rc = pointee_init(r, &cv, field, what, init);
	if (rc)
		return rc;
	LLVMTypeRef t = LLVMTypeOf(*init);
	if (!plain_type(t, 0))
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: must point to %s", field, what);
	*size = LLVMABISizeOfType(r->td, t);
	return 0;
}

static int read_match(struct rd *r, LLVMValueRef drv, struct sdk_descriptor *d)
{
	LLVMValueRef t;
	uint64_t size;
	int rc = read_table(r, drv, DRV_MATCH, "match", "a const struct xdrv_match array", &t,
			    &size);
	if (rc)
		return rc;
	if (!t)
		return xdrv_err(r->err, -EINVAL,
				"descriptor: match: missing (NULL): every driver needs a match "
				"table");
	d->match = calloc(SDK_MAX_MATCH, sizeof *d->match);
	if (!d->match)
		return xdrv_err(r->err, -ENOMEM, "descriptor: out of memory");
	for (size_t i = 0;; i++) {
		char f[64];
		uint64_t base = (uint64_t)i * M_SIZE, bus, v[5];
		snprintf(f, sizeof f, "match[%zu]", i);
		if (base + M_SIZE > size)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: match: the table does not end with an entry "
					"whose bus is 0");
		if ((rc = read_u(r, t, base + M_BUS, 4, f, &bus)))
			return rc;
		if (bus == 0)
			break;
		if (i == SDK_MAX_MATCH)
			return xdrv_err(r->err, -EINVAL, "descriptor: match: more than %d entries",
					SDK_MAX_MATCH);
		static const unsigned offs[5] = {M_VENDOR, M_DEVICE, M_CLASS, M_CMASK, M_RSVD};
		for (int k = 0; k < 5; k++)
			if ((rc = read_u(r, t, base + offs[k], 4, f, &v[k])))
				return rc;
		struct sdk_match *mt = &d->match[i];
		d->nmatch = i + 1;
		mt->bus = (uint32_t)bus;
		mt->vendor = (uint32_t)v[0];
		mt->device = (uint32_t)v[1];
		mt->class_code = (uint32_t)v[2];
		mt->class_mask = (uint32_t)v[3];
		char cf[80];
		snprintf(cf, sizeof cf, "%s.compatible", f);
		if ((rc = read_str(r, t, base + M_COMPAT, cf, SDK_COMPAT_MAX, true,
				   &mt->compatible)))
			return rc;
		if (v[4] != 0)
			return xdrv_err(r->err, -EINVAL, "descriptor: %s.reserved: must be zero",
					f);
		if (bus != XDRV_BUS_PCI && bus != XDRV_BUS_PLATFORM)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.bus: %" PRIu64
					" is not XDRV_BUS_PCI (1) or XDRV_BUS_PLATFORM (2)",
					f, bus);
		if (bus == XDRV_BUS_PLATFORM && !sdk_valid_compatible(mt->compatible))
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.compatible: a platform match needs a "
					"compatible string [a-z0-9,._+-]{1,63}",
					f);
		if (bus == XDRV_BUS_PCI && mt->compatible)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.compatible: must be NULL for a PCI match",
					f);
		if (mt->class_code & ~mt->class_mask)
			return xdrv_err(
				r->err, -EINVAL,
				"descriptor: %s.class_code: 0x%x has bits outside class_mask "
				"0x%x",
				f, mt->class_code, mt->class_mask);
	}
	if (d->nmatch == 0)
		return xdrv_err(r->err, -EINVAL, "descriptor: match: the table is empty");
	return 0;
}

static int check_param_var(struct rd *r, const struct cval *cv, const char *f,
			   const struct sdk_param *p)
{
	char want[64];
	snprintf(want, sizeof want, "xdrv_param_%s", p->name);
	LLVMValueRef g = cv->kind == CV_GLOBAL ? LLVMIsAGlobalVariable(cv->g) : NULL;
	size_t len = 0;
	const char *n = g ? LLVMGetValueName2(g, &len) : NULL;
	if (!g || !n || len != strlen(want) || memcmp(n, want, len) != 0)
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s.var: must point to %s (declare it with XDRV_PARAM)",
				f, want);
	if (LLVMIsDeclaration(g) || LLVMIsGlobalConstant(g))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s.var: %s must be a non-const variable defined in "
				"the driver",
				f, want);
	LLVMTypeRef t = LLVMGlobalGetValueType(g);
	uint64_t want_size = (p->type == XDRV_PARAM_U64 || p->type == XDRV_PARAM_I64) ? 8 : 4;
	if (LLVMGetTypeKind(t) != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(t) != want_size * 8)
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s.var: %s must be a %" PRIu64
				"-byte integer for type %s",
				f, want, want_size, sdk_param_type_name(p->type));
	return 0;
}

static int read_params(struct rd *r, LLVMValueRef drv, struct sdk_descriptor *d)
{
	LLVMValueRef t;
	uint64_t size;
	int rc = read_table(r, drv, DRV_PARAMS, "params", "a const struct xdrv_param array", &t,
			    &size);
	if (rc || !t)
		return rc; /* params may be NULL */
	d->params = calloc(SDK_MAX_PARAMS, sizeof *d->params);
	if (!d->params)
		return xdrv_err(r->err, -ENOMEM, "descriptor: out of memory");
	for (size_t i = 0;; i++) {
		char f[64];
		uint64_t base = (uint64_t)i * P_SIZE, type, rsvd; /* rsvd: flags */
		snprintf(f, sizeof f, "params[%zu]", i);
		if (base + P_SIZE > size)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: params: the table does not end with "
					"XDRV_PARAM_END");
		struct cval namep;
		if ((rc = cread(r, t, base + P_NAME, 8, true, f, &namep)))
			return rc;
		if (namep.kind == CV_NULL)
			break;
		if (i == SDK_MAX_PARAMS)
			return xdrv_err(r->err, -EINVAL, "descriptor: params: more than %d entries",
					SDK_MAX_PARAMS);
		struct sdk_param *p = &d->params[i];
		d->nparams = i + 1;
		char ff[80];
		snprintf(ff, sizeof ff, "%s.name", f);
		if ((rc = read_str(r, t, base + P_NAME, ff, SDK_PARAM_NAME_MAX + 1, false,
				   &p->name)))
			return rc;
		if (!p->name || !sdk_valid_param_name(p->name)) {
			char shown[48];
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s: '%s' is not a parameter name "
					"[a-z0-9_]{1,31}",
					ff, sdk_printable(p->name, shown, sizeof shown));
		}
		for (size_t j = 0; j < i; j++)
			if (d->params[j].name && strcmp(d->params[j].name, p->name) == 0)
				return xdrv_err(r->err, -EINVAL,
						"descriptor: %s: parameter '%s' declared twice", ff,
						p->name);
		if ((rc = read_u(r, t, base + P_TYPE, 4, f, &type)) ||
		    (rc = read_u(r, t, base + P_RSVD, 4, f, &rsvd)) ||
		    (rc = read_u(r, t, base + P_DEF, 8, f, &p->def)) ||
		    (rc = read_u(r, t, base + P_MIN, 8, f, &p->min)) ||
		    (rc = read_u(r, t, base + P_MAX, 8, f, &p->max)))
			return rc;
		p->type = (uint32_t)type;
		if (!sdk_param_type_name(p->type))
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.type: %" PRIu64
					" is not an XDRV_PARAM_* type",
					f, type);
		if (rsvd & ~(uint64_t)XDRV_PARAM_F_ALL)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.flags: 0x%" PRIx64
					" has bits that are not XDRV_PARAM_F_*",
					f, rsvd);
		if (rsvd && d->kind == SDK_KIND_EXTENSION)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.flags: an extension's parameters take no "
					"flags",
					f);
		if (rsvd && d->abi_version < XDRV_ABI_MKVER(1, 2, 0))
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.flags: parameter flags need driver ABI 1.2 "
					"(the driver declares an older one)",
					f);
		p->flags = (uint32_t)rsvd;
		char why[160];
		const char *bad;
		if (!sdk_param_range_ok(p->type, p->def, p->min, p->max, &bad, why, sizeof why))
			return xdrv_err(r->err, -EINVAL, "descriptor: %s.%s (%s): %s", f, bad,
					p->name, why);
		snprintf(ff, sizeof ff, "%s.desc", f);
		if ((rc = read_str(r, t, base + P_DESC, ff, SDK_DESC_MAX, true, &p->desc)))
			return rc;
		if (p->desc && !sdk_valid_desc(p->desc))
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s: only printable ASCII on one line", ff);
		struct cval var;
		snprintf(ff, sizeof ff, "%s.var", f);
		if ((rc = cread(r, t, base + P_VAR, 8, true, ff, &var)) ||
		    (rc = check_param_var(r, &var, f, p)))
			return rc;
	}
	return 0;
}

/* What a driver's and an extension's descriptor differ in at their heads (xdrv/driver.h,
 * xdrv/ext.h): both start with magic, abi_version, struct_size, a 32-bit word, name and version
 * at the same offsets, and end with reserved pointers that must be NULL. */
struct head {
	uint64_t magic;
	const char *magic_name, *macro; /* "XDRV_DRIVER_MAGIC", "XDRV_DRIVER(...)" */
	unsigned struct_size;
	const char *word;  /* the word at offset 12: "flags", "hooks" */
	bool word_zero;	   /* it must be zero (checked before abi_version, as ever) */
	uint32_t newest;   /* the newest abi_version this SDK knows */
	const char *abi;   /* before the version in messages: "", "extension ABI " */
	unsigned reserved; /* offset of the reserved pointers */
	int nreserved;
	const char *a_name; /* "a driver name" */
};

_Static_assert(EXT_MAGIC == DRV_MAGIC && EXT_ABI == DRV_ABI && EXT_SIZE == DRV_SIZE &&
		       EXT_HOOKS == DRV_FLAGS && EXT_NAME == DRV_NAME && EXT_VERSION == DRV_VERSION,
	       "struct xdrv_driver and struct xdrv_ext share the layout of their heads");

static const struct head drv_head = {
	.magic = XDRV_DRIVER_MAGIC,
	.magic_name = "XDRV_DRIVER_MAGIC",
	.macro = "XDRV_DRIVER(...)",
	.struct_size = DRV_STRUCT_SIZE,
	.word = "flags",
	.word_zero = true,
	.newest = XDRV_ABI_VERSION,
	.abi = "",
	.reserved = DRV_RESERVED,
	.nreserved = 8,
	.a_name = "a driver name",
};

static const struct head ext_head = {
	.magic = XDRV_EXT_MAGIC,
	.magic_name = "XDRV_EXT_MAGIC",
	.macro = "XDRV_EXTENSION(...)",
	.struct_size = EXT_STRUCT_SIZE,
	.word = "hooks",
	.newest = XDRV_EXT_ABI_VERSION,
	.abi = "extension ABI ",
	.reserved = EXT_RESERVED,
	.nreserved = EXT_NRESERVED,
	.a_name = "an extension name",
};

/* magic, struct_size, (a driver's flags,) abi_version into d; *word: the word at offset 12. */
static int read_head(struct rd *r, LLVMValueRef v, const struct head *h, struct sdk_descriptor *d,
		     uint64_t *word)
{
	uint64_t magic, abi, size;
	int rc;
	if ((rc = read_u(r, v, DRV_MAGIC, 4, "magic", &magic)) ||
	    (rc = read_u(r, v, DRV_ABI, 4, "abi_version", &abi)) ||
	    (rc = read_u(r, v, DRV_SIZE, 4, "struct_size", &size)) ||
	    (rc = read_u(r, v, DRV_FLAGS, 4, h->word, word)))
		return rc;
	if (magic != h->magic)
		return xdrv_err(r->err, -EINVAL,
				"descriptor: magic: 0x%08" PRIx64
				" is not %s: define the descriptor with %s",
				magic, h->magic_name, h->macro);
	if (size != h->struct_size)
		return xdrv_err(r->err, -EINVAL,
				"descriptor: struct_size: %" PRIu64 ", expected %u", size,
				h->struct_size);
	if (h->word_zero && *word != 0)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s: must be zero", h->word);
	if (abi < XDRV_ABI_MKVER(1, 0, 0) || abi > h->newest) {
		char ver[16], known[16];
		sdk_abi_version_str((uint32_t)abi, ver, sizeof ver);
		sdk_abi_version_str(h->newest, known, sizeof known);
		return xdrv_err(r->err, -EINVAL,
				"descriptor: abi_version: %s%s (%" PRIu64
				") is not between 1.0.0 and %s, the newest this SDK knows",
				h->abi, ver, abi, known);
	}
	d->abi_version = (uint32_t)abi;
	return 0;
}

/* The reserved pointers (NULL), name and version into d. */
static int read_reserved_name_version(struct rd *r, LLVMValueRef v, const struct head *h,
				      struct sdk_descriptor *d)
{
	int rc;
	for (int i = 0; i < h->nreserved; i++) {
		struct cval cv;
		char f[32];
		snprintf(f, sizeof f, "reserved[%d]", i);
		if ((rc = cread(r, v, h->reserved + 8u * (unsigned)i, 8, true, f, &cv)))
			return rc;
		if (cv.kind != CV_NULL)
			return xdrv_err(r->err, -EINVAL, "descriptor: %s: must be NULL", f);
	}
	if ((rc = read_str(r, v, DRV_NAME, "name", SDK_NAME_MAX + 1, false, &d->name)))
		return rc;
	char shown[80];
	if (!sdk_valid_driver_name(d->name))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: name: '%s' is not %s [a-z0-9_-]{1,63}",
				sdk_printable(d->name, shown, sizeof shown), h->a_name);
	if ((rc = read_str(r, v, DRV_VERSION, "version", SDK_VERSION_MAX + 1, false, &d->version)))
		return rc;
	if (!sdk_valid_version(d->version))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: version: '%s' is not MAJOR.MINOR.PATCH",
				sdk_printable(d->version, shown, sizeof shown));
	return 0;
}

static int read_header(struct rd *r, LLVMValueRef drv, struct sdk_descriptor *d)
{
	uint64_t flags;
	int rc;
	if ((rc = read_head(r, drv, &drv_head, d, &flags)) ||
	    (rc = read_reserved_name_version(r, drv, &drv_head, d)) ||
	    (rc = read_fn(r, drv, DRV_PROBE, "probe", &d->probe)) ||
	    (rc = read_fn(r, drv, DRV_REMOVE, "remove", &d->remove)))
		return rc;
	return 0;
}

/* ---- packet extensions (xdrv/ext.h) ---------------------------------------------------- */

static int read_ext_tables(struct rd *r, LLVMValueRef ext, struct sdk_descriptor *d)
{
	LLVMValueRef t;
	uint64_t size;
	int rc = read_table(r, ext, EXT_TABLES, "tables", "a const struct xdrv_ext_table array", &t,
			    &size);
	if (rc || !t)
		return rc; /* tables may be NULL */
	d->tables = calloc(SDK_MAX_TABLES, sizeof *d->tables);
	if (!d->tables)
		return xdrv_err(r->err, -ENOMEM, "descriptor: out of memory");
	for (size_t i = 0;; i++) {
		char f[64], ff[80];
		uint64_t base = (uint64_t)i * T_SIZE, kind, max, rsvd;
		snprintf(f, sizeof f, "tables[%zu]", i);
		if (base + T_SIZE > size)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: tables: the list does not end with an entry "
					"whose name is NULL");
		struct cval namep;
		if ((rc = cread(r, t, base + T_NAME, 8, true, f, &namep)))
			return rc;
		if (namep.kind == CV_NULL)
			break;
		if (i == SDK_MAX_TABLES)
			return xdrv_err(
				r->err, -EINVAL,
				"descriptor: tables: more than %d tables (XDRV_EXT_TABLES_MAX)",
				SDK_MAX_TABLES);
		struct sdk_ext_table *tb = &d->tables[i];
		d->ntables = i + 1;
		snprintf(ff, sizeof ff, "%s.name", f);
		if ((rc = read_str(r, t, base + T_NAME, ff, SDK_PARAM_NAME_MAX + 1, false,
				   &tb->name)))
			return rc;
		if (!tb->name || !sdk_valid_param_name(tb->name)) {
			char shown[48];
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s: '%s' is not a table name [a-z0-9_]{1,31}",
					ff, sdk_printable(tb->name, shown, sizeof shown));
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->tables[j].name, tb->name) == 0)
				return xdrv_err(r->err, -EINVAL,
						"descriptor: %s: table '%s' declared twice", ff,
						tb->name);
		if ((rc = read_u(r, t, base + T_KIND, 4, f, &kind)) ||
		    (rc = read_u(r, t, base + T_MAX, 4, f, &max)) ||
		    (rc = read_u(r, t, base + T_RSVD, 8, f, &rsvd)))
			return rc;
		if (kind != XDRV_EXT_TABLE_ARRAY && kind != XDRV_EXT_TABLE_HASH)
			return xdrv_err(
				r->err, -EINVAL,
				"descriptor: %s.kind: %" PRIu64
				" is not XDRV_EXT_TABLE_ARRAY (1) or XDRV_EXT_TABLE_HASH (2)",
				f, kind);
		if (max < 1 || max > XDRV_EXT_TABLE_MAX_ENTRIES)
			return xdrv_err(r->err, -EINVAL,
					"descriptor: %s.max_entries: %" PRIu64
					" out of range 1..%u (XDRV_EXT_TABLE_MAX_ENTRIES)",
					f, max, XDRV_EXT_TABLE_MAX_ENTRIES);
		if (rsvd)
			return xdrv_err(r->err, -EINVAL, "descriptor: %s.reserved: must be zero",
					f);
		tb->kind = (uint32_t)kind;
		tb->max_entries = (uint32_t)max;
	}
	return 0;
}

static int read_ext_header(struct rd *r, LLVMValueRef ext, struct sdk_descriptor *d)
{
	uint64_t hooks;
	int rc = read_head(r, ext, &ext_head, d, &hooks);
	if (rc)
		return rc;
	if (hooks == 0 || (hooks & ~(uint64_t)(XDRV_EXT_HOOK_RX | XDRV_EXT_HOOK_TX)))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: hooks: 0x%" PRIx64
				" must be XDRV_EXT_HOOK_RX, XDRV_EXT_HOOK_TX or both",
				hooks);
	d->hooks = (uint32_t)hooks;
	if ((rc = read_reserved_name_version(r, ext, &ext_head, d)))
		return rc;
	return read_fn(r, ext, EXT_RUN, "run", &d->run);
}

uint32_t sdk_module_kind(LLVMModuleRef m)
{
	return !LLVMGetNamedGlobal(m, "xdrv_driver") && LLVMGetNamedGlobal(m, "xdrv_extension")
		       ? SDK_KIND_EXTENSION
		       : SDK_KIND_DRIVER;
}

/* The descriptor global `name`: defined, const, a struct of `size` bytes. */
static int descriptor_global(struct rd *r, const char *name, const char *macro, unsigned size,
			     LLVMValueRef *init)
{
	LLVMValueRef g = LLVMGetNamedGlobal(r->m, name);
	if (!g)
		return xdrv_err(r->err, -EINVAL, "descriptor: no %s global: define one with %s",
				name, macro);
	if (LLVMIsDeclaration(g) || !LLVMGetInitializer(g))
		return xdrv_err(r->err, -EINVAL,
				"descriptor: %s is declared but not defined in the module", name);
	if (!LLVMIsGlobalConstant(g))
		return xdrv_err(r->err, -EINVAL, "descriptor: %s must be const (use %s)", name,
				macro);
	*init = LLVMGetInitializer(g);
	LLVMTypeRef t = LLVMTypeOf(*init);
	if (LLVMGetTypeKind(t) != LLVMStructTypeKind || !plain_type(t, 0) ||
	    LLVMABISizeOfType(r->td, t) != size)
		return xdrv_err(r->err, -EINVAL, "descriptor: %s is not a %u-byte struct %s", name,
				size,
				strcmp(name, "xdrv_driver") == 0 ? "xdrv_driver" : "xdrv_ext");
	return 0;
}

int sdk_descriptor_read(LLVMModuleRef m, struct sdk_descriptor *out, char **err)
{
	struct rd r = {.m = m, .td = LLVMGetModuleDataLayout(m), .err = err};
	memset(out, 0, sizeof *out);
	LLVMValueRef init = NULL;
	int rc;
	if (sdk_module_kind(m) == SDK_KIND_EXTENSION) {
		out->kind = SDK_KIND_EXTENSION;
		rc = descriptor_global(&r, "xdrv_extension", "XDRV_EXTENSION(...)", EXT_STRUCT_SIZE,
				       &init);
		if (rc == 0)
			rc = read_ext_header(&r, init, out);
		if (rc == 0)
			rc = read_ext_tables(&r, init, out);
		if (rc == 0)
			rc = read_params(&r, init, out);
		if (rc != 0)
			sdk_descriptor_free(out);
		return rc;
	}
	if (LLVMGetNamedGlobal(m, "xdrv_extension"))
		return xdrv_err(err, -EINVAL,
				"descriptor: both xdrv_driver and xdrv_extension: a module is a "
				"driver or an extension, define one descriptor");
	LLVMValueRef g = LLVMGetNamedGlobal(m, "xdrv_driver");
	if (!g)
		return xdrv_err(
			err, -EINVAL,
			"descriptor: no xdrv_driver global: define one with XDRV_DRIVER(...)");
	if (LLVMIsDeclaration(g) || !LLVMGetInitializer(g))
		return xdrv_err(
			err, -EINVAL,
			"descriptor: xdrv_driver is declared but not defined in the driver");
	if (!LLVMIsGlobalConstant(g))
		return xdrv_err(err, -EINVAL, "descriptor: xdrv_driver must be const");
	init = LLVMGetInitializer(g);
	LLVMTypeRef t = LLVMTypeOf(init);
	if (LLVMGetTypeKind(t) != LLVMStructTypeKind || !plain_type(t, 0) ||
	    LLVMABISizeOfType(r.td, t) != DRV_STRUCT_SIZE)
		return xdrv_err(err, -EINVAL,
				"descriptor: xdrv_driver is not a %d-byte struct xdrv_driver",
				DRV_STRUCT_SIZE);
	rc = read_header(&r, init, out);
	if (rc == 0)
		rc = read_match(&r, init, out);
	if (rc == 0)
		rc = read_params(&r, init, out);
	if (rc != 0)
		sdk_descriptor_free(out);
	return rc;
}

void sdk_descriptor_free(struct sdk_descriptor *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->version);
	free(d->probe);
	free(d->remove);
	for (size_t i = 0; d->match && i < d->nmatch; i++)
		free(d->match[i].compatible);
	free(d->match);
	for (size_t i = 0; d->params && i < d->nparams; i++) {
		free(d->params[i].name);
		free(d->params[i].desc);
	}
	free(d->params);
	free(d->run);
	for (size_t i = 0; d->tables && i < d->ntables; i++)
		free(d->tables[i].name);
	free(d->tables);
	memset(d, 0, sizeof *d);
}
