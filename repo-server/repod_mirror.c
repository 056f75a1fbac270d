// SPDX-License-Identifier: MIT
/*
 * xdrv-repod static mirror: a folder that any web server serves as the repository (`export`),
 * kept current after each publish by `export --watch`. A pass reads what the store holds in one
 * read transaction and writes only what the folder lacks: new package files, new metadata
 * versions, the unversioned names of the roles that changed, the pages. Each file is written
 * whole (temporary file, fsync, rename, fsync of the folder) and in an order that keeps the
 * folder a consistent TUF repository at every instant: targets first, then every new versioned
 * metadata file, then the unversioned names, snapshot.json, and timestamp.json last. A reader
 * starts at timestamp.json, and everything it names (directly or through the snapshot and the
 * roles) was renamed into place before it; nothing is ever removed. The pages come from
 * repod_web.c/repod_html.c; what the store holds, from the ops of repod_db.h.
 */
#include "repod.h"
#include "repod_html.h"
#include "xdrv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The version of a role (root, targets, snapshot, a vendor) the folder holds. */
struct mrole {
	char name[72];
	uint64_t version;
};

struct repo_mirror {
	struct repo *r;
	char dir[4096];
	int dirfd; /* open for the flock that keeps a second writer away */
	const volatile sig_atomic_t *stop;
	bool synced; /* the last pass completed: the next may write only what is new */
	uint64_t ts_done, root_done;
	struct mrole *roles;
	size_t nroles;
};

/* One metadata file of a pass. */
struct mrow {
	char role[72];
	uint64_t version;
	bool latest;
	uint8_t *body;
	size_t len;
};

/* What one pass read from the store, in one transaction. */
struct mpass {
	struct repo_mirror *m;
	bool full;
	struct mrow *rows;
	size_t n;
	struct mrole *latest; /* each role's latest version in this read */
	size_t nlatest;
	uint64_t ts_version, root_version;
	struct repod_pkg *pk; /* with .full: the pages are built from them */
	size_t np;
	struct repod_vendor *vs;
	size_t nv;
};

static bool stopped(const struct repo_mirror *m)
{
	return m->stop && *m->stop;
}

static uint64_t role_version(const struct mrole *v, size_t n, const char *role)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, role) == 0)
			return v[i].version;
	return 0;
}

static int role_set(struct mrole **v, size_t *n, const char *role, uint64_t version, char **err)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, role) == 0) {
			(*v)[i].version = version;
			return 0;
		}
	struct mrole *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return xdrv_err(err, -ENOMEM, "mirror: out of memory");
	*v = nv;
	snprintf(nv[*n].name, sizeof(nv[*n].name), "%s", role);
	nv[*n].version = version;
	(*n)++;
	return 0;
}

static int row_add(struct mpass *p, const char *role, uint64_t version, bool latest,
		   const uint8_t *body, size_t len, char **err)
{
	struct mrow *nr = realloc(p->rows, (p->n + 1) * sizeof(*p->rows));
	if (!nr)
		return xdrv_err(err, -ENOMEM, "mirror: out of memory");
	p->rows = nr;
	struct mrow *w = &nr[p->n];
	snprintf(w->role, sizeof(w->role), "%s", role);
	w->version = version;
	w->latest = latest;
	w->len = len;
	if (!(w->body = malloc(len + 1)))
		return xdrv_err(err, -ENOMEM, "mirror: out of memory");
	memcpy(w->body, body, len);
	p->n++;
	return latest ? role_set(&p->latest, &p->nlatest, role, version, err) : 0;
}

static void pass_reset(struct mpass *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->rows[i].body);
	free(p->rows);
	p->rows = NULL;
	p->n = 0;
	free(p->latest);
	p->latest = NULL;
	p->nlatest = 0;
	repod_pkgs_free(p->pk, p->np);
	p->pk = NULL;
	p->np = 0;
	free(p->vs);
	p->vs = NULL;
	p->nv = 0;
	p->ts_version = p->root_version = 0;
}

static int full_row(void *arg, const char *role, uint64_t version, int64_t expires, bool latest,
		    const uint8_t *body, size_t len, char **err)
{
	struct mpass *p = arg;
	/* the timestamp has no versioned name: only the latest is served */
	if (strcmp(role, "timestamp") == 0 && !latest)
		return 0;
	return row_add(p, role, version, latest, body, len, err);
}

