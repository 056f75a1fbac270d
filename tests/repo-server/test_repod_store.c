// SPDX-License-Identifier: MIT
/*
 * xdrv-repod store suites that need no PostgreSQL (repo-server/repod_db.c, repod_migrate.c,
 * the config keys of the store): transactions that lose to a concurrent one are run again up
 * to the bound, `migrate` between two SQLite stores copies everything and refuses a target
 * that is not empty, the config's store keys. The PostgreSQL store: test_repod_pg.c.
 */
#include "../xtest.h"
#include "../../repo-server/repod.h"
#include "repod_fixture.h"
#include "xdrv/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- transactions ---------------------------------------------------------------------------- */
struct lose {
	int runs, lose_first; /* -EAGAIN for the first lose_first runs */
};

static int losing_txn(struct repo *r, struct repod_db *db, void *arg, char **err)
{
	struct lose *l = arg;
	l->runs++;
	if (l->runs <= l->lose_first)
		return xdrv_err(err, -EAGAIN, "lost run %d", l->runs);
	return r->db_ops->meta_put(db, "probe", (uint64_t)l->runs, 0, (const uint8_t *)"x", 1, err);
}

static void test_txn_lost_to_a_concurrent_one_runs_again(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct lose l = {.lose_first = 2};
	char *err = NULL;
	CU_ASSERT_EQUAL(repod_txn(f->r, REPOD_TXN_WRITE, losing_txn, &l, &err), 0);
	CU_ASSERT_PTR_NULL(err); /* the lost runs' messages are not the result */
	CU_ASSERT_EQUAL(l.runs, 3);
	CU_ASSERT_EQUAL(f->r->txn_retries, 2);
	/* only the run that won wrote anything */
	uint64_t v = 0;
	CU_ASSERT_EQUAL(repod_meta_latest(f->r, "probe", &v, NULL, NULL), 0);
	CU_ASSERT_EQUAL(v, 3);
	rfx_destroy(f);
}

static void test_txn_that_always_loses_stops_at_the_bound(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct lose l = {.lose_first = 1000};
	char *err = NULL;
	CU_ASSERT_EQUAL(repod_txn(f->r, REPOD_TXN_WRITE, losing_txn, &l, &err), -EAGAIN);
	CU_ASSERT_EQUAL(l.runs, REPOD_TXN_ATTEMPTS);
	CU_ASSERT_TRUE(err && strstr(err, "attempts lost to concurrent writers") &&
		       strstr(err, "lost run 8"));
	CU_ASSERT_EQUAL(repo_status_for(-EAGAIN), 503);
	CU_ASSERT_EQUAL(repo_status_for(-ENOTCONN), 503);
	uint64_t v = 1;
	CU_ASSERT_EQUAL(repod_meta_latest(f->r, "probe", &v, NULL, NULL), 0);
	CU_ASSERT_EQUAL(v, 0);
	free(err);
	rfx_destroy(f);
}

