// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the repository's HTML pages (repo-server/repod_html.c): the input is
 * cut at NUL bytes into the strings a package and its certificates bring (name, vendor,
 * version, signer DN, issuer DN, a compatible string, a parameter name and description, the
 * search text), which fill a driver model; the driver page and the index are built from it.
 * Never a crash or a leak, and no value may open a tag or put a control byte in the page: the
 * page's only <script is its own, and no byte but the newline is below 0x20. The escaper is
 * also run on each raw string, invalid UTF-8 included.
 */
#include "../../repo-server/repod_html.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *html)
{
	size_t scripts = 0;
	for (const char *p = html; (p = strstr(p, "<script")) != NULL; p++)
		scripts++;
	if (scripts != 1)
		abort();
	for (const unsigned char *p = (const unsigned char *)html; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *f[9] = {0};
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	size_t nf = 0;
	for (char *p = copy; nf < 9; nf++) {
		f[nf] = p;
		p += strlen(p);
		if (p >= copy + size)
			break;
		p++;
	}
	for (size_t i = 0; i < 9; i++)
		if (!f[i])
			f[i] = "";
	json_t *man =
		json_pack("{s:[{s:s, s:i, s:i, s:i, s:i, s:s}], s:[{s:s, s:s, s:s, s:s, s:s,"
			  " s:s}]}",
			  "match", "bus", "platform", "vendor", 0, "device", 0, "class_code", 0,
			  "class_mask", 0, "compatible", f[5], "params", "name", f[6], "type",
			  "u32", "default", f[7], "min", "0", "max", f[7], "desc", f[7]);
	json_t *v = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s, s:I, s:o*}", "version", f[2],
			      "abi_version", (json_int_t)1000000, "signer", f[3], "issuer", f[4],
			      "size", (json_int_t)size, "sha256", f[2], "url", f[0], "created",
			      (json_int_t)size * 1000, "manifest", man);
	json_t *d = json_pack("{s:s, s:s, s:[o*]}", "name", f[0], "vendor", f[1], "versions", v);
	json_t *all = json_pack("[O*]", d);
	char *html = NULL;
	struct repod_page pg = {.q = f[8], .base_url = f[1]};
	/* json_pack refuses strings that are not UTF-8: those inputs build no model */
	if (d && repod_html_driver(d, &pg, &html) == 0)
		check(html);
	free(html);
	html = NULL;
	if (all && repod_html_index(all, &pg, &html) == 0)
		check(html);
	free(html);
	html = NULL;
	if (repod_html_not_found(f[8], &html) == 0)
		check(html);
	free(html);
	/* the escaper alone, on raw bytes (invalid UTF-8 included): nothing that ends a text or
	 * an attribute, no control byte */
	for (size_t i = 0; i < 9; i++) {
		struct hbuf b = {0};
		hbuf_esc(&b, f[i]);
		for (const unsigned char *p = (const unsigned char *)b.p; p && *p; p++)
			if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == '"' ||
			    *p == '\'')
				abort();
		free(b.p);
	}
	char sum[256];
	repod_dn_summary(f[3], sum, sizeof(sum));
	json_decref(all);
	json_decref(d);
	free(copy);
	return 0;
}
