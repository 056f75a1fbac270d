/* SPDX-License-Identifier: MIT */
/*
 * Private to xdrv-repod: the open repository object and the helpers its files share
 * (database, metadata generation, blobs). Public contract: xdrv/repo_server.h.
 */
#ifndef XDRV_REPOD_H
#define XDRV_REPOD_H

#include "xdrv/repo_server.h"
#include "xdrv/signer.h"
#include "xdrv/tuf.h"

#include <pthread.h>
#include <sqlite3.h>

struct repo {
	struct repo_config cfg;
	sqlite3 *db;
	pthread_mutex_t lock; /* one connection, used by one thread at a time */
	struct sig_trust *trust;
	struct tuf_signer *k_targets, *k_snapshot, *k_timestamp;
	char blob_dir[4096];
};

/* database (repod_db.c) */
int repod_db_open(struct repo *r, char **err);
int repod_db_exec(struct repo *r, const char *sql, char **err);
int repod_db_begin(struct repo *r, char **err); /* BEGIN IMMEDIATE (waits for other writers) */
int repod_db_commit(struct repo *r, char **err);
void repod_db_rollback(struct repo *r);
/* Latest version of a role's metadata and its expiry; 0/0 if none. */
int repod_meta_latest(struct repo *r, const char *role, uint64_t *version, int64_t *expires,
		      char **err);
int repod_meta_store(struct repo *r, const char *role, uint64_t version, int64_t expires,
		     const char *body, size_t len, char **err);
/* Body of role@version (version 0 = latest). -ENOENT. */
int repod_meta_body(struct repo *r, const char *role, uint64_t version, uint8_t **buf, size_t *len,
		    char **err);

/* metadata generation (repod_meta.c); caller holds r->lock and a transaction */
struct repod_meta_req {
	bool targets;	    /* top-level targets (delegations) changed */
	const char *vendor; /* this vendor's role changed (NULL: none) */
	bool all_vendors;   /* re-sign every vendor's role */
};
int repod_meta_update(struct repo *r, int64_t now, const struct repod_meta_req *q, char **err);
/* Import new root versions from keys_dir/root; verify the chain. Holds lock + transaction. */
int repod_root_import(struct repo *r, char **err);
/* Path of a vendor's online key file (keys_dir/vendors/NAME.key). */
int repod_vendor_key_path(const struct repo *r, const char *vendor, char *out, size_t n);
bool repod_vendor_name_ok(const char *name);
/* The vendor whose token this is (constant-time compare of salted SHA-256), or -EACCES.
 * Caller holds r->lock. */
int repod_vendor_by_token(struct repo *r, const char *token, size_t tlen, char *vendor, size_t vn,
			  char **err);

/* blobs (repod_blob.c) */
int repod_blob_path(const struct repo *r, const char *sha256, char *out, size_t n);
/* Store bytes under their SHA-256 (tmp + fsync + rename + dir fsync); an existing blob of the
 * same size is kept. */
int repod_blob_put(struct repo *r, const char *sha256, const uint8_t *buf, size_t len, char **err);
/* Remove temporary files and blobs no package row references. Holds lock. */
int repod_blob_gc(struct repo *r, char **err);

/* Consistent target file name "VENDOR/<sha>.NAME-VERSION.xdrv" of a target path. */
int repod_target_file(const char *target, const char *sha256, char *out, size_t n);

int64_t repod_now(void);

/* `s` for a log line or message: bytes outside printable ASCII, '"' and backslash as %XX (so a
 * client or package cannot forge log lines or send escape sequences to a terminal), cut to fit
 * `n` (n >= 1; "..." marks a cut). Returns `out`. */
const char *repod_esc(const char *s, char *out, size_t n);

#endif
