// SPDX-License-Identifier: MIT
/*
 * Building driver sources into one portable bitcode module: each C file is compiled by clang-19
 * for the profile (run with posix_spawnp, never through a shell, so no file name or -D value is
 * ever interpreted), the modules are linked with LLVMLinkModules2, normalized, checked (verifier,
 * descriptor, lint) and written atomically. Compiler diagnostics are captured: on failure they
 * become the error message, on success (warnings) they are passed on to stderr. A libc header
 * that is not found gets notes saying what a freestanding driver uses instead.
 *
 * Error messages: the first line is a one-line summary; any further lines are diagnostics in
 * the compiler's form ("file:line:col: error: ...", clang's own output as it is), which
 * `xdrv build` prints unprefixed so that editors and CI can jump to them. Sources are compiled
 * with line tables so that lint problems carry the driver's source place; the debug info is
 * stripped before the module is written, so packages are the same bytes as without it.
 *
 * The compiler flags, and why each is there, are listed in sdk/README.md.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Linker.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xdrv/abi.h>
#include <xdrv/ext.h>
#include <xdrv/sdk.h>
#include <xdrv/util.h>

#include "sdk_private.h"

extern char **environ;

#define CLANG_OUTPUT_MAX (64u * 1024u) /* compiler diagnostics kept for the message */
#define BITCODE_MAX	 (64u << 20)   /* one compiled translation unit */

/* How many folders above the program's own folder may hold the source tree: build/bin/xdrv,
 * build/test/bin/xdrv, build/test/tests/xdrv-tests and build/arm64/bin/xdrv are all within 3. */
#define ABI_TREE_DEPTH 4

/* The fixed part of the clang command line (see sdk/README.md for the reasons). */
static const char *const profile_flags[] = {
	("--target=" SDK_TRIPLE),
	"-std=gnu11",
	"-ffreestanding", /* no hosted library; implies -fno-builtin */
	"-nostdlibinc",	  /* no system headers; clang's own stdint.h/stddef.h stay */
	"-fsigned-char",
	"-fno-common",
	"-fno-stack-protector",
	"-fno-asynchronous-unwind-tables",
	"-ffp-contract=off", /* same floating-point results on every host */
	"-Wall",
	"-gline-tables-only", /* file:line:col for lint messages; stripped before writing */
	"-O2",
	"-Xclang",
	"-disable-llvm-passes",
	"-emit-llvm",
	"-c",
};
#define N_PROFILE_FLAGS (sizeof profile_flags / sizeof profile_flags[0])

/* true if dir holds the ABI's main header */
static bool abi_dir_ok(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;
	return xdrv_snprintf(probe, sizeof probe, "%s/xdrv/abi.h", dir) == 0 &&
	       stat(probe, &st) == 0 && S_ISREG(st.st_mode);
}

/* Append ", item" (or "item" first) to the list of places tried; a full list is cut short. */
static void tried_add(char *tried, size_t n, const char *item)
{
	size_t l = strlen(tried);
	if (l + 1 < n)
		snprintf(tried + l, n - l, "%s%s", l ? ", " : "", item);
}

/* dir without its last component, in place ("/usr/bin" -> "/usr", "/usr" -> "", which stands
 * for the root: callers append "/name"); false when nothing is left to strip */
static bool path_up(char *dir)
{
	char *slash = strrchr(dir, '/');
	if (!slash || !dir[0])
		return false;
	*slash = 0;
	return true;
}

