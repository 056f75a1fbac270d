// SPDX-License-Identifier: MIT
/*
 * xdrv-repod views for people and scripts: the package listing and search as JSON, the model
 * of each driver that the HTML pages are built from (repod_html.c builds and escapes them),
 * and the static export that a plain web server can serve as a mirror.
 */
#include "repod.h"
#include "repod_html.h"
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

/* Rows ordered by vendor, name, then row id (publish order), as a JSON array of packages.
 * `full` adds what only the pages show: publish time, issuer and the stored manifest. */
static int packages(struct repo *r, const char *q, const char *only, bool full, json_t **out,
		    char **err)
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
		    " size, sha256, target, created, issuer, manifest FROM packages"
		    " WHERE ?1 IS NULL OR name = ?1 ORDER BY vendor, name, id",
		    -1, &st, NULL) != SQLITE_OK) {
		rc = xdrv_err(err, -EIO, "database: %s", sqlite3_errmsg(r->db));
		st = NULL;
	}
	if (st)
		sqlite3_bind_text(st, 1, only, -1, SQLITE_STATIC);
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
		if (v && full) {
			const char *issuer = (const char *)sqlite3_column_text(st, 10);
			const char *man = (const char *)sqlite3_column_text(st, 11);
			json_object_set_new(v, "created",
					    json_integer((json_int_t)sqlite3_column_int64(st, 9)));
			if (issuer)
				json_object_set_new(v, "issuer", json_string(issuer));
			/* written by us from a validated manifest; unreadable = not shown */
			json_t *m = man ? json_loads(man, 0, NULL) : NULL;
			if (m)
				json_object_set_new(v, "manifest", m);
		}
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
	int rc = packages(r, q, NULL, false, &arr, err);
	if (rc)
		return rc;
	*json = json_dumps(arr, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(arr);
	return *json ? 0 : xdrv_err(err, -ENOMEM, "out of memory");
}

/* ---- HTML (the pages themselves are built in repod_html.c) --------------------------------- */
/* [{"name", "versions"}] of every vendor, including those with no package yet. */
static json_t *vendors(struct repo *r)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	pthread_mutex_lock(&r->lock);
	if (arr && sqlite3_prepare_v2(r->db,
				      "SELECT v.name, (SELECT count(*) FROM packages p WHERE"
				      " p.vendor=v.name) FROM vendors v ORDER BY v.name",
				      -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(
				arr, json_pack("{s:s, s:I}", "name",
					       (const char *)sqlite3_column_text(st, 0), "versions",
					       (json_int_t)sqlite3_column_int64(st, 1)));
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->lock);
	return arr;
}

int repo_index_html(struct repo *r, const char *q, char **html, char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = packages(r, q && q[0] ? q : NULL, NULL, true, &arr, err);
	if (rc)
		return rc;
	json_t *v = vendors(r);
	struct repod_page pg = {.q = q, .vendors = v};
	rc = repod_html_index(arr, &pg, html);
	json_decref(v);
	json_decref(arr);
	return rc ? xdrv_err(err, rc, "index: out of memory") : 0;
}

int repo_driver_html(struct repo *r, const char *name, const char *base_url, char **html,
		     char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = packages(r, NULL, name, true, &arr, err);
	if (rc)
		return rc;
	if (json_array_size(arr) == 0) {
		char what[200];
		/* the name is shown escaped; cut so a long request cannot make a long page */
		snprintf(what, sizeof(what),
			 "No driver named \xe2\x80\x9c%.64s\xe2\x80\x9d in this "
			 "repository.",
			 name);
		rc = repod_html_not_found(what, html) ? -ENOMEM : -ENOENT;
		json_decref(arr);
		return xdrv_err(err, rc, "driver %.64s: %s", name,
				rc == -ENOENT ? "not found" : "out of memory");
	}
	struct repod_page pg = {.base_url = base_url};
	rc = repod_html_driver(json_array_get(arr, 0), &pg, html);
	json_decref(arr);
	return rc ? xdrv_err(err, rc, "driver %.64s: out of memory", name) : 0;
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

/* The HTML pages of a mirror: index.html, drivers/NAME/index.html (a plain web server answers
 * /drivers/NAME with it), static/repo.js. Search needs the daemon: on a mirror the form shows
 * the whole index. */
static int export_pages(struct repo *r, const char *dir, char **err)
{
	char *html = NULL;
	json_t *arr = NULL;
	int rc = repo_index_html(r, NULL, &html, err);
	if (rc == 0)
		rc = put(dir, "index.html", html, strlen(html), err);
	free(html);
	if (rc == 0)
		rc = put(dir, "static/repo.js", repod_web_js, strlen(repod_web_js), err);
	if (rc == 0)
		rc = packages(r, NULL, NULL, false, &arr, err);
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		const char *name =
			json_string_value(json_object_get(json_array_get(arr, i), "name"));
		char rel[128];
		html = NULL;
		/* names are [a-z0-9_-]{1,63} (checked at publish): safe as a folder name */
		if (xdrv_snprintf(rel, sizeof(rel), "drivers/%s/index.html", name) != 0 ||
		    strchr(name, '/') || name[0] == '.')
			rc = xdrv_err(err, -EINVAL, "export: driver name %.64s", name);
		if (rc == 0)
			rc = repo_driver_html(r, name, NULL, &html, err);
		if (rc == 0)
			rc = put(dir, rel, html, strlen(html), err);
		free(html);
	}
	json_decref(arr);
	return rc;
}

int repo_export(struct repo *r, const char *dir, char **err)
{
	sqlite3_stmt *st = NULL; /* finalized on every path, also when BEGIN failed */
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
	if (rc == 0)
		rc = export_pages(r, dir, err);
	if (rc)
		xdrv_err_prefix(err, "export %s", dir);
	return rc;
}
