// SPDX-License-Identifier: MIT
/*
 * xdrv-repod HTML pages: the index with its search box, one page per driver and the not-found
 * page, built from a JSON model (repod_html.h) with no database and no I/O. Every string that
 * came from a package goes through hbuf_esc (text and attribute context) or hbuf_url (links);
 * numbers are formatted here. The pages work without JavaScript: search is a GET form rendered
 * by the server; /static/repo.js only adds copy buttons. Layout is one column that fits a
 * 320 px phone: tables turn into stacked rows below 40em, long values wrap anywhere.
 */
#include "repod_html.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- buffer and escaping ------------------------------------------------------------------- */
void hbuf_put(struct hbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8192;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void hbuf_puts(struct hbuf *b, const char *s)
{
	if (s)
		hbuf_put(b, s, strlen(s));
}

void hbuf_printf(struct hbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* only our own short formats come here; a longer one is a bug, not input */
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->failed = true;
	else
		hbuf_put(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one (overlong forms,
 * surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0; /* overlong, out of range, a surrogate, or a C1 control */
	return n;
}

/* keep_lines: '\n' becomes &#10; (a line break in <pre> and in an attribute) instead of a
 * space; only for strings we assembled ourselves, such as the install commands. */
static void esc(struct hbuf *b, const char *str, bool keep_lines)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	if (!str)
		return;
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		size_t n;
		switch (*s) {
		case '&':
			hbuf_puts(b, "&amp;");
			break;
		case '<':
			hbuf_puts(b, "&lt;");
			break;
		case '>':
			hbuf_puts(b, "&gt;");
			break;
		case '"':
			hbuf_puts(b, "&quot;");
			break;
		case '\'':
			hbuf_puts(b, "&#39;");
			break;
		case '\n':
			hbuf_puts(b, keep_lines ? "&#10;" : " ");
			break;
		case '\t':
		case '\r':
			hbuf_puts(b, " ");
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				hbuf_puts(b, repl);
				break;
			}
			n = utf8_len(s);
			if (n == 0) {
				hbuf_puts(b, repl);
				break;
			}
			hbuf_put(b, (const char *)s, n);
			s += n;
			continue;
		}
		s++;
	}
}

void hbuf_esc(struct hbuf *b, const char *s)
{
	esc(b, s, false);
}

void hbuf_url(struct hbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			hbuf_put(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			hbuf_put(b, e, 3);
		}
	}
}

/* ---- small formatters ---------------------------------------------------------------------- */
void repod_human_size(uint64_t v, char *out, size_t n)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (v < 1024) {
		snprintf(out, n, "%llu B", (unsigned long long)v);
		return;
	}
	double d = (double)v / 1024.0;
	size_t u = 0;
	while (d >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024.0;
		u++;
	}
	snprintf(out, n, "%.1f %s", d, units[u]);
}

/* Value of attribute `key` ("CN", "O") in a one-line DN, unquoted, into out; false if absent. */
static bool dn_get(const char *dn, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	const char *p = dn;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *eq = strstr(p, " = ");
		if (!eq)
			return false;
		bool match = (size_t)(eq - p) == kl && strncmp(p, key, kl) == 0;
		const char *v = eq + 3;
		size_t o = 0;
		bool quoted = *v == '"';
		if (quoted)
			v++;
		/* the value ends at the closing quote, or at ", " outside quotes */
		while (*v && !(quoted ? *v == '"' : (v[0] == ',' && v[1] == ' '))) {
			if (*v == '\\' && v[1])
				v++;
			if (match && o + 1 < n)
				out[o++] = *v;
			v++;
		}
		if (quoted && *v == '"')
			v++;
		if (match) {
			out[o] = 0;
			return o > 0;
		}
		while (*v && *v != ',')
			v++;
		p = *v ? v + 1 : v;
	}
	return false;
}

