// SPDX-License-Identifier: MIT
/*
 * The repository client's POST (repo-server/client_http.c) against a scripted server on
 * 127.0.0.1 (one thread, one connection, raw sockets), so a test sees exactly what went over
 * the wire: the request asks "Expect: 100-continue", a refusal from the headers alone comes
 * back with no body sent, and the body follows a "100 Continue". Then the same POST against
 * the real xdrv-repod in-process, over its limit, many times: 413 every time. And the download
 * progress line: nothing when stderr is not a terminal, one line redrawn in place on a pty.
 */
#define _GNU_SOURCE /* strcasestr */
#include "../xtest.h"
#include "repod_fixture.h"
#include "xdrv/repo_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct script {
	int lfd;
	bool send_continue;    /* answer "100 Continue", read the body, then 201 */
	char head[4096];       /* the request head as received */
	size_t body_bytes;     /* body bytes received */
	size_t content_length; /* as declared */
};

static void *serve_one(void *arg)
{
	struct script *sc = arg;
	int fd = accept(sc->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	struct timeval tv = {.tv_sec = 20};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t len = 0;
	while (len + 1 < sizeof(sc->head)) { /* byte by byte: nothing of the body is taken */
		if (recv(fd, sc->head + len, 1, 0) != 1)
			break;
		len++;
		if (len >= 4 && memcmp(sc->head + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	sc->head[len] = 0;
	const char *cl = strcasestr(sc->head, "\r\nContent-Length:");
	sc->content_length = cl ? strtoul(cl + 17, NULL, 10) : 0;
	char buf[65536];
	if (sc->send_continue) {
		const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
		send(fd, cont, strlen(cont), MSG_NOSIGNAL);
		while (sc->body_bytes < sc->content_length) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0)
				break;
			sc->body_bytes += (size_t)r;
		}
		const char *ok = "HTTP/1.1 201 Created\r\nContent-Length: 13\r\n"
				 "Connection: close\r\n\r\n{\"status\":201";
		send(fd, ok, strlen(ok), MSG_NOSIGNAL);
	} else {
		/* what xdrv-repod does for a declared oversize upload: answer from the headers */
		const char *no = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 22\r\n"
				 "Connection: close\r\n\r\n{\"error\":\"too large\"}\n";
		send(fd, no, strlen(no), MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		/* count whatever the client still sends until it hangs up */
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0)
				break;
			sc->body_bytes += (size_t)r;
		}
	}
	close(fd);
	return NULL;
}

/* Listen on an ephemeral port and serve one connection in a thread; the URL is written to url. */
static int script_start(struct script *sc, pthread_t *th, char *url, size_t cap)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	sc->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (sc->lfd < 0 || bind(sc->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(sc->lfd, 1) != 0 || getsockname(sc->lfd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	snprintf(url, cap, "http://127.0.0.1:%u/api/v1/publish", ntohs(a.sin_port));
	return pthread_create(th, NULL, serve_one, sc) == 0 ? 0 : -1;
}

static void test_post_refused_from_headers_sends_no_body(void)
{
	struct script sc = {0};
	pthread_t th;
	char url[128], *body = NULL, *err = NULL;
	long status = 0;
	size_t n = 5000000; /* the size repo_e2e.sh uploads, far more than socket buffers hold */
	uint8_t *big = calloc(1, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_EQUAL_FATAL(script_start(&sc, &th, url, sizeof(url)), 0);
	int rc = repo_http_post(url, "tok-123", big, n, &status, &body, &err);
	pthread_join(th, NULL);
	close(sc.lfd);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "  %s\n", err ? err : "?");
	CU_ASSERT_EQUAL(status, 413);
	CU_ASSERT(body && strstr(body, "too large"));
	CU_ASSERT_PTR_NOT_NULL(strcasestr(sc.head, "\r\nExpect: 100-continue\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sc.head, "\r\nAuthorization: Bearer tok-123\r\n"));
	CU_ASSERT_EQUAL(sc.content_length, n);
	CU_ASSERT_EQUAL(sc.body_bytes, 0);
	free(body);
	free(err);
	free(big);
}

static void test_post_sends_body_after_100_continue(void)
{
	struct script sc = {.send_continue = true};
	pthread_t th;
	char url[128], *body = NULL, *err = NULL;
	long status = 0;
	uint8_t small[300];
	memset(small, 'p', sizeof(small));
	CU_ASSERT_EQUAL_FATAL(script_start(&sc, &th, url, sizeof(url)), 0);
	int rc = repo_http_post(url, NULL, small, sizeof(small), &status, &body, &err);
	pthread_join(th, NULL);
	close(sc.lfd);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(status, 201);
	CU_ASSERT_PTR_NOT_NULL(strcasestr(sc.head, "\r\nExpect: 100-continue\r\n"));
	CU_ASSERT_PTR_NULL(strcasestr(sc.head, "Authorization:"));
	CU_ASSERT_EQUAL(sc.body_bytes, sizeof(small));
	free(body);
	free(err);
}

/* The repo_e2e.sh case (5 MB over a smaller limit) against the real server: before the fix,
 * one run in five met "Send failure: Broken pipe"; now every answer is the server's 413. */
static void test_post_over_the_limit_to_repod_is_always_413(void)
{
	struct rfx *fx = rfx_create(64 * 1024);
	struct repo_server *srv = NULL;
	char *err = NULL, url[128];
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx);
	CU_ASSERT_EQUAL_FATAL(repo_server_start(fx->r, &srv, &err), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/publish", repo_server_port(srv));
	size_t n = 5000000;
	uint8_t *big = calloc(1, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	int got413 = 0;
	for (int i = 0; i < 25; i++) {
		long status = 0;
		char *body = NULL;
		if (repo_http_post(url, RFX_ACME_TOKEN, big, n, &status, &body, &err) == 0 &&
		    status == 413 && body && strstr(body, "exceeds the limit 65536"))
			got413++;
		else
			fprintf(stderr, "  run %d: HTTP %ld %s\n", i, status, err ? err : "");
		free(body);
		free(err);
		err = NULL;
	}
	CU_ASSERT_EQUAL(got413, 25);
	free(big);
	repo_server_stop(srv, 2000);
	rfx_destroy(fx);
}

/* Download a 200 KB file:// URL with the progress line asked for, stderr sent to fd `to`;
 * returns what the download returned. */
static int download_with_stderr_on(int to, const char *label)
{
	const char *dir = xtest_tmpdir();
	char src[512], part[512], url[600];
	snprintf(src, sizeof src, "%s/pkg.bin", dir);
	snprintf(part, sizeof part, "%s/pkg.part", dir);
	snprintf(url, sizeof url, "file://%s", src);
	static char data[200000];
	memset(data, 'x', sizeof data);
	CU_ASSERT_EQUAL(xtest_write(src, data, sizeof data), 0);
	unlink(part);
	struct repo_http_opts o = {.progress = true, .label = label};
	char *err = NULL;
	fflush(stderr);
	int saved = dup(2);
	dup2(to, 2);
	int rc = repo_http_download(url, part, sizeof data, &o, &err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	free(err);
	return rc;
}

static void test_download_progress_prints_nothing_when_stderr_is_not_a_terminal(void)
{
	const char *p = xtest_path("%s/stderr.txt", xtest_tmpdir());
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(download_with_stderr_on(fd, "acme/pkg-1.0.0.xdrv"), 0);
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_END), 0); /* not one byte */
	close(fd);
}

static void test_download_progress_is_one_line_redrawn_in_place_on_a_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	CU_ASSERT_FATAL(m >= 0);
	CU_ASSERT_EQUAL(grantpt(m), 0);
	CU_ASSERT_EQUAL(unlockpt(m), 0);
	int sl = open(ptsname(m), O_RDWR | O_NOCTTY);
	CU_ASSERT_FATAL(sl >= 0);
	/* a label with an escape sequence: repository metadata must not drive the terminal */
	CU_ASSERT_EQUAL(download_with_stderr_on(sl, "acme/pkg-1.0.0.xdrv\033]0;owned\007"), 0);
	close(sl);
	char out[8192];
	size_t n = 0;
	fcntl(m, F_SETFL, O_NONBLOCK);
	for (ssize_t r; n < sizeof out - 1 && (r = read(m, out + n, sizeof out - 1 - n)) > 0;)
		n += (size_t)r;
	out[n] = 0;
	close(m);
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += out[i] == '\n';
	CU_ASSERT_EQUAL(lines, 1); /* one line, however many redraws */
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "\r\033[Kacme/pkg-1.0.0.xdrv?]0;owned?  195.3 KiB  done in "));
	CU_ASSERT_PTR_NULL(strstr(out, "\033]"));
	if (lines != 1 || !strstr(out, "done in"))
		fprintf(stderr, "\npty got: %s\n", out);
}

XTEST_SUITE(client_http, NULL, NULL, XTEST(test_post_refused_from_headers_sends_no_body),
	    XTEST(test_post_sends_body_after_100_continue),
	    XTEST(test_post_over_the_limit_to_repod_is_always_413),
	    XTEST(test_download_progress_prints_nothing_when_stderr_is_not_a_terminal),
	    XTEST(test_download_progress_is_one_line_redrawn_in_place_on_a_terminal))
