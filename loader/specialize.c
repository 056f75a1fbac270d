// SPDX-License-Identifier: MIT
/*
 * Specialization of declared driver parameters. A parameter is a global xdrv_param_<name>
 * listed in the descriptor with type, default and range. Before optimizing, the loader parses
 * the value the host configured (or takes the default), checks it against the declared range,
 * makes it the global's initializer and marks the global constant, so the optimizer folds every
 * read of it: a parameter costs nothing at run time.
 *
 * Parsing is strict: decimal or 0x hex (no octal, no spaces, no '+'), '-' only for signed
 * types, true/false/1/0 for bool. Where the descriptor came from (and that it was validated)
 * is image.c's business; the range is checked here again anyway.
 */
#include "ldr_jit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdrv/abi.h"
#include "xdrv/util.h"

static const char *type_name(uint32_t t)
{
	switch (t) {
	case XDRV_PARAM_U32:
		return "u32";
	case XDRV_PARAM_U64:
		return "u64";
	case XDRV_PARAM_I32:
		return "i32";
	case XDRV_PARAM_I64:
		return "i64";
	case XDRV_PARAM_BOOL:
		return "bool";
	default:
		return "unknown";
	}
}

static int is_signed(uint32_t t)
{
	return t == XDRV_PARAM_I32 || t == XDRV_PARAM_I64;
}

/* Unsigned magnitude of a decimal or 0x-hex literal; 0 on success. */
static int parse_magnitude(const char *s, uint64_t *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -2; /* overflow */
		v = v * (uint64_t)base + d;
	}
	*out = v;
	return 0;
}

int ldr_param_parse(const struct sdk_param *p, const char *text, uint64_t *out, char **err)
{
	const char *s = text;
	if (!text || !*text)
		return xdrv_err(err, -EINVAL, "param %s: empty value", p->name);
	if (p->type == XDRV_PARAM_BOOL) {
		if (!strcmp(s, "true") || !strcmp(s, "1"))
			*out = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "0"))
			*out = 0;
		else
			return xdrv_err(err, -EINVAL,
					"param %s: '%s' is not a bool (true/false/1/0)", p->name,
					text);
		return 0;
	}
	if (p->type < XDRV_PARAM_U32 || p->type > XDRV_PARAM_I64)
		return xdrv_err(err, -EINVAL, "param %s: unknown type %u", p->name, p->type);
	int neg = 0;
	if (*s == '-') {
		if (!is_signed(p->type))
			return xdrv_err(err, -ERANGE, "param %s: '%s': negative value for %s",
					p->name, text, type_name(p->type));
		neg = 1;
		s++;
	}
	uint64_t mag = 0;
	int r = parse_magnitude(s, &mag);
	if (r == -1)
		return xdrv_err(err, -EINVAL, "param %s: '%s' is not a number (decimal or 0x hex)",
				p->name, text);
	uint64_t lim;
	switch (p->type) {
	case XDRV_PARAM_U32:
		lim = UINT32_MAX;
		break;
	case XDRV_PARAM_U64:
		lim = UINT64_MAX;
		break;
	case XDRV_PARAM_I32:
		lim = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
		break;
	default:
		lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		break;
	}
	if (r == -2 || mag > lim)
		return xdrv_err(err, -ERANGE, "param %s: '%s' does not fit in %s", p->name, text,
				type_name(p->type));
	*out = neg ? (uint64_t)0 - mag : mag; /* two's complement, sign-extended to 64 bits */
	return 0;
}

static int in_range(const struct sdk_param *p, uint64_t v)
{
	if (p->type == XDRV_PARAM_I32 || p->type == XDRV_PARAM_I64) {
		int64_t sv = (int64_t)v;
		return sv >= (int64_t)p->min && sv <= (int64_t)p->max;
	}
	return v >= p->min && v <= p->max;
}

