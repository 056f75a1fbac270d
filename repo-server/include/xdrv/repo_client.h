/* SPDX-License-Identifier: MIT */
/*
 * Client side of an xdrv repository: HTTP transfers (libcurl), the host's local store (SQLite +
 * content-addressed package blobs), and the TUF client workflow that decides which bytes may be
 * installed. Signature and metadata checks themselves are the TUF library's (xdrv/tuf.h); this
 * header is the order in which they are applied and what is persisted.
 *
 * All calls are one-shot or work on an opaque handle used by one thread at a time. Failures
 * return a negative errno and set *err (caller frees) to a message naming the thing and place.
 */
#ifndef XDRV_REPO_CLIENT_H
#define XDRV_REPO_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- HTTP (client_http.c) -------------------------------------------------------------------- */
struct repo_http_opts {
	long connect_timeout_ms; /* 0: 10 s */
	long total_timeout_ms;	 /* 0: 300 s; a whole transfer never takes longer */
	long low_speed_bytes;	 /* abort when slower than this ... (0: 1024 B/s) */
	long low_speed_secs;	 /* ... for this long (0: 30 s) */
	bool progress;	   /* repo_http_download: one progress line on stderr, redrawn in place,
			    * only if stderr is a terminal; repo_http_get never draws */
	const char *label; /* the file named on the progress line; NULL: the URL's last part */
};

/* GET url into memory, at most `max` bytes: more is -EFBIG ("... exceeds the limit of N bytes"),
 * whatever Content-Length claimed (the endless-data defence counts received bytes). 404 and a
 * missing file:// are -ENOENT; 403 is -EACCES; other HTTP errors -EPROTO; transport errors
 * -EIO / -ETIMEDOUT.
 * *buf is malloc'd and NUL-terminated (not counted in *len). opts may be NULL. */
int repo_http_get(const char *url, uint64_t max, const struct repo_http_opts *opts, uint8_t **buf,
		  size_t *len, char **err);
/* GET url into the file `part` (created if missing), resuming with a Range request from its
 * current size; the file never grows past `max` (-EFBIG, and the partial file is removed since
 * it cannot be right). A server that cannot resume (it ignores Range and answers 200 instead of
 * 206, or answers 416) gets the partial file discarded and the download restarted from byte 0,
 * in the same call. */
int repo_http_download(const char *url, const char *part, uint64_t max,
		       const struct repo_http_opts *opts, char **err);
/* POST `len` bytes (application/octet-stream) with "Authorization: Bearer TOKEN" (token may be
 * NULL: no header), asking "Expect: 100-continue" so that the body is sent only once the server
 * wants it (a refusal from the headers alone, 401 or 413, comes back without the body being
 * sent). Returns 0 whenever an HTTP answer arrived: *status and *body (malloc'd, capped at
 * 64 KiB) are the server's; transport failures are negative. */
int repo_http_post(const char *url, const char *token, const uint8_t *data, size_t len,
		   long *status, char **body, char **err);

/* ---- local store (store.c) ------------------------------------------------------------------- */
struct repo_store;

/* The store's folder: `dir` if not NULL, else $XDRV_STORE, else /var/lib/xdrv. Borrowed. */
const char *repo_store_default_dir(const char *dir);
/* Open (creating if missing) the store: DIR/store.db (SQLite, rollback journal), DIR/blobs,
 * DIR/tmp, DIR/repos/<name>/ (trusted metadata). Blobs nothing refers to are removed (left by
 * a crash between the blob write and the database commit). */
int repo_store_open(const char *dir, struct repo_store **out, char **err);
/* Open an existing store for reading only (SQLITE_OPEN_READONLY): nothing is created, no
 * folder, database, journal or blob is written or removed. -ENOENT "no store at DIR (...)"
 * when DIR/store.db does not exist. The getters and repo_update (which writes only the trusted
 * metadata files of an already configured repository) work on it; writes to the database
 * fail. */
