// SPDX-License-Identifier: MIT
/*
 * Tests for the disk backends (hypervisor-backends/disk/): the generic checks (alignment,
 * bounds, read-only), RAM, an image file (data written and flushed is in the file, seen through
 * a separate descriptor), and an iSCSI LUN through libiscsi against a tgtd started by the test
 * on 127.0.0.1 (a free port, its management socket in the test folder), serving a file the test
 * generated; the same LUN is then used as the disk of a virtio-scsi device.
 */
#include "../xtest.h"
#include "vscsi_guest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>

static int has(const char *err, const char *want)
{
	int ok = err && strstr(err, want);
	if (!ok)
		fprintf(stderr, "expected '%s' in '%s'\n", want, err ? err : "(null)");
	return ok;
}

static void test_size_parser(void)
{
	uint64_t v = 0;
	CU_ASSERT_EQUAL(hvb_disk_parse_size("4096", &v), 0);
	CU_ASSERT_EQUAL(v, 4096u);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("64K", &v), 0);
	CU_ASSERT_EQUAL(v, 65536u);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("3M", &v), 0);
	CU_ASSERT_EQUAL(v, 3u << 20);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("2G", &v), 0);
	CU_ASSERT_EQUAL(v, 2ull << 30);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("", &v), -EINVAL);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("-1", &v), -EINVAL);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("1MB", &v), -EINVAL);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("99999999999999999999G", &v), -EINVAL);
	CU_ASSERT_EQUAL(hvb_disk_parse_size("17179869184G", &v), -EINVAL); /* 2^34 G overflows */
}