int sdk_abi_include_find(const char *exe, char *out, size_t outsz, char **err)
{
	char self[PATH_MAX], dir[PATH_MAX], prefix[PATH_MAX], cand[PATH_MAX], tried[2048] = "";
	const char *env = getenv("XDRV_ABI_INCLUDE");
	bool found = false;
	if (env && *env) {
		if (!abi_dir_ok(env))
			return xdrv_err(
				err, -ENOENT,
				"build: ABI headers not found in %s (from XDRV_ABI_INCLUDE: "
				"no xdrv/abi.h there)",
				env);
		found = xdrv_snprintf(cand, sizeof cand, "%s", env) == 0;
	}
	if (!found && !exe) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n <= 0)
			return xdrv_err(err, -ENOENT,
					"build: ABI headers: cannot find this program's own path "
					"(/proc/self/exe: %s); set XDRV_ABI_INCLUDE to the folder "
					"holding xdrv/abi.h",
					n < 0 ? strerror(errno) : "empty");
		self[n] = 0;
		exe = self;
	}
	if (!found && (xdrv_snprintf(dir, sizeof dir, "%s", exe) || !path_up(dir)))
		return xdrv_err(err, -EINVAL, "build: ABI headers: program path %s: not absolute",
				exe);
	/* installed: PREFIX/bin/xdrv -> PREFIX/include/xdrv-driver */
	if (!found) {
		memcpy(prefix, dir, sizeof prefix);
		if (path_up(prefix) &&
		    xdrv_snprintf(cand, sizeof cand, "%s/include/xdrv-driver", prefix) == 0) {
			found = abi_dir_ok(cand);
			tried_add(tried, sizeof tried, cand);
		}
	}
	/* run from a build folder inside the source tree: an ancestor's driver-abi/include */
	for (int i = 0; !found && i < ABI_TREE_DEPTH && path_up(dir); i++) {
		if (xdrv_snprintf(cand, sizeof cand, "%s/driver-abi/include", dir) != 0)
			continue;
		found = abi_dir_ok(cand);
		tried_add(tried, sizeof tried, cand);
	}
	if (!found)
		return xdrv_err(
			err, -ENOENT,
			"build: driver ABI headers (xdrv/abi.h) not found for %s; looked in "
			"%s; install them (make install, or the xdrv-driver-dev package) "
			"or set XDRV_ABI_INCLUDE to the folder holding xdrv/abi.h",
			exe, tried);
	if (xdrv_snprintf(out, outsz, "%s", cand))
		return xdrv_err(err, -ENAMETOOLONG, "build: ABI header path %s: too long", cand);
	return 0;
}

static const char *clang_path(void)
{
	const char *e = getenv("XDRV_CLANG");
	return e && *e ? e : SDK_CLANG;
}

/* Run argv, capturing stderr (and stdout) into *out. Returns the exit status, or a negative
 * errno if the program could not be started. */
