/* SPDX-License-Identifier: MIT */
/*
 * xdrv repository server (xdrv-repod): a TUF 1.0 repository of signed driver packages.
 *
 * Layout (docs/REPOSITORY.md has the whole picture):
 *   KEYS_DIR (from `keys init --dir D`):
 *     D/offline/root.key             root private key: keep it off the server
 *     D/online/{targets,snapshot,timestamp}.key, D/online/vendors/NAME.key   online keys
 *     D/online/root/N.root.json      every root version (public; imported at open)
 *   DATA_DIR:
 *     repod.db                       SQLite (WAL): vendors, tokens (salted SHA-256), packages,
 *                                    every metadata file ever signed (role, version, bytes)
 *     blobs/sha256/<hex>             package bytes, content-addressed, written tmp+fsync+rename
 *                                    BEFORE the database transaction that references them
 *   With store = postgresql the database is PostgreSQL, shared by any number of servers: the
 *   same tables plus the blobs themselves and the vendors' online keys (sealed with a key
 *   derived from the targets key); DATA_DIR/blobs is then each server's local copy of the blobs
 *   it served or published, filled from the database on demand.
 * Target path of a package: "VENDOR/NAME-VERSION.xdrv"; vendor VENDOR's delegated role is named
 * VENDOR with paths ["VENDOR/ *"] (no space). Consistent snapshots: metadata N.ROLE.json,
 * targets "VENDOR/<sha256>.NAME-VERSION.xdrv". custom: name, version, security_version,
 * abi_version, signer, vendor.
 *
 * All int functions: 0 or a negative errno, *err (if not NULL) a malloc'd message.
 */
#ifndef XDRV_REPO_SERVER_H
#define XDRV_REPO_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPO_DEFAULT_PORT	 8470
#define REPO_DEFAULT_MAX_PACKAGE (32u << 20) /* the SDK's archive total cap */
/* A publish refused before its body is read (wrong token, declared size over max_package) from
 * a client that did not send "Expect: 100-continue" is read and dropped, then answered, as long
 * as the body stays within max_package + REPO_DRAIN_EXTRA bytes: answering while the client is
 * still sending would make the server close with unread data, and the client get a reset
 * instead of the answer. 16 MiB covers a package that grew past the limit and any client that
 * sends small bodies without Expect (curl asks for 100-continue above 1 MiB); a larger body is
 * refused at once (declared) or cut off (chunked), since reading it is only a cost. */
#define REPO_DRAIN_EXTRA (16u << 20)

struct repo_config {
	char *listen;	      /* "127.0.0.1" */
	uint16_t port;	      /* 0 = ephemeral (the bound port is printed and returned) */
	char *data_dir;	      /* required */
	char *keys_dir;	      /* required: the `online` folder made by keys init */
	char *trust_root;     /* required: PEM of the driver-signing root packages must chain to */
	int64_t time_floor;   /* for sig_verify, 0 = built-in */
	uint64_t max_package; /* bytes, default REPO_DEFAULT_MAX_PACKAGE */
	unsigned threads;     /* HTTP thread pool size, default 4 */
	int64_t expiry_timestamp, expiry_snapshot, expiry_targets; /* seconds: 1 d, 7 d, 90 d */
	bool access_log; /* one logfmt line per request on stderr, default true */
	char *tls_cert; /* PEM certificate (chain) and key: HTTPS through libmicrohttpd's own TLS */
	char *tls_key;	/* (GnuTLS); both NULL = plain HTTP */
	/* Connection limits and timeouts (docs/REPOSITORY.md, "Limits"): */
	unsigned max_connections;	     /* open connections in all, default 4096 */
	unsigned max_connections_per_client; /* open connections from one address, default 32 */
	unsigned
		header_timeout; /* s from accept (or the previous answer) to complete headers: 10 */
	unsigned body_timeout;	/* s from the headers to the end of an upload's body: 300 */
	unsigned idle_timeout;	/* s without any progress while answering: 30 */
	/* The database: "sqlite" (NULL, the default: DATA_DIR/repod.db, one server) or "postgresql"
	 * (postgres_conninfo, a libpq connection string: any number of servers on one database). */
	char *store;
	char *postgres_conninfo;
};
/* Defaults for every field (strings NULL). */
void repo_config_defaults(struct repo_config *c);
/* Read a config file: "key = value" lines, '#' comments; or a JSON object with the same keys.
 * Keys: listen, port, data_dir, keys_dir, trust_root, time_floor, max_package, threads,
 * timestamp_expiry, snapshot_expiry, targets_expiry, access_log, tls_cert, tls_key,
 * max_connections, max_connections_per_client, header_timeout, body_timeout, idle_timeout,
 * store, postgres_conninfo (max_connections_per_client must not exceed max_connections, an
 * unknown store and store = postgresql without postgres_conninfo: -EINVAL). Relative paths
 * are taken relative to the config file's folder. Unknown keys: -EINVAL "CONFIG:LINE: unknown key
 * x". */
