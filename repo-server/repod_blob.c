// SPDX-License-Identifier: MIT
/*
 * xdrv-repod blob store: package bytes under DATA/blobs/sha256/<hex>, written with a temporary
 * file, fsync, rename and a folder fsync before any database row may name them; and the
 * clean-up at start that removes what a crashed publish left behind.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int repod_blob_path(const struct repo *r, const char *sha256, char *out, size_t n)
{
	return xdrv_snprintf(out, n, "%s/%s", r->blob_dir, sha256) ? -ENAMETOOLONG : 0;
}

int repod_blob_put(struct repo *r, const char *sha256, const uint8_t *buf, size_t len, char **err)
{
	char p[4200];
	struct stat st;
	if (repod_blob_path(r, sha256, p, sizeof(p)) != 0)
		return xdrv_err(err, -ENAMETOOLONG, "blob %s: path too long", sha256);
	if (stat(p, &st) == 0 && (uint64_t)st.st_size == len)
		return 0; /* content-addressed: same name, same bytes */
	return xdrv_write_file_atomic(p, buf, len, 0644, err);
}

static bool referenced(struct repo *r, const char *sha)
{
	sqlite3_stmt *st;
	bool yes = true; /* on any doubt keep the file */
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM packages WHERE sha256=? LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return true;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	yes = rc != SQLITE_DONE;
	sqlite3_finalize(st);
	return yes;
}

int repod_blob_gc(struct repo *r, char **err)
{
	DIR *d = opendir(r->blob_dir);
	if (!d)
		return xdrv_err(err, -errno, "blobs %s: %s", r->blob_dir, strerror(errno));
	struct dirent *e;
	pthread_mutex_lock(&r->lock);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool tmp = strstr(e->d_name, ".tmp.") != NULL;
		if (!tmp && strlen(e->d_name) == 64 && referenced(r, e->d_name))
			continue;
		char p[4200];
		if (xdrv_snprintf(p, sizeof(p), "%s/%s", r->blob_dir, e->d_name) == 0)
			unlink(p);
	}
	pthread_mutex_unlock(&r->lock);
	closedir(d);
	return 0;
}

int repod_target_file(const char *target, const char *sha256, char *out, size_t n)
{
	const char *slash = strrchr(target, '/');
	if (!slash)
		return xdrv_snprintf(out, n, "%s.%s", sha256, target) ? -ENAMETOOLONG : 0;
	return xdrv_snprintf(out, n, "%.*s/%s.%s", (int)(slash - target), target, sha256, slash + 1)
		       ? -ENAMETOOLONG
		       : 0;
}