static int spawn_capture(char *const *argv, char **out, size_t *outlen)
{
	int fds[2];
	pid_t pid;
	int rc;
	*out = NULL;
	*outlen = 0;
	if (pipe(fds) != 0)
		return -errno;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -rc;
	}
	char *buf = malloc(CLANG_OUTPUT_MAX + 1);
	size_t n = 0;
	for (;;) {
		char tmp[4096];
		ssize_t r = read(fds[0], tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t take = (size_t)r;
		if (buf && n + take > CLANG_OUTPUT_MAX)
			take = CLANG_OUTPUT_MAX - n; /* keep reading so the child never blocks */
		if (buf && take) {
			memcpy(buf + n, tmp, take);
			n += take;
		}
	}
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (buf) {
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		buf[n] = 0;
	}
	*out = buf;
	*outlen = n;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Hosted headers a driver author is likely to reach for, and what the ABI has instead. */
static const struct {
	const char *header, *instead;
} hosted_headers[] = {
	{"stdio.h", "printf/puts -> xdrv_log() and the xdrv_msg_* helpers (<xdrv/log.h>)"},
	{"stdlib.h", "malloc/calloc/free -> xdrv_mem_alloc()/xdrv_mem_free() (<xdrv/mem.h>); "
		     "abort/exit -> return a negative XDRV_E* status"},
	{"malloc.h", "malloc/free -> xdrv_mem_alloc()/xdrv_mem_free() (<xdrv/mem.h>)"},
	{"string.h", "memcpy, memmove and memset come with <xdrv/abi.h>; write other str* "
		     "functions as static functions in the driver"},
	{"strings.h", "write the function as a static function in the driver"},
	{"unistd.h", "sleep/usleep -> xdrv_delay_us() (<xdrv/time.h>)"},
	{"time.h", "time/clock_gettime -> xdrv_time_ns(), waiting -> xdrv_delay_us() "
		   "(<xdrv/time.h>)"},
	{"pthread.h", "per-device state behind xdrv_dev_set_priv()/xdrv_dev_priv(); interrupts "
		      "through xdrv_irq_* (<xdrv/irq.h>)"},
	{"assert.h", "check and return a negative XDRV_E* status"},
	{"errno.h", "return negative XDRV_E* status codes (<xdrv/types.h>)"},
	{"sys/io.h", "port I/O -> xdrv_io_read*()/xdrv_io_write*() on a region"},
};

/* clang's "FILE:L:C: fatal error: 'HDR' file not found" for a hosted header: append notes at
 * the same place saying drivers are freestanding and what to use. */
static void add_freestanding_notes(char **diag, size_t *dlen)
{
	const char *key = "' file not found";
	char *hit = *diag ? strstr(*diag, key) : NULL;
	if (!hit)
		return;
	char *q = hit;
	while (q > *diag && q[-1] != '\'' && q[-1] != '\n')
		q--;
	if (q == *diag || q[-1] != '\'')
		return;
	const char *hdr = q;
	size_t hlen = (size_t)(hit - q);
	if (hlen >= 5 && strncmp(hdr, "xdrv/", 5) == 0)
		return; /* an ABI header that is missing: the -isystem path is the problem */
	/* the place: the start of the line up to " fatal error:" */
	char *bol = q;
	while (bol > *diag && bol[-1] != '\n')
		bol--;
	char *fe = strstr(bol, ": fatal error: ");
	if (!fe || fe > q)
		return;
	const char *instead = NULL;
	for (size_t i = 0; i < sizeof hosted_headers / sizeof hosted_headers[0]; i++)
		if (strlen(hosted_headers[i].header) == hlen &&
		    strncmp(hosted_headers[i].header, hdr, hlen) == 0)
			instead = hosted_headers[i].instead;
	char *notes = NULL;
	int n = asprintf(&notes,
			 "%s\n%.*s: note: drivers are freestanding: no C library headers; include "
			 "<xdrv/abi.h> (the driver ABI; clang's <stdint.h>, <stddef.h> and "
			 "<stdbool.h> also work)\n%.*s: note: instead of <%.*s>: %s",
			 *diag, (int)(fe - bol), bol, (int)(fe - bol), bol, (int)hlen, hdr,
			 instead ? instead
				 : "use the functions `xdrv abi` lists, or write the code in the "
				   "driver");
	if (n < 0)
		return; /* out of memory: the compiler's message alone still says what failed */
	free(*diag);
	*diag = notes;
	*dlen = (size_t)n;
}

static int compile_one(const struct sdk_build_opts *o, const char *abi_dir, const char *src,
		       const char *out, char **err)
{
	size_t max =
		1 + N_PROFILE_FLAGS + 2 + 2 * o->ninclude_dirs + o->ndefines + 6 + 1; /* + NULL */
	char **argv = calloc(max, sizeof *argv);
	char **owned = calloc(o->ndefines + o->ninclude_dirs + 1, sizeof *owned);
	size_t n = 0, nown = 0;
	int rc = 0;
	if (!argv || !owned) {
		rc = xdrv_err(err, -ENOMEM, "build: out of memory");
		goto out;
	}
	argv[n++] = (char *)clang_path();
	for (size_t i = 0; i < N_PROFILE_FLAGS; i++)
		argv[n++] = (char *)profile_flags[i];
	argv[n++] = "-isystem";
	argv[n++] = (char *)abi_dir;
	for (size_t i = 0; i < o->ninclude_dirs; i++) {
		argv[n++] = "-I";
		argv[n++] = (char *)o->include_dirs[i];
	}
	for (size_t i = 0; i < o->ndefines; i++) {
		/* one argument "-DNAME=V": the value can never turn into another option */
		size_t l = strlen(o->defines[i]) + 3;
		char *d = malloc(l);
		if (!d) {
			rc = xdrv_err(err, -ENOMEM, "build: out of memory");
			goto out;
		}
		snprintf(d, l, "-D%s", o->defines[i]);
		owned[nown++] = d;
		argv[n++] = d;
	}
	argv[n++] = "-o";
	argv[n++] = (char *)out;
	argv[n++] = "-x";
	argv[n++] = "c";
	argv[n++] = "--"; /* a source named "-foo.c" is a file, not an option */
	argv[n++] = (char *)src;
	argv[n] = NULL;
	if (o->verbose) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
		fputc('\n', stderr);
	}
	char *diag = NULL;
	size_t dlen = 0;
	int st = spawn_capture(argv, &diag, &dlen);
	if (st > 0)
		add_freestanding_notes(&diag, &dlen);
	if (st < 0)
		rc = xdrv_err(err, st, "%s: cannot run %s: %s (install clang-19 or set XDRV_CLANG)",
			      src, argv[0], strerror(-st));
	else if (st != 0)
		rc = xdrv_err(err, -EINVAL, "%s: %s failed (exit %d)%s%s", src, argv[0], st,
			      dlen ? "\n" : "", dlen ? diag : "");
	else if (dlen)
		fprintf(stderr, "%s\n", diag); /* warnings: the user wants to see them */
	free(diag);
out:
	for (size_t i = 0; owned && i < nown; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	return rc;
}

static int check_opts(const struct sdk_build_opts *o, char **err)
{
	if (!o || !o->sources || o->nsources == 0)
		return xdrv_err(err, -EINVAL, "build: no source files");
	if (!o->output || !*o->output)
		return xdrv_err(err, -EINVAL, "build: no output path");
	for (size_t i = 0; i < o->nsources; i++)
		if (!o->sources[i] || !*o->sources[i])
			return xdrv_err(err, -EINVAL, "build: empty source file name");
	for (size_t i = 0; i < o->ndefines; i++) {
		const char *d = o->defines[i];
		size_t k = d ? strcspn(d, "=") : 0;
		bool ok = k > 0 && !(d[0] >= '0' && d[0] <= '9');
		for (size_t j = 0; ok && j < k; j++)
			ok = (d[j] >= 'a' && d[j] <= 'z') || (d[j] >= 'A' && d[j] <= 'Z') ||
			     (d[j] >= '0' && d[j] <= '9') || d[j] == '_';
		if (!ok)
			return xdrv_err(err, -EINVAL, "build: -D %s: not NAME or NAME=VALUE",
					d ? d : "(null)");
		/* the compiler's own statement of the char signedness; the profile fixes it */
		if (k == strlen("__CHAR_UNSIGNED__") && strncmp(d, "__CHAR_UNSIGNED__", k) == 0)
			return xdrv_err(
				err, -EINVAL,
				"build: -D %s: char is signed in profile " SDK_PROFILE
				" on every host (-fsigned-char), and this macro would claim "
				"otherwise: use uint8_t for bytes and int8_t for small signed "
				"numbers instead of relying on the signedness of char",
				d);
	}
	for (size_t i = 0; i < o->ninclude_dirs; i++)
		if (!o->include_dirs[i] || !*o->include_dirs[i])
			return xdrv_err(err, -EINVAL, "build: empty -I directory");
	return 0;
}

/* The ABI include folder: the caller's, else sdk_abi_include_find's. */
static int abi_include(const struct sdk_build_opts *o, char *out, size_t outsz, char **err)
{
	if (!o->abi_include_dir)
		return sdk_abi_include_find(NULL, out, outsz, err);
	if (!abi_dir_ok(o->abi_include_dir))
		return xdrv_err(err, -ENOENT, "build: ABI headers not found in %s (no xdrv/abi.h)",
				o->abi_include_dir);
	if (xdrv_snprintf(out, outsz, "%s", o->abi_include_dir))
		return xdrv_err(err, -ENAMETOOLONG, "build: ABI include path too long");
	return 0;
}

/* Load the compiled modules and link them into the first. */
static int link_all(LLVMContextRef ctx, char *const *bcs, const struct sdk_build_opts *o,
		    LLVMModuleRef *out, char **err)
{
	LLVMModuleRef dest = NULL;
	int rc = 0;
	for (size_t i = 0; i < o->nsources && rc == 0; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		LLVMModuleRef m = NULL;
		if ((rc = xdrv_read_file(bcs[i], BITCODE_MAX, &buf, &len, err)))
			break;
		rc = sdk_bitcode_parse(ctx, buf, len, o->sources[i], &m, err);
		free(buf);
		if (rc)
			break;
		if (!dest) {
			dest = m;
			continue;
		}
		struct sdk_diag d;
		sdk_diag_begin(ctx, &d);
		if (LLVMLinkModules2(dest, m)) /* m is consumed either way */
			rc = xdrv_err(err, -EINVAL, "link %s: %s", o->sources[i],
				      d.msg ? d.msg : "failed");
		sdk_diag_end(&d);
	}
	if (rc && dest) {
		LLVMDisposeModule(dest);
		dest = NULL;
	}
	*out = dest;
	return rc;
}

static size_t count_lines(const char *t)
{
	size_t n = t && *t ? 1 : 0;
	for (; t && *t; t++)
		n += *t == '\n' && t[1];
	return n;
}

/* msg + "\n" + each line of text, with "PREFIX: error: " before each if prefix is given.
 * Takes msg; NULL (msg freed) when out of memory. */
static char *append_lines(char *msg, const char *prefix, const char *text)
{
	for (const char *p = text; msg && p && *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		char *more = NULL;
		if (asprintf(&more, "%s\n%s%s%.*s", msg, prefix ? prefix : "",
			     prefix ? ": error: " : "", len, p) < 0)
			more = NULL;
		free(msg);
		msg = more;
		p = nl ? nl + 1 : NULL;
	}
	return msg;
}

/* Verify, read the descriptor and lint; all problems go into one message: a summary line,
 * then one line per problem in the compiler's form. */
static int check_module(LLVMModuleRef m, const char *output, int patch, char **err)
{
	char *msg = NULL;
	if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
		int rc = xdrv_err(err, -EINVAL, "%s: invalid module: %.500s", output,
				  msg ? msg : "");
		LLVMDisposeMessage(msg);
		return rc;
	}
	LLVMDisposeMessage(msg);
	struct sdk_descriptor d;
	memset(&d, 0, sizeof d);
	char *derr = NULL, *lerr = NULL;
	/* a patch has no descriptor; it is linted at this SDK's ABI here, and at its base's by
	 * xdrv pack --patch-for */
	int drc = patch ? -ENOENT : sdk_descriptor_read(m, &d, &derr);
	/* lint even with a broken descriptor, against this SDK's ABI, to report everything */
	uint32_t newest =
		sdk_module_kind(m) == SDK_KIND_EXTENSION ? XDRV_EXT_ABI_VERSION : XDRV_ABI_VERSION;
	int lrc = patch ? sdk_lint_patch(m, XDRV_ABI_VERSION, output, &lerr)
			: sdk_lint_diag(m, drc == 0 ? d.abi_version : newest, output, &lerr);
	if (patch)
		drc = 0;
	int rc = drc ? drc : lrc;
	if (rc) {
		/* summary line, then one "place: error: ..." line per problem */
		size_t problems = count_lines(derr) + count_lines(lerr);
		char *text = NULL;
		if (asprintf(&text, "%s: %zu problem%s (descriptor, portability and ABI lint)",
			     output, problems, problems == 1 ? "" : "s") < 0)
			text = NULL;
		text = append_lines(text, output, derr);
		text = append_lines(text, NULL, lerr);
		if (text && err && !*err)
			*err = text;
		else if (text)
			free(text);
		else
			xdrv_err(err, -ENOMEM, "build: out of memory");
	}
	free(derr);
	free(lerr);
	if (drc == 0)
		sdk_descriptor_free(&d);
	return rc;
}

