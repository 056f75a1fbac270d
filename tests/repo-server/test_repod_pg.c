// SPDX-License-Identifier: MIT
/*
 * xdrv-repod on PostgreSQL (repo-server/repod_db_pg.c): two repositories opened on one database
 * (as two servers are) publishing at once make one history; a transaction that loses to another
 * writer is run again; vendor keys are sealed and bound to their vendor; blobs come from the
 * database with their hash checked; an unreachable database is -ENOTCONN; migrate from SQLite
 * and back. The suite starts a private PostgreSQL (tests/repo-server/pg-private) unless
 * XDRV_TEST_PG names one (a libpq connection string); each test works in a schema of its own.
 */
#include "../xtest.h"
#include "../../repo-server/repod.h"
#include "repod_fixture.h"

#include <errno.h>
#include <postgresql/libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char pg_dir[600], conninfo[1024];

static int pg_init(void)
{
	const char *e = getenv("XDRV_TEST_PG");
	if (e && *e) {
		snprintf(conninfo, sizeof(conninfo), "%s", e);
		return 0;
	}
	snprintf(pg_dir, sizeof(pg_dir), "%s", xtest_tmpdir());
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "'%s/tests/repo-server/pg-private' start '%s' 2>&1", XDRV_SRCDIR,
		 pg_dir);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(conninfo, sizeof(conninfo), p))
		conninfo[0] = 0;
	int st = p ? pclose(p) : -1;
	conninfo[strcspn(conninfo, "\n")] = 0;
	if (st != 0 || strncmp(conninfo, "host=", 5) != 0) {
		fprintf(stderr, "repod_pg_store: no private PostgreSQL: %s\n", conninfo);
		return -1;
	}
	return 0;
}

static int pg_clean(void)
{
	if (pg_dir[0])
		xtest_sh("'%s/tests/repo-server/pg-private' destroy '%s'", XDRV_SRCDIR, pg_dir);
	return 0;
}

/* A new schema; `ci` gets the connection string that works in it. */
static void new_schema(char *ci, size_t n)
{
	static unsigned seq;
	char name[48], sql[96];
	snprintf(name, sizeof(name), "t%d_%u", (int)getpid(), seq++);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", name);
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fprintf(stderr, "new_schema: %s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
	snprintf(ci, n, "%s options='-c search_path=%s'", conninfo, name);
}

/* Run SQL on a connection of the test's own; the number of rows, or -1 (printed). */
static int sql(PGconn *c, const char *q)
{
	PGresult *res = PQexec(c, q);
	ExecStatusType st = PQresultStatus(res);
	int n = st == PGRES_TUPLES_OK ? PQntuples(res) : st == PGRES_COMMAND_OK ? 0 : -1;
	if (n < 0)
		fprintf(stderr, "sql: %s: %s", q, PQerrorMessage(c));
	PQclear(res);
	return n;
}

struct pgfx {
	char ci[1200];
	struct rfx *f;
	PGconn *raw; /* the test's own connection, in the same schema */
};

static int pgfx_open(struct pgfx *x)
{
	new_schema(x->ci, sizeof(x->ci));
	x->f = rfx_create_on(0, "postgresql", x->ci);
	x->raw = PQconnectdb(x->ci);
	return x->f && PQstatus(x->raw) == CONNECTION_OK ? 0 : -1;
}

static void pgfx_close(struct pgfx *x)
{
	rfx_destroy(x->f);
	PQfinish(x->raw);
}

/* Another server on the same database: same config and keys, its own data folder. */
static struct repo *second(struct rfx *f, const char *name)
{
	struct repo_config c = f->cfg;
	struct repo *r = NULL;
	char *err = NULL;
	c.data_dir = (char *)xtest_path("%s/%s", f->dir, name);
	if (repo_open(&c, &r, &err) != 0)
		fprintf(stderr, "second: %s\n", err ? err : "?");
	free(err);
	return r;
}

/* ---- two servers ----------------------------------------------------------------------------- */
struct racer {
	struct repo *r;
	uint8_t *pkg;
	size_t len;
	int rc, status;
	uint64_t version;
	pthread_barrier_t *bar;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct repo_publish_result res;
	char *err = NULL;
	pthread_barrier_wait(r->bar);
	r->rc = repo_publish(r->r, RFX_ACME_TOKEN, r->pkg, r->len, NULL, &res, &err);
	r->status = r->rc ? repo_status_for(r->rc) : res.status;
	r->version = res.targets_version;
	if (r->rc)
		fprintf(stderr, "race: %s\n", err ? err : "?");
	free(err);
	return NULL;
}

static void test_pg_two_servers_publishing_at_once_make_one_history(void)
{
	enum { N = 4 };
	static const char *const names[N] = {"hello", "uart16550", "dp83820", "virtio_scsi"};
	struct pgfx x;
	CU_ASSERT_EQUAL_FATAL(pgfx_open(&x), 0);
	struct repo *b = second(x.f, "data-b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	uint64_t sn0 = rfx_version(x.f, "snapshot"), ac0 = rfx_version(x.f, "acme");
	struct racer rs[N];
	pthread_t th[N];
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, N);
	for (int i = 0; i < N; i++) {
		rs[i] = (struct racer){.r = i % 2 ? b : x.f->r, .bar = &bar};
		rs[i].pkg = rfx_pkg(names[i], &rs[i].len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rs[i].pkg);
	}
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, race, &rs[i]);
	uint64_t seen = 0; /* bit per targets version: each publish made its own */
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(rs[i].status, 201);
		if (rs[i].version > ac0 && rs[i].version <= ac0 + N)
			seen |= 1ull << (rs[i].version - ac0 - 1);
		free(rs[i].pkg);
	}
	pthread_barrier_destroy(&bar);
	CU_ASSERT_EQUAL(seen, (1ull << N) - 1);
	CU_ASSERT_EQUAL(rfx_version(x.f, "acme"), ac0 + N);
	CU_ASSERT_EQUAL(rfx_version(x.f, "snapshot"), sn0 + N);
	/* no gaps, no forks: versions 1..max of every role, once each */
	CU_ASSERT_EQUAL(sql(x.raw, "SELECT role FROM metadata GROUP BY role"
				   " HAVING count(*) <> max(version) OR min(version) <> 1"),
			0);
	/* both serve the same, and the whole chain checks out */
	char *da = rfx_meta_digest(x.f->r), *db = rfx_meta_digest(b);
	CU_ASSERT_TRUE(da && db && strcmp(da, db) == 0);
	free(da);
	free(db);
	CU_ASSERT_EQUAL(rfx_check_chain(x.f), N);
	repo_close(b);
	pgfx_close(&x);
}

