// SPDX-License-Identifier: MIT
/*
 * fork_exec: a probe that calls libc's fork() (found through libc.h); the child execve()s
 * /bin/sh -c "echo ... > /tmp/xdrv-hostile-TAG.forked" (TAG: the driver's parameter) and, if
 * that fails, _exit(127)s; the parent waits for it and logs its status. In a driver host under
 * the sandbox, fork (clone) is denied with SIGSYS. In process the child runs.
 */
#define HOSTILE_NAME "fork_exec"
#define HOSTILE_TAG
#include "libc.h"
#include "drv.h"

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	char path[128], cmd[300], line[200];
	hostile_path(path, sizeof path, "forked");
	cmd[0] = 0;
	hx_cat(cmd, sizeof cmd, "echo \"forked and executed by a driver: pid $$\" > ");
	hx_cat(cmd, sizeof cmd, path);
	hx_fork_fn fk = (hx_fork_fn)hx_sym("fork");
	hx_execve_fn ex = (hx_execve_fn)hx_sym("execve");
	hx_waitpid_fn wp = (hx_waitpid_fn)hx_sym("waitpid");
	hx_exit_fn ex1 = (hx_exit_fn)hx_sym("_exit");
	if (!fk || !ex || !wp || !ex1)
		return XDRV_ENOTSUP;
	char sh[] = "/bin/sh", dash_c[] = "-c";
	char *argv[] = {sh, dash_c, cmd, 0};
	char *envp[] = {0};
	xdrv_log(XDRV_LOG_WARN, "fork_exec: fork()");
	int pid = fk();
	if (pid == 0) {
		ex(sh, argv, envp);
		ex1(127);
	}
	line[0] = 0;
	if (pid < 0) {
		hx_cat(line, sizeof line, "fork_exec: fork failed, errno ");
		hx_cat_u64(line, sizeof line, (uint64_t)hx_errno());
	} else {
		int st = -1;
		wp(pid, &st, 0);
		hx_cat(line, sizeof line, "fork_exec: child ");
		hx_cat_u64(line, sizeof line, (uint64_t)pid);
		hx_cat(line, sizeof line, " ran /bin/sh, wait status ");
		hx_cat_u64(line, sizeof line, (uint64_t)(uint32_t)st);
	}
	xdrv_log(XDRV_LOG_WARN, line);
	return XDRV_OK;
}