/* --extension builds an extension, and only that; without it, a driver. */
static int check_kind(LLVMModuleRef m, const struct sdk_build_opts *opts, char **err)
{
	bool ext = sdk_module_kind(m) == SDK_KIND_EXTENSION;
	if (opts->patch && opts->extension)
		return xdrv_err(err, -EINVAL, "build: --patch and --extension exclude each other");
	if (opts->patch)
		return 0; /* the patch lint refuses a descriptor, with the others' problems */
	if (opts->extension && !ext)
		return xdrv_err(
			err, -EINVAL,
			LLVMGetNamedGlobal(m, "xdrv_driver")
				? "%s: --extension, but the sources define a driver "
				  "(xdrv_driver): build a driver without --extension"
				: "%s: --extension, but the sources define no xdrv_extension: "
				  "define one with XDRV_EXTENSION(...) (<xdrv/ext.h>)",
			opts->output);
	if (!opts->extension && ext)
		return xdrv_err(err, -EINVAL,
				"%s: the sources define a packet extension (xdrv_extension): build "
				"it with `xdrv build --extension`",
				opts->output);
	return 0;
}

/* --no-lint: the check's message with its problems turned into warnings, on stderr. */
static void print_as_warnings(const char *msg)
{
	const char *nl = strchr(msg, '\n');
	fprintf(stderr, "xdrv build: warning (--no-lint, written anyway): %.*s\n",
		nl ? (int)(nl - msg) : (int)strlen(msg), msg);
	for (const char *p = nl ? nl + 1 : NULL; p && *p;) {
		nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		const char *e = strstr(p, ": error: ");
		if (e && e < p + len)
			fprintf(stderr, "%.*s: warning: %.*s\n", (int)(e - p), p,
				(int)(p + len - (e + 9)), e + 9);
		else
			fprintf(stderr, "%.*s\n", len, p);
		p = nl ? nl + 1 : NULL;
	}
}