static void test_ram_disk_and_generic_checks(void)
{
	struct hvb_disk *d = NULL;
	char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:64K", false, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_size(d), 65536u);
	CU_ASSERT_STRING_EQUAL(hvb_disk_spec(d), "ram:64K");
	uint8_t buf[1024], back[1024];
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0, back, 1024, &err), 0);
	CU_ASSERT_EQUAL(back[0] | back[1023], 0);
	memset(buf, 0xab, sizeof buf);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 65536 - 1024, buf, 1024, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 65536 - 1024, back, 1024, &err), 0);
	CU_ASSERT_EQUAL(memcmp(buf, back, 1024), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 100, back, 512, &err), -EINVAL);
	CU_ASSERT_TRUE(has(err, "disk 'ram:64K': range 100+512 not 512-byte aligned"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_write(d, 65536 - 512, buf, 1024, &err), -ERANGE);
	CU_ASSERT_TRUE(has(err, "disk 'ram:64K': range 65024+1024 beyond its 65536 bytes"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_read(d, 0xfffffffffffffe00ull, back, 512, &err), -ERANGE);
	free(err);
	err = NULL;
	hvb_disk_close(d);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open("ram:1K", true, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 0, buf, 512, &err), -EROFS);
	CU_ASSERT_TRUE(has(err, "disk 'ram:1K': write to a read-only disk"));
	free(err);
	err = NULL;
	hvb_disk_close(d);
	static const struct {
		const char *spec;
		int rc;
		const char *msg;
	} bad[] = {
		{"ram", -EINVAL, "disk 'ram': expected <backend>:<argument>"},
		{":1M", -EINVAL, "disk ':1M': expected <backend>:<argument>"},
		{"nvme:1", -ENOENT,
		 "disk 'nvme:1': unknown backend 'nvme' (ram, file, iscsi, blkfront)"},
		{"ram:0", -EINVAL, "disk 'ram:0': ram size '0': expected a multiple of 512"},
		{"ram:17G", -EINVAL, "ram size '17G'"},
		{"ram:1x", -EINVAL, "ram size '1x'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(hvb_disk_open(bad[i].spec, false, &d, &err), bad[i].rc);
		CU_ASSERT_PTR_NULL(d);
		CU_ASSERT_TRUE(has(err, bad[i].msg));
		free(err);
		err = NULL;
	}
	CU_ASSERT_PTR_NOT_NULL(hvb_disk_backend_find("iscsi"));
	CU_ASSERT_PTR_NULL(hvb_disk_backend_find("tape"));
}

static void test_file_disk_flushed_writes_reach_the_file(void)
{
	const char *img = xtest_path("%s/disk.img", xtest_tmpdir());
	uint8_t *init = calloc(1, 1 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	for (uint32_t i = 0; i < (1u << 20); i++)
		init[i] = (uint8_t)(i % 251);
	CU_ASSERT_EQUAL_FATAL(xtest_write(img, init, 1 << 20), 0);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	char spec[512];
	snprintf(spec, sizeof spec, "file:%s", img);
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open(spec, false, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_size(d), 1u << 20);
	uint8_t back[4096], pattern[4096];
	CU_ASSERT_EQUAL(hvb_disk_read(d, 8192, back, 4096, &err), 0);
	CU_ASSERT_EQUAL(memcmp(back, init + 8192, 4096), 0);
	for (uint32_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)(0xa5 ^ i);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 512 * 1000, pattern, 4096, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	/* a separate descriptor (another process would see the same) reads the flushed data */
	int fd = open(img, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, back, 4096, 512 * 1000), 4096);
	CU_ASSERT_EQUAL(memcmp(back, pattern, 4096), 0);
	close(fd);
	hvb_disk_close(d);
	/* and after close and reopen */
	CU_ASSERT_EQUAL_FATAL(hvb_disk_open(spec, true, &d, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 512 * 1000, back, 4096, &err), 0);
	CU_ASSERT_EQUAL(memcmp(back, pattern, 4096), 0);
	CU_ASSERT_EQUAL(hvb_disk_write(d, 0, pattern, 512, &err), -EROFS);
	free(err);
	err = NULL;
	hvb_disk_close(d);
	/* sizes that are not a multiple of 512, a directory, a missing file */
	const char *odd = xtest_path("%s/odd.img", xtest_tmpdir());
	CU_ASSERT_EQUAL(xtest_write(odd, init, 1000), 0);
	snprintf(spec, sizeof spec, "file:%s", odd);
	CU_ASSERT_EQUAL(hvb_disk_open(spec, false, &d, &err), -EINVAL);
	CU_ASSERT_TRUE(has(err, "size 1000 is not a non-zero multiple of 512"));
	free(err);
	err = NULL;
	snprintf(spec, sizeof spec, "file:%s", xtest_tmpdir());
	CU_ASSERT_EQUAL(hvb_disk_open(spec, false, &d, &err), -EISDIR);
	CU_ASSERT_TRUE(has(err, "': Is a directory"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_open("file:", false, &d, &err), -EINVAL);
	CU_ASSERT_TRUE(has(err, "disk 'file:': file: empty path"));
	free(err);
	free(init);
}

/* ---- tgtd ------------------------------------------------------------------------------------ */

static pid_t tgtd_pid;
static int tgtd_port;	   /* iSCSI portal on 127.0.0.1 */
static char tgtd_ipc[512]; /* TGT_IPC_SOCKET: tgtd's management socket */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

static int port_open(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

static void tgtd_stop(void)
{
	if (tgtd_pid <= 0)
		return;
	xtest_sh("export TGT_IPC_SOCKET=%s; tgtadm --op delete --force --mode target --tid 1 "
		 ">/dev/null 2>&1; tgtadm --mode system --op delete >/dev/null 2>&1",
		 tgtd_ipc);
	for (int i = 0; i < 50; i++) {
		if (waitpid(tgtd_pid, NULL, WNOHANG) == tgtd_pid) {
			tgtd_pid = 0;
			break;
		}
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	if (tgtd_pid > 0) {
		kill(tgtd_pid, SIGKILL);
		waitpid(tgtd_pid, NULL, 0);
		tgtd_pid = 0;
	}
}

/* Start tgtd on a free loopback port with target 1, LUN 1 = `backing`. 0 or -1. */
static int tgtd_start(const char *backing)
{
	tgtd_port = free_port();
	if (tgtd_port <= 0)
		return -1;
	/* tgtd's management socket in the test's own folder (tgtd and tgtadm honour
	 * TGT_IPC_SOCKET): nothing in /var/run/tgtd, no clash with another tgtd */
	snprintf(tgtd_ipc, sizeof tgtd_ipc, "%s", xtest_path("%s/tgtd-ipc", xtest_tmpdir()));
	char portal[64];
	snprintf(portal, sizeof portal, "portal=127.0.0.1:%d", tgtd_port);
	const char *log = xtest_path("%s/tgtd.log", xtest_tmpdir());
	tgtd_pid = fork();
	if (tgtd_pid < 0)
		return -1;
	if (tgtd_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test does not leave tgtd behind */
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("TGT_IPC_SOCKET", tgtd_ipc, 1);
		execlp("tgtd", "tgtd", "-f", "--iscsi", portal, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !port_open(tgtd_port); i++) {
		if (waitpid(tgtd_pid, NULL, WNOHANG) == tgtd_pid) {
			tgtd_pid = 0;
			fprintf(stderr, "tgtd exited at start (is package tgt installed?); log:\n");
			xtest_sh("cat %s >&2", log);
			return -1;
		}
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	if (xtest_sh("export TGT_IPC_SOCKET=%s; "
		     "tgtadm --lld iscsi --op new --mode target --tid 1 "
		     "-T iqn.2026-11.org.xdrv:disktest && "
		     "tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b %s && "
		     "tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL",
		     tgtd_ipc, backing) != 0) {
		tgtd_stop();
		return -1;
	}
	return 0;
}

static void test_iscsi_lun_through_tgtd(void)
{
	const char *img = xtest_path("%s/lun.img", xtest_tmpdir());
	uint8_t *init = malloc(4 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(init);
	for (uint32_t i = 0; i < (4u << 20); i++)
		init[i] = (uint8_t)(i * 13 + (i >> 9));
	int started = xtest_write(img, init, 4 << 20) == 0 && tgtd_start(img) == 0;
	CU_ASSERT_TRUE(started);
	if (!started) {
		free(init);
		return;
	}
	char spec[256];
	snprintf(spec, sizeof spec, "iscsi:iscsi://127.0.0.1:%d/iqn.2026-11.org.xdrv:disktest/1",
		 tgtd_port);
	struct hvb_disk *d = NULL;
	char *err = NULL;
	int rc = hvb_disk_open(spec, false, &d, &err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc) {
		fprintf(stderr, "iscsi open: %s\n", err ? err : "?");
		free(err);
		tgtd_stop();
		free(init);
		return;
	}
	CU_ASSERT_EQUAL(hvb_disk_size(d), 4u << 20);
	/* read the pattern the target serves, 2 MiB at once (chunked below 1 MiB) */
	uint8_t *buf = malloc(2 << 20);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 1 << 20, buf, 2 << 20, &err), 0);
	CU_ASSERT_EQUAL(memcmp(buf, init + (1 << 20), 2 << 20), 0);
	/* write, flush (SYNCHRONIZE CACHE), and find it in the backing file */
	for (uint32_t i = 0; i < 8192; i++)
		buf[i] = (uint8_t)~i;
	CU_ASSERT_EQUAL(hvb_disk_write(d, 4096, buf, 8192, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_flush(d, &err), 0);
	uint8_t back[8192];
	int fd = open(img, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, back, sizeof back, 4096), (ssize_t)sizeof back);
	close(fd);
	CU_ASSERT_EQUAL(memcmp(back, buf, 8192), 0);
	/* scatter/gather straight into and out of host memory (the model's direct path): 1.5 MiB
	 * over three pieces of odd length, so the 1 MiB commands split inside a piece */
	CU_ASSERT_TRUE(hvb_disk_has_iov(d, false) && hvb_disk_has_iov(d, true));
	uint8_t *sg = malloc(2 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sg);
	struct iovec v[3] = {
		{sg + 3, 1000}, {sg + 4096 + 7, (1 << 20) + 24}, {sg + (3 << 19) - 1, 0}};
	v[2].iov_len = (3u << 19) - v[0].iov_len - v[1].iov_len;
	CU_ASSERT_EQUAL(hvb_disk_readv(d, (1 << 20) + 512 * 3, v, 3, &err), 0);
	uint64_t at = (1 << 20) + 512 * 3;
	bool same = true;
	for (int i = 0; i < 3; i++) {
		same = same && memcmp(v[i].iov_base, init + at, v[i].iov_len) == 0;
		at += v[i].iov_len;
	}
	CU_ASSERT_TRUE(same);
	for (int i = 0; i < 3; i++)
		memset(v[i].iov_base, 0x30 + i, v[i].iov_len);
	CU_ASSERT_EQUAL(hvb_disk_writev(d, 1 << 21, v, 3, &err), 0);
	CU_ASSERT_EQUAL(hvb_disk_read(d, 1 << 21, sg, 3u << 19, &err), 0);
	CU_ASSERT_TRUE(sg[0] == 0x30 && sg[999] == 0x30 && sg[1000] == 0x31 &&
		       sg[1000 + (1 << 20) + 23] == 0x31 && sg[1000 + (1 << 20) + 24] == 0x32 &&
		       sg[(3u << 19) - 1] == 0x32);
	free(sg);
	/* past the end is refused before the target sees it */
	CU_ASSERT_EQUAL(hvb_disk_read(d, 4 << 20, buf, 512, &err), -ERANGE);
	free(err);
	err = NULL;
	hvb_disk_close(d);

	/* the same LUN as a virtio-scsi disk: READ(10) through the model */
	struct guest g;
	char config[300];
	snprintf(config, sizeof config, "disk=%s", spec);
	CU_ASSERT_EQUAL(guest_create(&g, config, &err), 0);
	if (g.dev) {
		guest_init(&g, 0);
		const uint8_t tur[6] = {0};
		guest_scsi(&g, 0, 0, tur, 6, 0, 0); /* power-on unit attention */
		const uint8_t r10[10] = {0x28, 0, 0, 0, 0, 8, 0, 0, 16, 0};
		guest_scsi(&g, 0, 0, r10, 10, 8192, 2);
		CU_ASSERT_EQUAL(resp_status(&g), 0);
		CU_ASSERT_EQUAL(memcmp(g.mem + DATA_OFF, buf, 8192), 0);
		struct hvb_vscsi_stats st;
		CU_ASSERT_EQUAL(hvb_vscsi_get_stats(g.dev, &st), 0);
		CU_ASSERT_EQUAL(st.direct_bytes, 8192u); /* into guest memory, no stage */
		const uint8_t rc10[10] = {0x25};
		guest_scsi(&g, 0, 0, rc10, 10, 8, 2);
		static const uint8_t cap[8] = {0, 0, 0x1f, 0xff, 0, 0, 2, 0};
		CU_ASSERT_EQUAL(memcmp(g.mem + DATA_OFF, cap, 8), 0);
	}
	guest_destroy(&g);
	free(err);
	err = NULL;
	tgtd_stop();

	/* nothing listening any more: the login fails with a message */
	CU_ASSERT_EQUAL(hvb_disk_open(spec, false, &d, &err), -ECONNREFUSED);
	CU_ASSERT_TRUE(has(err, "login to 127.0.0.1:"));
	free(err);
	err = NULL;
	CU_ASSERT_EQUAL(hvb_disk_open("iscsi:http://x/y", false, &d, &err), -EINVAL);
	CU_ASSERT_TRUE(has(err, "iscsi URL 'http://x/y'"));
	free(err);
	free(buf);
	free(init);
}

XTEST_SUITE(disk_backends, NULL, NULL, XTEST(test_size_parser),
	    XTEST(test_ram_disk_and_generic_checks),
	    XTEST(test_file_disk_flushed_writes_reach_the_file), XTEST(test_iscsi_lun_through_tgtd))
