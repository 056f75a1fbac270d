// SPDX-License-Identifier: MIT
/*
 * xdrv-repod: the repository server's command line. Subcommands live in one const table (init,
 * keys init, keys rotate-root, vendor add, serve, export [--watch], migrate), each with the
 * options it takes; an unknown subcommand or option gets a did-you-mean (xdrv_suggest), a
 * missing argument is named together with where to get it, and each command says what it made
 * and what comes next.
 * Arguments and output only; the work is in libxdrv_repo.
 */
#include "xdrv/abi.h"
#include "xdrv/repo_server.h"
#include "xdrv/tuf.h"
#include "xdrv/util.h"
#include "xdrv/version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sys/select.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPTS 8
#define MAX_POS	 1

struct opt {
	const char *name;
	bool value; /* takes a value: --name V or --name=V */
};

struct args;
struct command {
	const char *group; /* first word of two-word commands ("keys", "vendor"), else NULL */
	const char *name;
	const char *synopsis; /* what follows the command words in the usage line */
	const char *help;
	struct opt opts[MAX_OPTS];
	int npos; /* positional arguments it takes */
	int (*fn)(const struct args *a);
};

struct args {
	const struct command *cmd;
	const char *val[MAX_OPTS]; /* by index into cmd->opts; "" for a flag that was given */
	const char *pos[MAX_POS];
	int npos;
};

static int cmd_init(const struct args *a);
static int cmd_keys(const struct args *a);
static int cmd_vendor_add(const struct args *a);
static int cmd_serve(const struct args *a);
static int cmd_export(const struct args *a);
static int cmd_migrate(const struct args *a);