int repo_config_load(const char *path, struct repo_config *out, char **err);
void repo_config_free(struct repo_config *c); /* members; NULL-safe */
/* Write a commented config file for `xdrv-repod init`: listen, port, data_dir, keys_dir and
 * trust_root from `c` (NULL strings: "127.0.0.1", "data", "keys/online"; a NULL trust_root is
 * written as a commented REQUIRED line, so the file loads only once it is set), every other
 * key commented out with c's value. Refuses (-EEXIST "PATH exists (not replaced; --force
 * rewrites it)") to replace an existing file unless `force`; the write itself is atomic. */
int repo_config_write(const char *path, const struct repo_config *c, bool force, char **err);
/* Create a vendor's publish token file: 32 random bytes as 64 hex digits and a newline, in a
 * new file of mode 0600 (O_EXCL: -EEXIST if `path` exists; nothing is replaced). */
int repo_token_file_create(const char *path, char **err);

/* keys init: make D/offline/root.key, D/online/{targets,snapshot,timestamp}.key and
 * D/online/root/1.root.json (threshold 1 each, consistent_snapshot true, expires now +
 * root_days). Refuses (-EEXIST) if D/offline/root.key exists. */
int repo_keys_init(const char *dir, int64_t now, unsigned root_days, char **err);
/* keys rotate-root: root N+1 with a new root key (online keys kept), signed by the old AND the
 * new root key, written to D/online/root/(N+1).root.json; the new key replaces
 * D/offline/root.key (the old one is kept as D/offline/root.N.key). */
int repo_keys_rotate_root(const char *dir, int64_t now, unsigned root_days, char **err);

struct repo; /* an open repository: database, online keys, trusted driver root. Thread-safe. */
/* Open (creating the database and folders if missing), import new root versions from
 * keys_dir/root (each must be signed by the previous root's threshold and its own), and make
 * sure current metadata exists and is not near expiry. The config is copied. Several processes
 * may open one data folder (the server, `vendor add`), and several servers one PostgreSQL
 * database: the store serialises their writes. A database that cannot be reached is -ENOTCONN. */
int repo_open(const struct repo_config *c, struct repo **out, char **err);
void repo_close(struct repo *r); /* NULL-safe */
/* Remove what a crashed publish left: temporary files and blobs no package row references.
 * Only safe while no other process publishes to this data folder: the server calls it at start,
 * after taking DATA/serve.lock (repo_serve_lock). */
int repo_gc(struct repo *r, char **err);
/* Take an exclusive lock on DATA/serve.lock (flock, held until the process exits): a second
 * server on the same data folder fails with -EBUSY "... is served by another xdrv-repod". */
int repo_serve_lock(struct repo *r, char **err);

/* Add a vendor: name [a-z0-9][a-z0-9-]{0,63} (not a top-level role name); token at least 16
 * bytes, stored as salted SHA-256; creates its online key and a new targets/snapshot/timestamp.
 * -EEXIST for a known vendor. Works while a server runs on the same data (another process). */
int repo_vendor_add(struct repo *r, const char *name, const char *token, char **err);

