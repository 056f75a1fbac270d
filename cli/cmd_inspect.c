// SPDX-License-Identifier: MIT
/*
 * `xdrv inspect`: show what a package (signed or not) or a bare bitcode file contains: the
 * signature state, the manifest (or, for bitcode, the descriptor), the imports with the ABI
 * version that introduced each, the functions with their instruction counts, sizes, and the
 * lint verdict. Everything is first collected into one JSON document (jansson), which --json
 * prints as is and the text view renders, so both views always say the same.
 *
 * The signature is checked with the signer library (linked into the xdrv binary; libsdk itself
 * does not depend on it). Nothing of a package's payload is parsed before trust: with --trust, a
 * package that does not verify (unsigned, empty, forged, truncated) stops the inspection with
 * the signer's message, as the loader would; without it, a package shows its outer structure
 * only (size, trailer offsets, payload digest) unless --allow-unsigned (development) is given.
 * The manifest and bitcode are always parsed in a forked child that hands its JSON back through
 * a pipe, so a crash of LLVM's bitcode reader on a malformed file is reported, not suffered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <llvm-c/Analysis.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>
#include <xdrv/signer.h>
#include <xdrv/util.h>

#include "commands.h"
#include "cmd_util.h"
#include "verify_args.h"

#define INSPECT_MAX (64u << 20) /* biggest file inspect reads */

static const char usage[] =
	"usage: xdrv inspect [--trust ROOT.pem | --allow-unsigned] [--store DIR] [--json]\n"
	"                    PACKAGE|BITCODE|NAME[@VERSION]\n"
	"\n"
	"Show a driver package or bitcode file: signature (signer, issuer, payload digest), name,\n"
	"version, security and ABI versions, entry points, match table, parameters, files,\n"
	"(for a packet extension: kind, extension ABI, run, hooks, tables),\n"
	"imports with the ABI version that introduced each, functions with instruction counts,\n"
	"sizes, and whether the bitcode passes the portability and ABI lint.\n"
	"\n"
	"  --trust ROOT.pem  verify the signature against this root first; a package that does\n"
	"                    not verify (unsigned, forged, truncated, empty) exits 1 unparsed.\n"
	"                    Default: $XDRV_TRUST, else STORE/trust-root.pem if it exists (for\n"
	"                    packages; not for a bare bitcode file); the one taken is named on\n"
	"                    stderr: 'trust: PATH (SOURCE)' (--json: signature.root and\n"
	"                    signature.root_source)\n"
	"  --store DIR       local store of installed drivers, for NAME and its trust root\n"
	"                    (default $XDRV_STORE, else /var/lib/xdrv; read only)\n"
	"  --allow-unsigned  parse the manifest and bitcode of a package that is not verified\n"
	"                    (development); without it, or --trust, only the outer structure\n"
	"                    is shown (size, signature trailer offsets, payload sha256)\n"
	"  --json            print one JSON object instead of text\n"
	"\n"
	"NAME or NAME@VERSION (a driver name, no such file here) is the package of an installed\n"
	"driver, looked up in the store.\n"
	"\n"
	"A package's manifest and bitcode (and a bare bitcode file) are parsed in a separate\n"
	"process: a crash of the bitcode reader is reported as a malformed package.\n"
	"\n"
	"Exit status 1 if anything is wrong (bad signature, invalid package or bitcode, lint\n"
	"problems), after showing what could be shown.\n";

/* ---- collecting ----------------------------------------------------------------------- */

static void problem(json_t *doc, const char *what, const char *msg)
{
	json_t *arr = json_object_get(doc, "problems");
	char line[2048], shown[2048];
	snprintf(line, sizeof line, "%s%s%s", what ? what : "", what ? ": " : "",
		 msg ? msg : "failed");
	json_array_append_new(arr, json_string(sdk_printable(line, shown, sizeof shown)));
}