int sdk_build(const struct sdk_build_opts *opts, char **err)
{
	char abi_dir[PATH_MAX];
	int rc = check_opts(opts, err);
	if (rc == 0)
		rc = abi_include(opts, abi_dir, sizeof abi_dir, err);
	if (rc)
		return rc;
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	if (xdrv_snprintf(dir, sizeof dir, "%s/xdrv-build-XXXXXX", tmp && *tmp ? tmp : "/tmp"))
		return xdrv_err(err, -ENAMETOOLONG, "build: TMPDIR too long");
	if (!mkdtemp(dir))
		return xdrv_err(err, -errno, "build: mkdtemp %s: %s", dir, strerror(errno));
	char **bcs = calloc(opts->nsources, sizeof *bcs);
	LLVMContextRef ctx = NULL;
	LLVMModuleRef m = NULL;
	if (!bcs) {
		rc = xdrv_err(err, -ENOMEM, "build: out of memory");
		goto out_rmdir;
	}
	for (size_t i = 0; i < opts->nsources && rc == 0; i++) {
		size_t l = strlen(dir) + 32;
		bcs[i] = malloc(l);
		if (!bcs[i]) {
			rc = xdrv_err(err, -ENOMEM, "build: out of memory");
			break;
		}
		snprintf(bcs[i], l, "%s/%zu.bc", dir, i);
		rc = compile_one(opts, abi_dir, opts->sources[i], bcs[i], err);
	}
	if (rc)
		goto out_files;
	ctx = LLVMContextCreate();
	if ((rc = link_all(ctx, bcs, opts, &m, err)))
		goto out_ctx;
	/* no build folder in the output: the same sources give the same bytes anywhere */
	const char *base = strrchr(opts->sources[0], '/');
	base = base ? base + 1 : opts->sources[0];
	LLVMSetSourceFileName(m, base, strlen(base));
	LLVMSetModuleIdentifier(m, base, strlen(base));
	if ((rc = sdk_normalize(m, err)))
		goto out_mod;
	if ((rc = check_kind(m, opts, err)) ||
	    (opts->extension && (rc = sdk_build_ext_prepare(m, err))))
		goto out_mod;
	if ((rc = check_module(m, opts->output, opts->patch, err)) && opts->no_lint &&
	    rc != -ENOMEM) {
		print_as_warnings(err && *err ? *err : "");
		if (err) {
			free(*err);
			*err = NULL;
		}
		rc = 0;
	}
	if (rc)
		goto out_mod;
	/* the line tables served the messages; the package carries no debug info (the same bytes
	 * as a build without -g, wherever the sources were) */
	LLVMStripModuleDebugInfo(m);
	rc = sdk_bitcode_write(m, opts->output, err);
out_mod:
	LLVMDisposeModule(m);
out_ctx:
	LLVMContextDispose(ctx);
out_files:
	for (size_t i = 0; i < opts->nsources; i++) {
		if (bcs && bcs[i]) {
			unlink(bcs[i]);
			free(bcs[i]);
		}
	}
	free(bcs);
out_rmdir:
	rmdir(dir);
	return rc;
}
