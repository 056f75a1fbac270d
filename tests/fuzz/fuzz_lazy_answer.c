// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for what a driver host reads from the lazy compiler process
 * (loader/lazy_remote.c: ldr_lazy_fetch, ldr_lazy_blob_walk): the compiler process has parsed
 * a vendor's bitcode, so its answers are untrusted. The input is cut into messages (a 2-byte
 * length before each) written to a SOCK_SEQPACKET socket whose other end the host reads; any
 * bytes give an answer within the bounds or an error with a message, never a crash or a hang.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../loader/ldr_jit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *arg, const uint8_t *obj, size_t n, char **err)
{
	(void)obj;
	(void)err;
	*(size_t *)arg += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int s[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) != 0)
		return 0;
	/* the compiler process's side: the messages (as many as the socket holds: its writes
	 * must not block, nobody reads yet), then its end of writing */
	int fl = fcntl(s[1], F_GETFL);
	if (fl < 0 || fcntl(s[1], F_SETFL, fl | O_NONBLOCK) < 0) {
		close(s[0]);
		close(s[1]);
		return 0;
	}
	for (size_t off = 0; off + 2 <= size;) {
		size_t n = (size_t)data[off] | (size_t)data[off + 1] << 8;
		off += 2;
		if (n > size - off)
			n = size - off;
		if (write(s[1], data + off, n) < 0)
			break;
		off += n;
	}
	shutdown(s[1], SHUT_WR);
	char name[LDR_LAZY_NAME_MAX], *err = NULL;
	uint8_t *blob = NULL;
	uint64_t len = 0;
	uint32_t nobjs = 0;
	int rc = ldr_lazy_fetch(s[0], 0x1234u, 7, name, &blob, &len, &nobjs, &err);
	if (rc == 0) {
		size_t n = strlen(name), total = 0;
		if (n < 6 || n >= LDR_LAZY_NAME_MAX || strcmp(name + n - 5, "$body") != 0)
			abort(); /* an accepted name is a body's */
		if (nobjs == 0 || nobjs > 8)
			abort();
		char *werr = NULL;
		int wr = ldr_lazy_blob_walk(blob, len, nobjs, count, &total, &werr);
		if ((wr == 0 && total > len) || (wr != 0 && !werr))
			abort(); /* the objects lie inside the blob; a refusal says why */
		free(werr);
	} else if (!err) {
		abort(); /* every failure carries a message */
	}
	free(err);
	free(blob);
	close(s[0]);
	close(s[1]);
	return 0;
}