static const struct command commands[] = {
	{NULL,
	 "init",
	 "--dir DIR [--trust-root PEM] [--listen ADDR] [--port N] [--root-days N] [--force]",
	 "  Start a repository in DIR: the keys (as 'keys init', in DIR/keys) and a commented\n"
	 "  DIR/repod.conf (listen 127.0.0.1, port 8470, data in DIR/data). --trust-root is the\n"
	 "  PEM root certificate every published package must chain to (without it, repod.conf\n"
	 "  is written with that line to fill in). Existing keys are kept, never replaced; an\n"
	 "  existing repod.conf is replaced only with --force.\n",
	 {{"--dir", true},
	  {"--trust-root", true},
	  {"--listen", true},
	  {"--port", true},
	  {"--root-days", true},
	  {"--force", false}},
	 0,
	 cmd_init},
	{"keys",
	 "init",
	 "--dir DIR [--root-days N]",
	 "  Make the repository's keys: DIR/offline/root.key (keep it off the server),\n"
	 "  DIR/online/{targets,snapshot,timestamp}.key and DIR/online/root/1.root.json (root\n"
	 "  metadata valid N days, default 365). Refuses if DIR/offline/root.key exists.\n",
	 {{"--dir", true}, {"--root-days", true}},
	 0,
	 cmd_keys},
	{"keys",
	 "rotate-root",
	 "--dir DIR [--root-days N]",
	 "  On the machine holding DIR/offline: root version N+1 with a new root key, signed by\n"
	 "  the old and the new one; copy DIR/online/root/(N+1).root.json to the server.\n",
	 {{"--dir", true}, {"--root-days", true}},
	 0,
	 cmd_keys},
	{"vendor",
	 "add",
	 "NAME --token-file FILE --config FILE",
	 "  Add vendor NAME (it may publish NAME/* targets) with the token in FILE. A FILE that\n"
	 "  does not exist is created with a new random token (mode 0600): give it to the vendor.\n"
	 "  Works while the server runs.\n",
	 {{"--token-file", true}, {"--config", true}},
	 1,
	 cmd_vendor_add},
	{NULL,
	 "serve",
	 "--config FILE [--port-file FILE] [--export DIR]",
	 "  Serve until SIGTERM/SIGINT (then finish the requests in flight). --port-file writes\n"
	 "  the bound port (for port = 0); --export DIR writes the static mirror tree and exits.\n",
	 {{"--config", true}, {"--port-file", true}, {"--export", true}},
	 0,
	 cmd_serve},
	{NULL,
	 "export",
	 "--config FILE --out DIR [--watch [--interval MS]]",
	 "  Write the static mirror tree (metadata, targets, index.html) for any web server;\n"
	 "  files already there are kept. --watch keeps it current until SIGTERM/SIGINT: every\n"
	 "  MS milliseconds (default 1000) it looks for a new timestamp in the store (published\n"
	 "  through any server on it) and writes what is new, timestamp.json last, so that the\n"
	 "  tree is a consistent repository at every instant.\n",
	 {{"--config", true}, {"--out", true}, {"--watch", false}, {"--interval", true}},
	 0,
	 cmd_export},
	{NULL,
	 "migrate",
	 "--from FILE --to FILE",
	 "  Copy the whole repository of config --from into the store of config --to (e.g. from\n"
	 "  store = sqlite to store = postgresql): every metadata version byte for byte, vendors\n"
	 "  with their tokens and online keys, packages and their blobs, in one transaction. The\n"
	 "  target must be empty (a second run changes nothing) and use the same keys; the source\n"
	 "  is only read. Stop the servers of the source first.\n",
	 {{"--from", true}, {"--to", true}},
	 0,
	 cmd_migrate},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *const top_words[] = {"init",	   "keys", "vendor", "serve",	 "export",
					"migrate", "help", "--help", "--version"};

static void cmd_words(const struct command *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", c->group ? c->group : "", c->group ? " " : "", c->name);
}

static void usage(FILE *f)
{
	char w[64];
	fputs("usage:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		cmd_words(&commands[i], w, sizeof(w));
		fprintf(f, "  xdrv-repod %s %s\n", w, commands[i].synopsis);
	}
	fputs("  xdrv-repod --version\n"
	      "\n"
	      "A TUF repository of signed xdrv driver packages. To start one:\n"
	      "  xdrv-repod init --dir repo --trust-root root.pem\n"
	      "  xdrv-repod vendor add acme --token-file acme.token --config repo/repod.conf\n"
	      "  xdrv-repod serve --config repo/repod.conf\n"
	      "'xdrv-repod COMMAND --help' describes one command; docs/REPOSITORY.md all of "
	      "them.\n",
	      f);
}

static void cmd_help(const struct command *c)
{
	char w[64];
	cmd_words(c, w, sizeof(w));
	printf("usage: xdrv-repod %s %s\n\n%s", w, c->synopsis, c->help);
}

__attribute__((format(printf, 2, 3))) static int usage_error(const struct command *c,
							     const char *fmt, ...)
{
	char w[64] = "";
	va_list ap;
	if (c)
		cmd_words(c, w, sizeof(w));
	fprintf(stderr, "xdrv-repod%s%s: ", c ? " " : "", w);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* A usage error after "xdrv-repod GROUP" (keys, vendor). */
__attribute__((format(printf, 2, 3))) static int group_error(const char *group, const char *fmt,
							     ...)
{
	va_list ap;
	fprintf(stderr, "xdrv-repod %s: ", group);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int fail(const struct command *c, char *err, int rc)
{
	char w[64];
	cmd_words(c, w, sizeof(w));
	fprintf(stderr, "xdrv-repod %s: %s\n", w, err ? err : strerror(-rc));
	free(err);
	return 1;
}

__attribute__((format(printf, 2, 3))) static int failf(const struct command *c, const char *fmt,
						       ...)
{
	char w[64];
	va_list ap;
	cmd_words(c, w, sizeof(w));
	fprintf(stderr, "xdrv-repod %s: ", w);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const char *get(const struct args *a, const char *name)
{
	for (int i = 0; i < MAX_OPTS && a->cmd->opts[i].name; i++)
		if (strcmp(a->cmd->opts[i].name, name) == 0)
			return a->val[i];
	return NULL;
}

/* argv holds what follows the command words. 0, 2 (usage error, printed) or -1 (--help shown). */
static int parse(const struct command *c, int argc, char **argv, struct args *a)
{
	const char *names[MAX_OPTS];
	int nopts = 0;
	bool only_pos = false;
	memset(a, 0, sizeof(*a));
	a->cmd = c;
	while (nopts < MAX_OPTS && c->opts[nopts].name) {
		names[nopts] = c->opts[nopts].name;
		nopts++;
	}
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (only_pos || arg[0] != '-' || arg[1] == 0) {
			if (a->npos >= c->npos)
				return usage_error(c, "unexpected argument '%s'%s", arg,
						   c->npos ? "" : " (it takes options only)");
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			cmd_help(c);
			return -1;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		int k = 0;
		while (k < nopts && !(strlen(names[k]) == len && strncmp(names[k], arg, len) == 0))
			k++;
		if (k == nopts) {
			char word[80];
			snprintf(word, sizeof(word), "%.*s", (int)(len < 79 ? len : 79), arg);
			const char *near = xdrv_suggest(word, names, (size_t)nopts);
			if (near)
				return usage_error(c, "unknown option '%s'; did you mean '%s'?",
						   word, near);
			char list[160] = "";
			for (int j = 0; j < nopts; j++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 j ? ", " : "", names[j]);
			return usage_error(c, "unknown option '%s' (options: %s)", word, list);
		}
		if (a->val[k])
			return usage_error(c, "%s given twice", names[k]);
		if (!c->opts[k].value) {
			if (eq)
				return usage_error(c, "%s takes no value", names[k]);
			a->val[k] = "";
		} else if (eq) {
			a->val[k] = eq + 1;
		} else if (i + 1 < argc) {
			a->val[k] = argv[++i];
		} else {
			return usage_error(c, "missing value for %s", names[k]);
		}
	}
	return 0;
}

static int parse_days(const struct args *a, unsigned *days)
{
	const char *s = get(a, "--root-days");
	char *end;
	*days = 365;
	if (!s)
		return 0;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v < 1 || v > 36525)
		return usage_error(a->cmd,
				   "--root-days wants a number of days in 1..36525, not '%s'", s);
	*days = (unsigned)v;
	return 0;
}

static const char *missing_config = "missing --config FILE (create one with 'xdrv-repod init')";

/* What `keys init` makes in `dir` (repo_keys_init), and which key goes offline. */
static void print_keys(const char *dir, unsigned days, bool kept)
{
	const char *k = kept ? " (kept)" : "";
	char life[32] = "";
	if (!kept)
		snprintf(life, sizeof(life), ", valid %u days", days);
	printf("  %s/offline/root.key%s\n"
	       "      root key: keep it OFFLINE (move it off this machine); it signs nothing but\n"
	       "      new root versions ('xdrv-repod keys rotate-root')\n"
	       "  %s/online/{targets,snapshot,timestamp}.key%s\n"
	       "      online keys: stay with the server (keys_dir = %s/online)\n"
	       "  %s/online/root/1.root.json%s\n"
	       "      root metadata%s: hosts pin it ('xdrv repo add NAME URL --root ...')\n",
	       dir, k, dir, k, dir, dir, k, life);
}

static int cmd_keys(const struct args *a)
{
	const char *dir = get(a, "--dir");
	char *err = NULL;
	unsigned days;
	int rc;
	if (!dir)
		return usage_error(a->cmd, "missing --dir DIR (the keys folder to create)");
	if ((rc = parse_days(a, &days)) != 0)
		return rc;
	if (strcmp(a->cmd->name, "rotate-root") == 0) {
		rc = repo_keys_rotate_root(dir, time(NULL), days, &err);
		if (rc)
			return fail(a->cmd, err, rc);
		printf("xdrv-repod keys rotate-root: new root key %s/offline/root.key (the old one "
		       "kept beside it); copy the newest %s/online/root/N.root.json to the "
		       "server\n",
		       dir, dir);
		return 0;
	}
	rc = repo_keys_init(dir, time(NULL), days, &err);
	if (rc)
		return fail(a->cmd, err, rc);
	printf("xdrv-repod keys init: made\n");
	print_keys(dir, days, false);
	char parent[PATH_MAX];
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= 4 && strncmp(dir + n - 4, "keys", 4) == 0 && (n == 4 || dir[n - 5] == '/')) {
		snprintf(parent, sizeof(parent), "%.*s", n == 4 ? 1 : (int)(n - 5),
			 n == 4 ? "." : dir);
		if (!parent[0])
			snprintf(parent, sizeof(parent), "/");
		printf("next: xdrv-repod init --dir %s --trust-root ROOT.pem   (writes "
		       "%s/repod.conf "
		       "and keeps these keys)\n",
		       parent, parent);
	} else {
		printf("next: a config naming keys_dir = %s/online ('xdrv-repod init --dir D' "
		       "writes one and keeps keys found in D/keys)\n",
		       dir);
	}
	return 0;
}

static int cmd_init(const struct args *a)
{
	const char *dir = get(a, "--dir"), *listen = get(a, "--listen"),
		   *trust = get(a, "--trust-root"), *port_s = get(a, "--port");
	bool force = get(a, "--force") != NULL;
	char *err = NULL, keys[PATH_MAX], conf[PATH_MAX], rootkey[PATH_MAX], root1[PATH_MAX],
	     abs_trust[PATH_MAX];
	unsigned days, port = REPO_DEFAULT_PORT;
	int rc;
	if (!dir)
		return usage_error(a->cmd, "missing --dir DIR (the folder for keys/, repod.conf "
					   "and data/)");
	if ((rc = parse_days(a, &days)) != 0)
		return rc;
	if (port_s) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(port_s, &end, 10);
		if (errno || *end || !*port_s || v > 65535)
			return usage_error(a->cmd, "--port wants 0..65535, not '%s'", port_s);
		port = (unsigned)v;
	}
	if (listen) {
		unsigned char ip[16];
		if (inet_pton(strchr(listen, ':') ? AF_INET6 : AF_INET, listen, ip) != 1)
			return usage_error(
				a->cmd, "--listen wants an IPv4 or IPv6 address, not '%s'", listen);
	}
	if (trust && !realpath(trust, abs_trust))
		return failf(a->cmd, "--trust-root %s: %s", trust, strerror(errno));
	if (xdrv_snprintf(keys, sizeof(keys), "%s/keys", dir) ||
	    xdrv_snprintf(conf, sizeof(conf), "%s/repod.conf", dir) ||
	    xdrv_snprintf(rootkey, sizeof(rootkey), "%s/offline/root.key", keys) ||
	    xdrv_snprintf(root1, sizeof(root1), "%s/online/root/1.root.json", keys))
		return fail(a->cmd, NULL, -ENAMETOOLONG);
	/* nothing is made when the config would not be written */
	if (!force && access(conf, F_OK) == 0)
		return failf(a->cmd, "%s exists (not replaced; --force rewrites it)", conf);
	bool kept = access(rootkey, F_OK) == 0;
	if (kept && access(root1, F_OK) != 0)
		return failf(a->cmd,
			     "%s exists but %s does not: not a keys folder made by 'keys init'",
			     rootkey, root1);
	rc = xdrv_mkdirs(dir, 0755, &err);
	if (rc == 0 && !kept)
		rc = repo_keys_init(keys, time(NULL), days, &err);
	if (rc == 0) {
		struct repo_config c;
		repo_config_defaults(&c);
		c.listen = (char *)(listen ? listen : "127.0.0.1");
		c.port = (uint16_t)port;
		c.data_dir = (char *)"data";
		c.keys_dir = (char *)"keys/online";
		c.trust_root = trust ? abs_trust : NULL;
		rc = repo_config_write(conf, &c, force, &err);
	}
	if (rc)
		return fail(a->cmd, err, rc);
	printf("xdrv-repod init: made in %s\n", dir);
	print_keys(keys, days, kept);
	printf("  %s\n      configuration: serves %s%s%s:%u, data in %s/data\n", conf,
	       listen && strchr(listen, ':') ? "[" : "", listen ? listen : "127.0.0.1",
	       listen && strchr(listen, ':') ? "]" : "", port, dir);
	if (!trust)
		printf("edit %s: set trust_root (required) to the PEM root certificate every "
		       "published package must chain to\n",
		       conf);
	printf("next: xdrv-repod vendor add NAME --token-file NAME.token --config %s\n"
	       "      xdrv-repod serve --config %s\n",
	       conf, conf);
	return 0;
}

static int open_repo(const struct args *a, struct repo **r, struct repo_config *c)
{
	char *err = NULL;
	int rc = repo_config_load(get(a, "--config"), c, &err);
	if (rc == 0) {
		rc = repo_open(c, r, &err);
		if (rc)
			repo_config_free(c);
	}
	return rc ? fail(a->cmd, err, rc) : 0;
}

static int cmd_vendor_add(const struct args *a)
{
	const char *name = a->npos ? a->pos[0] : NULL, *tf = get(a, "--token-file");
	char *err = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	bool created = false;
	struct repo *r = NULL;
	struct repo_config c;
	int rc;
	if (!name)
		return usage_error(a->cmd, "missing NAME (the vendor; its packages are NAME/*)");
	if (!tf)
		return usage_error(a->cmd, "missing --token-file FILE (a new random token is "
					   "written there if FILE does not exist)");
	if (!get(a, "--config"))
		return usage_error(a->cmd, "%s", missing_config);
	if ((rc = open_repo(a, &r, &c)) != 0)
		return rc;
	if (access(tf, F_OK) != 0 && errno == ENOENT) {
		rc = repo_token_file_create(tf, &err);
		created = rc == 0;
	}
	if (rc == 0)
		rc = xdrv_read_file(tf, 8192, &tok, &len, &err);
	if (rc == 0) {
		while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' '))
			tok[--len] = 0;
		rc = repo_vendor_add(r, name, (const char *)tok, &err);
	}
	if (tok) {
		memset(tok, 0, len);
		free(tok);
	}
	repo_close(r);
	repo_config_free(&c);
	if (rc) {
		fail(a->cmd, err, rc);
		if (created && unlink(tf) == 0)
			fprintf(stderr,
				"xdrv-repod vendor add: %s, made for it, is removed again\n", tf);
		return 1;
	}
	if (created)
		printf("xdrv-repod: made %s: a new random token (mode 0600) for vendor %s; give it "
		       "to "
		       "the vendor, who publishes with 'xdrv publish --repo REPO --token-file %s "
		       "PKG'\n",
		       tf, name, tf);
	printf("xdrv-repod: vendor %s added (delegation %s/*)\n", name, name);
	return 0;
}