static json_t *lines_array(const char *msg)
{
	json_t *a = json_array();
	for (const char *p = msg; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[1100], shown[1100];
		snprintf(line, sizeof line, "%.*s", (int)(n < 1024 ? n : 1024), p);
		json_array_append_new(a, json_string(sdk_printable(line, shown, sizeof shown)));
		p = nl ? nl + 1 : p + n;
	}
	return a;
}

/* The manifest (or a descriptor dressed as one) as a JSON object. */
static json_t *manifest_json(const struct sdk_manifest *m)
{
	char *text = NULL, *err = NULL;
	size_t len;
	json_t *o = NULL;
	if (sdk_manifest_write(m, &text, &len, &err) == 0)
		o = json_loadb(text, len, 0, NULL);
	free(text);
	free(err);
	return o;
}

static json_t *descriptor_json(const struct sdk_descriptor *d)
{
	struct sdk_manifest m = {.format = 1,
				 .name = d->name,
				 .version = d->version,
				 .abi_version = d->abi_version,
				 .profile = SDK_PROFILE,
				 .desc = *d};
	json_t *o = manifest_json(&m);
	if (o) {
		json_object_del(o, "files");
		json_object_del(o, "bitcode");
		json_object_del(o, "security_version");
		json_object_del(o, "format");
		json_object_del(o, "profile");
	}
	return o;
}

static const char *linkage_name(LLVMValueRef f)
{
	switch (LLVMGetLinkage(f)) {
	case LLVMInternalLinkage:
	case LLVMPrivateLinkage:
		return "internal";
	case LLVMExternalLinkage:
		return "external";
	default:
		return "other";
	}
}

/* A name from the bitcode (arbitrary bytes, maybe with NULs) as a printable JSON string. */
static json_t *str_n(const char *s, size_t n)
{
	char raw[300], shown[300];
	snprintf(raw, sizeof raw, "%.*s", (int)(n < 290 ? n : 290), s ? s : "");
	return json_string(sdk_printable(raw, shown, sizeof shown));
}

/* Where bitcode of the portable profile that passes the lint can run: every little-endian 64-bit
 * host the loader has an LLVM target for (loader/target.c); the ones `make test` runs it on
 * (tests/e2e/cross_arch.sh: x86_64 natively, arm64 and ppc64el under qemu); big-endian hosts
 * refuse it (loader/image.c). */
static json_t *runs_on_json(void)
{
	json_t *r = json_object();
	json_t *arch = json_array(), *tested = json_array(), *refused = json_array();
	static const char *const archs[] = {"x86_64", "arm64", "ppc64el", "riscv64"};
	for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
		json_array_append_new(arch, json_string(archs[i]));
	for (size_t i = 0; i < 3; i++)
		json_array_append_new(tested, json_string(archs[i]));
	json_array_append_new(refused, json_string("s390x (big-endian)"));
	json_object_set_new(r, "profiles", json_pack("[s]", SDK_PROFILE));
	json_object_set_new(r, "architectures", arch);
	json_object_set_new(r, "tested", tested);
	json_object_set_new(r, "refused", refused);
	json_object_set_new(r, "note",
			    json_string("eager and lazy JIT on each (ppc64el: lazy mode "
					"through the loader's own stubs)"));
	return r;
}

static void print_runs_on(json_t *ro)
{
	if (!ro)
		return;
	json_t *archs = json_object_get(ro, "architectures");
	printf("%-11s profile %s: little-endian 64-bit hosts:", "runs on",
	       json_string_value(json_array_get(json_object_get(ro, "profiles"), 0)));
	for (size_t i = 0; i < json_array_size(archs); i++)
		printf(" %s", json_string_value(json_array_get(archs, i)));
	printf("\n%-11s tested (make test): x86_64, arm64 and ppc64el (the last two under qemu); "
	       "%s\n",
	       "", json_string_value(json_object_get(ro, "note")));
	printf("%-11s refused: %s\n", "",
	       json_string_value(json_array_get(json_object_get(ro, "refused"), 0)));
}

