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

#include "repod_db.h"

struct repo {
	struct repo_config cfg;
	const struct repod_db_ops *db_ops; /* the backend `store` names */
	struct repod_store *store;
	struct sig_trust *trust;
	struct tuf_signer *k_targets, *k_snapshot, *k_timestamp;
	char blob_dir[4096];
	unsigned long txn_retries; /* transactions run again after losing to another (atomic) */
};

/* Open the repository's store, online keys and blob folder only: no root import, no metadata
 * written (for `migrate`, which must not change its source and needs an empty target).
 * repo_open is this and then the start-up transaction. */
int repod_open_store(const struct repo_config *c, struct repo **out, char **err);

/* Latest version and expiry of a role, in a session of its own (0/0 if none). */
int repod_meta_latest(struct repo *r, const char *role, uint64_t *version, int64_t *expires,
		      char **err);

/* metadata generation (repod_meta.c), in the caller's write transaction on `db` */
struct repod_meta_req {
	bool targets;	    /* top-level targets (delegations) changed */
	const char *vendor; /* this vendor's role changed (NULL: none) */
	bool all_vendors;   /* re-sign every vendor's role */
};
int repod_meta_update(struct repo *r, struct repod_db *db, int64_t now,
		      const struct repod_meta_req *q, char **err);
/* Import new root versions from keys_dir/root; verify the chain and that the online keys are
 * the ones the newest root names. In the caller's write transaction. */
int repod_root_import(struct repo *r, struct repod_db *db, char **err);
/* Path of a vendor's online key file (keys_dir/vendors/NAME.key). */
int repod_vendor_key_path(const struct repo *r, const char *vendor, char *out, size_t n);
bool repod_vendor_name_ok(const char *name);
/* The vendor whose token this is (constant-time compare of salted SHA-256), or -EACCES; in a
 * session of its own (-ENOTCONN: the database cannot be reached). */
int repod_vendor_by_token(struct repo *r, const char *token, size_t tlen, char *vendor, size_t vn,
			  char **err);
/* A vendor's online key (repod_keys.c): sealed in the database when the backend keeps keys
 * (vendor_key_get/put), else the file keys_dir/vendors/NAME.key. */
int repod_vendor_key_load(struct repo *r, struct repod_db *db, const char *vendor,
			  struct tuf_signer **k, char **err);
int repod_vendor_key_save(struct repo *r, struct repod_db *db, const char *vendor,
			  const struct tuf_signer *k, char **err);

/* blobs (repod_blob.c) */
int repod_blob_path(const struct repo *r, const char *sha256, char *out, size_t n);
/* Store bytes under their SHA-256 (tmp + fsync + rename + dir fsync); an existing blob of the
 * same size is kept. */
int repod_blob_put(struct repo *r, const char *sha256, const uint8_t *buf, size_t len, char **err);
/* Remove temporary files and blobs no package row references. */
int repod_blob_gc(struct repo *r, char **err);
/* The blob file of `sha256` (`size` bytes) for serving: when the file is missing and the store
 * keeps blobs (blob_get), it is fetched, its hash checked, and written first. *path malloc'd. */
int repod_blob_file(struct repo *r, const char *sha256, uint64_t size, char **path, char **err);
/* The bytes of a blob: the file, else the store's copy (hash checked). *buf malloc'd. */
int repod_blob_read(struct repo *r, struct repod_db *db, const char *sha256, uint8_t **buf,
		    size_t *len, char **err);
/* Store a blob where `r` keeps them: the file, and the store's copy when it keeps one (in the
 * caller's write transaction on db). */
int repod_blob_store(struct repo *r, struct repod_db *db, const char *sha256, const uint8_t *buf,
		     size_t len, char **err);

/* The index page and a driver's page (as repo_index_html and repo_driver_html with no query
 * and no base URL) from rows the caller read (packages with .full, in their order; vendors):
 * the static mirror builds them from the read its metadata comes from. *html malloc'd. */
int repod_index_html_rows(const struct repod_pkg *rows, size_t n, const struct repod_vendor *vs,
			  size_t nv, char **html, char **err);
int repod_driver_html_rows(const struct repod_pkg *rows, size_t n, const char *name, char **html,
			   char **err);

/* Consistent target file name "VENDOR/<sha>.NAME-VERSION.xdrv" of a target path. */
int repod_target_file(const char *target, const char *sha256, char *out, size_t n);

int64_t repod_now(void);

/* `s` for a log line or message: bytes outside printable ASCII, '"' and backslash as %XX (so a
 * client or package cannot forge log lines or send escape sequences to a terminal), cut to fit
 * `n` (n >= 1; "..." marks a cut). Returns `out`. */
const char *repod_esc(const char *s, char *out, size_t n);

#endif
