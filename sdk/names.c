// SPDX-License-Identifier: MIT
/*
 * Small shared pieces of the SDK: the problem-list text buffer, the syntax of driver, parameter
 * and member names, parameter types and ranges, and the list of target-specific function
 * attributes. The descriptor reader (bitcode) and the manifest parser (JSON) apply the same
 * rules through these functions, so a name valid in one is valid in the other.
 */
#include "sdk_private.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/driver.h>

/* ---- text buffer ------------------------------------------------------------------------ */

__attribute__((format(printf, 2, 0))) static void buf_vprintf(struct sdk_buf *b, const char *fmt,
							      va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap2);
	if (n < 0 || b->oom) {
		b->oom = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sdk_buf_printf(struct sdk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void sdk_buf_line(struct sdk_buf *b, const char *fmt, ...)
{
	size_t start = b->len;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (b->oom)
		return;
	sdk_buf_printf(b, "\n");
	if (b->oom)
		return;
	/* drop an exact repeat of an earlier line */
	size_t n = b->len - start;
	const char *line = b->s + start;
	for (size_t i = 0; i < start;) {
		const char *nl = memchr(b->s + i, '\n', start - i);
		size_t l = nl ? (size_t)(nl - (b->s + i)) + 1 : start - i;
		if (l == n && memcmp(b->s + i, line, n) == 0) {
			b->len = start;
			b->s[start] = 0;
			return;
		}
		i += l;
	}
	b->lines++;
}

char *sdk_buf_take(struct sdk_buf *b)
{
	char *s = b->s;
	if (s && b->len && s[b->len - 1] == '\n')
		s[b->len - 1] = 0;
	if (s && !s[0]) {
		free(s);
		s = NULL;
	}
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void sdk_buf_free(struct sdk_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* ---- names ------------------------------------------------------------------------------ */

const char *sdk_printable(const char *s, char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return out;
	if (!s)
		s = "";
	for (; *s && o + 4 < n; s++)
		out[o++] = ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) ? *s : '?';
	if (*s && n >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < n ? o : n - 1] = 0;
	return out;
}

static bool all_in(const char *s, size_t max, const char *extra, bool upper)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (upper && c >= 'A' && c <= 'Z') || (c && strchr(extra, c));
		if (!ok || n >= max)
			return false;
	}
	return n > 0;
}

bool sdk_valid_driver_name(const char *s)
{
	return s && all_in(s, SDK_NAME_MAX, "_-", false);
}

bool sdk_valid_param_name(const char *s)
{
	return s && all_in(s, SDK_PARAM_NAME_MAX, "_", false);
}

bool sdk_valid_compatible(const char *s)
{
	return s && all_in(s, SDK_COMPAT_MAX, ",._+-", false);
}

bool sdk_valid_symbol(const char *s)
{
	return s && all_in(s, SDK_SYMBOL_MAX, "_.$", true);
}

bool sdk_valid_desc(const char *s)
{
	if (!s)
		return false;
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= SDK_DESC_MAX)
			return false;
	return true;
}

bool sdk_valid_version(const char *s)
{
	if (!s || strlen(s) > SDK_VERSION_MAX)
		return false;
	for (int part = 0; part < 3; part++) {
		size_t n = 0;
		while (s[n] >= '0' && s[n] <= '9')
			n++;
		if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
			return false;
		s += n;
		if (part < 2) {
			if (*s != '.')
				return false;
			s++;
		}
	}
	return *s == 0;
}

bool sdk_valid_member_path(const char *s, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "empty name";
		return false;
	}
	size_t len = strlen(s);
	if (len > SDK_PATH_MAX) {
		*why = "name longer than 255 bytes";
		return false;
	}
	if (s[0] == '/') {
		*why = "path escapes the package";
		return false;
	}
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if ((n == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "path escapes the package";
			return false;
		}
		if (n == 0 || (n == 1 && p[0] == '.')) {
			*why = "empty or '.' path component";
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
				*why = "name has characters outside [A-Za-z0-9._/-]";
				return false;
			}
		}
		p += n;
		if (*p == '/') {
			p++;
			if (!*p) {
				*why = "empty or '.' path component";
				return false;
			}
		}
	}
	return true;
}

/* ---- parameters ------------------------------------------------------------------------- */

static const char *const type_names[] = {
	[XDRV_PARAM_U32] = "u32", [XDRV_PARAM_U64] = "u64",   [XDRV_PARAM_I32] = "i32",
	[XDRV_PARAM_I64] = "i64", [XDRV_PARAM_BOOL] = "bool",
};