/* Imports, intrinsics, functions, lint, profile and (for bare bitcode) the descriptor. */
static void inspect_bitcode(json_t *doc, const uint8_t *bc, size_t len, const char *member,
			    bool want_descriptor, const struct sdk_manifest *man)
{
	/* a live patch: no descriptor, its lint at the base's ABI (from its manifest) */
	bool patch = man && man->desc.kind == SDK_KIND_PATCH;
	json_t *b = json_object();
	json_object_set_new(doc, "bitcode", b);
	if (member)
		json_object_set_new(b, "member", json_string(member));
	json_object_set_new(b, "size", json_integer((json_int_t)len));
	LLVMContextRef ctx = LLVMContextCreate();
	LLVMModuleRef m = NULL;
	char *err = NULL;
	if (sdk_bitcode_parse(ctx, bc, len, member ? member : "bitcode", &m, &err) != 0) {
		/* unreadable or invalid (parsed, verified); err names the member */
		problem(doc, member ? "bitcode" : NULL, err);
		goto out;
	}
	json_object_set_new(b, "triple", json_string(LLVMGetTarget(m)));
	if (sdk_profile_check(m, &err) == 0) {
		json_object_set_new(b, "profile", json_string(SDK_PROFILE));
	} else {
		json_object_set_new(b, "profile", json_null());
		problem(doc, NULL, err); /* already says "bitcode: ..." */
		free(err);
		err = NULL;
	}
	struct sdk_descriptor d;
	uint32_t abi =
		sdk_module_kind(m) == SDK_KIND_EXTENSION ? XDRV_EXT_ABI_VERSION : XDRV_ABI_VERSION;
	if (patch) {
		abi = man->abi_version;
	} else if (sdk_descriptor_read(m, &d, &err) == 0) {
		abi = d.abi_version;
		if (want_descriptor)
			json_object_set_new(doc, "descriptor", descriptor_json(&d));
		sdk_descriptor_free(&d);
	} else {
		problem(doc, "bitcode", err);
		free(err);
		err = NULL;
	}
	json_t *imports = json_array(), *intrinsics = json_array(), *funcs = json_array();
	json_object_set_new(b, "imports", imports);
	json_object_set_new(b, "intrinsics", intrinsics);
	json_object_set_new(b, "functions", funcs);
	for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
		size_t nlen = 0;
		const char *name = LLVMGetValueName2(f, &nlen);
		if (LLVMIsDeclaration(f)) {
			if (nlen > 5 && strncmp(name, "llvm.", 5) == 0) {
				json_array_append_new(intrinsics, str_n(name, nlen));
				continue;
			}
			json_t *imp = json_object();
			json_object_set_new(imp, "name", str_n(name, nlen));
			uint32_t v = strlen(name) != nlen ? 0
				     : sdk_module_kind(m) == SDK_KIND_EXTENSION
					     ? sdk_ext_symbol_version(name)
					     : sdk_abi_symbol_version(name);
			char vs[16];
			sdk_abi_version_str(v, vs, sizeof vs);
			json_object_set_new(imp, "abi", v ? json_string(vs) : json_null());
			if (!v && patch) /* a patch's reference to its base (sdk_patch_check) */
				json_object_set_new(imp, "from", json_string("base"));
			json_array_append_new(imports, imp);
			continue;
		}
		unsigned long ninst = 0;
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
			     i = LLVMGetNextInstruction(i))
				ninst++;
		json_t *fn = json_object();
		json_object_set_new(fn, "name", str_n(name, nlen));
		json_object_set_new(fn, "linkage", json_string(linkage_name(f)));
		json_object_set_new(fn, "instructions", json_integer((json_int_t)ninst));
		json_array_append_new(funcs, fn);
	}
	if ((patch ? sdk_lint_patch(m, abi, NULL, &err) : sdk_lint(m, abi, &err)) == 0) {
		json_object_set_new(b, "lint", json_array());
		if (json_is_string(json_object_get(b, "profile")))
			json_object_set_new(b, "runs_on", runs_on_json());
	} else {
		json_object_set_new(b, "lint", lines_array(err));
		problem(doc, "lint", "the bitcode does not pass the portability and ABI lint");
	}