/* ---- migrate --------------------------------------------------------------------------------- */
static void test_migrate_between_sqlite_stores_copies_everything_once(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n1, n2;
	uint8_t *p1 = rfx_pkg("hello", &n1), *p2 = rfx_pkg("uart16550", &n2);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, p1, n1, NULL, &res, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_BETA_TOKEN, p2, n2, NULL, &res, NULL), 0);
	struct repo_config to = f->cfg;
	to.data_dir = (char *)xtest_path("%s/data-copy", f->dir);
	struct repo_migrate_stats st;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_migrate(&f->cfg, &to, &st, &err), 0);
	CU_ASSERT_EQUAL(st.vendors, 2);
	CU_ASSERT_EQUAL(st.packages, 2);
	CU_ASSERT_EQUAL(st.blobs, 2);
	CU_ASSERT_EQUAL(st.blob_bytes, n1 + n2);
	struct repo *b = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_open(&to, &b, &err), 0);
	/* every version of every role, byte for byte, and nothing re-signed on open */
	char *da = rfx_meta_digest(f->r), *db = rfx_meta_digest(b);
	CU_ASSERT_TRUE(da && db && strcmp(da, db) == 0);
	size_t rows = 0;
	for (const char *c = da; c && *c; c++)
		rows += *c == '\n';
	CU_ASSERT_EQUAL(rows, st.metadata);
	CU_ASSERT_TRUE(rows > 10);
	free(da);
	free(db);
	char *ja = NULL, *jb = NULL;
	CU_ASSERT_EQUAL(repo_packages_json(f->r, NULL, &ja, NULL), 0);
	CU_ASSERT_EQUAL(repo_packages_json(b, NULL, &jb, NULL), 0);
	CU_ASSERT_TRUE(ja && jb && strcmp(ja, jb) == 0);
	free(ja);
	free(jb);
	/* tokens and keys came along: the copy publishes for acme */
	size_t n3;
	uint8_t *p3 = rfx_pkg("dp83820", &n3);
	CU_ASSERT_EQUAL(repo_publish(b, RFX_ACME_TOKEN, p3, n3, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	repo_close(b);
	/* a second run finds the target not empty and changes nothing */
	struct repo_migrate_stats st2;
	CU_ASSERT_EQUAL(repo_migrate(&f->cfg, &to, &st2, &err), -ENOTEMPTY);
	CU_ASSERT_TRUE(err && strstr(err, "the target (store sqlite) is not empty") &&
		       strstr(err, "3 packages; not changed"));
	free(err);
	err = NULL;
	/* an empty source is refused too (a wrong data_dir) */
	struct repo_config none = f->cfg, to2 = f->cfg;
	none.data_dir = (char *)xtest_path("%s/no-such-data", f->dir);
	to2.data_dir = (char *)xtest_path("%s/data-copy2", f->dir);
	CU_ASSERT_EQUAL(repo_migrate(&none, &to2, &st2, &err), -ENOENT);
	CU_ASSERT_TRUE(err && strstr(err, "the source (store sqlite) has no repository"));
	free(err);
	free(p1);
	free(p2);
	free(p3);
	rfx_destroy(f);
}

/* ---- config ---------------------------------------------------------------------------------- */
static void test_config_store_keys(void)
{
	const char *d = xtest_tmpdir();
	char path[600], *err = NULL;
	struct repo_config c;
	snprintf(path, sizeof(path), "%s/repod.conf", d);
	static const char good[] = "data_dir = data\nkeys_dir = k\ntrust_root = r.pem\n"
				   "store = postgresql\n"
				   "postgres_conninfo = host=/run/postgresql dbname=xdrv\n";
	CU_ASSERT_EQUAL(xtest_write(path, good, sizeof(good) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(repo_config_load(path, &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(c.store, "postgresql");
	/* a connection string is not a path: kept as written */
	CU_ASSERT_STRING_EQUAL(c.postgres_conninfo, "host=/run/postgresql dbname=xdrv");
	repo_config_free(&c);
	static const char bad[] = "data_dir = data\nkeys_dir = k\ntrust_root = r.pem\n"
				  "store = postgres\n";
	CU_ASSERT_EQUAL(xtest_write(path, bad, sizeof(bad) - 1), 0);
	CU_ASSERT_EQUAL(repo_config_load(path, &c, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "repod.conf:4: store: \"postgres\" is not one of sqlite,"
					  " postgresql"));
	free(err);
	err = NULL;
	/* postgresql without a connection string: refused when the store opens, saying what */
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_config pg = f->cfg;
	struct repo *r = NULL;
	pg.store = (char *)"postgresql";
	pg.postgres_conninfo = NULL;
	CU_ASSERT_EQUAL(repo_open(&pg, &r, &err), -EINVAL);
	CU_ASSERT_TRUE(err && strstr(err, "postgres_conninfo is not set"));
	free(err);
	rfx_destroy(f);
}

XTEST_SUITE(repod_store, NULL, NULL, XTEST(test_txn_lost_to_a_concurrent_one_runs_again),
	    XTEST(test_txn_that_always_loses_stops_at_the_bound),
	    XTEST(test_migrate_between_sqlite_stores_copies_everything_once),
	    XTEST(test_config_store_keys));
