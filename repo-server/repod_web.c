// SPDX-License-Identifier: MIT
/*
 * xdrv-repod views for people and scripts: the package listing and search as JSON, the HTML
 * index page (every string from the database HTML-escaped), and the static export that a plain
 * web server can serve as a mirror.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return n == 0;
}

/* Rows ordered by vendor, name, then row id (publish order), as a JSON array of packages. */
static int packages(struct repo *r, const char *q, json_t **out, char **err)
{
	sqlite3_stmt *st;
	json_t *arr = json_array(), *cur = NULL;
	int rc = 0;
	*out = NULL;
	if (!arr)
		return xdrv_err(err, -ENOMEM, "out of memory");
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(
		    r->db,
		    "SELECT vendor, name, version, abi_version, security_version, signer,"
		    " size, sha256, target FROM packages ORDER BY vendor, name, id",
		    -1, &st, NULL) != SQLITE_OK)
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *vendor = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		if (q && !contains_ci(name, q) && !contains_ci(vendor, q))
			continue;
		if (!cur || strcmp(json_string_value(json_object_get(cur, "name")), name) != 0 ||
		    strcmp(json_string_value(json_object_get(cur, "vendor")), vendor) != 0) {
			cur = json_pack("{s:s, s:s, s:[]}", "name", name, "vendor", vendor,
					"versions");
			if (!cur || json_array_append_new(arr, cur) != 0) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
		}
		const char *target = (const char *)sqlite3_column_text(st, 8);
		const char *sha = (const char *)sqlite3_column_text(st, 7);
		char file[400], url[420];
		repod_target_file(target, sha, file, sizeof(file));
		snprintf(url, sizeof(url), "/targets/%s", file);
		json_t *v = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:s}", "version",
				      (const char *)sqlite3_column_text(st, 2), "abi_version",
				      (json_int_t)sqlite3_column_int64(st, 3), "security_version",
				      (json_int_t)sqlite3_column_int64(st, 4), "signer",
				      (const char *)sqlite3_column_text(st, 5), "size",
				      (json_int_t)sqlite3_column_int64(st, 6), "sha256", sha,
				      "target", target, "url", url);
		if (!v || json_array_append_new(json_object_get(cur, "versions"), v) != 0)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int repo_packages_json(struct repo *r, const char *q, char **json, char **err)
{
	json_t *arr;
	int rc = packages(r, q, &arr, err);
	if (rc)
		return rc;
	*json = json_dumps(arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	return *json ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
}

/* ---- HTML ---------------------------------------------------------------------------------- */
struct hbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void hput(struct hbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
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

static void hs(struct hbuf *b, const char *s)
{
	hput(b, s, strlen(s));
}

static void hesc(struct hbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			hs(b, "&amp;");
			break;
		case '<':
			hs(b, "&lt;");
			break;
		case '>':
			hs(b, "&gt;");
			break;
		case '"':
			hs(b, "&quot;");
			break;
		case '\'':
			hs(b, "&#39;");
			break;
		default:
			hput(b, s, 1);
		}
	}
}