/* ---- a lost transaction runs again ----------------------------------------------------------- */
struct pub1 {
	struct repo *r;
	uint8_t *pkg;
	size_t len;
	int rc, status;
};

static void *pub1(void *arg)
{
	struct pub1 *p = arg;
	struct repo_publish_result res;
	char *err = NULL;
	p->rc = repo_publish(p->r, RFX_ACME_TOKEN, p->pkg, p->len, NULL, &res, &err);
	p->status = p->rc ? 0 : res.status;
	if (p->rc)
		fprintf(stderr, "pub1: %s\n", err ? err : "?");
	free(err);
	return NULL;
}

static void test_pg_transaction_that_loses_to_another_writer_runs_again(void)
{
	struct pgfx x;
	CU_ASSERT_EQUAL_FATAL(pgfx_open(&x), 0);
	uint64_t ts = rfx_version(x.f, "timestamp");
	char q[300];
	/* a writer that does not queue on the writers' lock takes the next timestamp version and
	 * holds it, uncommitted */
	CU_ASSERT_EQUAL_FATAL(sql(x.raw, "BEGIN"), 0);
	snprintf(q, sizeof(q),
		 "INSERT INTO metadata(role, version, expires, body)"
		 " VALUES('timestamp', %llu, 0, 'x')",
		 (unsigned long long)ts + 1);
	CU_ASSERT_EQUAL_FATAL(sql(x.raw, q), 0);
	struct pub1 p = {.r = x.f->r};
	p.pkg = rfx_pkg("hello", &p.len);
	pthread_t th;
	pthread_create(&th, NULL, pub1, &p);
	/* until the publish waits for that row (its INSERT of the same version) */
	int waiting = 0;
	for (int i = 0; i < 3000 && waiting <= 0; i++) {
		PGconn *w = PQconnectdb(conninfo);
		PGresult *res = PQexec(w, "SELECT 1 FROM pg_stat_activity WHERE application_name ="
					  " 'xdrv-repod' AND wait_event_type = 'Lock'");
		waiting = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : -1;
		PQclear(res);
		PQfinish(w);
		if (waiting <= 0)
			usleep(10000);
	}
	CU_ASSERT_EQUAL(waiting, 1);
	CU_ASSERT_EQUAL(sql(x.raw, "COMMIT"), 0);
	pthread_join(th, NULL);
	/* it lost (the version was taken), ran again on fresh data and took the next one */
	CU_ASSERT_EQUAL(p.rc, 0);
	CU_ASSERT_EQUAL(p.status, 201);
	CU_ASSERT_TRUE(x.f->r->txn_retries >= 1);
	uint64_t v = 0;
	CU_ASSERT_EQUAL(repod_meta_latest(x.f->r, "timestamp", &v, NULL, NULL), 0);
	CU_ASSERT_EQUAL(v, ts + 2);
	free(p.pkg);
	pgfx_close(&x);
}

