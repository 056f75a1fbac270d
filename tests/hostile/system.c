// SPDX-License-Identifier: MIT
/*
 * system: the attack of issue 12. A lint-clean probe (it imports ABI symbols only) finds libc
 * through its memcpy import (libc.h), resolves system() and runs a shell command that writes a
 * marker file, /tmp/xdrv-hostile-TAG.pwned (TAG: the driver's parameter), with the id of the
 * process it ran in. It logs what system() returned. In a driver host under the sandbox, the
 * spawn is a system call the allow-list does not have: the host dies with SIGSYS, the marker
 * never appears. In process (--in-process) the command runs, as the supervisor's user.
 */
#define HOSTILE_NAME "system"
#define HOSTILE_TAG
#include "libc.h"
#include "drv.h"

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	char path[128], cmd[300], line[400];
	hostile_path(path, sizeof path, "pwned");
	cmd[0] = 0;
	hx_cat(cmd, sizeof cmd, "echo \"pwned by a driver: $(id -u) pid $$\" > ");
	hx_cat(cmd, sizeof cmd, path);
	hx_system_fn sys = (hx_system_fn)hx_sym("system");
	if (!sys)
		return XDRV_ENOTSUP;
	hx_log2(XDRV_LOG_WARN, "system: running: ", cmd);
	int rc = sys(cmd);
	line[0] = 0;
	hx_cat(line, sizeof line, "system: system() returned ");
	hx_cat_u64(line, sizeof line, (uint64_t)(uint32_t)rc);
	hx_cat(line, sizeof line, rc == 0 ? ": the command ran" : ": the command failed");
	xdrv_log(XDRV_LOG_WARN, line);
	return XDRV_OK;
}