void repod_dn_summary(const char *dn, char *out, size_t n)
{
	char cn[256], o[256];
	bool has_cn = dn && dn_get(dn, "CN", cn, sizeof(cn));
	bool has_o = dn && dn_get(dn, "O", o, sizeof(o));
	if (has_cn && has_o && strcmp(cn, o) != 0)
		snprintf(out, n, "%s (%s)", cn, o);
	else if (has_cn)
		snprintf(out, n, "%s", cn);
	else if (has_o)
		snprintf(out, n, "%s", o);
	else
		snprintf(out, n, "%s", dn ? dn : "");
}

int repod_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return 0;
}

/* A link target from the model is used only if it is a path on this server: an href from
 * anywhere else could carry a javascript: URL, which escaping does not stop. */
static void put_href(struct hbuf *b, const char *url)
{
	hbuf_puts(b, " href=\"");
	if (url && url[0] == '/' && url[1] != '/' && url[1] != '\\')
		hbuf_esc(b, url);
	else
		hbuf_puts(b, "#");
	hbuf_puts(b, "\"");
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void abi_string(long long abi, char *out, size_t n)
{
	unsigned long long v = abi < 0 ? 0 : (unsigned long long)abi;
	snprintf(out, n, "%llu.%llu.%llu", v / 1000000u, v / 1000u % 1000u, v % 1000u);
}

static void put_date(struct hbuf *b, long long t)
{
	struct tm tm;
	char d[16], full[40];
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		hbuf_puts(b, "<span class=\"muted\">unknown</span>");
		return;
	}
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	strftime(full, sizeof(full), "%Y-%m-%dT%H:%M:%SZ", &tm);
	hbuf_printf(b, "<time datetime=\"%s\" title=\"%s\">%s</time>", full, full, d);
}

/* "sha256:0123456789ab…" with the full value in the title and a copy button (shown by JS). */
static void put_digest(struct hbuf *b, const char *sha)
{
	if (!sha)
		return;
	hbuf_puts(b, "<code class=\"digest\" title=\"sha256:");
	hbuf_esc(b, sha);
	hbuf_puts(b, "\" data-full=\"");
	hbuf_esc(b, sha);
	hbuf_puts(b, "\">");
	char s[13];
	snprintf(s, sizeof(s), "%s", sha);
	hbuf_esc(b, s);
	hbuf_puts(b, strlen(sha) > 12 ? "\xe2\x80\xa6</code>" : "</code>");
	hbuf_puts(b, "<button type=\"button\" class=\"copy\" hidden data-copy=\"");
	hbuf_esc(b, sha);
	hbuf_puts(b, "\" title=\"Copy the full SHA-256\">Copy</button>");
}

