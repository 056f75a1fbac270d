// SPDX-License-Identifier: MIT
/*
 * The client side of a run's control socket (cli/run/ctl.c has the protocol): one request line
 * sent, the answer read to its end. `xdrv ext attach|...`, `xdrv param`, `xdrv patch` and
 * `xdrv update` use it.
 */
#include "ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (1u << 20)

int run_ctl_request_to(const char *who, const char *path, const char *line, const char *run,
		       char **answer)
{
	*answer = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		if (who)
			fprintf(stderr, "%s: --control %s: path too long\n", who, path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (who)
			fprintf(stderr, "%s: %s: %s (is an `%s` running? see --control)\n", who,
				path, strerror(errno), run);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w <= 0) {
			if (who)
				fprintf(stderr, "%s: %s: %s\n", who, path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (n + 1 == cap) {
			char *nb = cap < ANSWER_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nb)
				break; /* longer than any answer: keep what came */
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*answer = buf;
	if (n == 0) {
		if (who)
			fprintf(stderr, "%s: %s: no answer\n", who, path);
		return -1;
	}
	/* "ok" on a line of its own ends a successful answer */
	return (n >= 3 && !strcmp(buf + n - 3, "ok\n") && (n == 3 || buf[n - 4] == '\n')) ? 0 : 1;
}

int run_ctl_request(const char *who, const char *path, const char *line, char **answer)
{
	return run_ctl_request_to(who, path, line, "xdrv run --control", answer);
}

int run_ctl_print(const char *who, const char *answer)
{
	bool ok = false;
	for (const char *p = answer; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l == 2 && !strncmp(p, "ok", 2))
			ok = true;
		else if (l >= 7 && !strncmp(p, "error: ", 7))
			fprintf(stderr, "%s: %.*s\n", who, (int)(l - 7), p + 7);
		else
			printf("%.*s\n", (int)l, p);
		p = nl ? nl + 1 : p + l;
	}
	return ok ? 0 : 1;
}

/* The status line's "generation N" and "state S" (S copied into state). */
static int parse_status(const char *answer, unsigned *gen, char *state, size_t cap)
{
	const char *g = strstr(answer, " generation ");
	const char *s = strstr(answer, " state ");
	if (!g || !s || sscanf(g, " generation %u", gen) != 1)
		return -1;
	size_t n = strcspn(s + 7, " \n");
	snprintf(state, cap, "%.*s", (int)(n < cap ? n : cap - 1), s + 7);
	return 0;
}

int run_ctl_swap_status(const char *who, const char *path, const char *driver, unsigned *gen,
			char *state, size_t cap, char **answer)
{
	char *a = NULL, st[32] = "", line[160];
	snprintf(line, sizeof line, "param status%s%.128s\n", driver ? " " : "",
		 driver ? driver : "");
	int rc = run_ctl_request(who, path, line, &a);
	if (rc > 0)
		run_ctl_print(who, a);
	if (rc == 0 && parse_status(a, gen, state ? state : st, state ? cap : sizeof st) != 0) {
		fprintf(stderr, "%s: %s: an answer without generation and state: %s\n", who, path,
			a);
		rc = -1;
	}
	if (rc == 0 && answer)
		*answer = a;
	else
		free(a);
	return rc ? -1 : 0;
}

int run_ctl_swap_status_quiet(const char *path, const char *driver, unsigned *gen)
{
	char *a = NULL, st[32], line[160];
	snprintf(line, sizeof line, "param status%s%.128s\n", driver ? " " : "",
		 driver ? driver : "");
	int rc = run_ctl_request_to(NULL, path, line, NULL, &a);
	if (rc == 0)
		rc = parse_status(a, gen, st, sizeof st);
	free(a);
	return rc ? -1 : 0;
}

int run_ctl_swap_done(const char *answer, unsigned gen0)
{
	unsigned gen = 0;
	char st[32];
	return answer && parse_status(answer, &gen, st, sizeof st) == 0 && gen > gen0 &&
	       !strcmp(st, "live");
}

int run_ctl_swap_wait(const char *who, const char *path, const char *driver, unsigned gen0,
		      unsigned timeout_s, const char *what)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned gen = 0;
		char state[32], *answer = NULL;
		if (run_ctl_swap_status(who, path, driver, &gen, state, sizeof state, &answer) != 0)
			return -1;
		if (!strcmp(state, "failed") || (!strcmp(state, "live") && gen > gen0)) {
			int ok = !strcmp(state, "live");
			if (ok)
				fputs(answer, stdout); /* the status, "ok" last */
			else
				fprintf(stderr, "%s: %s failed, generation %u keeps running:\n%s",
					who, what, gen, answer);
			free(answer);
			return ok ? 0 : -1;
		}
		free(answer);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((unsigned)(now.tv_sec - t0.tv_sec) >= timeout_s) {
			fprintf(stderr,
				"%s: %s: still %s after %u s (it goes live at a later dispatch; "
				"see "
				"`xdrv param status`)\n",
				who, what, state, timeout_s);
			return -1;
		}
		struct timespec d = {0, 50 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
}