int repo_store_open_readonly(const char *dir, struct repo_store **out, char **err);
void repo_store_close(struct repo_store *s); /* NULL-safe */
const char *repo_store_dir(const struct repo_store *s);

/* Repository names: [A-Za-z0-9._-]{1,64}, not starting with '.'. */
bool repo_name_valid(const char *name);
/* Register a repository: URL plus its pinned root metadata (bytes as given, checked by the
 * caller with tuf.h first). -EEXIST if the name is taken. */
int repo_store_repo_add(struct repo_store *s, const char *name, const char *url,
			const uint8_t *root, size_t root_len, char **err);
/* URL of a repository (*url malloc'd), -ENOENT "repository NAME: not configured". */
int repo_store_repo_url(struct repo_store *s, const char *name, char **url, char **err);
/* Names and URLs, sorted by name: arrays of malloc'd strings, free with repo_strv_free. */
int repo_store_repo_list(struct repo_store *s, char ***names, char ***urls, size_t *n, char **err);
int repo_store_repo_remove(struct repo_store *s, const char *name, char **err);
void repo_strv_free(char **v, size_t n);
/* Folder of a repository's trusted metadata, DIR/repos/NAME (written into buf). */
int repo_store_meta_dir(const struct repo_store *s, const char *name, char *buf, size_t size);

struct repo_installed {
	char name[65];
	char version[33];
	char repo[65];
	char digest[65]; /* sha256 hex of the package file */
	char signer[256];
	uint64_t security_version;
	uint64_t size;
	int64_t installed_at; /* unix seconds */
	char path[4096];      /* the blob: DIR/blobs/<digest>.xdrv */
};
/* Install (or switch to) a package: the blob is written to DIR/tmp, fsync'd and renamed to
 * DIR/blobs/<digest>.xdrv, and then one transaction makes it the installed version of `name`;
 * the previous version's blob is removed after the commit. A crash at any point leaves the old
 * version installed or the new one, never neither. The caller has verified the bytes. */
int repo_store_install(struct repo_store *s, const struct repo_installed *rec, const uint8_t *buf,
		       size_t len, char **err);
/* -ENOENT "NAME: not installed". */
int repo_store_get(struct repo_store *s, const char *name, struct repo_installed *out, char **err);
int repo_store_list(struct repo_store *s, struct repo_installed **out, size_t *n, char **err);
int repo_store_remove(struct repo_store *s, const char *name, char **err);
/* Test hook: called at named points of repo_store_install ("blob-written", "committed"); a test
 * sets it to a function that _exit()s to simulate a crash there. NULL in production. */
extern void (*repo_store_crash_hook)(const char *point);

/* ---- TUF client workflow (client_tuf.c) ------------------------------------------------------ */
struct repo_target {
	char path[512]; /* target path in the repository, e.g. "acme/hello/1.0.0/hello.xdrv" */
	char name[65];	/* package name and version (custom fields, else from the path) */
	char version[33];
	char vendor[65];  /* the delegated role that signed it ("" for top-level targets) */
	char signer[256]; /* custom.signer, informative */
	char sha256[65];
	uint64_t length;
	uint64_t security_version;
};

