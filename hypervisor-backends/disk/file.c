// SPDX-License-Identifier: MIT
/*
 * The `file` disk backend: an existing image file or block device ("file:/path/disk.img"),
 * pread/pwrite at the requested offset (retrying short transfers and EINTR), flush = fdatasync.
 * Scatter/gather requests (a driver's DMA buffers, hvb_disk_readv) are one preadv/pwritev
 * straight into or out of that memory: no staging copy; memory that went away is the system
 * call's EFAULT.
 * A write acknowledged before a successful flush is on stable storage. The file is not created
 * or resized: its size is the disk's size and must be a non-zero multiple of 512.
 */
#define _GNU_SOURCE
#include "../hvb_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

struct file_disk {
	int fd;
};

static int file_open(const char *arg, bool read_only, void **priv, uint64_t *size, char **err)
{
	if (!*arg)
		return xdrv_err(err, -EINVAL, "file: empty path");
	int fd = open(arg, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return xdrv_err(err, -errno, "file '%s': %s", arg, strerror(errno));
	struct stat st;
	uint64_t n = 0;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return xdrv_err(err, -e, "file '%s': %s", arg, strerror(e));
	}
	if (S_ISREG(st.st_mode)) {
		n = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &n) != 0) {
			int e = errno;
			close(fd);
			return xdrv_err(err, -e, "file '%s': BLKGETSIZE64: %s", arg, strerror(e));
		}
	} else {
		close(fd);
		return xdrv_err(err, -EINVAL, "file '%s': not a regular file or block device", arg);
	}
	if (n == 0 || n % HVB_DISK_BLOCK) {
		close(fd);
		return xdrv_err(err, -EINVAL,
				"file '%s': size %llu is not a non-zero multiple of 512", arg,
				(unsigned long long)n);
	}
	struct file_disk *f = calloc(1, sizeof *f);
	if (!f) {
		close(fd);
		return xdrv_err(err, -ENOMEM, "file '%s': out of memory", arg);
	}
	f->fd = fd;
	*priv = f;
	*size = n;
	return 0;
}

static void file_close(void *priv)
{
	struct file_disk *f = priv;
	close(f->fd);
	free(f);
}

static int file_read(void *priv, uint64_t off, void *buf, uint64_t len, char **err)
{
	struct file_disk *f = priv;
	uint8_t *p = buf;
	while (len) {
		ssize_t r =
			pread(f->fd, p, len > (1u << 30) ? (1u << 30) : (size_t)len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return xdrv_err(err, -errno, "pread: %s", strerror(errno));
		if (r == 0)
			return xdrv_err(err, -EIO, "pread: unexpected end of file (file shrank?)");
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

static int file_write(void *priv, uint64_t off, const void *buf, uint64_t len, char **err)
{
	struct file_disk *f = priv;
	const uint8_t *p = buf;
	while (len) {
		ssize_t r =
			pwrite(f->fd, p, len > (1u << 30) ? (1u << 30) : (size_t)len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return xdrv_err(err, -errno, "pwrite: %s", strerror(errno));
		if (r == 0)
			return xdrv_err(err, -EIO, "pwrite: wrote nothing");
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* One preadv/pwritev for the whole list; a short transfer (or EINTR) is finished element by
 * element with file_read/file_write, which retry. */
static int file_xfer_v(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		       bool write, char **err)
{
	struct file_disk *f = priv;
	ssize_t r = write ? pwritev(f->fd, iov, (int)n, (off_t)off)
			  : preadv(f->fd, iov, (int)n, (off_t)off);
	if (r < 0 && errno != EINTR)
		return xdrv_err(err, -errno, "%s: %s", write ? "pwritev" : "preadv",
				strerror(errno));
	uint64_t done = r < 0 ? 0 : (uint64_t)r;
	if (done == len)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = iov[i].iov_len;
		if (done >= l) {
			done -= l;
		} else {
			uint8_t *p = (uint8_t *)iov[i].iov_base + done;
			int rc = write ? file_write(f, off + done, p, l - done, err)
				       : file_read(f, off + done, p, l - done, err);
			if (rc)
				return rc;
			done = 0;
		}
		off += l;
	}
	return 0;
}

static int file_readv(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		      char **err)
{
	return file_xfer_v(priv, off, iov, n, len, false, err);
}

static int file_writev(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		       char **err)
{
	return file_xfer_v(priv, off, iov, n, len, true, err);
}

static int file_flush(void *priv, char **err)
{
	struct file_disk *f = priv;
	if (fdatasync(f->fd) != 0)
		return xdrv_err(err, -errno, "fdatasync: %s", strerror(errno));
	return 0;
}

const struct hvb_disk_ops hvb_file_disk_ops = {
	.name = "file",
	.description = "an image file or block device, pread/pwrite (preadv/pwritev into DMA "
		       "buffers), flush = fdatasync (file:PATH)",
	.open = file_open,
	.close = file_close,
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.readv = file_readv,
	.writev = file_writev,
};
