/* SPDX-License-Identifier: MIT */
/*
 * Private to xdrv-repod: the store interface. Everything the server keeps in a database goes
 * through one ops table, implemented by each backend in a file of its own with all its SQL:
 * repod_db_sqlite.c (the default: one file beside the blobs, one server) and repod_db_pg.c
 * (PostgreSQL: any number of servers on one database). repod_db.c holds the list of backends,
 * sessions and transactions (with the retry a serializable database asks for); what goes into
 * the rows is decided by repod_meta.c, repod_publish.c and repod_repo.c.
 */
#ifndef XDRV_REPOD_DB_H
#define XDRV_REPOD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct repo;
struct repod_store; /* a backend's open database (owns its sessions) */
struct repod_db;    /* one session: a connection, used by one thread between acquire and release */

/* A vendor row, with what the metadata and the pages need of its other rows. */
struct repod_vendor {
	char name[65];
	uint8_t salt[16], token_hash[32]; /* publish token: SHA-256(salt || token) */
	char keyid[65], pubkey[65];	  /* its online key (the private half: vendor_key_*) */
	int64_t created;
	uint64_t meta_version; /* latest version of its delegated role, 0 if none yet */
	int64_t meta_expires;  /* and that version's expiry */
	uint64_t packages;     /* number of packages it published */
};

/* A package row. issuer and manifest are NULL when absent or not asked for; malloc'd. */
struct repod_pkg {
	char vendor[65], name[65], version[32], target[256], sha256[65], sha512[129];
	uint64_t size, security_version;
	uint32_t abi_version;
	char signer[256];
	int64_t created;
	char *issuer, *manifest;
};

/* Which packages: the rows matching every non-NULL field (all rows if none), ordered by vendor,
 * name, then publish order. `full` also reads issuer and manifest. */
struct repod_pkg_filter {
	const char *vendor, *name, *version, *target, *sha256;
	bool full;
};

enum repod_txn_kind {
	REPOD_TXN_WRITE, /* writers exclude each other, across every server on the database */
	REPOD_TXN_READ,	 /* one consistent view of everything, no writes */
};

/* Called for each metadata row by meta_each, in (role, version) order; `latest` marks the highest
 * version of its role. Non-zero stops the walk and is returned. */
typedef int (*repod_meta_fn)(void *arg, const char *role, uint64_t version, int64_t expires,
			     bool latest, const uint8_t *body, size_t len, char **err);

/* All int ops: 0 or a negative errno with *err set. Errors a caller acts on:
 *   -EAGAIN    the transaction lost to a concurrent one (serialization failure, deadlock, a
 *              unique key another transaction took): roll back and run it again (repod_txn)
 *   -ENOTCONN  the database cannot be reached: HTTP 503, and the next acquire reconnects
 *   -ENOENT    no such row (meta_get, vendor_key_get, blob_get)
 * Row ops run inside a transaction (begin) or on their own (each then sees what is committed). */
struct repod_db_ops {
	const char *name; /* as written in the config: store = NAME */
	/* Open the database `r` configures, creating the schema when missing. */
	int (*open)(struct repo *r, struct repod_store **out, char **err);
	void (*close)(struct repod_store *s); /* NULL-safe */
	/* A session for the calling thread (waits for a free one); reconnects a broken one. */
	int (*acquire)(struct repod_store *s, struct repod_db **db, char **err);
	void (*release)(struct repod_store *s, struct repod_db *db);
	int (*begin)(struct repod_db *db, enum repod_txn_kind kind, char **err);
	int (*commit)(struct repod_db *db, char **err);
	void (*rollback)(struct repod_db *db); /* also after a failed begin or commit */

	/* metadata: every signed file ever produced, by role and version */
	int (*meta_latest)(struct repod_db *db, const char *role, uint64_t *version,
			   int64_t *expires, char **err); /* 0/0 if none */
	int (*meta_put)(struct repod_db *db, const char *role, uint64_t version, int64_t expires,
			const uint8_t *body, size_t len,
			char **err); /* an existing version: error */
	/* role@version (0: latest); *buf malloc'd and NUL-terminated (not counted). */
	int (*meta_get)(struct repod_db *db, const char *role, uint64_t version, uint8_t **buf,
			size_t *len, char **err);
	int (*meta_each)(struct repod_db *db, repod_meta_fn fn, void *arg, char **err);

	/* vendors, ordered by name; *out malloc'd (NULL when n is 0) */
	int (*vendors)(struct repod_db *db, struct repod_vendor **out, size_t *n, char **err);
	int (*vendor_put)(struct repod_db *db, const struct repod_vendor *v,
			  char **err); /* -EEXIST */

	/* packages; *out malloc'd, free with repod_pkgs_free */
	int (*packages)(struct repod_db *db, const struct repod_pkg_filter *f,
			struct repod_pkg **out, size_t *n, char **err);
	int (*package_put)(struct repod_db *db, const struct repod_pkg *p, char **err);

	/* Optional: package bytes kept in the database itself, by SHA-256 (NULL: the blob files in
	 * the data folder are the only copy). blob_put keeps an existing blob. */
	int (*blob_put)(struct repod_db *db, const char *sha256, const uint8_t *buf, size_t len,
			char **err);
	int (*blob_get)(struct repod_db *db, const char *sha256, uint8_t **buf, size_t *len,
			char **err);
	/* Optional: vendors' online keys kept in the database, sealed (repod_keys.c; NULL: key
	 * files in keys_dir/vendors). *sealed malloc'd. */
	int (*vendor_key_put)(struct repod_db *db, const char *vendor, const uint8_t *sealed,
			      size_t len, char **err);
	int (*vendor_key_get)(struct repod_db *db, const char *vendor, uint8_t **sealed,
			      size_t *len, char **err);
};

extern const struct repod_db_ops repod_db_sqlite_ops, repod_db_pg_ops;

/* The backend named `name` (NULL: the default, sqlite), or NULL. */
const struct repod_db_ops *repod_db_backend(const char *name);
/* "sqlite, postgresql": for messages. */
const char *repod_db_backend_names(void);

/* Sessions of r's store: see acquire/release. */
int repod_db_get(struct repo *r, struct repod_db **db, char **err);
void repod_db_put(struct repo *r, struct repod_db *db);

/* Run `fn` in a transaction of r's store on a session of its own: begin, fn, commit; any
 * failure rolls back. A transaction that lost to a concurrent one (-EAGAIN, from fn or from
 * commit) runs again from the start, up to REPOD_TXN_ATTEMPTS times, so `fn` must derive
 * everything it writes from what it reads in the same run and have no other lasting effect.
 * Returns fn's result; -EAGAIN when every attempt lost. */
#define REPOD_TXN_ATTEMPTS 8
typedef int (*repod_txn_fn)(struct repo *r, struct repod_db *db, void *arg, char **err);
int repod_txn(struct repo *r, enum repod_txn_kind kind, repod_txn_fn fn, void *arg, char **err);

void repod_pkgs_free(struct repod_pkg *p, size_t n); /* NULL-safe */

#endif