struct repo_update_opts {
	int64_t now; /* unix seconds for expiry; 0: the wall clock (TUF freshness) */
	const struct repo_http_opts *http; /* may be NULL */
	/* A problem that does not stop the update (a vendor role listing a target outside its
	 * delegated paths: that target is ignored). Called once per role and update with a
	 * one-line message whose repository strings are escaped; NULL: "warning: MSG" on
	 * stderr. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* Refresh a repository's trusted metadata, following the TUF 1.0 client workflow (5.3-5.6):
 * root chain N+1.root.json until 404 or 403 (each new root signed by the old and the new
 * threshold, version exactly +1, not expired at the end), timestamp (length cap, threshold, no
 * rollback, expiry), snapshot (length/hash from the timestamp, version match, no rollback of
 * any targets file), targets and every delegated role (version from the snapshot, expiry).
 * A delegated role's target outside its delegated paths is left out (o->warn says so once per
 * role). Trusted files are replaced atomically only after everything checked. On success
 * *targets and *n list every target (malloc'd; may be NULL if unwanted). o may be NULL. */
int repo_update(struct repo_store *s, const char *repo, const struct repo_update_opts *o,
		struct repo_target **targets, size_t *n, char **err);
/* Download a target (consistent-snapshot name DIR/<sha256>.<base>) into DIR/tmp with resume and
 * a length limit equal to its listed length, then check length and sha256. *buf malloc'd. */
int repo_fetch_target(struct repo_store *s, const char *repo, const struct repo_target *t,
		      const struct repo_http_opts *http, uint8_t **buf, size_t *len, char **err);
/* Compare MAJOR.MINOR.PATCH versions numerically (-1, 0, 1); unparsable sorts lowest. */
int repo_version_cmp(const char *a, const char *b);

/* ---- the steps the front end's install, list and publish commands share (client_cli.c) ---- */
/* The host's package trust root. Every verifying command (install, run, load, verify, inspect)
 * takes it from the same sources in the same order, through this one function: `opt`
 * (--trust), else $XDRV_TRUST if set and not empty, else STORE/trust-root.pem if that file
 * exists (STORE as repo_store_default_dir(store_dir) gives it). A source that is given but
 * cannot be read is an error naming it and the source (the next one is not tried: a mistyped
 * --trust must not fall back to another root). No source at all: -ENOENT with out->source 0
 * and a message naming the three ways to give one. Creates nothing. */
enum repo_trust_source {
	REPO_TRUST_NONE = 0,
	REPO_TRUST_OPTION, /* --trust FILE */
	REPO_TRUST_ENV,	   /* $XDRV_TRUST */
	REPO_TRUST_STORE,  /* STORE/trust-root.pem */
};
struct repo_trust {
	char path[4096];
	enum repo_trust_source source;
};
int repo_trust_find(const char *store_dir, const char *opt, struct repo_trust *out, char **err);
/* "--trust", "$XDRV_TRUST", "the store's trust root" (borrowed, static) */
const char *repo_trust_source_name(enum repo_trust_source src);

/* Installed drivers by name. A PKG argument of run, load, verify and inspect, and a boot
 * configuration's drivers[].package, is an installed driver's NAME or NAME@VERSION when it has
 * that form (NAME a driver name [a-z0-9_-]{1,63}, VERSION [0-9A-Za-z.+-]{1,32}) and nothing
 * but a folder has that name (relative to `dir` when not NULL); anything else (a '/', a '.'
 * before the '@', an existing file) is a package file. */
bool repo_cli_names_installed(const char *arg, const char *dir);
/* Look NAME[@VERSION] up in the store at store_dir (NULL: the default), opened read-only
 * (nothing is created). *out is the installed record; out->path is its package file. -ENOENT
 * "NAME: not installed (store DIR)", "... (no store at DIR)", or, with @VERSION,
 * "NAME@VERSION: not installed (NAME 1.2.0 is; store DIR)"; -EINVAL for a malformed spec. */
int repo_cli_resolve_installed(const char *store_dir, const char *spec, struct repo_installed *out,
			       char **err);

/* Pick the target for NAME[@VERSION] among `t[0..n)`: the exact version if given, else the
 * highest. NULL with *err "NAME@VERSION: not in repository R" otherwise. */
const struct repo_target *repo_cli_pick(const struct repo_target *t, size_t n, const char *name,
					const char *version, const char *repo, char **err);

/* Verify `buf` (a downloaded target) with sig_verify against trust_pem (time floor 0 = the
 * build's), read its manifest, check that name, version and security_version agree with the
 * target metadata, refuse a security_version below the installed one, and install it. */
int repo_cli_install_bytes(struct repo_store *s, const char *repo, const struct repo_target *t,
			   const char *trust_pem, int64_t time_floor, const uint8_t *buf,
			   size_t len, struct repo_installed *rec, char **err);

#endif