/* Versions of a driver model, highest first (ties: the later one in the model first). */
static size_t sorted_versions(const json_t *drv, const json_t ***out)
{
	const json_t *vs = json_object_get(drv, "versions");
	size_t n = json_array_size(vs);
	*out = NULL;
	if (n == 0)
		return 0;
	const json_t **v = calloc(n, sizeof(const json_t *));
	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(vs, n - 1 - i);
	/* insertion sort: a driver has a handful of versions; stable, so ties keep the order */
	for (size_t i = 1; i < n; i++) {
		const json_t *x = v[i];
		const char *xv = jstr(x, "version") ? jstr(x, "version") : "";
		size_t j = i;
		while (j > 0 &&
		       repod_version_cmp(jstr(v[j - 1], "version") ? jstr(v[j - 1], "version") : "",
					 xv) < 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*out = v;
	return n;
}

/* What the driver binds to, from the manifest's match table: "PCI driver for 100b:0022". */
static void put_match_summary(struct hbuf *b, const json_t *match)
{
	size_t nm = json_array_size(match);
	bool pci = false, plat = false;
	for (size_t i = 0; i < nm; i++) {
		const char *bus = jstr(json_array_get(match, i), "bus");
		pci |= bus && strcmp(bus, "pci") == 0;
		plat |= bus && strcmp(bus, "platform") == 0;
	}
	hbuf_puts(b, pci && plat ? "PCI and platform driver"
		     : pci	 ? "PCI driver"
		     : plat	 ? "Platform driver"
				 : "Driver");
	for (size_t i = 0; i < nm && i < 3; i++) {
		const json_t *m = json_array_get(match, i);
		hbuf_puts(b, i ? ", " : " for ");
		const char *compat = jstr(m, "compatible");
		if (compat) {
			hbuf_esc(b, compat);
		} else {
			long long v = jint(m, "vendor"), d = jint(m, "device");
			if (v == 0xffffffffLL)
				hbuf_puts(b, "any vendor");
			else if (d == 0xffffffffLL)
				hbuf_printf(b, "%04llx:*", v & 0xffffffffLL);
			else
				hbuf_printf(b, "%04llx:%04llx", v & 0xffffffffLL, d & 0xffffffffLL);
		}
	}
	if (nm > 3)
		hbuf_printf(b, " and %zu more", nm - 3);
}

/* One line about the latest version: the vendor's own description from the signed manifest
 * (`xdrv pack --description`) or, without one, what the match table says it binds to; then
 * how many parameters it takes. */
static void put_summary(struct hbuf *b, const json_t *ver)
{
	const json_t *man = json_object_get(ver, "manifest");
	if (!man) {
		hbuf_puts(b, "Driver package");
		return;
	}
	const char *about = jstr(man, "description");
	if (about && *about)
		hbuf_esc(b, about);
	else
		put_match_summary(b, json_object_get(man, "match"));
	size_t np = json_array_size(json_object_get(man, "params"));
	hbuf_printf(b, " \xc2\xb7 %zu parameter%s", np, np == 1 ? "" : "s");
}

/* ---- page chrome --------------------------------------------------------------------------- */
static const char css[] =
	":root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;"
	"--bg:#fff;--soft:#f6f8fa;--accent:#0969da}"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;"
	"--bg:#0d1117;--soft:#151b23;--accent:#4493f8}}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
	"color:var(--fg);background:var(--bg);overflow-wrap:anywhere}"
	"a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}"
	"header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;"
	"padding:.75rem max(1rem,calc(50% - 29rem));border-bottom:1px solid var(--line);"
	"background:var(--soft)}"
	".brand{font-weight:700;font-size:1.1rem;color:var(--fg)}"
	"form.search{display:flex;flex:1 1 15rem;gap:.5rem;min-width:0}"
	"form.search input{flex:1;min-width:0;padding:.45rem .65rem;font:inherit;"
	"border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}"
	"button{font:inherit;padding:.45rem .9rem;border:1px solid var(--line);border-radius:6px;"
	"background:var(--bg);color:var(--fg);cursor:pointer}"
	"button:hover{background:var(--soft)}"
	"main{max-width:60rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.6rem;margin:.75rem 0 .25rem;line-height:1.25}"
	"h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;"
	"border-bottom:1px solid var(--line)}"
	".ver{font-weight:400;color:var(--muted);font-size:1rem;margin-left:.4rem}"
	".muted,.meta,.note,.crumbs{color:var(--muted)}"
	".summary{font-size:1.05rem;margin:.25rem 0 0}"
	".crumbs{font-size:.9rem}"
	"ul.cards{list-style:none;padding:0;margin:0}"
	".cards li{padding:.8rem 0;border-bottom:1px solid var(--line)}"
	".cards .name{font-weight:600;font-size:1.1rem}"
	".cards p{margin:.15rem 0}"
	".meta,.note{font-size:.9rem}"
	"table{border-collapse:collapse;width:100%;font-size:.95rem}"
	"th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);"
	"vertical-align:top}"
	"th{background:var(--soft);font-weight:600}"
	"dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.35rem 1.25rem;"
	"margin:0}"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}"
	"code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}"
	"pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.75rem "
	"1rem;"
	"white-space:pre-wrap;margin:.5rem 0}"
	".copy{font-size:.8rem;font-weight:400;padding:.05rem "
	".5rem;margin-left:.5rem;vertical-align:baseline}"
	".badge{display:inline-block;font-size:.75rem;border:1px solid var(--line);"
	"border-radius:1em;padding:0 .55em;color:var(--muted);vertical-align:middle}"
	"footer{max-width:60rem;margin:2.5rem auto 1rem;padding:1rem;color:var(--muted);"
	"font-size:.9rem;border-top:1px solid var(--line)}"
	"@media (max-width:40em){"
	"table.stack thead{display:none}"
	"table.stack tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}"
	"table.stack td{display:flex;gap:.75rem;border:0;padding:.1rem 0}"
	"table.stack td::before{content:attr(data-label);flex:0 0 6.5rem;color:var(--muted)}"
	"dl.facts{grid-template-columns:minmax(0,1fr);gap:0}dl.facts dd{margin-bottom:.5rem}"
	"h1{font-size:1.35rem}}";

const char repod_web_js[] =
	"// SPDX-License-Identifier: MIT\n"
	"// xdrv-repod: copy buttons for digests and install commands (the pages work without "
	"it).\n"
	"'use strict';\n"
	"document.addEventListener('DOMContentLoaded', function () {\n"
	"  document.querySelectorAll('button.copy').forEach(function (b) {\n"
	"    b.hidden = false;\n"
	"    b.addEventListener('click', function () {\n"
	"      var v = b.getAttribute('data-copy');\n"
	"      var done = function () {\n"
	"        b.textContent = 'Copied';\n"
	"        setTimeout(function () { b.textContent = 'Copy'; }, 1500);\n"
	"      };\n"
	"      var fallback = function () {\n"
	"        var t = document.createElement('textarea');\n"
	"        t.value = v;\n"
	"        document.body.appendChild(t);\n"
	"        t.select();\n"
	"        try { if (document.execCommand('copy')) done(); } catch (e) {}\n"
	"        t.remove();\n"
	"      };\n"
	"      if (navigator.clipboard && window.isSecureContext)\n"
	"        navigator.clipboard.writeText(v).then(done, fallback);\n"
	"      else\n"
	"        fallback();\n"
	"    });\n"
	"  });\n"
	"});\n";

const char repod_web_csp[] = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self';"
			     " img-src 'self' data:; form-action 'self'; base-uri 'none';"
			     " frame-ancestors 'none'";

static void head(struct hbuf *b, const char *title, const char *q)
{
	hbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>");
	hbuf_esc(b, title);
	hbuf_puts(b, "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>");
	hbuf_puts(b, css);
	hbuf_puts(b, "</style>\n<script src=\"/static/repo.js\" defer></script>\n</head><body>\n"
		     "<header class=\"top\"><a class=\"brand\" href=\"/\">xdrv drivers</a>\n"
		     "<form class=\"search\" action=\"/\" method=\"get\" role=\"search\">"
		     "<input type=\"search\" name=\"q\" id=\"q\" placeholder=\"Search drivers\" "
		     "aria-label=\"Search drivers and vendors\" value=\"");
	hbuf_esc(b, q);
	hbuf_puts(b, "\"><button type=\"submit\">Search</button></form></header>\n<main>\n");
}

static int finish(struct hbuf *b, char **html)
{
	hbuf_puts(b, "</main>\n<footer>TUF metadata: <a href=\"/metadata/timestamp.json\">"
		     "timestamp.json</a>, <a href=\"/metadata/1.root.json\">1.root.json</a> "
		     "\xc2\xb7 JSON API: <a href=\"/api/v1/packages\">/api/v1/packages</a>, "
		     "<code>/api/v1/search?q=</code></footer>\n</body></html>\n");
	if (b->failed) {
		free(b->p);
		*html = NULL;
		return -ENOMEM;
	}
	*html = b->p;
	return 0;
}

/* ---- index --------------------------------------------------------------------------------- */
int repod_html_index(const json_t *drivers, const struct repod_page *pg, char **html)
{
	struct hbuf b = {0};
	const char *q = pg && pg->q && pg->q[0] ? pg->q : NULL;
	size_t n = json_array_size(drivers);
	head(&b, "xdrv driver repository", q);
	hbuf_puts(&b, "<h1>Drivers</h1>\n");
	if (q) {
		hbuf_printf(&b,
			    "<p id=\"result-count\" class=\"muted\">%zu driver%s match%s "
			    "\xe2\x80\x9c",
			    n, n == 1 ? "" : "s", n == 1 ? "es" : "");
		hbuf_esc(&b, q);
		hbuf_puts(&b, "\xe2\x80\x9d \xc2\xb7 <a href=\"/\">show all</a></p>\n");
	}
	if (n == 0)
		hbuf_puts(&b, q ? "<p id=\"empty\">No driver or vendor matches. Search looks at "
				  "driver and vendor names.</p>\n"
				: "<p id=\"empty\">No drivers published yet.</p>\n");
	else
		hbuf_puts(&b, "<ul id=\"drivers\" class=\"cards\">\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(drivers, i), **vs;
		size_t nv = sorted_versions(d, &vs);
		if (nv == 0)
			continue;
		const json_t *v = vs[0];
		char abi[48], size[32], who[300];
		abi_string(jint(v, "abi_version"), abi, sizeof(abi));
		repod_human_size((uint64_t)jint(v, "size"), size, sizeof(size));
		repod_dn_summary(jstr(v, "signer"), who, sizeof(who));
		hbuf_puts(&b, "<li class=\"driver\" data-name=\"");
		hbuf_esc(&b, jstr(d, "name"));
		hbuf_puts(&b, "\"><a class=\"name\" href=\"/drivers/");
		hbuf_url(&b, jstr(d, "name"));
		hbuf_puts(&b, "\">");
		hbuf_esc(&b, jstr(d, "name"));
		hbuf_puts(&b, "</a><span class=\"ver\">");
		hbuf_esc(&b, jstr(v, "version"));
		hbuf_puts(&b, "</span>");
		if (nv > 1)
			hbuf_printf(&b, " <span class=\"badge\">%zu versions</span>", nv);
		hbuf_puts(&b, "\n<p class=\"summary\">");
		put_summary(&b, v);
		hbuf_puts(&b, "</p>\n<p class=\"meta\">by <span class=\"vendor\">");
		hbuf_esc(&b, jstr(d, "vendor"));
		hbuf_puts(&b, "</span> \xc2\xb7 signed by <span class=\"signer\" title=\"");
		hbuf_esc(&b, jstr(v, "signer"));
		hbuf_puts(&b, "\">");
		hbuf_esc(&b, who);
		hbuf_printf(&b,
			    "</span> \xc2\xb7 ABI <span class=\"abi\">%s</span> \xc2\xb7 %s "
			    "\xc2\xb7 ",
			    abi, size);
		put_date(&b, jint(v, "created"));
		hbuf_puts(&b, "</p></li>\n");
		free(vs);
	}
	if (n)
		hbuf_puts(&b, "</ul>\n");
	const json_t *vend = pg ? pg->vendors : NULL;
	size_t nvend = json_array_size(vend);
	if (nvend) {
		hbuf_puts(&b, "<h2>Vendors</h2>\n<ul id=\"vendors\">\n");
		for (size_t i = 0; i < nvend; i++) {
			const json_t *v = json_array_get(vend, i);
			long long k = jint(v, "versions");
			hbuf_puts(&b, "<li class=\"vendor\"><a href=\"/?q=");
			hbuf_url(&b, jstr(v, "name"));
			hbuf_puts(&b, "\">");
			hbuf_esc(&b, jstr(v, "name"));
			hbuf_printf(
				&b,
				"</a> <span class=\"muted\">(%lld package version%s)</span></li>\n",
				k, k == 1 ? "" : "s");
		}
		hbuf_puts(&b, "</ul>\n");
	}
	return finish(&b, html);
}

/* ---- driver page --------------------------------------------------------------------------- */
static void put_install(struct hbuf *b, const json_t *d, const struct repod_page *pg)
{
	const char *base = pg && pg->base_url ? pg->base_url : "REPOSITORY-URL";
	struct hbuf cmd = {0};
	hbuf_puts(&cmd, "xdrv repo add main ");
	hbuf_puts(&cmd, base);
	hbuf_puts(&cmd, " --root 1.root.json\nxdrv install ");
	hbuf_puts(&cmd, jstr(d, "name"));
	if (cmd.failed) {
		b->failed = true;
		free(cmd.p);
		return;
	}
	hbuf_puts(b, "<section id=\"install\"><h2>Install<button type=\"button\" class=\"copy\" "
		     "hidden title=\"Copy the commands\" data-copy=\"");
	esc(b, cmd.p, true);
	hbuf_puts(b, "\">Copy</button></h2>\n<pre><code id=\"install-cmd\">");
	esc(b, cmd.p, true);
	free(cmd.p);
	hbuf_puts(
		b,
		"</code></pre>\n<p class=\"note\"><code>1.root.json</code> is this "
		"repository's first root of trust: get it from its operator over a channel you "
		"trust (a copy is at <a href=\"/metadata/1.root.json\">/metadata/1.root.json</a>). "
		"<code>xdrv install</code> also checks the package signature against your "
		"package root (<code>--trust</code> or <code>STORE/trust-root.pem</code>). "
		"An older version: <code>xdrv install ");
	hbuf_esc(b, jstr(d, "name"));
	hbuf_puts(b, "@VERSION</code>.</p></section>\n");
}

static void put_facts(struct hbuf *b, const json_t *v)
{
	char abi[48], size[32], who[300], iss[300];
	abi_string(jint(v, "abi_version"), abi, sizeof(abi));
	repod_human_size((uint64_t)jint(v, "size"), size, sizeof(size));
	repod_dn_summary(jstr(v, "signer"), who, sizeof(who));
	hbuf_puts(b, "<section id=\"latest\"><h2>Latest version</h2>\n<dl class=\"facts\">\n"
		     "<dt>Version</dt><dd id=\"latest-version\">");
	hbuf_esc(b, jstr(v, "version"));
	hbuf_puts(b, "</dd>\n<dt>Published</dt><dd>");
	put_date(b, jint(v, "created"));
	hbuf_printf(b, "</dd>\n<dt>ABI version</dt><dd id=\"abi\">%s</dd>\n", abi);
	hbuf_printf(b, "<dt>Security version</dt><dd>%lld</dd>\n", jint(v, "security_version"));
	hbuf_printf(b, "<dt>Size</dt><dd id=\"size\">%s</dd>\n", size);
	hbuf_puts(b, "<dt>Signed by</dt><dd id=\"signer\" title=\"");
	hbuf_esc(b, jstr(v, "signer"));
	hbuf_puts(b, "\">");
	hbuf_esc(b, who);
	hbuf_puts(b, "</dd>\n");
	if (jstr(v, "issuer")) {
		repod_dn_summary(jstr(v, "issuer"), iss, sizeof(iss));
		hbuf_puts(b, "<dt>Issued by</dt><dd id=\"issuer\" title=\"");
		hbuf_esc(b, jstr(v, "issuer"));
		hbuf_puts(b, "\">");
		hbuf_esc(b, iss);
		hbuf_puts(b, "</dd>\n");
	}
	hbuf_puts(b, "<dt>SHA-256</dt><dd id=\"sha256\">");
	put_digest(b, jstr(v, "sha256"));
	hbuf_puts(b, "</dd>\n<dt>Package</dt><dd><a id=\"download\"");
	put_href(b, jstr(v, "url"));
	hbuf_puts(b, ">download</a> <span class=\"muted\">(install with <code>xdrv "
		     "install</code>: it checks the TUF metadata and the signature)</span></dd>\n"
		     "</dl></section>\n");
}

static void put_match(struct hbuf *b, const json_t *man)
{
	const json_t *match = json_object_get(man, "match");
	hbuf_puts(b, "<section id=\"match\"><h2>Devices it binds to</h2>\n");
	if (json_array_size(match) == 0) {
		hbuf_puts(b, "<p class=\"muted\">No match table recorded.</p></section>\n");
		return;
	}
	hbuf_puts(b, "<table class=\"stack\"><thead><tr><th>Bus</th><th>Vendor</th><th>Device</th>"
		     "<th>Class</th><th>Compatible</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < json_array_size(match); i++) {
		const json_t *m = json_array_get(match, i);
		long long v = jint(m, "vendor"), d = jint(m, "device");
		long long cc = jint(m, "class_code"), cm = jint(m, "class_mask");
		const char *bus = jstr(m, "bus");
		bool pci = bus && strcmp(bus, "pci") == 0;
		hbuf_puts(b, "<tr><td data-label=\"Bus\">");
		hbuf_esc(b, pci ? "PCI" : bus);
		hbuf_puts(b, "</td><td data-label=\"Vendor\">");
		if (!pci)
			hbuf_puts(b, "\xe2\x80\x94");
		else if (v == 0xffffffffLL)
			hbuf_puts(b, "any");
		else
			hbuf_printf(b, "<code>%04llx</code>", v & 0xffffffffLL);
		hbuf_puts(b, "</td><td data-label=\"Device\">");
		if (!pci)
			hbuf_puts(b, "\xe2\x80\x94");
		else if (d == 0xffffffffLL)
			hbuf_puts(b, "any");
		else
			hbuf_printf(b, "<code>%04llx</code>", d & 0xffffffffLL);
		hbuf_puts(b, "</td><td data-label=\"Class\">");
		if (pci && cm)
			hbuf_printf(b, "<code>%06llx</code> mask <code>%06llx</code>",
				    cc & 0xffffffffLL, cm & 0xffffffffLL);
		else
			hbuf_puts(b, "\xe2\x80\x94");
		hbuf_puts(b, "</td><td data-label=\"Compatible\">");
		if (jstr(m, "compatible")) {
			hbuf_puts(b, "<code>");
			hbuf_esc(b, jstr(m, "compatible"));
			hbuf_puts(b, "</code>");
		} else {
			hbuf_puts(b, "\xe2\x80\x94");
		}
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table></section>\n");
}

/* A parameter value: integers as numbers, 64-bit ones arrive as decimal strings. */
static void put_value(struct hbuf *b, const json_t *v, bool boolean)
{
	if (json_is_integer(v) && boolean)
		hbuf_puts(b, json_integer_value(v) ? "true" : "false");
	else if (json_is_integer(v))
		hbuf_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		hbuf_esc(b, json_string_value(v));
	else
		hbuf_puts(b, "?");
}

static void put_params(struct hbuf *b, const json_t *man)
{
	const json_t *params = json_object_get(man, "params");
	hbuf_puts(b, "<section id=\"params\"><h2>Parameters</h2>\n");
	if (json_array_size(params) == 0) {
		hbuf_puts(b, "<p class=\"muted\">This driver takes no parameters.</p></section>\n");
		return;
	}
	hbuf_puts(b, "<table class=\"stack\"><thead><tr><th>Name</th><th>Type</th>"
		     "<th>Default</th><th>Range</th><th>Description</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < json_array_size(params); i++) {
		const json_t *p = json_array_get(params, i);
		const char *type = jstr(p, "type");
		bool boolean = type && strcmp(type, "bool") == 0;
		hbuf_puts(b, "<tr class=\"param\"><td data-label=\"Name\"><code>");
		hbuf_esc(b, jstr(p, "name"));
		hbuf_puts(b, "</code></td><td data-label=\"Type\">");
		hbuf_esc(b, type);
		hbuf_puts(b, "</td><td data-label=\"Default\">");
		put_value(b, json_object_get(p, "default"), boolean);
		hbuf_puts(b, "</td><td data-label=\"Range\">");
		if (boolean) {
			hbuf_puts(b, "false, true");
		} else {
			put_value(b, json_object_get(p, "min"), false);
			hbuf_puts(b, " \xe2\x80\xa6 ");
			put_value(b, json_object_get(p, "max"), false);
		}
		hbuf_puts(b, "</td><td data-label=\"Description\">");
		hbuf_esc(b, jstr(p, "desc"));
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table>\n<p class=\"note\">Set a value when loading, e.g. "
		     "<code>xdrv run --param ");
	hbuf_esc(b, jstr(json_array_get(params, 0), "name"));
	hbuf_puts(b, "=VALUE</code>; the JIT turns it into a constant.</p></section>\n");
}

static void put_versions(struct hbuf *b, const json_t **vs, size_t nv)
{
	hbuf_printf(b,
		    "<section id=\"versions\"><h2>Versions <span class=\"badge\">%zu</span>"
		    "</h2>\n",
		    nv);
	hbuf_puts(b, "<table class=\"stack\"><thead><tr><th>Version</th><th>Published</th>"
		     "<th>ABI</th><th>Security</th><th>Size</th><th>SHA-256</th></tr></thead>"
		     "<tbody>\n");
	for (size_t i = 0; i < nv; i++) {
		const json_t *v = vs[i];
		char abi[48], size[32];
		abi_string(jint(v, "abi_version"), abi, sizeof(abi));
		repod_human_size((uint64_t)jint(v, "size"), size, sizeof(size));
		hbuf_puts(b, i == 0 ? "<tr class=\"version latest\">" : "<tr class=\"version\">");
		hbuf_puts(b, "<td data-label=\"Version\"><a");
		put_href(b, jstr(v, "url"));
		hbuf_puts(b, ">");
		hbuf_esc(b, jstr(v, "version"));
		hbuf_puts(b, i == 0 ? "</a> <span class=\"badge\">latest</span>" : "</a>");
		hbuf_puts(b, "</td><td data-label=\"Published\">");
		put_date(b, jint(v, "created"));
		hbuf_printf(b,
			    "</td><td data-label=\"ABI\">%s</td><td data-label=\"Security\">%lld"
			    "</td><td data-label=\"Size\">%s</td><td data-label=\"SHA-256\">",
			    abi, jint(v, "security_version"), size);
		put_digest(b, jstr(v, "sha256"));
		hbuf_puts(b, "</td></tr>\n");
	}
	hbuf_puts(b, "</tbody></table></section>\n");
}

int repod_html_driver(const json_t *d, const struct repod_page *pg, char **html)
{
	struct hbuf b = {0};
	const json_t **vs;
	size_t nv = sorted_versions(d, &vs);
	char title[160];
	snprintf(title, sizeof(title), "%.64s \xe2\x80\x94 xdrv driver repository",
		 jstr(d, "name") ? jstr(d, "name") : "?");
	head(&b, title, NULL);
	hbuf_puts(&b, "<nav class=\"crumbs\"><a href=\"/\">All drivers</a> \xe2\x80\xba ");
	hbuf_esc(&b, jstr(d, "vendor"));
	hbuf_puts(&b, "</nav>\n<h1 id=\"name\">");
	hbuf_esc(&b, jstr(d, "name"));
	if (nv) {
		hbuf_puts(&b, "<span class=\"ver\">");
		hbuf_esc(&b, jstr(vs[0], "version"));
		hbuf_puts(&b, "</span>");
	}
	hbuf_puts(&b, "</h1>\n<p class=\"summary\" id=\"summary\">");
	if (nv)
		put_summary(&b, vs[0]);
	hbuf_puts(&b, " \xc2\xb7 by <span class=\"vendor\">");
	hbuf_esc(&b, jstr(d, "vendor"));
	hbuf_puts(&b, "</span></p>\n");
	put_install(&b, d, pg);
	if (nv) {
		const json_t *man = json_object_get(vs[0], "manifest");
		put_facts(&b, vs[0]);
		put_match(&b, man);
		put_params(&b, man);
		put_versions(&b, vs, nv);
	}
	free(vs);
	return finish(&b, html);
}

int repod_html_not_found(const char *what, char **html)
{
	struct hbuf b = {0};
	head(&b, "Not found \xe2\x80\x94 xdrv driver repository", NULL);
	hbuf_puts(&b, "<h1>Not found</h1>\n<p id=\"not-found\">");
	hbuf_esc(&b, what);
	hbuf_puts(&b, "</p>\n<p><a href=\"/\">All drivers</a> \xc2\xb7 or search above.</p>\n");
	return finish(&b, html);
}
