// SPDX-License-Identifier: MIT
/*
 * xdrv-repod views for people and scripts: the package listing and search as JSON, and the model
 * of each driver that the HTML pages are built from (repod_html.c builds and escapes them). The
 * static mirror that writes them to files: repod_mirror.c.
 */
#include "repod.h"
#include "repod_html.h"
#include "xdrv/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return n == 0;
}

/* Rows ordered by vendor, name, then row id (publish order), as a JSON array of packages: those
 * whose name or vendor contains `q` and named `only` (each NULL: all). `full` adds what only the
 * pages show: publish time, issuer and the stored manifest (rows read with .full). */
static int rows_json(const struct repod_pkg *rows, size_t n, const char *q, const char *only,
		     bool full, json_t **out, char **err)
{
	json_t *arr = json_array(), *cur = NULL;
	int rc = 0;
	*out = NULL;
	if (!arr)
		return xdrv_err(err, -ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct repod_pkg *p = &rows[i];
		if (q && !contains_ci(p->name, q) && !contains_ci(p->vendor, q))
			continue;
		if (only && strcmp(p->name, only) != 0)
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
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* The same, read from the store now. */
static int packages(struct repo *r, const char *q, const char *only, bool full, json_t **out,
		    char **err)
{
	struct repod_pkg *rows = NULL;
	size_t n = 0;
	struct repod_pkg_filter f = {.name = only, .full = full};
	struct repod_db *db;
	*out = NULL;
	int rc = repod_db_get(r, &db, err);
	if (rc == 0) {
		rc = r->db_ops->packages(db, &f, &rows, &n, err);
		repod_db_put(r, db);
	}
	if (rc == 0)
		rc = rows_json(rows, n, q, NULL, full, out, err);
	repod_pkgs_free(rows, n);
	return rc;
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
static json_t *vendors_json(const struct repod_vendor *vs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "name", vs[i].name, "versions",
						     (json_int_t)vs[i].packages));
	return arr;
}

static json_t *vendors(struct repo *r)
{
	struct repod_vendor *vs = NULL;
	size_t n = 0;
	struct repod_db *db;
	if (repod_db_get(r, &db, NULL) == 0) {
		if (r->db_ops->vendors(db, &vs, &n, NULL) != 0)
			n = 0; /* the page shows no vendors rather than no page */
		repod_db_put(r, db);
	}
	json_t *arr = vendors_json(vs, n);
	free(vs);
	return arr;
}

static int index_page(json_t *arr, json_t *v, const char *q, char **html, char **err)
{
	struct repod_page pg = {.q = q, .vendors = v};
	int rc = repod_html_index(arr, &pg, html);
	json_decref(v);
	json_decref(arr);
	return rc ? xdrv_err(err, rc, "index: out of memory") : 0;
}

int repo_index_html(struct repo *r, const char *q, char **html, char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = packages(r, q && q[0] ? q : NULL, NULL, true, &arr, err);
	return rc ? rc : index_page(arr, vendors(r), q, html, err);
}

int repod_index_html_rows(const struct repod_pkg *rows, size_t n, const struct repod_vendor *vs,
			  size_t nv, char **html, char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = rows_json(rows, n, NULL, NULL, true, &arr, err);
	return rc ? rc : index_page(arr, vendors_json(vs, nv), NULL, html, err);
}

static int driver_page(json_t *arr, const char *name, const char *base_url, char **html, char **err)
{
	int rc;
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

int repo_driver_html(struct repo *r, const char *name, const char *base_url, char **html,
		     char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = packages(r, NULL, name, true, &arr, err);
	return rc ? rc : driver_page(arr, name, base_url, html, err);
}

int repod_driver_html_rows(const struct repod_pkg *rows, size_t n, const char *name, char **html,
			   char **err)
{
	json_t *arr;
	*html = NULL;
	int rc = rows_json(rows, n, NULL, name, true, &arr, err);
	return rc ? rc : driver_page(arr, name, NULL, html, err);
}
