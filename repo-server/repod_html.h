/* SPDX-License-Identifier: MIT */
/*
 * Private to xdrv-repod: the HTML pages (index with search, one page per driver, not found)
 * built from a JSON model of the packages, and the escaping every string from a package goes
 * through. No database and no I/O here, so the suites can feed the builders hostile models
 * directly. repod_web.c builds the model from the database.
 *
 * The model of one driver (what repod_web.c makes; every key optional unless said):
 *   {"name": S (required), "vendor": S, "versions": [ {"version": S (required),
 *    "abi_version": I, "security_version": I, "signer": S, "issuer": S, "size": I,
 *    "sha256": S, "url": S, "created": I (Unix seconds), "manifest": {the package manifest:
 *    "match": [...], "params": [...]}} ]}
 * Versions are shown highest first whatever their order in the model.
 */
#ifndef XDRV_REPOD_HTML_H
#define XDRV_REPOD_HTML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing NUL-terminated buffer; after an allocation failure every append is a no-op and
 * `failed` stays set, so a page is built without checking each step. */
struct hbuf {
	char *p;
	size_t len, cap;
	bool failed;
};
void hbuf_put(struct hbuf *b, const char *s, size_t n);
void hbuf_puts(struct hbuf *b, const char *s);
void hbuf_printf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` escaped for HTML text and for a double- or single-quoted attribute value:
 * & < > " ' as character references; bytes that are not valid UTF-8, C0 controls (newline and
 * tab included, as a space: values are shown on one line), DEL and C1 controls (terminal
 * escape sequences such as ESC [ 31 m) as U+FFFD, so nothing from a package can open a tag,
 * leave an attribute or reach a terminal that views the page source. NULL appends nothing. */
void hbuf_esc(struct hbuf *b, const char *s);
/* Append `s` percent-encoded for one URL path segment or query value (all but A-Z a-z 0-9
 * - . _ ~), which is also safe inside a quoted attribute. */
void hbuf_url(struct hbuf *b, const char *s);

/* "19.4 KiB": bytes under 1 KiB as "N B", then KiB, MiB, GiB with one decimal. */
void repod_human_size(uint64_t bytes, char *out, size_t n);
/* A one-line distinguished name as sig_verify prints it ("C = DE, O = Acme, CN = signer",
 * values with separators quoted) summarised as "CN (O)", or "CN", or "O", or the whole name
 * when it has neither. */
void repod_dn_summary(const char *dn, char *out, size_t n);
/* Compare two dotted version strings numerically ("1.10.0" > "1.9.2"); a non-numeric part
 * compares as text. <0, 0, >0. */
int repod_version_cmp(const char *a, const char *b);

struct repod_page {
	const char *q;	       /* search text on the index (NULL or "" = everything) */
	const char *base_url;  /* the repository's URL for the install snippet; NULL = a
				  placeholder */
	const json_t *vendors; /* index: [{"name": S, "versions": I}], may be NULL */
};
/* The index: search form, the drivers (one row each: latest version, summary, link to its
 * page), the vendors and the machine-readable entry points. `drivers` is an array of driver
 * models (already filtered by q). *html malloc'd. 0 or -ENOMEM. */
int repod_html_index(const json_t *drivers, const struct repod_page *pg, char **html);
/* The page of one driver. *html malloc'd. 0 or -ENOMEM. */
int repod_html_driver(const json_t *driver, const struct repod_page *pg, char **html);
/* A 404 page naming what was not found (escaped). *html malloc'd. 0 or -ENOMEM. */
int repod_html_not_found(const char *what, char **html);

/* The small script behind the copy buttons, served as /static/repo.js (the pages load no
 * inline script, so a Content-Security-Policy of script-src 'self' holds). */
extern const char repod_web_js[];
/* The Content-Security-Policy sent with every page. */
extern const char repod_web_csp[];

#endif