const char *sdk_param_type_name(uint32_t type)
{
	if (type == 0 || type >= sizeof type_names / sizeof type_names[0])
		return NULL;
	return type_names[type];
}

uint32_t sdk_param_type_from_name(const char *s)
{
	for (uint32_t t = 1; t < sizeof type_names / sizeof type_names[0]; t++)
		if (s && strcmp(s, type_names[t]) == 0)
			return t;
	return 0;
}

void sdk_param_value_str(uint32_t type, uint64_t v, char *out, size_t outlen)
{
	if (type == XDRV_PARAM_I32 || type == XDRV_PARAM_I64)
		snprintf(out, outlen, "%" PRId64, (int64_t)v);
	else
		snprintf(out, outlen, "%" PRIu64, v);
}

/* Does v fit the type? Signed 32-bit values are stored sign-extended to 64 bits. */
static bool fits(uint32_t type, uint64_t v)
{
	switch (type) {
	case XDRV_PARAM_U32:
		return v <= UINT32_MAX;
	case XDRV_PARAM_I32:
		return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
	case XDRV_PARAM_BOOL:
		return v <= 1;
	default:
		return true;
	}
}

bool sdk_param_range_ok(uint32_t type, uint64_t def, uint64_t min, uint64_t max, const char **field,
			char *why, size_t whylen)
{
	char d[24], lo[24], hi[24];
	sdk_param_value_str(type, def, d, sizeof d);
	sdk_param_value_str(type, min, lo, sizeof lo);
	sdk_param_value_str(type, max, hi, sizeof hi);
	const char *tn = sdk_param_type_name(type);
	*field = "type";
	if (!tn) {
		snprintf(why, whylen, "unknown type %u", type);
		return false;
	}
	const struct {
		const char *name, *text;
		uint64_t v;
	} vals[] = {{"min", lo, min}, {"max", hi, max}, {"default", d, def}};
	for (int i = 0; i < 3; i++) {
		if (!fits(type, vals[i].v)) {
			*field = vals[i].name;
			snprintf(why, whylen, "%s does not fit type %s", vals[i].text, tn);
			return false;
		}
	}
	bool is_signed = type == XDRV_PARAM_I32 || type == XDRV_PARAM_I64;
	bool order = is_signed ? (int64_t)min <= (int64_t)max : min <= max;
	if (!order) {
		*field = "max";
		snprintf(why, whylen, "%s is below min %s", hi, lo);
		return false;
	}
	bool in = is_signed ? ((int64_t)def >= (int64_t)min && (int64_t)def <= (int64_t)max)
			    : (def >= min && def <= max);
	if (!in) {
		*field = "default";
		snprintf(why, whylen, "%s out of range %s..%s", d, lo, hi);
		return false;
	}
	return true;
}

/* ---- target-specific attributes --------------------------------------------------------- */

/* Exact names: what clang emits for one CPU or one target's security/ABI options. */
static const char *const target_attrs[] = {
	"target-cpu",
	"target-features",
	"tune-cpu",
	"target-abi",
	"min-legal-vector-width",
	"prefer-vector-width",
	"probe-stack",
	"stack-probe-size",
	"branch-target-enforcement",
	"sign-return-address",
	"sign-return-address-key",
	"branch-protection-pauth-lr",
	"guarded-control-stack",
	"indirect-tls-seg-refs",
	"fentry-call",
	"instrument-function-entry",
	"instrument-function-exit",
	"instrument-function-entry-inlined",
};
/* Prefixes used by target back ends for their private knobs. */
static const char *const target_attr_prefixes[] = {
	"amdgpu-", "nvptx-", "wasm-", "x86-", "aarch64-", "arm-", "riscv-", "mips-", "hexagon-"};

bool sdk_attr_is_target_specific(const char *kind, size_t len)
{
	for (size_t i = 0; i < sizeof target_attrs / sizeof target_attrs[0]; i++)
		if (strlen(target_attrs[i]) == len && memcmp(kind, target_attrs[i], len) == 0)
			return true;
	for (size_t i = 0; i < sizeof target_attr_prefixes / sizeof target_attr_prefixes[0]; i++) {
		size_t pl = strlen(target_attr_prefixes[i]);
		if (len >= pl && memcmp(kind, target_attr_prefixes[i], pl) == 0)
			return true;
	}
	return false;
}

void sdk_abi_version_str(uint32_t v, char *out, size_t outlen)
{
	snprintf(out, outlen, "%u.%u.%u", v / 1000000u, v / 1000u % 1000u, v % 1000u);
}