/* The versions of `role` after the one the folder holds, up to `to` (the latest). */
static int new_versions(struct repod_db *db, struct mpass *p, const char *role, uint64_t to,
			char **err)
{
	const struct repod_db_ops *o = p->m->r->db_ops;
	uint64_t from = role_version(p->m->roles, p->m->nroles, role);
	int rc = 0;
	for (uint64_t v = from + 1; rc == 0 && v <= to; v++) {
		uint8_t *b = NULL;
		size_t len = 0;
		char *e = NULL;
		rc = o->meta_get(db, role, v, &b, &len, &e);
		if (rc == 0)
			rc = row_add(p, role, v, v == to, b, len, err);
		else if (rc == -ENOENT) /* versions have no gaps; one missing has nothing to copy */
			rc = 0;
		else
			xdrv_err_set(err, "%s", e ? e : strerror(-rc));
		free(e);
		free(b);
	}
	/* a role that did not change keeps the version the folder holds */
	if (rc == 0 && to && to <= from)
		rc = role_set(&p->latest, &p->nlatest, role, to, err);
	return rc;
}

static int pass_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct mpass *p = arg;
	const struct repod_db_ops *o = r->db_ops;
	static const char *const top[] = {"root", "targets", "snapshot"};
	struct repod_pkg_filter all = {.full = true};
	pass_reset(p); /* what a lost attempt read */
	int rc = o->meta_latest(db, "timestamp", &p->ts_version, NULL, err);
	if (rc == 0)
		rc = o->meta_latest(db, "root", &p->root_version, NULL, err);
	if (rc == 0)
		rc = o->vendors(db, &p->vs, &p->nv, err);
	if (rc == 0 && p->full) {
		rc = o->meta_each(db, full_row, p, err);
	} else if (rc == 0) {
		for (size_t i = 0; rc == 0 && i < sizeof(top) / sizeof(top[0]); i++) {
			uint64_t v = 0;
			rc = o->meta_latest(db, top[i], &v, NULL, err);
			if (rc == 0)
				rc = new_versions(db, p, top[i], v, err);
		}
		for (size_t i = 0; rc == 0 && i < p->nv; i++)
			rc = new_versions(db, p, p->vs[i].name, p->vs[i].meta_version, err);
		if (rc == 0 && p->ts_version) {
			uint8_t *b = NULL;
			size_t len = 0;
			rc = o->meta_get(db, "timestamp", p->ts_version, &b, &len, err);
			if (rc == 0)
				rc = row_add(p, "timestamp", p->ts_version, true, b, len, err);
			free(b);
		}
	}
	if (rc == 0)
		rc = o->packages(db, &all, &p->pk, &p->np, err);
	return rc;
}

/* The folder `d` (under the mirror) made if missing; a new folder's name is fsynced in its parent
 * (up to the mirror's own), so that after a crash no file written later in another folder can
 * outlive a folder that a file written before it sits in. */