struct repo_publish_result {
	int status;	  /* HTTP status: 201 new, 200 same bytes already published */
	char target[256]; /* target path */
	char sha256[65];
	char name[65], version[32];
	uint64_t targets_version; /* version of the vendor's role after the publish */
};
/* Publish a signed package for the vendor owning `token`. Checks, in order: token (-EACCES),
 * size (-EFBIG), signature chain to trust_root (-EBADMSG/-EPERM/-EKEYEXPIRED...), package and
 * manifest (-EINVAL), the target path (`path` NULL = "VENDOR/NAME-VERSION.xdrv"; otherwise it
 * must end in "/NAME-VERSION.xdrv" and be inside the vendor's delegation: -EPERM "... outside
 * the delegation of vendor V"), a name owned by another vendor (-EPERM), an existing
 * name+version with other bytes (-EEXIST). The blob is stored first, then one transaction
 * inserts the package and the new metadata (vendor role, snapshot, timestamp, each version + 1).
 * Concurrent publishes of one name+version: exactly one wins, the others get 200 (same bytes)
 * or -EEXIST. */
int repo_publish(struct repo *r, const char *token, const uint8_t *body, size_t len,
		 const char *path, struct repo_publish_result *res, char **err);
/* HTTP status for a publish error code (401, 403, 409, 413, 400, 500; 503 for a database that
 * cannot be reached or stayed busy: -ENOTCONN, -EAGAIN, -ETIMEDOUT). */
int repo_status_for(int rc);

/* Metadata file by served name: "timestamp.json", "N.root.json", "root.json", "N.snapshot.json",
 * "N.targets.json", "N.VENDOR.json" (also unversioned for the latest). *buf malloc'd. -ENOENT. */
int repo_metadata_get(struct repo *r, const char *file, uint8_t **buf, size_t *len, char **err);
/* Import root versions added to keys_dir/root since (rotation without a restart), and re-sign
 * roles whose expiry is less than half their period away (then snapshot, timestamp).
 * Called periodically by the server. *changed (may be NULL) says whether anything was signed. */
int repo_refresh(struct repo *r, int64_t now, bool *changed, char **err);
/* JSON for /api/v1/packages and /api/v1/search?q= (q NULL = all; case-insensitive substring of
 * name or vendor): [{"name","vendor","versions":[{"version","abi_version","security_version",
 * "signer","size","sha256","target","url"}]}]. *json malloc'd. */
int repo_packages_json(struct repo *r, const char *q, char **json, char **err);
/* The HTML index page: a search form, the drivers matching `q` (NULL or "" = all; the same
 * match as /api/v1/search) with their latest version, and the vendors. Every string from a
 * package is HTML-escaped. *html malloc'd. */
int repo_index_html(struct repo *r, const char *q, char **html, char **err);
/* The HTML page of driver `name`: versions highest first, match table, parameters, ABI,
 * signer and issuer, size, date, digest, an install snippet naming `base_url` (NULL: a
 * placeholder). -ENOENT for an unknown driver, and then *html is the 404 page to send.
 * *html malloc'd. */
int repo_driver_html(struct repo *r, const char *name, const char *base_url, char **html,
		     char **err);
/* Find a blob by its consistent target file name "VENDOR/<sha256>.NAME-VERSION.xdrv": 0 with the
 * blob's path (malloc'd) and size; -ENOENT. */
int repo_target_lookup(struct repo *r, const char *file, char **blob_path, uint64_t *size,
		       char **err);
/* ---- static mirror (repod_mirror.c) -------------------------------------------------------- */
/* Write a static mirror tree: DIR/metadata/..., DIR/targets/..., DIR/index.html,
 * DIR/drivers/NAME/index.html, DIR/static/repo.js (one pass of a mirror, below: files already
 * there with the same bytes are left alone). */
int repo_export(struct repo *r, const char *dir, char **err);

/* A mirror folder kept current by one process (`export --watch`). At every instant it is a
 * consistent TUF repository: each file is written whole (temporary file, fsync, rename) and
 * timestamp.json last, after everything it leads to (new package files, then new versioned
 * metadata, then the unversioned names, snapshot.json). Files are never removed. */