static volatile sig_atomic_t stop_sig;
static void on_signal(int sig)
{
	stop_sig = sig;
}

static int cmd_serve(const struct args *a)
{
	struct repo *r = NULL;
	struct repo_config c;
	struct repo_server *s = NULL;
	char *err = NULL;
	int rc;
	if (!get(a, "--config"))
		return usage_error(a->cmd, "%s", missing_config);
	if ((rc = open_repo(a, &r, &c)) != 0)
		return rc;
	const char *exp = get(a, "--export");
	if (exp) {
		rc = repo_export(r, exp, &err);
		repo_close(r);
		repo_config_free(&c);
		return rc ? fail(a->cmd, err, rc) : 0;
	}
	rc = repo_serve_lock(r, &err);
	if (rc == 0)
		rc = repo_gc(r, &err);
	if (rc) {
		repo_close(r);
		repo_config_free(&c);
		return fail(a->cmd, err, rc);
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
		return fail(a->cmd, err, rc);
	}
	printf("xdrv-repod: listening on %s:%u\n", c.listen, repo_server_port(s));
	fflush(stdout);
	const char *pf = get(a, "--port-file");
	if (pf) {
		char b[16];
		int n = snprintf(b, sizeof(b), "%u\n", repo_server_port(s));
		if (xdrv_write_file_atomic(pf, b, (size_t)n, 0644, &err) != 0)
			fprintf(stderr, "xdrv-repod serve: port file: %s\n", err ? err : "?");
		free(err);
		err = NULL;
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

/* "wrote 1 target, 4 metadata files, 2 pages" */
static void pass_summary(const struct repo_mirror_pass *st, char *out, size_t n)
{
	snprintf(out, n, "wrote %u target%s, %u metadata file%s, %u page%s", st->targets,
		 st->targets == 1 ? "" : "s", st->metadata, st->metadata == 1 ? "" : "s", st->pages,
		 st->pages == 1 ? "" : "s");
}

/* export --watch: a pass every `ms` until SIGTERM/SIGINT. A failed pass (the database away, a
 * full disk) is said when it starts failing and then once a minute while it goes on (not at
 * every pass: at 50 ms that would be a flood); the tree stays at the version it had. */
static int watch(struct repo *r, const char *out, unsigned ms)
{
	struct repo_mirror *m = NULL;
	struct repo_mirror_pass st;
	char *err = NULL, sum[128];
	sigset_t block, orig;
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned long failed = 0;
	uint64_t said = 0, served = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	int rc = repo_mirror_open(r, out, &stop_sig, &m, &err);
	if (rc) {
		fprintf(stderr, "xdrv-repod export: %s\n", err ? err : strerror(-rc));
		free(err);
		return 1;
	}
	fprintf(stderr, "xdrv-repod export: keeping %s current (a look at the store every %u ms)\n",
		out, ms);
	while (!stop_sig) {
		/* signals arrive during a pass (it stops before its next file) and in pselect */
		sigprocmask(SIG_SETMASK, &orig, NULL);
		uint64_t t0 = xdrv_now_ns();
		rc = repo_mirror_sync(m, &st, &err);
		sigprocmask(SIG_BLOCK, &block, NULL);
		uint64_t t1 = xdrv_now_ns();
		if (rc == 0 && failed) {
			fprintf(stderr, "xdrv-repod export: passes work again (after %lu failed)\n",
				failed);
			failed = 0;
		}
		if (rc == 0 && st.changed) {
			pass_summary(&st, sum, sizeof(sum));
			fprintf(stderr,
				"xdrv-repod export: %s at timestamp v%llu (%s): %s in %llu ms\n",
				out, (unsigned long long)st.timestamp_version,
				st.full ? "every file compared" : "what is new", sum,
				(unsigned long long)((t1 - t0) / 1000000));
		}
		if (rc == 0)
			served = st.timestamp_version;
		if (rc && !(rc == -EINTR && stop_sig)) {
			if (!failed || t1 - said >= 60ull * 1000000000) {
				fprintf(stderr,
					"xdrv-repod export: %s (%s; the mirror stays as it was; "
					"trying again every %u ms)\n",
					err ? err : strerror(-rc),
					failed ? "still failing" : "a pass failed", ms);
				said = t1;
			}
			failed++;
		}
		free(err);
		err = NULL;
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
		if (!stop_sig)
			pselect(0, NULL, NULL, NULL, &ts, &orig);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	fprintf(stderr, "xdrv-repod export: signal %d: stopped; %s serves timestamp v%llu\n",
		(int)stop_sig, out, (unsigned long long)served);
	repo_mirror_close(m);
	return 0;
}

static int cmd_export(const struct args *a)
{
	struct repo *r;
	struct repo_config c;
	struct repo_mirror *m = NULL;
	struct repo_mirror_pass st;
	char *err = NULL, sum[128];
	const char *out = get(a, "--out"), *iv = get(a, "--interval");
	bool w = get(a, "--watch") != NULL;
	unsigned ms = 1000;
	int rc;
	if (!get(a, "--config"))
		return usage_error(a->cmd, "%s", missing_config);
	if (!out)
		return usage_error(a->cmd, "missing --out DIR (the folder for the static tree)");
	if (iv && !w)
		return usage_error(a->cmd, "--interval needs --watch");
	if (iv) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(iv, &end, 10);
		/* 10 ms: two small queries a time is still nothing; beyond 1 h, a cron job */
		if (errno || *end || !*iv || v < 10 || v > 3600000)
			return usage_error(a->cmd,
					   "--interval wants milliseconds in 10..3600000, not '%s'",
					   iv);
		ms = (unsigned)v;
	}
	if ((rc = open_repo(a, &r, &c)) != 0)
		return rc;
	if (w) {
		rc = watch(r, out, ms);
		repo_close(r);
		repo_config_free(&c);
		return rc;
	}
	rc = repo_mirror_open(r, out, NULL, &m, &err);
	if (rc == 0)
		rc = repo_mirror_sync(m, &st, &err);
	repo_mirror_close(m);
	repo_close(r);
	repo_config_free(&c);
	if (rc)
		return fail(a->cmd, err, rc);
	pass_summary(&st, sum, sizeof(sum));
	printf("xdrv-repod export: %s at timestamp v%llu: %s\n", out,
	       (unsigned long long)st.timestamp_version, sum);
	return 0;
}

/* "1.2 MB" */
static void human(uint64_t n, char *out, size_t len)
{
	static const char *const unit[] = {"bytes", "KB", "MB", "GB", "TB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 4)
		v /= 1000, u++;
	if (u == 0)
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
	else
		snprintf(out, len, "%.1f %s", v, unit[u]);
}

static int cmd_migrate(const struct args *a)
{
	const char *from = get(a, "--from"), *to = get(a, "--to");
	struct repo_config cf, ct;
	struct repo_migrate_stats st;
	char *err = NULL, size[32];
	if (!from)
		return usage_error(a->cmd, "missing --from FILE (the config of the repository to "
					   "copy, e.g. store = sqlite)");
	if (!to)
		return usage_error(a->cmd, "missing --to FILE (the config naming the empty store "
					   "to fill, e.g. store = postgresql)");
	int rc = repo_config_load(from, &cf, &err);
	if (rc) {
		xdrv_err_prefix(&err, "--from");
		return fail(a->cmd, err, rc);
	}
	rc = repo_config_load(to, &ct, &err);
	if (rc) {
		repo_config_free(&cf);
		xdrv_err_prefix(&err, "--to");
		return fail(a->cmd, err, rc);
	}
	rc = repo_migrate(&cf, &ct, &st, &err);
	if (rc == 0) {
		human(st.blob_bytes, size, sizeof(size));
		printf("xdrv-repod migrate: copied %llu metadata files, %llu vendors (tokens and "
		       "online keys), %llu packages, %llu blobs (%s) from store %s to store %s\n"
		       "next: xdrv-repod serve --config %s\n",
		       (unsigned long long)st.metadata, (unsigned long long)st.vendors,
		       (unsigned long long)st.packages, (unsigned long long)st.blobs, size,
		       cf.store ? cf.store : "sqlite", ct.store ? ct.store : "sqlite", to);
	}
	repo_config_free(&cf);
	repo_config_free(&ct);
	return rc ? fail(a->cmd, err, rc) : 0;
}

static int version(void)
{
	time_t t = (time_t)XDRV_SOURCE_DATE;
	struct tm tm;
	char date[16] = "?";
	if (gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	printf("xdrv-repod %s\ncommit %s, source date %s, driver ABI %u.%u.%u, TUF spec %s\n",
	       XDRV_VERSION, xdrv_version_git_commit(), date, XDRV_ABI_VERSION_MAJOR,
	       XDRV_ABI_VERSION_MINOR, XDRV_ABI_VERSION_PATCH, TUF_SPEC_VERSION);
	return 0;
}

static int run(const struct command *c, int argc, char **argv)
{
	struct args a;
	int rc = parse(c, argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	return c->fn(&a);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *w = argv[1];
	if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0 || strcmp(w, "help") == 0) {
		for (size_t i = 0; argc > 2 && i < NCOMMANDS; i++)
			if (strcmp(commands[i].group ? commands[i].group : commands[i].name,
				   argv[2]) == 0 &&
			    (!commands[i].group ||
			     (argc > 3 && strcmp(commands[i].name, argv[3]) == 0))) {
				cmd_help(&commands[i]);
				return 0;
			}
		usage(stdout);
		return 0;
	}
	if (strcmp(w, "--version") == 0 || strcmp(w, "-V") == 0)
		return version();
	/* the old form without a subcommand: xdrv-repod --config F [--export DIR] */
	if (strcmp(w, "--config") == 0 || strncmp(w, "--config=", 9) == 0)
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].name, "serve") == 0)
				return run(&commands[i], argc - 1, argv + 1);
	const char *groups[NCOMMANDS];
	size_t ng = 0;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!commands[i].group && strcmp(commands[i].name, w) == 0)
			return run(&commands[i], argc - 2, argv + 2);
		if (commands[i].group && strcmp(commands[i].group, w) == 0) {
			if (argc > 2 && strcmp(commands[i].name, argv[2]) == 0)
				return run(&commands[i], argc - 3, argv + 3);
			groups[ng++] = commands[i].name;
		}
	}
	if (ng) { /* a known group, an unknown or missing second word */
		char list[128] = "";
		for (size_t i = 0; i < ng; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", groups[i]);
		if (argc < 3 || argv[2][0] == '-')
			return group_error(w, "missing subcommand (%s)", list);
		const char *near = xdrv_suggest(argv[2], groups, ng);
		if (near)
			return group_error(w, "'%s' is not a subcommand; did you mean '%s'?",
					   argv[2], near);
		return group_error(w, "'%s' is not a subcommand (%s)", argv[2], list);
	}
	const char *near = xdrv_suggest(w, top_words, sizeof(top_words) / sizeof(top_words[0]));
	if (w[0] == '-')
		return near ? usage_error(NULL, "unknown option '%s'; did you mean '%s'?", w, near)
			    : usage_error(NULL, "unknown option '%s' (see 'xdrv-repod --help')", w);
	return near ? usage_error(NULL, "'%s' is not a command; did you mean '%s'?", w, near)
		    : usage_error(NULL,
				  "'%s' is not a command (commands: init, keys, vendor, serve, "
				  "export, migrate; see 'xdrv-repod --help')",
				  w);
}