static int make_dir(const struct repo_mirror *m, char *d, char **err)
{
	struct stat st;
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	int rc = xdrv_mkdirs(d, 0755, err);
	size_t root = strlen(m->dir);
	for (char *s = strrchr(d, '/'); rc == 0 && s && (size_t)(s - d) >= root;
	     s = strrchr(d, '/')) {
		*s = 0; /* d is now the parent */
		int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0)
			rc = xdrv_err(err, -errno, "%s: fsync: %s", d, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

/* Write `rel` under the folder unless it already holds these bytes; *wrote says which. */
static int put(const struct repo_mirror *m, const char *rel, const void *buf, size_t len,
	       bool compare, bool *wrote, char **err)
{
	char p[4400], d[4400];
	struct stat st;
	*wrote = false;
	if (xdrv_snprintf(p, sizeof(p), "%s/%s", m->dir, rel) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "%s/%.100s: path too long", m->dir, rel);
	if (compare && stat(p, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
		uint8_t *old = NULL;
		size_t olen = 0;
		bool same = xdrv_read_file(p, len + 1, &old, &olen, NULL) == 0 && olen == len &&
			    memcmp(old, buf, len) == 0;
		free(old);
		if (same)
			return 0;
	}
	snprintf(d, sizeof(d), "%s", p);
	*strrchr(d, '/') = 0;
	int rc = make_dir(m, d, err);
	if (rc == 0)
		rc = xdrv_write_file_atomic(p, buf, len, 0644, err);
	*wrote = rc == 0;
	return rc;
}

static int stop_err(const struct mpass *p, char **err)
{
	return xdrv_err(err, -EINTR,
			"stopped before timestamp v%llu was written whole (the folder is still "
			"consistent at the version it had)",
			(unsigned long long)p->ts_version);
}

/* New package files, before any metadata names them. `names` collects the drivers that got
 * one (their pages change). */
static int write_targets(struct mpass *p, struct repo_mirror_pass *st, char ***names,
			 size_t *nnames, char **err)
{
	struct repo_mirror *m = p->m;
	struct repod_db *db = NULL;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->np; i++) {
		const struct repod_pkg *k = &p->pk[i];
		char file[400], rel[420], path[4600];
		struct stat sb;
		bool wrote = false;
		repod_target_file(k->target, k->sha256, file, sizeof(file));
		snprintf(rel, sizeof(rel), "targets/%s", file);
		snprintf(path, sizeof(path), "%s/%s", m->dir, rel);
		/* written whole (rename) under its hash: a file of the right size is these bytes */
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == k->size)
			continue;
		if (stopped(m)) {
			rc = stop_err(p, err);
			break;
		}
		uint8_t *buf = NULL;
		size_t len = 0;
		if (!db)
			rc = repod_db_get(m->r, &db, err);
		if (rc == 0)
			rc = repod_blob_read(m->r, db, k->sha256, &buf, &len, err);
		if (rc == 0 && len != k->size)
			rc = xdrv_err(err, -EIO, "blob %s: %zu bytes, %llu listed", k->sha256, len,
				      (unsigned long long)k->size);
		if (rc == 0)
			rc = put(m, rel, buf, len, false, &wrote, err);
		free(buf);
		st->targets += wrote;
		if (rc == 0) {
			char **nn = realloc(*names, (*nnames + 1) * sizeof(**names));
			if (!nn || !(nn[*nnames] = strdup(k->name)))
				rc = xdrv_err(err, -ENOMEM, "mirror: out of memory");
			if (nn)
				*names = nn;
			if (rc == 0)
				(*nnames)++;
		}
	}
	repod_db_put(m->r, db);
	return rc;
}

enum mstage { VERSIONED, PLAIN, PLAIN_SNAPSHOT, PLAIN_TIMESTAMP };

/* The metadata rows of one stage: versioned names, then the unversioned names of the other
 * roles, then snapshot.json, then timestamp.json, the entry point of every client. */
static int write_meta(struct mpass *p, enum mstage stage, struct repo_mirror_pass *st, char **err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		const struct mrow *w = &p->rows[i];
		bool ts = strcmp(w->role, "timestamp") == 0, sn = strcmp(w->role, "snapshot") == 0;
		char rel[200];
		bool wrote = false;
		if (stage == VERSIONED && !ts)
			snprintf(rel, sizeof(rel), "metadata/%llu.%s.json",
				 (unsigned long long)w->version, w->role);
		else if (w->latest &&
			 ((stage == PLAIN && !ts && !sn) || (stage == PLAIN_SNAPSHOT && sn) ||
			  (stage == PLAIN_TIMESTAMP && ts)))
			snprintf(rel, sizeof(rel), "metadata/%s.json", w->role);
		else
			continue;
		if (stopped(p->m))
			return stop_err(p, err);
		rc = put(p->m, rel, w->body, w->len, true, &wrote, err);
		st->metadata += wrote;
	}
	return rc;
}

/* index.html, static/repo.js and the page of each driver in `names` (all of them on a full
 * pass), from the pass's own read: a page never links a package the folder lacks. */
