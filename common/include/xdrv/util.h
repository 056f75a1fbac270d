/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every host-side component uses: caller-freed error messages, whole-file reads
 * with a size cap, atomic file writes, hex encoding, a monotonic clock, did-you-mean for
 * command lines.
 */
#ifndef XDRV_UTIL_H
#define XDRV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Error messages of one-shot calls: a function that fails sets *err (if err is not NULL) to a
 * malloc'd message the caller frees; a message already there is kept as the innermost cause and
 * prefixed: "package hello.xdrv: manifest: name: missing". Returns `code` so that callers can
 * write `return xdrv_err(err, -EINVAL, "...")`.
 */
#define xdrv_err(err, code, ...)                                                                   \
	__extension__({                                                                            \
		int xdrv_err_code_ = (code);                                                       \
		xdrv_err_set((err), __VA_ARGS__);                                                  \
		xdrv_err_code_;                                                                    \
	})
/* The formatting half of xdrv_err: sets or prefixes *err as described above. xdrv_err is a
 * macro around it (`code` evaluated first, once) so that what it returns is visibly `code`, to
 * readers and to the static analyzer: an out-of-line function returning an int it cannot see
 * made clang-tidy follow "success" paths after every `return xdrv_err(...)`. */
void xdrv_err_set(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix an existing message with a context: "ctx: old". No-op if err or *err is NULL. */
void xdrv_err_prefix(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a whole file, at most `max` bytes (a larger file fails with -EFBIG). *buf is malloc'd,
 * NUL-terminated (not counted in *len). Returns 0 or a negative errno, with *err set. */
/* Write all n bytes to fd (a pipe, a socket), retrying short writes and EINTR: 0, or -EPIPE. */
int xdrv_write_all(int fd, const void *buf, size_t n);

/* Control sockets (common/ctl_socket.c): `xdrv run --control`, `xdrv boot --serve`.
 * xdrv_ctl_listen: a unix stream socket listening at `path`, mode 0600 (`flags`: e.g.
 * SOCK_NONBLOCK); a socket file nobody answers on is replaced, one that answers is -EADDRINUSE,
 * another file -EEXIST. The fd, or -errno with *err (without the path: the caller names it).
 * xdrv_ctl_read_line: a client's one request line (its newline cut) into req; the peer must be
 * this user or root (else "error: not this WHOSE's user" is answered: -EPERM), the line must come
 * within a second and fit (else "error: a request is one line": -EBADMSG). 0 when req holds it. */
int xdrv_ctl_listen(const char *path, int flags, char **err);
int xdrv_ctl_read_line(int cfd, const char *whose, char *req, size_t cap);
int xdrv_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, char **err);
/* Write `len` bytes to `path` atomically: temporary file in the same folder, fsync, rename,
 * fsync of the folder. A crash leaves either the old file or the new one. `mode` as for open. */
int xdrv_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode,
			   char **err);
/* mkdir -p with `mode` for created folders. */
int xdrv_mkdirs(const char *path, unsigned mode, char **err);

/* Lower-case hex of `len` bytes into `out` (2*len+1 bytes). */
void xdrv_hex(const uint8_t *in, size_t len, char *out);

/* Nanoseconds, CLOCK_MONOTONIC. */
uint64_t xdrv_now_ns(void);
/* Peak resident set of this process in KiB (getrusage), 0 if unknown. */
uint64_t xdrv_peak_rss_kib(void);

/* A point in time as users write it on command lines and in configs: Unix seconds, or a UTC
 * date "YYYY-MM-DD" (midnight). Impossible dates (2026-02-31) and values <= 0 are refused.
 * Returns 0 or -EINVAL. */
int xdrv_parse_when(const char *s, int64_t *out);

/* Did-you-mean: the candidate nearest to `word` (a mistyped subcommand or option) by
 * Levenshtein distance, if at most 2 edits away and fewer edits than `word` has characters
 * ("biuld" -> "build", "--confg" -> "--config"); on a tie the earlier candidate. NULL when
 * nothing is that close, for NULL or empty input, and for words over 64 bytes. Returns one of
 * `candidates` (borrowed); NULL entries are skipped. Pure function, thread-safe. */
const char *xdrv_suggest(const char *word, const char *const *candidates, size_t n);

/* A string from outside (an event log, a package, a driver) made safe to show on a terminal
 * or in a log line: control characters (C0, DEL, C1 as bytes or as UTF-8 code points) become
 * visible escapes ("\n", "\r", "\t", "\x1b"), a backslash becomes "\\", bytes that are
 * not well-formed UTF-8 become "\xHH"; well-formed printable UTF-8 is kept. The result is
 * always one line. Writes at most `cap` bytes including the NUL (cap 0: nothing written); an
 * input that does not fit ends in "..." and no escape is cut in half. NULL `in` gives "(null)".
 * Returns `out`, so that it can be a printf argument. Pure function, thread-safe. */
const char *xdrv_escape_text(const char *in, char *out, size_t cap);

/* snprintf that reports truncation: 0 when it fit, -1 when it did not (buffer still
 * NUL-terminated). */
int xdrv_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
