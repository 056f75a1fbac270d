/* TEMP STUB (lead's worktree only; replaced by i12-sandbox) */
#ifndef XDRV_SANDBOX_H
#define XDRV_SANDBOX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
enum xdrv_sandbox_profile { XDRV_SANDBOX_DRIVER_HOST, XDRV_SANDBOX_COMPILER };
struct xdrv_sandbox_cfg {
	enum xdrv_sandbox_profile profile;
	const int *keep_fds;
	size_t nkeep;
	uint64_t as_bytes, cpu_secs, nofile;
	bool namespaces;
	volatile int *denied_nr;
};
struct xdrv_sandbox_report { char text[512]; };
int xdrv_sandbox_close_fds(const int *keep, size_t nkeep);
int xdrv_sandbox_enter(const struct xdrv_sandbox_cfg *cfg, struct xdrv_sandbox_report *rep, char **err);
const char *xdrv_sandbox_syscall_name(int nr);
#endif
