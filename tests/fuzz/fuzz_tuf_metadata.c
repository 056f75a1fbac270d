// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what xdrv-repod and the TUF client read from outside: TUF metadata
 * (envelope, root, targets with delegations, snapshot, timestamp), canonical JSON, and the
 * server's own request parsing (Range, Authorization, served metadata and target names, the
 * publish body). Any bytes must give 0 or an error with a message, never a crash or a leak.
 *
 * The first input byte picks the mode, the rest is the input:
 *   0..3  metadata of role root/targets/snapshot/timestamp: load, parse, and for a parsed file
 *         re-encode canonically and load again (must succeed), verify against the root's own
 *         keys (root) or an empty key set (others), expiry check;
 *   4     request strings: Range against a few sizes, Bearer, metadata name, path patterns
 *         (input split at the first '\n' into pattern and path), ISO-8601 time;
 *   5     publish body and names against a repository made once at start-up in a temporary
 *         folder (fresh keys, dev PKI; removed at exit): repo_publish with a valid vendor
 *         token, repo_metadata_get and repo_target_lookup on the input as a name.
 * Seeds: tests/fuzz/corpus/fuzz_tuf_metadata/ (real metadata from a test repository with the
 * mode byte in front, request strings).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/repo_server.h>
#include <xdrv/signer.h>
#include <xdrv/tuf.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct repo *repo;
static char tmpdir[64];

static void cleanup(void)
{
	repo_close(repo);
	if (tmpdir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: cannot remove %s\n", tmpdir);
	}
}

static void repo_once(void)
{
	static int tried;
	if (tried++)
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xdrv-fuzz-repod-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = 0;
		return;
	}
	char pki[128], keys[128], data[128], online[128], root[160];
	snprintf(pki, sizeof(pki), "%s/pki", tmpdir);
	snprintf(keys, sizeof(keys), "%s/keys", tmpdir);
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	snprintf(online, sizeof(online), "%s/keys/online", tmpdir);
	snprintf(root, sizeof(root), "%s/pki/root.pem", tmpdir);
	struct sig_pki_opts o = {.out_dir = pki};
	struct repo_config c;
	repo_config_defaults(&c);
	c.data_dir = data;
	c.keys_dir = online;
	c.trust_root = root;
	c.listen = "127.0.0.1";
	char *err = NULL;
	if (sig_pki_create(&o, &err) || repo_keys_init(keys, time(NULL), 30, &err) ||
	    repo_open(&c, &repo, &err) ||
	    repo_vendor_add(repo, "acme", "fuzz-token-0123456789", &err)) {
		fprintf(stderr, "fuzz: repository: %s\n", err ? err : "?");
		abort(); /* the harness itself is broken: stop at once */
	}
	free(err);
	/* registered after OpenSSL's own exit handler, so it runs before OpenSSL cleans up */
	atexit(cleanup);
}