/* ---- vendor keys ----------------------------------------------------------------------------- */
static void test_pg_vendor_keys_are_sealed_and_bound_to_their_vendor(void)
{
	struct pgfx x;
	CU_ASSERT_EQUAL_FATAL(pgfx_open(&x), 0);
	PGresult *res = PQexecParams(x.raw, "SELECT sealed FROM vendor_keys ORDER BY vendor", 0,
				     NULL, NULL, NULL, NULL, 1);
	CU_ASSERT_EQUAL_FATAL(PQntuples(res), 2);
	for (int i = 0; i < 2; i++) {
		const char *s = PQgetvalue(res, i, 0);
		int n = PQgetlength(res, i, 0);
		CU_ASSERT_TRUE(n > 32 && memcmp(s, "XVK1", 4) == 0);
		bool clear = false; /* a PEM in clear would say PRIVATE KEY */
		for (int j = 0; j + 7 <= n; j++)
			clear |= memcmp(s + j, "PRIVATE", 7) == 0;
		CU_ASSERT_FALSE(clear);
	}
	PQclear(res);
	/* no key files: the database is where every server finds them */
	CU_ASSERT_NOT_EQUAL(access(xtest_path("%s/vendors/acme.key", x.f->cfg.keys_dir), F_OK), 0);
	static const char swap[] = "UPDATE vendor_keys v SET sealed = o.sealed FROM vendor_keys o"
				   " WHERE (v.vendor = 'acme' AND o.vendor = 'beta')"
				   " OR (v.vendor = 'beta' AND o.vendor = 'acme')";
	CU_ASSERT_EQUAL(sql(x.raw, swap), 0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	struct repo_publish_result r;
	char *err = NULL;
	CU_ASSERT_EQUAL(repo_publish(x.f->r, RFX_ACME_TOKEN, pkg, n, NULL, &r, &err),
			-EKEYREJECTED);
	CU_ASSERT_TRUE(err && strstr(err, "vendor acme: its key in the database does not open"));
	/* the server's fault, not the vendor's */
	CU_ASSERT_EQUAL(repo_status_for(-EKEYREJECTED), 500);
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(sql(x.raw, swap), 0);
	CU_ASSERT_EQUAL(repo_publish(x.f->r, RFX_ACME_TOKEN, pkg, n, NULL, &r, &err), 0);
	CU_ASSERT_EQUAL(rfx_check_chain(x.f), 1);
	free(err);
	free(pkg);
	pgfx_close(&x);
}

/* ---- blobs ----------------------------------------------------------------------------------- */
static void test_pg_blobs_come_from_the_database_hash_checked(void)
{
	struct pgfx x;
	CU_ASSERT_EQUAL_FATAL(pgfx_open(&x), 0);
	size_t n;
	uint8_t *pkg = rfx_pkg("hello", &n);
	struct repo_publish_result r;
	CU_ASSERT_EQUAL_FATAL(repo_publish(x.f->r, RFX_ACME_TOKEN, pkg, n, NULL, &r, NULL), 0);
	struct repo *b = second(x.f, "data-b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	char file[400], *path = NULL, *err = NULL;
	uint64_t size = 0;
	repod_target_file(r.target, r.sha256, file, sizeof(file));
	/* b never saw the upload: it fetches the bytes from the database into its own folder */
	CU_ASSERT_EQUAL_FATAL(repo_target_lookup(b, file, &path, &size, &err), 0);
	CU_ASSERT_EQUAL(size, n);
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "/data-b/blobs/sha256/"));
	size_t bl = 0;
	uint8_t *bb = xtest_read(path, &bl);
	CU_ASSERT_TRUE(bb && bl == n && memcmp(bb, pkg, n) == 0);
	free(bb);
	/* a copy in the database that is not these bytes is never served */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(sql(x.raw, "UPDATE blobs SET data = set_byte(data, 100,"
				   " (get_byte(data, 100) + 1) % 256)"),
			0);
	free(path);
	path = NULL;
	CU_ASSERT_EQUAL(repo_target_lookup(b, file, &path, &size, &err), -EIO);
	CU_ASSERT_TRUE(err && strstr(err, "the database's copy has SHA-256"));
	CU_ASSERT_PTR_NULL(path);
	CU_ASSERT_NOT_EQUAL(
		access(xtest_path("%s/data-b/blobs/sha256/%s", x.f->dir, r.sha256), F_OK), 0);
	free(err);
	free(pkg);
	repo_close(b);
	pgfx_close(&x);
}

