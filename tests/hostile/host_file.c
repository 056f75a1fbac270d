// SPDX-License-Identifier: MIT
/*
 * host_file: a probe that reads a file of the host through libc's open() and read() (found
 * through libc.h): /tmp/xdrv-hostile-TAG.secret, which the test writes (TAG: the driver's
 * parameter), and logs its first bytes. In a driver host under the sandbox, open (openat) is
 * denied with SIGSYS: nothing of the file reaches the log. In process it does.
 */
#define HOSTILE_NAME "host_file"
#define HOSTILE_TAG
#include "libc.h"
#include "drv.h"

static int32_t hostile_probe(xdrv_device_t *dev)
{
	(void)dev;
	char path[128], buf[65], line[300];
	hostile_path(path, sizeof path, "secret");
	hx_open_fn op = (hx_open_fn)hx_sym("open");
	hx_read_fn rd = (hx_read_fn)hx_sym("read");
	hx_close_fn cl = (hx_close_fn)hx_sym("close");
	if (!op || !rd || !cl)
		return XDRV_ENOTSUP;
	hx_log2(XDRV_LOG_WARN, "host_file: opening ", path);
	int fd = op(path, 0 /* O_RDONLY */, 0);
	if (fd < 0) {
		line[0] = 0;
		hx_cat(line, sizeof line, "host_file: open failed, errno ");
		hx_cat_u64(line, sizeof line, (uint64_t)hx_errno());
		xdrv_log(XDRV_LOG_WARN, line);
		return XDRV_OK;
	}
	long n = rd(fd, buf, sizeof buf - 1);
	cl(fd);
	buf[n > 0 ? n : 0] = 0;
	for (long i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = 0;
	hx_log2(XDRV_LOG_WARN, "host_file: read from the host: ", buf);
	return XDRV_OK;
}