static void metadata(int mode, const uint8_t *d, size_t n)
{
	json_t *env = NULL;
	char *err = NULL;
	if (tuf_metadata_load(d, n, 0, "fuzz.json", &env, &err) != 0) {
		if (!err)
			abort();
		free(err);
		return;
	}
	int rc = 0;
	struct tuf_common *c = NULL;
	struct tuf_root r;
	struct tuf_targets t;
	struct tuf_snapshot s;
	struct tuf_timestamp ts;
	switch (mode) {
	case 0:
		rc = tuf_root_parse(env, &r, &err);
		if (rc == 0) {
			c = &r.c;
			char *e2 = NULL;
			tuf_verify_role(env, r.keys, r.nkeys, &r.roles[TUF_ROLE_ROOT], &e2);
			free(e2);
		}
		break;
	case 1:
		rc = tuf_targets_parse(env, &t, &err);
		if (rc == 0) {
			c = &t.c;
			for (size_t i = 0; i < t.nroles && t.ntargets; i++)
				(void)tuf_role_covers(&t.roles[i], t.targets[0].path);
			if (t.ntargets)
				(void)tuf_targets_find(&t, t.targets[t.ntargets - 1].path);
		}
		break;
	case 2:
		rc = tuf_snapshot_parse(env, &s, &err);
		if (rc == 0) {
			c = &s.c;
			(void)tuf_snapshot_find(&s, "targets.json");
		}
		break;
	default:
		rc = tuf_timestamp_parse(env, &ts, &err);
		if (rc == 0)
			c = &ts.c;
		break;
	}
	if (rc != 0 && !err)
		abort(); /* every failure carries a message */
	free(err);
	err = NULL;
	if (c) {
		char *e2 = NULL;
		tuf_expiry_check(c, 1700000000, &e2);
		free(e2);
		/* what parses re-encodes canonically and loads again */
		char *buf = NULL;
		size_t len = 0;
		json_t *again = NULL;
		if (tuf_metadata_dump(env, &buf, &len, &err) == 0 &&
		    tuf_metadata_load((const uint8_t *)buf, len, 0, "again", &again, &err) != 0)
			abort();
		json_decref(again);
		free(buf);
		free(err);
	}
	if (mode == 0 && rc == 0)
		tuf_root_free(&r);
	if (mode == 1 && rc == 0)
		tuf_targets_free(&t);
	if (mode == 2 && rc == 0)
		tuf_snapshot_free(&s);
	if (mode == 3 && rc == 0)
		tuf_timestamp_free(&ts);
	json_decref(env);
}

static void strings(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		return;
	memcpy(s, d, n);
	s[n] = 0;
	uint64_t a, b;
	const uint64_t sizes[] = {0, 1, 100, UINT64_MAX};
	for (size_t i = 0; i < 4; i++)
		if (repo_parse_range(s, sizes[i], &a, &b) == 0 && (a > b || b >= sizes[i]))
			abort(); /* a parsed range lies inside the resource */
	const char *tok;
	size_t tl;
	if (repo_parse_bearer(s, &tok, &tl) == 0 && (tl == 0 || tok + tl > s + n))
		abort();
	(void)repo_valid_metadata_name(s);
	if (!repo_check_uri(s)) { /* accepted: no control byte, backslash or dot segment left */
		for (const char *c = s; *c && *c != '?'; c++)
			if ((unsigned char)*c < 0x20 || *c == '\\' || strncmp(c, "/../", 4) == 0 ||
			    strcmp(c, "/..") == 0 || strncmp(c, "%00", 3) == 0)
				abort();
	}
	int64_t t;
	if (tuf_time_parse(s, &t) == 0) {
		char back[21];
		tuf_time_format(t, back);
		if (t < 253402300800LL && strncmp(back, s, 19) != 0 && s[17] != '6')
			abort(); /* round trip (a leap second :60 normalises) */
	}
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		(void)tuf_path_match(s, nl + 1);
	}
	free(s);
}

static void server(const uint8_t *d, size_t n)
{
	repo_once();
	struct repo_publish_result res;
	char *err = NULL;
	if (repo_publish(repo, "fuzz-token-0123456789", d, n, NULL, &res, &err) != 0 && !err)
		abort();
	free(err);
	char *name = malloc(n + 1);
	if (!name)
		return;
	memcpy(name, d, n);
	name[n] = 0;
	uint8_t *buf = NULL;
	size_t len;
	err = NULL;
	if (repo_metadata_get(repo, name, &buf, &len, &err) == 0)
		free(buf);
	free(err);
	err = NULL;
	char *blob = NULL;
	uint64_t size;
	if (repo_target_lookup(repo, name, &blob, &size, &err) == 0)
		free(blob);
	free(err);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 6;
	if (mode <= 3)
		metadata(mode, data + 1, size - 1);
	else if (mode == 4)
		strings(data + 1, size - 1);
	else
		server(data + 1, size - 1);
	return 0;
}
