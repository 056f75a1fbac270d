// SPDX-License-Identifier: MIT
/*
 * raw_syscall: a probe that calls libc's syscall() (found through libc.h) with a number no
 * driver host needs: socket(AF_INET, SOCK_STREAM, 0), then close() on what it got. It logs the
 * result. In a driver host under the sandbox the call is denied with SIGSYS, which the
 * supervisor reports by name ("socket (41)"); in process it returns a socket.
 */
#define HOSTILE_NAME "raw_syscall"
#include "libc.h"
#include "drv.h"

#define NR_SOCKET_X86_64 41
#define NR_SOCKET_ARM64	 198
#define NR_CLOSE_X86_64	 3
#define NR_CLOSE_ARM64	 57

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	hx_syscall_fn sc = (hx_syscall_fn)hx_sym("syscall");
	if (!sc)
		return XDRV_ENOTSUP;
	/* the number depends on the host: a driver can ask the ELF header which one it is on */
	const struct hx_ehdr *e = hx_find_ehdr((uint64_t)(uintptr_t)sc);
	int arm64 = e && e->e_machine == 183;
	long nr = arm64 ? NR_SOCKET_ARM64 : NR_SOCKET_X86_64;
	char line[200];
	line[0] = 0;
	hx_cat(line, sizeof line, "raw_syscall: syscall(");
	hx_cat_u64(line, sizeof line, (uint64_t)nr);
	hx_cat(line, sizeof line, " = socket, AF_INET, SOCK_STREAM, 0)");
	xdrv_log(XDRV_LOG_WARN, line);
	long fd = sc(nr, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, 0, 0, 0);
	line[0] = 0;
	hx_cat(line, sizeof line, "raw_syscall: socket() returned ");
	if (fd < 0) {
		hx_cat(line, sizeof line, "-1, errno ");
		hx_cat_u64(line, sizeof line, (uint64_t)hx_errno());
	} else {
		hx_cat_u64(line, sizeof line, (uint64_t)fd);
		hx_cat(line, sizeof line, ": a socket in the host process");
		sc(arm64 ? NR_CLOSE_ARM64 : NR_CLOSE_X86_64, fd, 0, 0, 0, 0, 0);
	}
	xdrv_log(XDRV_LOG_WARN, line);
	return XDRV_OK;
}