int repo_index_html(struct repo *r, char **html, char **err)
{
	json_t *arr;
	int rc = packages(r, NULL, &arr, err);
	if (rc)
		return rc;
	struct hbuf b = {0};
	hs(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	       "<title>xdrv driver repository</title>"
	       "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	       "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
	       "h2{margin-top:1.5em}</style></head><body>\n"
	       "<h1>xdrv driver repository</h1>\n"
	       "<p>TUF metadata: <a href=\"/metadata/timestamp.json\">timestamp.json</a>, "
	       "<a href=\"/metadata/1.root.json\">1.root.json</a>. JSON: "
	       "<a href=\"/api/v1/packages\">/api/v1/packages</a>.</p>\n");
	/* vendors, from the database (a vendor may have no packages yet) */
	sqlite3_stmt *st;
	hs(&b, "<h2>Vendors</h2>\n<ul id=\"vendors\">\n");
	pthread_mutex_lock(&r->lock);
	if (sqlite3_prepare_v2(r->db,
			       "SELECT v.name, (SELECT count(*) FROM packages p WHERE p.vendor="
			       "v.name) FROM vendors v ORDER BY v.name",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			char n[32];
			hs(&b, "<li class=\"vendor\">");
			hesc(&b, (const char *)sqlite3_column_text(st, 0));
			snprintf(n, sizeof(n), " (%lld package versions)",
				 (long long)sqlite3_column_int64(st, 1));
			hs(&b, n);
			hs(&b, "</li>\n");
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->lock);
	hs(&b, "</ul>\n<h2>Drivers</h2>\n");
	if (json_array_size(arr) == 0)
		hs(&b, "<p id=\"empty\">No drivers published yet.</p>\n");
	else
		hs(&b, "<table id=\"drivers\"><thead><tr><th>Driver</th><th>Vendor</th>"
		       "<th>Version</th><th>ABI</th><th>Security version</th><th>Signer</th>"
		       "<th>Size</th><th>SHA-256</th></tr></thead><tbody>\n");
	size_t i, j;
	json_t *p, *v;
	json_array_foreach(arr, i, p)
	{
		json_array_foreach(json_object_get(p, "versions"), j, v)
		{
			char num[64];
			uint32_t abi =
				(uint32_t)json_integer_value(json_object_get(v, "abi_version"));
			hs(&b, "<tr class=\"driver\"><td>");
			hesc(&b, json_string_value(json_object_get(p, "name")));
			hs(&b, "</td><td>");
			hesc(&b, json_string_value(json_object_get(p, "vendor")));
			hs(&b, "</td><td><a href=\"");
			hesc(&b, json_string_value(json_object_get(v, "url")));
			hs(&b, "\">");
			hesc(&b, json_string_value(json_object_get(v, "version")));
			snprintf(num, sizeof(num), "</a></td><td>%u.%u.%u</td><td>%lld</td><td>",
				 abi / 1000000u, abi / 1000u % 1000u, abi % 1000u,
				 (long long)json_integer_value(
					 json_object_get(v, "security_version")));
			hs(&b, num);
			hesc(&b, json_string_value(json_object_get(v, "signer")));
			snprintf(num, sizeof(num), "</td><td>%lld</td><td><code>",
				 (long long)json_integer_value(json_object_get(v, "size")));
			hs(&b, num);
			hesc(&b, json_string_value(json_object_get(v, "sha256")));
			hs(&b, "</code></td></tr>\n");
		}
	}
	if (json_array_size(arr))
		hs(&b, "</tbody></table>\n");
	hs(&b, "</body></html>\n");
	json_decref(arr);
	if (b.failed) {
		free(b.p);
		return xdrv_err(err, -ENOMEM, "index: out of memory");
	}
	*html = b.p;
	return 0;
}

/* ---- static export ------------------------------------------------------------------------- */
static int put(const char *dir, const char *rel, const void *buf, size_t len, char **err)
{
	char p[4300], d[4300];
	if (xdrv_snprintf(p, sizeof(p), "%s/%s", dir, rel) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "export: path too long");
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = 0;
	int rc = xdrv_mkdirs(d, 0755, err);
	return rc ? rc : xdrv_write_file_atomic(p, buf, len, 0644, err);
}

int repo_export(struct repo *r, const char *dir, char **err)
{
	sqlite3_stmt *st;
	int rc = 0;
	/* all metadata rows, consistent names; then the unversioned latest ones */
	struct row {
		char name[200];
		uint8_t *body;
		size_t len;
	};
	struct row *rows = NULL;
	size_t n = 0;
	pthread_mutex_lock(&r->lock);
	rc = repod_db_exec(r, "BEGIN", err); /* one consistent read of everything */
	if (rc == 0 &&
	    sqlite3_prepare_v2(r->db,
			       "SELECT role, version, body, version = (SELECT max(version)"
			       " FROM metadata m2 WHERE m2.role = m.role) FROM metadata m"
			       " ORDER BY role, version",
			       -1, &st, NULL) != SQLITE_OK)
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 0);
		bool latest = sqlite3_column_int(st, 3);
		bool ts = strcmp(role, "timestamp") == 0;
		for (int pass = 0; pass < 2 && rc == 0; pass++) {
			/* pass 0: N.ROLE.json (not for timestamp), pass 1: ROLE.json (latest) */
			if ((pass == 0 && ts) || (pass == 1 && !latest))
				continue;
			struct row *nr = realloc(rows, (n + 1) * sizeof(*rows));
			if (!nr) {
				rc = xdrv_err(err, -ENOMEM, "export: out of memory");
				break;
			}
			rows = nr;
			if (pass == 0)
				snprintf(rows[n].name, sizeof(rows[n].name),
					 "metadata/%lld.%s.json",
					 (long long)sqlite3_column_int64(st, 1), role);
			else
				snprintf(rows[n].name, sizeof(rows[n].name), "metadata/%s.json",
					 role);
			rows[n].len = (size_t)sqlite3_column_bytes(st, 2);
			rows[n].body = malloc(rows[n].len + 1);
			if (!rows[n].body) {
				rc = xdrv_err(err, -ENOMEM, "export: out of memory");
				break;
			}
			memcpy(rows[n].body, sqlite3_column_blob(st, 2), rows[n].len);
			n++;
		}
	}
	sqlite3_finalize(st);
	/* targets */
	struct target {
		char file[400], sha[65];
	} *tg = NULL;
	size_t nt = 0;
	if (rc == 0 && sqlite3_prepare_v2(r->db, "SELECT target, sha256 FROM packages", -1, &st,
					  NULL) == SQLITE_OK) {
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			struct target *nt2 = realloc(tg, (nt + 1) * sizeof(*tg));
			if (!nt2) {
				rc = xdrv_err(err, -ENOMEM, "export: out of memory");
				break;
			}
			tg = nt2;
			snprintf(tg[nt].sha, 65, "%s", (const char *)sqlite3_column_text(st, 1));
			repod_target_file((const char *)sqlite3_column_text(st, 0), tg[nt].sha,
					  tg[nt].file, sizeof(tg[nt].file));
			nt++;
		}
		sqlite3_finalize(st);
	}
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&r->lock);
	/* targets before metadata: a mirror being written never names a missing file */
	for (size_t i = 0; rc == 0 && i < nt; i++) {
		char bp[4200], rel[420];
		uint8_t *buf;
		size_t len;
		repod_blob_path(r, tg[i].sha, bp, sizeof(bp));
		snprintf(rel, sizeof(rel), "targets/%s", tg[i].file);
		rc = xdrv_read_file(bp, 1ull << 32, &buf, &len, err);
		if (rc == 0) {
			rc = put(dir, rel, buf, len, err);
			free(buf);
		}
	}
	for (size_t i = 0; i < n; i++) {
		/* timestamp last: it is the entry point of a client */
		if (rc == 0 && !strstr(rows[i].name, "timestamp"))
			rc = put(dir, rows[i].name, rows[i].body, rows[i].len, err);
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && strstr(rows[i].name, "timestamp"))
			rc = put(dir, rows[i].name, rows[i].body, rows[i].len, err);
		free(rows[i].body);
	}
	free(rows);
	free(tg);
	char *html = NULL;
	if (rc == 0)
		rc = repo_index_html(r, &html, err);
	if (rc == 0)
		rc = put(dir, "index.html", html, strlen(html), err);
	free(html);
	if (rc)
		xdrv_err_prefix(err, "export %s", dir);
	return rc;
}
