// SPDX-License-Identifier: MIT
/*
 * xdrv-repod store, the part every backend shares: sessions, transactions, and what backends
 * and callers both use (the list of backends: repod_db_list.c; the SQL: the backends). A write
 * transaction that loses to a concurrent one (PostgreSQL's serializable isolation reports it,
 * SQLSTATE 40001/40P01) is rolled back and run again from the start: that is how a
 * serializable database is meant to be used, since the loser's reads are stale and everything
 * it wrote depended on them.
 */
#include "repod.h"
#include "xdrv/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t repod_now(void)
{
	return (int64_t)time(NULL);
}

int repod_db_get(struct repo *r, struct repod_db **db, char **err)
{
	return r->db_ops->acquire(r->store, db, err);
}

void repod_db_put(struct repo *r, struct repod_db *db)
{
	if (db)
		r->db_ops->release(r->store, db);
}

int repod_txn(struct repo *r, enum repod_txn_kind kind, repod_txn_fn fn, void *arg, char **err)
{
	const struct repod_db_ops *o = r->db_ops;
	int rc = -EAGAIN;
	/* Writers queue on one lock before they begin (repod_db_pg.c), so a lost transaction
	 * needs a writer that went around it; a few attempts are plenty, and a bound keeps a
	 * pathological case an error (HTTP 503) instead of a hang. */
	for (int attempt = 1; attempt <= REPOD_TXN_ATTEMPTS && rc == -EAGAIN; attempt++) {
		struct repod_db *db = NULL;
		char *e = NULL;
		rc = o->acquire(r->store, &db, &e);
		if (rc == 0) {
			rc = o->begin(db, kind, &e);
			if (rc == 0)
				rc = fn(r, db, arg, &e);
			if (rc == 0)
				rc = o->commit(db, &e);
			if (rc)
				o->rollback(db);
			o->release(r->store, db);
		}
		if (rc == -EAGAIN && attempt < REPOD_TXN_ATTEMPTS) {
			__atomic_fetch_add(&r->txn_retries, 1, __ATOMIC_RELAXED);
			free(e);
			continue;
		}
		if (rc == -EAGAIN)
			xdrv_err_prefix(&e, "database: %d attempts lost to concurrent writers",
					REPOD_TXN_ATTEMPTS);
		if (e && err)
			*err = e;
		else
			free(e);
	}
	return rc;
}

int repod_meta_latest(struct repo *r, const char *role, uint64_t *version, int64_t *expires,
		      char **err)
{
	struct repod_db *db;
	int rc = repod_db_get(r, &db, err);
	if (rc == 0) {
		rc = r->db_ops->meta_latest(db, role, version, expires, err);
		repod_db_put(r, db);
	}
	return rc;
}

void repod_pkgs_free(struct repod_pkg *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].issuer);
		free(p[i].manifest);
	}
	free(p);
}