static void test_pg_unreachable_database_is_enotconn(void)
{
	struct rfx *f = rfx_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct repo_config c = f->cfg;
	struct repo *r = NULL;
	char *err = NULL;
	c.store = (char *)"postgresql";
	c.postgres_conninfo = (char *)"host=/nonexistent-xdrv-socket-dir dbname=xdrv";
	CU_ASSERT_EQUAL(repo_open(&c, &r, &err), -ENOTCONN);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_TRUE(err && strstr(err, "database unavailable") &&
		       strstr(err, "/nonexistent-xdrv-socket-dir"));
	CU_ASSERT_EQUAL(repo_status_for(-ENOTCONN), 503);
	free(err);
	rfx_destroy(f);
}

/* ---- migrate --------------------------------------------------------------------------------- */
static void test_pg_migrate_from_sqlite_and_back_keeps_everything(void)
{
	struct rfx *f = rfx_create(0); /* SQLite */
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	size_t n1, n2, n3;
	uint8_t *p1 = rfx_pkg("hello", &n1), *p2 = rfx_pkg("uart16550", &n2),
		*p3 = rfx_pkg("dp83820", &n3);
	struct repo_publish_result res;
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_ACME_TOKEN, p1, n1, NULL, &res, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(repo_publish(f->r, RFX_BETA_TOKEN, p2, n2, NULL, &res, NULL), 0);
	char ci[1200], *err = NULL;
	new_schema(ci, sizeof(ci));
	struct repo_config to = f->cfg, back = f->cfg;
	to.store = (char *)"postgresql";
	to.postgres_conninfo = ci;
	to.data_dir = (char *)xtest_path("%s/data-pg", f->dir);
	struct repo_migrate_stats st;
	CU_ASSERT_EQUAL_FATAL(repo_migrate(&f->cfg, &to, &st, &err), 0);
	CU_ASSERT_TRUE(st.vendors == 2 && st.packages == 2 && st.blobs == 2 &&
		       st.blob_bytes == n1 + n2);
	struct repo *pg = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_open(&to, &pg, &err), 0);
	char *da = rfx_meta_digest(f->r), *db = rfx_meta_digest(pg);
	CU_ASSERT_TRUE(da && db && strcmp(da, db) == 0);
	free(db);
	CU_ASSERT_EQUAL(repo_migrate(&f->cfg, &to, &st, &err), -ENOTEMPTY);
	CU_ASSERT_TRUE(err && strstr(err, "the target (store postgresql) is not empty"));
	free(err);
	err = NULL;
	/* and back to SQLite (the way back from PostgreSQL), then the copy publishes */
	back.data_dir = (char *)xtest_path("%s/data-back", f->dir);
	CU_ASSERT_EQUAL_FATAL(repo_migrate(&to, &back, &st, &err), 0);
	struct repo *sq = NULL;
	CU_ASSERT_EQUAL_FATAL(repo_open(&back, &sq, &err), 0);
	db = rfx_meta_digest(sq);
	CU_ASSERT_TRUE(da && db && strcmp(da, db) == 0);
	free(db);
	CU_ASSERT_EQUAL(repo_publish(pg, RFX_ACME_TOKEN, p3, n3, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	CU_ASSERT_EQUAL(repo_publish(sq, RFX_ACME_TOKEN, p3, n3, NULL, &res, &err), 0);
	CU_ASSERT_EQUAL(res.status, 201);
	free(da);
	free(err);
	repo_close(sq);
	repo_close(pg);
	free(p1);
	free(p2);
	free(p3);
	rfx_destroy(f);
}

XTEST_SUITE(repod_pg_store, pg_init, pg_clean,
	    XTEST(test_pg_two_servers_publishing_at_once_make_one_history),
	    XTEST(test_pg_transaction_that_loses_to_another_writer_runs_again),
	    XTEST(test_pg_vendor_keys_are_sealed_and_bound_to_their_vendor),
	    XTEST(test_pg_blobs_come_from_the_database_hash_checked),
	    XTEST(test_pg_unreachable_database_is_enotconn),
	    XTEST(test_pg_migrate_from_sqlite_and_back_keeps_everything));