struct repo_mirror;
struct repo_mirror_pass {
	bool changed;		    /* false: the store had nothing new since the last pass */
	bool full;		    /* every file of the store was compared (the first pass, or a
				     * store that went back to older versions: a restore) */
	uint64_t timestamp_version; /* the timestamp the folder serves now */
	unsigned targets, metadata, pages; /* files written (the others were there already) */
};
/* Open DIR (created if missing) for writing: an exclusive lock on it (a second writer gets
 * -EBUSY "another xdrv-repod export writes this folder"), and temporary files a killed writer
 * left ("NAME.tmp.XXXXXX") removed. While *stop (may be NULL) is non-zero a pass stops before
 * its next file (-EINTR), leaving the folder at the version it had. `r` must outlive it. */
int repo_mirror_open(struct repo *r, const char *dir, const volatile sig_atomic_t *stop,
		     struct repo_mirror **out, char **err);
/* One pass: looks at the latest timestamp and root versions of the store (two small reads);
 * when they changed since the last pass, reads what is new in one read transaction and writes
 * it. The first pass compares every file; later ones fetch only the new metadata versions and
 * the package files the folder lacks, and rewrite the index page and the pages of drivers with
 * a new package. After a failed pass the next one is a full one. Works with any store and sees
 * publishes of every server on it. Not thread-safe (one pass at a time). */
int repo_mirror_sync(struct repo_mirror *m, struct repo_mirror_pass *st, char **err);
void repo_mirror_close(struct repo_mirror *m); /* NULL-safe; releases the lock */

/* Copy a whole repository from one store to another (`xdrv-repod migrate`): every metadata
 * version byte for byte, vendors with their tokens and online keys, packages and their blobs, in
 * one transaction of the target, from one consistent read of the source (which is not changed).
 * Then the target's root chain and online keys are checked as at start. The target must be
 * empty (-ENOTEMPTY "... not changed"): running it twice changes nothing. Both configs name
 * their own keys_dir (vendor key files are read from or written there when a store keeps keys
 * as files) and data_dir (blob files). */
struct repo_migrate_stats {
	uint64_t metadata, vendors, packages, blobs, blob_bytes;
};
int repo_migrate(const struct repo_config *from, const struct repo_config *to,
		 struct repo_migrate_stats *st, char **err);

/* ---- HTTP server (libmicrohttpd, thread pool) ---------------------------------------------- */
struct repo_server;
/* Start serving `r` on c->listen:c->port with c->threads threads. `r` must outlive the server. */
int repo_server_start(struct repo *r, struct repo_server **out, char **err);
uint16_t repo_server_port(const struct repo_server *s);
/* How many connections from this IPv4 address the server counts against
 * max_connections_per_client now. The count drops when libmicrohttpd has cleaned a connection
 * up, which is after the client already saw it end: a test waits for it before dialling again. */
unsigned repo_server_client_connections(struct repo_server *s, const char *ipv4);
/* Stop accepting, wait up to `grace_ms` for requests in flight, stop. NULL-safe. */
void repo_server_stop(struct repo_server *s, unsigned grace_ms);

/* ---- request parsing (exposed for the fuzz target) ----------------------------------------- */
/* Parse "Bearer TOKEN" (case-insensitive scheme, one space); *token borrowed into `hdr`,
 * *len its length. -EACCES if malformed. */
int repo_parse_bearer(const char *hdr, const char **token, size_t *len);
/* Parse a Range header for a resource of `size` bytes: only "bytes=A-B", "bytes=A-",
 * "bytes=-N". 0 with [*start, *end] inclusive; -ERANGE unsatisfiable (416); -EINVAL a form we
 * ignore (serve the whole resource). */
int repo_parse_range(const char *hdr, uint64_t size, uint64_t *start, uint64_t *end);
/* Check a raw (still percent-encoded) request target before it is decoded and routed: NULL if
 * acceptable, else why not (for a 400). Refused: a target not starting with '/', a bad %
 * escape, a control character (raw or encoded, %00 included) anywhere, and in the path part a
 * backslash or a "." or ".." segment (raw or encoded). */
const char *repo_check_uri(const char *uri);
/* Validate a served file name: metadata names as above, target names as above. */
bool repo_valid_metadata_name(const char *file);

#endif
