// SPDX-License-Identifier: MIT
/*
 * xdrv-repod: the repository server's command line. Subcommands: keys init, keys rotate-root,
 * vendor add, serve, export. Arguments and output only; the work is in libxdrv_repo.
 */
#include "xdrv/repo_server.h"
#include "xdrv/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: xdrv-repod keys init --dir DIR [--root-days N]\n"
	"       xdrv-repod keys rotate-root --dir DIR [--root-days N]\n"
	"       xdrv-repod vendor add NAME --token-file FILE --config FILE\n"
	"       xdrv-repod serve --config FILE [--port-file FILE] [--export DIR]\n"
	"       xdrv-repod export --config FILE --out DIR\n"
	"  keys init      make DIR/offline/root.key (keep it off the server), DIR/online/*.key\n"
	"                 and DIR/online/root/1.root.json; set keys_dir = DIR/online\n"
	"  serve          serve until SIGTERM/SIGINT (then finish requests in flight)\n"
	"  --export DIR   with serve: write the static mirror tree and exit\n";

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int fail(const char *what, char *err, int rc)
{
	fprintf(stderr, "xdrv-repod: %s: %s\n", what, err ? err : strerror(-rc));
	free(err);
	return 1;
}

static int open_repo(int argc, char **argv, struct repo **r, struct repo_config *c)
{
	char *err = NULL;
	const char *cfg = opt(argc, argv, "--config");
	if (!cfg) {
		fputs(usage, stderr);
		return 2;
	}
	int rc = repo_config_load(cfg, c, &err);
	if (rc == 0)
		rc = repo_open(c, r, &err);
	if (rc)
		return fail(cfg, err, rc);
	return 0;
}

static volatile sig_atomic_t stop_sig;
static void on_signal(int sig)
{
	stop_sig = sig;
}

static int cmd_serve(int argc, char **argv)
{
	struct repo *r = NULL;
	struct repo_config c;
	struct repo_server *s = NULL;
	char *err = NULL;
	int rc = open_repo(argc, argv, &r, &c);
	if (rc)
		return rc;
	const char *exp = opt(argc, argv, "--export");
	if (exp) {
		rc = repo_export(r, exp, &err);
		repo_close(r);
		repo_config_free(&c);
		return rc ? fail("export", err, rc) : 0;
	}
	rc = repo_serve_lock(r, &err);
	if (rc == 0)
		rc = repo_gc(r, &err);
	if (rc) {
		repo_close(r);
		repo_config_free(&c);
		return fail("serve", err, rc);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = repo_server_start(r, &s, &err);
	if (rc) {
		repo_close(r);
		repo_config_free(&c);
		return fail("serve", err, rc);
	}
	printf("xdrv-repod: listening on %s:%u\n", c.listen, repo_server_port(s));
	fflush(stdout);
	const char *pf = opt(argc, argv, "--port-file");
	if (pf) {
		char b[16];
		int n = snprintf(b, sizeof(b), "%u\n", repo_server_port(s));
		if (xdrv_write_file_atomic(pf, b, (size_t)n, 0644, &err) != 0)
			fail("port file", err, -EIO), err = NULL;
	}
	while (!stop_sig)
		pause();
	fprintf(stderr, "xdrv-repod: signal %d: stopping (finishing requests in flight)\n",
		(int)stop_sig);
	repo_server_stop(s, 10000);
	repo_close(r);
	repo_config_free(&c);
	fprintf(stderr, "xdrv-repod: stopped\n");
	return 0;
}

int main(int argc, char **argv)
{
	char *err = NULL;
	int rc;
	if (argc >= 3 && strcmp(argv[1], "keys") == 0) {
		const char *dir = opt(argc, argv, "--dir");
		const char *days = opt(argc, argv, "--root-days");
		unsigned d = days ? (unsigned)strtoul(days, NULL, 10) : 365;
		if (!dir || d < 1 || d > 36525) {
			fputs(usage, stderr);
			return 2;
		}
		if (strcmp(argv[2], "init") == 0)
			rc = repo_keys_init(dir, time(NULL), d, &err);
		else if (strcmp(argv[2], "rotate-root") == 0)
			rc = repo_keys_rotate_root(dir, time(NULL), d, &err);
		else {
			fputs(usage, stderr);
			return 2;
		}
		if (rc)
			return fail(argv[2], err, rc);
		printf("xdrv-repod: keys %s: done in %s\n", argv[2], dir);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "vendor") == 0 && strcmp(argv[2], "add") == 0) {
		const char *tf = opt(argc, argv, "--token-file");
		if (!tf) {
			fputs(usage, stderr);
			return 2;
		}
		uint8_t *tok;
		size_t len;
		if ((rc = xdrv_read_file(tf, 8192, &tok, &len, &err)) != 0)
			return fail("token file", err, rc);
		while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
			tok[--len] = 0;
		struct repo *r;
		struct repo_config c;
		rc = open_repo(argc, argv, &r, &c);
		if (rc == 0) {
			rc = repo_vendor_add(r, argv[3], (const char *)tok, &err);
			repo_close(r);
			repo_config_free(&c);
			rc = rc ? fail("vendor add", err, rc) : 0;
			if (rc == 0)
				printf("xdrv-repod: vendor %s added (delegation %s/*)\n", argv[3],
				       argv[3]);
		}
		memset(tok, 0, len);
		free(tok);
		return rc;
	}
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "export") == 0) {
		const char *out = opt(argc, argv, "--out");
		struct repo *r;
		struct repo_config c;
		if (!out) {
			fputs(usage, stderr);
			return 2;
		}
		if ((rc = open_repo(argc, argv, &r, &c)) != 0)
			return rc;
		rc = repo_export(r, out, &err);
		repo_close(r);
		repo_config_free(&c);
		return rc ? fail("export", err, rc) : 0;
	}
	if (argc >= 2 && opt(argc, argv, "--export")) /* xdrv-repod --config F --export DIR */
		return cmd_serve(argc, argv);
	fputs(usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
	return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