static void format_value(const struct sdk_param *p, uint64_t v, char *buf, size_t n)
{
	if (is_signed(p->type))
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

static int range_error(const struct sdk_param *p, const char *text, uint64_t v, char **err)
{
	char val[32], lo[32], hi[32];
	format_value(p, v, val, sizeof val);
	format_value(p, p->min, lo, sizeof lo);
	format_value(p, p->max, hi, sizeof hi);
	return xdrv_err(err, -ERANGE, "param %s: %s%s%s out of range %s..%s", p->name,
			text ? "'" : "value ", text ? text : val, text ? "'" : "", lo, hi);
}

static int set_param_global(LLVMModuleRef m, const struct sdk_param *p, uint64_t v, char **err)
{
	char gname[64];
	if (xdrv_snprintf(gname, sizeof gname, "xdrv_param_%s", p->name))
		return xdrv_err(err, -EINVAL, "param %s: name too long", p->name);
	LLVMValueRef g = LLVMGetNamedGlobal(m, gname);
	if (!g || LLVMIsDeclaration(g))
		return xdrv_err(err, -EINVAL, "param %s: the module does not define %s", p->name,
				gname);
	LLVMTypeRef ty = LLVMGlobalGetValueType(g);
	unsigned want = (p->type == XDRV_PARAM_U64 || p->type == XDRV_PARAM_I64) ? 64 : 32;
	if (LLVMGetTypeKind(ty) != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(ty) != want)
		return xdrv_err(err, -EINVAL,
				"param %s: %s is not a %u-bit integer as type %s needs", p->name,
				gname, want, type_name(p->type));
	/* A replaceable definition (weak, common, ...) could be overridden at link time, which
	 * would stop the optimizer from folding it; the JIT links this module alone. */
	LLVMLinkage l = LLVMGetLinkage(g);
	if (l != LLVMInternalLinkage && l != LLVMPrivateLinkage && l != LLVMExternalLinkage)
		LLVMSetLinkage(g, LLVMExternalLinkage);
	LLVMSetInitializer(g, LLVMConstInt(ty, v, 0));
	LLVMSetGlobalConstant(g, 1);
	return 0;
}

int ldr_param_values(const struct sdk_descriptor *d, const struct ldr_param_value *pv, size_t npv,
		     uint64_t *values, char **err)
{
	size_t nparams = d ? d->nparams : 0;
	/* every override must name a declared parameter, once */
	for (size_t i = 0; i < npv; i++) {
		if (!pv[i].name || !*pv[i].name)
			return xdrv_err(err, -EINVAL, "param #%zu: empty name", i + 1);
		size_t k = 0;
		while (k < nparams && strcmp(d->params[k].name, pv[i].name) != 0)
			k++;
		if (k == nparams) {
			char declared[512] = "";
			size_t off = 0;
			for (size_t j = 0; j < nparams && off < sizeof declared; j++) {
				int w = snprintf(declared + off, sizeof declared - off, "%s%s",
						 j ? ", " : "", d->params[j].name);
				if (w < 0)
					break;
				off += (size_t)w;
			}
			return xdrv_err(err, -ENOENT,
					"param %s: not declared by the driver (declared: %s)",
					pv[i].name, nparams ? declared : "none");
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(pv[j].name, pv[i].name))
				return xdrv_err(err, -EINVAL, "param %s: given twice", pv[i].name);
	}
	for (size_t k = 0; k < nparams; k++) {
		const struct sdk_param *p = &d->params[k];
		const char *text = NULL;
		uint64_t v = p->def;
		for (size_t i = 0; i < npv; i++)
			if (!strcmp(pv[i].name, p->name))
				text = pv[i].value;
		if (text) {
			int rc = ldr_param_parse(p, text, &v, err);
			if (rc)
				return rc;
		}
		if (!in_range(p, v))
			return range_error(p, text, v, err);
		values[k] = v;
	}
	return 0;
}

int ldr_specialize(LLVMModuleRef m, const struct sdk_descriptor *d,
		   const struct ldr_param_value *pv, size_t npv, uint64_t *values, char **err)
{
	size_t nparams = d ? d->nparams : 0;
	uint64_t *v = calloc(nparams ? nparams : 1, sizeof *v);
	if (!v)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = ldr_param_values(d, pv, npv, v, err);
	for (size_t k = 0; !rc && k < nparams; k++)
		rc = set_param_global(m, &d->params[k], v[k], err);
	if (!rc && values)
		memcpy(values, v, nparams * sizeof *v);
	free(v);
	return rc;
}
