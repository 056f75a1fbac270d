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
	json_t *arr = json_array(), *cur = NULL;
	struct repod_pkg *rows = NULL;
	size_t n = 0;
	struct repod_pkg_filter f = {.name = only, .full = full};
	struct repod_db *db;
	*out = NULL;
	if (!arr)
		return xdrv_err(err, -ENOMEM, "out of memory");
	int rc = repod_db_get(r, &db, err);
	if (rc == 0) {
		rc = r->db_ops->packages(db, &f, &rows, &n, err);
		repod_db_put(r, db);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct repod_pkg *p = &rows[i];
		if (q && !contains_ci(p->name, q) && !contains_ci(p->vendor, q))
			continue;
		if (!cur || strcmp(json_string_value(json_object_get(cur, "name")), p->name) != 0 ||
		    strcmp(json_string_value(json_object_get(cur, "vendor")), p->vendor) != 0) {
			cur = json_pack("{s:s, s:s, s:[]}", "name", p->name, "vendor", p->vendor,
					"versions");
			if (!cur || json_array_append_new(arr, cur) != 0) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
		}
		char file[400], url[420];
		repod_target_file(p->target, p->sha256, file, sizeof(file));
		snprintf(url, sizeof(url), "/targets/%s", file);
		json_t *v = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:s}", "version",
				      p->version, "abi_version", (json_int_t)p->abi_version,
				      "security_version", (json_int_t)p->security_version, "signer",
				      p->signer, "size", (json_int_t)p->size, "sha256", p->sha256,
				      "target", p->target, "url", url);
		if (v && full) {
			json_object_set_new(v, "created", json_integer((json_int_t)p->created));
			if (p->issuer)
				json_object_set_new(v, "issuer", json_string(p->issuer));
			/* written by us from a validated manifest; unreadable = not shown */
			json_t *m = p->manifest ? json_loads(p->manifest, 0, NULL) : NULL;
			if (m)
				json_object_set_new(v, "manifest", m);
		}
		if (!v || json_array_append_new(json_object_get(cur, "versions"), v) != 0)
			rc = xdrv_err(err, -ENOMEM, "out of memory");
	}
	repod_pkgs_free(rows, n);
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
	json_t *arr = json_array();
	struct repod_vendor *vs = NULL;
	size_t n = 0;
	struct repod_db *db;
	if (arr && repod_db_get(r, &db, NULL) == 0) {
		if (r->db_ops->vendors(db, &vs, &n, NULL) != 0)
			n = 0; /* the page shows no vendors rather than no page */
		repod_db_put(r, db);
	}
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "name", vs[i].name, "versions",
						     (json_int_t)vs[i].packages));
	free(vs);
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

/* What an export writes: every metadata row and every package, from one consistent read. */
struct exp_row {
	char name[200];
	uint8_t *body;
	size_t len;
};
struct exp {
	struct exp_row *rows;
	size_t n;
	struct repod_pkg *pk;
	size_t np;
};

static int exp_meta(void *arg, const char *role, uint64_t version, int64_t expires, bool latest,
		    const uint8_t *body, size_t len, char **err)
{
	struct exp *x = arg;
	bool ts = strcmp(role, "timestamp") == 0;
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: N.ROLE.json (not for timestamp), pass 1: ROLE.json (latest) */
		if ((pass == 0 && ts) || (pass == 1 && !latest))
			continue;
		struct exp_row *nr = realloc(x->rows, (x->n + 1) * sizeof(*x->rows));
		if (!nr)
			return xdrv_err(err, -ENOMEM, "export: out of memory");
		x->rows = nr;
		struct exp_row *w = &nr[x->n];
		if (pass == 0)
			snprintf(w->name, sizeof(w->name), "metadata/%llu.%s.json",
				 (unsigned long long)version, role);
		else
			snprintf(w->name, sizeof(w->name), "metadata/%s.json", role);
		w->len = len;
		if (!(w->body = malloc(len + 1)))
			return xdrv_err(err, -ENOMEM, "export: out of memory");
		memcpy(w->body, body, len);
		x->n++;
	}
	return 0;
}

static int exp_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct exp *x = arg;
	struct repod_pkg_filter all = {0};
	for (size_t i = 0; i < x->n; i++) /* what a lost attempt read */
		free(x->rows[i].body);
	x->n = 0;
	repod_pkgs_free(x->pk, x->np);
	x->pk = NULL;
	x->np = 0;
	int rc = r->db_ops->meta_each(db, exp_meta, x, err);
	if (rc == 0)
		rc = r->db_ops->packages(db, &all, &x->pk, &x->np, err);
	return rc;
}

int repo_export(struct repo *r, const char *dir, char **err)
{
	struct exp x = {0};
	int rc = repod_txn(r, REPOD_TXN_READ, exp_txn, &x, err);
	/* targets before metadata: a mirror being written never names a missing file */
	struct repod_db *db = NULL;
	if (rc == 0 && x.np)
		rc = repod_db_get(r, &db, err);
	for (size_t i = 0; rc == 0 && i < x.np; i++) {
		char file[400], rel[420];
		uint8_t *buf;
		size_t len;
		repod_target_file(x.pk[i].target, x.pk[i].sha256, file, sizeof(file));
		snprintf(rel, sizeof(rel), "targets/%s", file);
		rc = repod_blob_read(r, db, x.pk[i].sha256, &buf, &len, err);
		if (rc == 0) {
			rc = put(dir, rel, buf, len, err);
			free(buf);
		}
	}
	repod_db_put(r, db);
	for (size_t i = 0; i < x.n; i++) {
		/* timestamp last: it is the entry point of a client */
		if (rc == 0 && !strstr(x.rows[i].name, "timestamp"))
			rc = put(dir, x.rows[i].name, x.rows[i].body, x.rows[i].len, err);
	}
	for (size_t i = 0; i < x.n; i++) {
		if (rc == 0 && strstr(x.rows[i].name, "timestamp"))
			rc = put(dir, x.rows[i].name, x.rows[i].body, x.rows[i].len, err);
		free(x.rows[i].body);
	}
	free(x.rows);
	repod_pkgs_free(x.pk, x.np);
	if (rc == 0)
		rc = export_pages(r, dir, err);
	if (rc)
		xdrv_err_prefix(err, "export %s", dir);
	return rc;
}
