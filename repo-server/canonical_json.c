// SPDX-License-Identifier: MIT
/*
 * OLPC canonical JSON, the form TUF signs (see xdrv/tuf.h): keys sorted by bytes, no whitespace,
 * only '"' and '\\' escaped, integers only. Encoding only; parsing is jansson's.
 */
#include "xdrv/tuf.h"
#include "xdrv/util.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CJSON_DEPTH_MAX 64

struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
	int json_safe; /* also escape control characters as \u00XX (files, not signatures) */
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s, size_t n)
{
	sb_put(b, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			sb_put(b, s + start, i - start);
			sb_put(b, "\\", 1);
			start = i;
		} else if (c < 0x20 && b->json_safe) {
			char u[8];
			sb_put(b, s + start, i - start);
			snprintf(u, sizeof(u), "\\u%04x", c);
			sb_put(b, u, 6);
			start = i + 1;
		}
	}
	sb_put(b, s + start, n - start);
	sb_put(b, "\"", 1);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int enc(struct sbuf *b, const json_t *v, int depth, char **err)
{
	if (depth > CJSON_DEPTH_MAX)
		return xdrv_err(err, -EINVAL, "canonical json: nesting deeper than %d",
				CJSON_DEPTH_MAX);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		if (!keys)
			return xdrv_err(err, -ENOMEM, "canonical json: out of memory");
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_cmp);
		sb_put(b, "{", 1);
		int rc = 0;
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_str(b, keys[i], strlen(keys[i]));
			sb_put(b, ":", 1);
			rc = enc(b, json_object_get(v, keys[i]), depth + 1, err);
			if (rc)
				xdrv_err_prefix(err, "%s", keys[i]);
		}
		sb_put(b, "}", 1);
		free(keys);
		return rc;
	}
	case JSON_ARRAY: {
		sb_put(b, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sb_put(b, ",", 1);
			int rc = enc(b, json_array_get(v, i), depth + 1, err);
			if (rc) {
				xdrv_err_prefix(err, "[%zu]", i);
				return rc;
			}
		}
		sb_put(b, "]", 1);
		return 0;
	}
	case JSON_STRING:
		sb_str(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER: {
		char num[32];
		int n = snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		sb_put(b, num, (size_t)n);
		return 0;
	}
	case JSON_REAL:
		return xdrv_err(err, -EINVAL, "canonical json: real number %g not allowed",
				json_real_value(v));
	case JSON_TRUE:
		sb_put(b, "true", 4);
		return 0;
	case JSON_FALSE:
		sb_put(b, "false", 5);
		return 0;
	case JSON_NULL:
		sb_put(b, "null", 4);
		return 0;
	}
	return xdrv_err(err, -EINVAL, "canonical json: unknown value type");
}

static int encode(const json_t *v, int json_safe, char **out, size_t *len, char **err)
{
	struct sbuf b = {.json_safe = json_safe};
	*out = NULL;
	if (!v)
		return xdrv_err(err, -EINVAL, "canonical json: no value");
	int rc = enc(&b, v, 0, err);
	if (rc == 0 && (b.failed || !b.p))
		rc = xdrv_err(err, -ENOMEM, "canonical json: out of memory");
	if (rc) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}

int tuf_cjson_encode(const json_t *v, char **out, size_t *len, char **err)
{
	return encode(v, 0, out, len, err);
}

int tuf_metadata_dump(const json_t *envelope, char **buf, size_t *len, char **err)
{
	/* OLPC canonical JSON writes control characters raw, which no JSON parser reads back;
	 * escaping them keeps the file valid JSON, and parsing it gives the same strings, so the
	 * canonical form of "signed" (what the signatures cover) is unchanged. */
	return encode(envelope, 1, buf, len, err);
}

int tuf_cjson_sha256(const json_t *v, char out[65], char **err)
{
	char *s;
	size_t n;
	int rc = tuf_cjson_encode(v, &s, &n, err);
	if (rc)
		return rc;
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)s, n, d);
	xdrv_hex(d, sizeof(d), out);
	free(s);
	return 0;
}
