/* SPDX-License-Identifier: MIT */
/*
 * A TUF repository built at test time for the client suites: fresh Ed25519 keys for root,
 * targets, snapshot, timestamp and one vendor ("acme", delegated "acme/ *" without the space),
 * metadata signed with xdrv/tuf.h and written as a static tree (DIR/metadata, DIR/targets) that
 * the client reads through file:// URLs, or over HTTP from python3 as a static mirror
 * (cfx_http_start). A second vendor ("core", "core/ *") on request. Each field can be bent to
 * stage an attack.
 */
#ifndef XDRV_TEST_CLIENT_FIXTURE_H
#define XDRV_TEST_CLIENT_FIXTURE_H

#include "xdrv/repo_client.h"
#include "xdrv/tuf.h"

#include <stdbool.h>
#include <stdint.h>

struct cfx_target {
	char role[16];	/* the delegated role that lists it: "acme" (default) or "core" */
	char path[256]; /* "acme/hello-1.0.0.xdrv" */
	char name[64], version[32];
	uint64_t secver;
	uint8_t *bytes; /* owned */
	size_t len;
};

struct cfx {
	char dir[512];	 /* repository tree */
	char url[600];	 /* file://DIR */
	char store[512]; /* client store */
	struct tuf_signer *root, *targets, *snapshot, *timestamp, *acme, *extra, *core;
	uint64_t v_root, v_targets, v_acme, v_snapshot, v_timestamp, v_core;
	bool with_core; /* a second vendor "core", delegated "core/ *" (set before cfx_publish) */
	int64_t now;	/* base time of the metadata */
	int64_t ts_expires;    /* 0: now + 1 day */
	int64_t root_expires;  /* 0: now + 1 year */
	bool ts_no_hashes;     /* timestamp lists snapshot version only */
	uint32_t ts_threshold; /* timestamp role threshold in root (default 1) */
	struct cfx_target t[4];
	size_t nt;
	struct repo_store *s; /* opened on the store with the repository added as "test" */
};

/* Keys, a store, one target "hello" 1.0.0 (bytes = `pkg` if not NULL, else synthetic), root v1
 * and version 1 of everything written, repository "test" added. NULL on failure (printed). */
struct cfx *cfx_create(const char *pkg_path);
void cfx_destroy(struct cfx *f);
/* Write root version f->v_root (signed by the given root signers) as N.root.json. */
int cfx_write_root(struct cfx *f, struct tuf_signer *const *signers, size_t n);
/* Write targets, acme, snapshot, timestamp at their current versions. */
int cfx_publish(struct cfx *f);
/* Write one role's file: role "targets"/"acme"/"snapshot"/"timestamp". */
int cfx_write_role(struct cfx *f, const char *role);
/* Add a target (bytes copied) listed by acme. */
int cfx_add_target(struct cfx *f, const char *path, const char *name, const char *version,
		   const uint8_t *bytes, size_t len);
/* The same, listed by `role` ("acme" or "core"). */
int cfx_add_role_target(struct cfx *f, const char *role, const char *path, const char *name,
			const char *version, const uint8_t *bytes, size_t len);
/* Put a target's file at its consistent-snapshot name (hash of its listed bytes) with `bytes`. */
int cfx_write_target_file(struct cfx *f, size_t i, const uint8_t *bytes, size_t len);
/* repo_update on "test" at f->now; returns rc, *err message (caller frees). */
int cfx_update(struct cfx *f, struct repo_target **t, size_t *n, char **err);
/* Configure repository `name` at `url` in f->s with the same pinned root (1.root.json). */
int cfx_add_repo(struct cfx *f, const char *name, const char *url);

/* The repository tree served over HTTP on 127.0.0.1 by python3, as a static mirror: kind
 * "http.server" is `python3 -m http.server` (ignores Range: every answer is the whole file,
 * 200), "s3" answers 403 instead of 404 for a missing file, as S3-style object stores do
 * when the bucket may not be listed. The URL goes to url; stop with cfx_http_stop(*pid).
 * Returns 0, or -1 (printed) when python3 could not start. */
int cfx_http_start(const struct cfx *f, const char *kind, char *url, size_t cap, int *pid);
void cfx_http_stop(int pid);

#endif