out:
	free(err);
	if (m)
		LLVMDisposeModule(m);
	LLVMContextDispose(ctx);
}

static bool is_bitcode(const uint8_t *p, size_t len)
{
	return len >= 4 && ((p[0] == 'B' && p[1] == 'C' && p[2] == 0xc0 && p[3] == 0xde) ||
			    (p[0] == 0xde && p[1] == 0xc0 && p[2] == 0x17 && p[3] == 0x0b));
}

/* --trust: the whole verification (the signer parses the trailer itself, so an unsigned or
 * empty file gets its message); returns the payload length, or 0 with a problem recorded. */
static size_t verify_signature(json_t *doc, json_t *s, const uint8_t *buf, size_t len,
			       const char *trust)
{
	char *err = NULL;
	struct sig_trust *t = NULL;
	struct sig_info info;
	memset(&info, 0, sizeof info);
	int rc = sig_trust_create(trust, 0, &t, &err);
	if (rc == 0)
		rc = sig_verify(t, buf, len, &info, &err);
	sig_trust_destroy(t);
	if (rc != 0) {
		json_object_set_new(s, "status", json_string("invalid"));
		json_object_set_new(s, "error", json_string(err ? err : "verification failed"));
		problem(doc, "signature", err ? err : "verification failed");
		free(err);
		return 0; /* verify before parse: an unverified payload is not looked at */
	}
	json_object_set_new(s, "status", json_string("verified"));
	json_object_set_new(s, "signer", json_string(info.signer));
	json_object_set_new(s, "issuer", json_string(info.issuer));
	json_object_set_new(s, "sha256", json_string(info.digest_hex));
	json_object_set_new(s, "signing_time", json_integer(info.signing_time));
	json_object_set_new(s, "root", json_string(trust));
	return info.payload_len;
}

/* Signature state; returns the payload length, or 0 to stop (problem recorded). */
static size_t inspect_signature(json_t *doc, const uint8_t *buf, size_t len, const char *trust)
{
	json_t *s = json_object();
	json_object_set_new(doc, "signature", s);
	size_t payload_len = len, cms_off, cms_len;
	char *err = NULL;
	if (trust)
		return verify_signature(doc, s, buf, len, trust);
	int rc = sig_trailer_parse(buf, len, &payload_len, &cms_off, &cms_len, &err);
	if (rc == -ENODATA) {
		json_object_set_new(s, "status", json_string("unsigned"));
		free(err);
		return len;
	}
	if (rc != 0) {
		json_object_set_new(s, "status", json_string("invalid"));
		json_object_set_new(s, "error", json_string(err ? err : "bad trailer"));
		problem(doc, "signature", err);
		free(err);
		return 0;
	}
	json_object_set_new(s, "status", json_string("signed"));
	json_object_set_new(s, "payload_size", json_integer((json_int_t)payload_len));
	json_object_set_new(s, "cms_offset", json_integer((json_int_t)cms_off));
	json_object_set_new(s, "cms_size", json_integer((json_int_t)cms_len));
	return payload_len;
}

/* Everything inside the payload: manifest and bitcode. Runs in the child (parse_isolated). */
static void parse_payload(json_t *doc, const uint8_t *buf, size_t payload)
{
	char *err = NULL;
	if (is_bitcode(buf, payload)) {
		json_object_set_new(doc, "kind", json_string("bitcode"));
		inspect_bitcode(doc, buf, payload, NULL, true, NULL);
		return;
	}
	json_object_set_new(doc, "kind", json_string("package"));
	json_object_set_new(doc, "payload_size", json_integer((json_int_t)payload));
	struct sdk_package p;
	if (sdk_package_read(buf, payload, NULL, NULL, &p, &err) != 0) {
		problem(doc, "package", err);
		free(err);
		return;
	}
	json_object_set_new(doc, "manifest", manifest_json(&p.manifest));
	inspect_bitcode(doc, p.bitcode->data, (size_t)p.bitcode->size, p.bitcode->path, false,
			&p.manifest);
	sdk_package_free(&p);
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGABRT:
		return "SIGABRT";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	case SIGTRAP:
		return "SIGTRAP";
	case SIGKILL:
		return "SIGKILL";
	default:
		return "signal";
	}
}