static int write_pages(struct mpass *p, char **names, size_t nnames, struct repo_mirror_pass *st,
		       char **err)
{
	struct repo_mirror *m = p->m;
	char *html = NULL;
	bool wrote = false;
	int rc = repod_index_html_rows(p->pk, p->np, p->vs, p->nv, &html, err);
	if (rc == 0)
		rc = put(m, "index.html", html, strlen(html), true, &wrote, err);
	st->pages += wrote;
	free(html);
	if (rc == 0)
		rc = put(m, "static/repo.js", repod_web_js, strlen(repod_web_js), true, &wrote,
			 err);
	st->pages += wrote;
	size_t n = p->full ? p->np : nnames;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *name = p->full ? p->pk[i].name : names[i];
		char rel[128];
		/* rows are ordered by vendor and name: one page per run of a name */
		if (p->full && i && strcmp(p->pk[i - 1].name, name) == 0)
			continue;
		if (!p->full && i && strcmp(names[i - 1], name) == 0)
			continue;
		if (stopped(m))
			return stop_err(p, err);
		html = NULL;
		/* names are [a-z0-9_-]{1,63} (checked at publish): safe as a folder name */
		if (xdrv_snprintf(rel, sizeof(rel), "drivers/%s/index.html", name) != 0 ||
		    strchr(name, '/') || name[0] == '.')
			rc = xdrv_err(err, -EINVAL, "driver name %.64s", name);
		if (rc == 0)
			rc = repod_driver_html_rows(p->pk, p->np, name, &html, err);
		if (rc == 0)
			rc = put(m, rel, html, strlen(html), true, &wrote, err);
		st->pages += wrote;
		free(html);
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int repo_mirror_sync(struct repo_mirror *m, struct repo_mirror_pass *st, char **err)
{
	struct mpass p = {.m = m};
	char **names = NULL;
	size_t nnames = 0;
	uint64_t tv = 0, rv = 0;
	int rc;
	memset(st, 0, sizeof(*st));
	/* a cheap look first: every change of the repository signs a new timestamp, except a root
	 * imported on its own */
	rc = repod_meta_latest(m->r, "timestamp", &tv, NULL, err);
	if (rc == 0)
		rc = repod_meta_latest(m->r, "root", &rv, NULL, err);
	if (rc)
		goto out;
	st->timestamp_version = m->ts_done;
	if (m->synced && tv == m->ts_done && rv == m->root_done)
		goto out;
	/* the first pass, or a store that went back (restored from a backup): compare every file */
	p.full = !m->synced || tv < m->ts_done || rv < m->root_done;
	st->changed = true;
	st->full = p.full;
	m->synced = false; /* until this pass completes: a failed one is followed by a full one */
	rc = repod_txn(m->r, REPOD_TXN_READ, pass_txn, &p, err);
	st->timestamp_version = p.ts_version;
	if (rc == 0)
		rc = write_targets(&p, st, &names, &nnames, err);
	for (enum mstage s = VERSIONED; rc == 0 && s <= PLAIN_TIMESTAMP; s++)
		rc = write_meta(&p, s, st, err);
	if (rc == 0 && nnames)
		qsort(names, nnames, sizeof(*names), cmp_str);
	if (rc == 0)
		rc = write_pages(&p, names, nnames, st, err);
	for (size_t i = 0; rc == 0 && i < p.nlatest; i++)
		rc = role_set(&m->roles, &m->nroles, p.latest[i].name, p.latest[i].version, err);
	if (rc == 0) {
		m->ts_done = p.ts_version;
		m->root_done = p.root_version;
		m->synced = true;
	}
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	pass_reset(&p);
	if (rc)
		xdrv_err_prefix(err, "mirror %s", m->dir);
	return rc;
}

/* Remove the temporary files of xdrv_write_file_atomic ("NAME.tmp.XXXXXX") that a killed writer
 * left in `path` and its folders, `depth` levels down (the tree is DIR/targets/VENDOR/FILE at
 * its deepest). One that cannot go is only junk: no metadata names it. */
static void drop_tmp(const char *path, int depth)
{
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char p[4600];
		struct stat sb;
		const char *t = strstr(e->d_name, ".tmp.");
		if (e->d_name[0] == '.' ||
		    xdrv_snprintf(p, sizeof(p), "%s/%s", path, e->d_name) != 0 ||
		    lstat(p, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode) && depth > 0)
			drop_tmp(p, depth - 1);
		else if (S_ISREG(sb.st_mode) && t && strlen(t) == 11)
			(void)unlink(p);
	}
	if (d)
		closedir(d);
}

int repo_mirror_open(struct repo *r, const char *dir, const volatile sig_atomic_t *stop,
		     struct repo_mirror **out, char **err)
{
	*out = NULL;
	struct repo_mirror *m = calloc(1, sizeof(*m));
	if (!m)
		return xdrv_err(err, -ENOMEM, "mirror %s: out of memory", dir);
	m->r = r;
	m->stop = stop;
	m->dirfd = -1;
	int rc = xdrv_snprintf(m->dir, sizeof(m->dir), "%s", dir) != 0
			 ? xdrv_err(err, -ENAMETOOLONG, "mirror %.100s: path too long", dir)
			 : xdrv_mkdirs(dir, 0755, err);
	if (rc == 0 && (m->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = xdrv_err(err, -errno, "mirror %s: %s", dir, strerror(errno));
	/* two writers could put an older timestamp.json back over a newer one */
	if (rc == 0 && flock(m->dirfd, LOCK_EX | LOCK_NB) != 0)
		rc = errno == EWOULDBLOCK
			     ? xdrv_err(err, -EBUSY,
					"mirror %s: another xdrv-repod export writes this folder",
					dir)
			     : xdrv_err(err, -errno, "mirror %s: lock: %s", dir, strerror(errno));
	if (rc == 0)
		drop_tmp(dir, 2);
	if (rc) {
		repo_mirror_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void repo_mirror_close(struct repo_mirror *m)
{
	if (!m)
		return;
	if (m->dirfd >= 0)
		close(m->dirfd);
	free(m->roles);
	free(m);
}

int repo_export(struct repo *r, const char *dir, char **err)
{
	struct repo_mirror *m;
	struct repo_mirror_pass st;
	int rc = repo_mirror_open(r, dir, NULL, &m, err);
	if (rc == 0)
		rc = repo_mirror_sync(m, &st, err);
	repo_mirror_close(m);
	if (rc)
		xdrv_err_prefix(err, "export");
	return rc;
}