/* parse_payload in a forked child, which writes its JSON document to a pipe and exits; the
 * parent merges it into doc. A child killed by a signal (LLVM's reader on a malformed file)
 * becomes a problem naming the file, and the parent carries on. */
static void parse_isolated(json_t *doc, const char *path, const uint8_t *buf, size_t payload)
{
	int fds[2];
	if (pipe(fds) != 0) {
		problem(doc, "pipe", strerror(errno));
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		problem(doc, "fork", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		json_t *sub = json_object();
		json_object_set_new(sub, "problems", json_array());
		parse_payload(sub, buf, payload);
		char *text = json_dumps(sub, JSON_PRESERVE_ORDER);
		size_t left = text ? strlen(text) : 0, off = 0;
		while (left > 0) {
			ssize_t w = write(fds[1], text + off, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
			left -= (size_t)w;
		}
		_exit(text ? 0 : 1);
	}
	close(fds[1]);
	char *out = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			char *g = realloc(out, cap = cap ? 2 * cap : 65536);
			if (!g)
				break;
			out = g;
		}
		ssize_t r = read(fds[0], out + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char msg[1200];
	json_t *sub = NULL;
	if (WIFSIGNALED(status)) {
		snprintf(
			msg, sizeof msg,
			"the bitcode reader crashed on %s (signal %d %s); the package is malformed",
			path, WTERMSIG(status), signal_name(WTERMSIG(status)));
		problem(doc, NULL, msg);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !out ||
		   !(sub = json_loadb(out, n, 0, NULL))) {
		snprintf(msg, sizeof msg, "the parser process failed on %s (exit status %d)", path,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		problem(doc, NULL, msg);
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(sub, key, v)
		{
			if (strcmp(key, "problems") == 0)
				json_array_extend(json_object_get(doc, "problems"), v);
			else
				json_object_set(doc, key, v);
		}
	}
	json_decref(sub);
	free(out);
}

/* Not verified and not --allow-unsigned: what can be seen without parsing the payload. */
static void outer_only(json_t *doc, const uint8_t *buf, size_t payload)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
	if (EVP_Digest(buf, payload, md, &mdlen, EVP_sha256(), NULL) == 1)
		for (unsigned int i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	json_object_set_new(doc, "payload_size", json_integer((json_int_t)payload));
	json_object_set_new(doc, "payload_sha256", json_string(hex));
	json_object_set_new(doc, "parsed", json_false());
	json_object_set_new(doc, "hint",
			    json_string("the payload is not parsed before its signature is "
					"verified: pass --trust ROOT.pem, or --allow-unsigned to "
					"parse it anyway (development)"));
}

/* tr: the trust root taken (verify_args.h), or NULL (--allow-unsigned, or none found); named
 * on stderr when it is used, unless the JSON document (signature.root, root_source) says it */
static json_t *inspect(const char *path, const struct repo_trust *tr, bool allow_unsigned,
		       bool as_json)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "problems", json_array());
	json_object_set_new(doc, "file", json_string(path));
	uint8_t *buf = NULL;
	size_t len = 0;
	char *err = NULL;
	if (xdrv_read_file(path, INSPECT_MAX, &buf, &len, &err) != 0) {
		problem(doc, "read", err);
		free(err);
		return doc;
	}
	json_object_set_new(doc, "size", json_integer((json_int_t)len));
	/* A root the user did not name ($XDRV_TRUST, the store's) is for packages: a bare
	 * bitcode file, which carries no signature, is shown as without one. */
	const char *trust = tr ? tr->path : NULL;
	if (tr && tr->source != REPO_TRUST_OPTION && is_bitcode(buf, len))
		trust = NULL;
	if (trust && !as_json)
		fprintf(stderr, "trust: %s (%s)\n", tr->path, repo_trust_source_name(tr->source));
	size_t payload = inspect_signature(doc, buf, len, trust);
	if (trust)
		json_object_set_new(json_object_get(doc, "signature"), "root_source",
				    json_string(repo_trust_source_name(tr->source)));
	if (payload == 0) {
		if (json_array_size(json_object_get(doc, "problems")) == 0)
			problem(doc, NULL, "empty file");
		goto out;
	}
	/* A bare bitcode file is the developer's own build output, shown as before (in the
	 * child); a package is parsed only once verified, or when asked to. */
	if (!trust && !allow_unsigned && !is_bitcode(buf, payload))
		outer_only(doc, buf, payload);
	else
		parse_isolated(doc, path, buf, payload);
out:
	free(buf);
	return doc;
}

/* ---- text view ------------------------------------------------------------------------- */

/* A string from the package (manifest, signer DN, bitcode names, lint text) escaped for the
 * terminal (xdrv_escape_text): no control character or escape sequence of a hostile package
 * reaches it. Rotating buffers, so that one printf can show several; single-threaded CLI. */
static const char *shown(const char *s)
{
	static char buf[8][2048];
	static size_t next;
	char *b = buf[next++ % 8];
	return xdrv_escape_text(s ? s : "", b, sizeof buf[0]);
}

static const char *jstr(json_t *o, const char *k)
{
	return shown(json_string_value(json_object_get(o, k)));
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A parameter value as written in the manifest (number or decimal string). */
static void jval(json_t *v, char *out, size_t n)
{
	if (json_is_string(v))
		snprintf(out, n, "%s", shown(json_string_value(v)));
	else
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
}

static void label(const char *l, bool *first)
{
	printf("%-11s ", *first ? l : "");
	*first = false;
}

static void print_driver(json_t *d)
{
	char abi[16];
	sdk_abi_version_str((uint32_t)jint(d, "abi_version"), abi, sizeof abi);
	const char *kind = json_string_value(json_object_get(d, "kind"));
	bool ext = kind && strcmp(kind, "extension") == 0;
	bool patch = kind && strcmp(kind, "patch") == 0;
	printf("%-11s %s %s\n",
	       ext     ? "extension"
	       : patch ? "patch"
		       : "driver",
	       jstr(d, "name"), jstr(d, "version"));
	if (json_is_string(
		    json_object_get(d, "description"))) /* printable ASCII: the manifest's rule */
		printf("%-11s %s\n", "about", jstr(d, "description"));
	if (json_object_get(d, "security_version"))
		printf("%-11s %lld\n", "security", jint(d, "security_version"));
	printf("%-11s %s%s (%lld)\n", "abi", ext ? "extension ABI " : "", abi,
	       jint(d, "abi_version"));
	if (json_object_get(d, "profile"))
		printf("%-11s %s\n", "profile", jstr(d, "profile"));
	json_t *e = json_object_get(d, "entry");
	bool first = true;
	size_t i;
	json_t *v;
	if (patch) {
		printf("%-11s sha256 %s (the base package's payload)\n", "patch for",
		       jstr(d, "patch_for"));
		for (i = 0; (v = json_array_get(json_object_get(d, "functions"), i)) != NULL; i++) {
			label("replaces", &first);
			printf("%s\n", shown(json_string_value(v)));
		}
		first = true;
	} else if (ext) {
		printf("%-11s run %s\n", "entry", jstr(e, "run"));
		printf("%-11s", "hooks");
		for (i = 0; (v = json_array_get(json_object_get(d, "hooks"), i)) != NULL; i++)
			printf(" %s", shown(json_string_value(v)));
		printf("\n");
		for (i = 0; (v = json_array_get(json_object_get(d, "tables"), i)) != NULL; i++) {
			label("tables", &first);
			printf("%zu %s %s, %lld entries\n", i, jstr(v, "name"), jstr(v, "kind"),
			       jint(v, "max_entries"));
		}
		if (first)
			printf("%-11s none\n", "tables");
		first = true;
	} else {
		printf("%-11s probe %s, remove %s\n", "entry", jstr(e, "probe"), jstr(e, "remove"));
	}
	if (patch)
		goto files;
	for (i = 0; (v = json_array_get(json_object_get(d, "match"), i)) != NULL; i++) {
		label("match", &first);
		if (strcmp(jstr(v, "bus"), "platform") == 0) {
			printf("platform compatible \"%s\"\n", jstr(v, "compatible"));
			continue;
		}
		char ven[16] = "any", dev[16] = "any";
		if ((uint32_t)jint(v, "vendor") != XDRV_MATCH_ANY)
			snprintf(ven, sizeof ven, "0x%04llx", jint(v, "vendor"));
		if ((uint32_t)jint(v, "device") != XDRV_MATCH_ANY)
			snprintf(dev, sizeof dev, "0x%04llx", jint(v, "device"));
		printf("pci vendor %s device %s", ven, dev);
		if (jint(v, "class_mask"))
			printf(" class 0x%06llx/0x%06llx", jint(v, "class_code"),
			       jint(v, "class_mask"));
		printf("\n");
	}
	first = true;
	for (i = 0; (v = json_array_get(json_object_get(d, "params"), i)) != NULL; i++) {
		char def[24], lo[24], hi[24];
		jval(json_object_get(v, "default"), def, sizeof def);
		jval(json_object_get(v, "min"), lo, sizeof lo);
		jval(json_object_get(v, "max"), hi, sizeof hi);
		label("params", &first);
		printf("%s %s = %s (%s..%s)%s%s\n", jstr(v, "name"), jstr(v, "type"), def, lo, hi,
		       json_is_string(json_object_get(v, "desc")) ? "  " : "", jstr(v, "desc"));
	}
	if (first)
		printf("%-11s none\n", "params");
files:
	first = true;
	for (i = 0; (v = json_array_get(json_object_get(d, "files"), i)) != NULL; i++) {
		label("files", &first);
		printf("%s %lld bytes sha256 %s\n", jstr(v, "path"), jint(v, "size"),
		       jstr(v, "sha256"));
	}
}

static void print_text(json_t *doc)
{
	size_t i;
	json_t *v;
	printf("%-11s %s (%lld bytes)\n", "file", jstr(doc, "file"), jint(doc, "size"));
	json_t *s = json_object_get(doc, "signature");
	if (s) {
		const char *st = jstr(s, "status");
		if (strcmp(st, "verified") == 0)
			printf("%-11s verified against %s\n%-11s signer %s\n%-11s issuer %s\n%-11s "
			       "payload sha256 %s\n",
			       "signature", jstr(s, "root"), "", jstr(s, "signer"), "",
			       jstr(s, "issuer"), "", jstr(s, "sha256"));
		else if (strcmp(st, "signed") == 0)
			printf("%-11s signed (not verified: pass --trust ROOT)\n%-11s trailer: "
			       "payload "
			       "0..%lld, CMS at %lld, %lld bytes\n",
			       "signature", "", jint(s, "payload_size"), jint(s, "cms_offset"),
			       jint(s, "cms_size"));
		else if (strcmp(st, "invalid") == 0)
			printf("%-11s INVALID: %s\n", "signature", jstr(s, "error"));
		else
			printf("%-11s unsigned\n", "signature");
	}
	if (json_is_string(json_object_get(doc, "payload_sha256")))
		printf("%-11s %lld bytes, sha256 %s\n", "payload", jint(doc, "payload_size"),
		       jstr(doc, "payload_sha256"));
	if (json_is_string(json_object_get(doc, "hint")))
		printf("%-11s %s\n", "not parsed", jstr(doc, "hint"));
	json_t *d = json_object_get(doc, "manifest");
	if (!d)
		d = json_object_get(doc, "descriptor");
	if (d)
		print_driver(d);
	json_t *b = json_object_get(doc, "bitcode");
	if (b) {
		printf("%-11s %s%s%lld bytes, triple %s, profile %s\n", "bitcode",
		       jstr(b, "member"), json_object_get(b, "member") ? ", " : "", jint(b, "size"),
		       jstr(b, "triple"),
		       json_is_string(json_object_get(b, "profile")) ? jstr(b, "profile")
								     : "NOT the portable one");
		bool first = true;
		for (i = 0; (v = json_array_get(json_object_get(b, "imports"), i)) != NULL; i++) {
			label("imports", &first);
			const char *abi = json_string_value(json_object_get(v, "abi"));
			bool base = json_is_string(json_object_get(v, "from"));
			printf("%s (%s%s)\n", jstr(v, "name"),
			       abi    ? "ABI "
			       : base ? "the base's"
				      : "NOT IN THE ABI",
			       abi ? abi : "");
		}
		first = true;
		for (i = 0; (v = json_array_get(json_object_get(b, "intrinsics"), i)) != NULL;
		     i++) {
			label("intrinsics", &first);
			printf("%s\n", shown(json_string_value(v)));
		}
		first = true;
		for (i = 0; (v = json_array_get(json_object_get(b, "functions"), i)) != NULL; i++) {
			label("functions", &first);
			printf("%-32s %-8s %lld instructions\n", jstr(v, "name"),
			       jstr(v, "linkage"), jint(v, "instructions"));
		}
		json_t *lint = json_object_get(b, "lint");
		if (lint) {
			if (json_array_size(lint) == 0)
				printf("%-11s ok\n", "lint");
			print_runs_on(json_object_get(b, "runs_on"));
			first = true;
			for (i = 0; (v = json_array_get(lint, i)) != NULL; i++) {
				label("lint", &first);
				printf("%s\n", shown(json_string_value(v)));
			}
		}
	}
	for (i = 0; (v = json_array_get(json_object_get(doc, "problems"), i)) != NULL; i++)
		fprintf(stderr, "xdrv inspect: %s\n", shown(json_string_value(v)));
}

int cmd_inspect(int argc, char **argv)
{
	if (xdrv_cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	enum { OPT_TRUST = 256, OPT_JSON, OPT_ALLOW_UNSIGNED, OPT_STORE };
	static const struct option longopts[] = {
		{"trust", required_argument, NULL, OPT_TRUST},
		{"json", no_argument, NULL, OPT_JSON},
		{"allow-unsigned", no_argument, NULL, OPT_ALLOW_UNSIGNED},
		{"store", required_argument, NULL, OPT_STORE},
		{NULL, 0, NULL, 0}};
	const char *trust = NULL, *store = NULL;
	int as_json = 0, c;
	bool allow_unsigned = false;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TRUST:
			trust = optarg;
			break;
		case OPT_JSON:
			as_json = 1;
			break;
		case OPT_ALLOW_UNSIGNED:
			allow_unsigned = true;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		default:
			return xdrv_cli_option_error("inspect", longopts, argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cmd_usage_error("inspect", "takes exactly one PACKAGE or BITCODE file");
	if (trust && allow_unsigned)
		return cmd_usage_error("inspect",
				       "--trust and --allow-unsigned exclude each other");
	/* the trust root as every verifying command finds it (none found: the outer structure
	 * only, as without --trust); --allow-unsigned takes none */
	struct repo_trust tr = {0};
	char path[4096];
	if (!allow_unsigned) {
		int rc = cli_trust("inspect", store, trust, false, !trust, true, &tr);
		if (rc != 0)
			return rc;
	}
	if (cli_package("inspect", store, argv[optind], false, path, sizeof path) != 0)
		return 1;
	json_t *doc =
		inspect(path, tr.source != REPO_TRUST_NONE ? &tr : NULL, allow_unsigned, as_json);
	if (!doc)
		return cmd_fail("inspect", "out of memory");
	int bad = json_array_size(json_object_get(doc, "problems")) != 0;
	if (as_json) {
		char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
	} else {
		print_text(doc);
	}
	json_decref(doc);
	return bad ? 1 : 0;
}
