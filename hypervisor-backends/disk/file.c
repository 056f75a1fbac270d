// SPDX-License-Identifier: MIT
/*
 * The `file` disk backend: an existing image file or block device ("file:/path/disk.img"),
 * pread/pwrite at the requested offset (retrying short transfers and EINTR), flush = fdatasync.
 * Scatter/gather requests (a driver's DMA buffers, hvb_disk_readv) are one preadv/pwritev
 * straight into or out of that memory: no staging copy; memory that went away is the system
 * call's EFAULT.
 * A write acknowledged before a successful flush is on stable storage. The file is not created
 * or resized: its size is the disk's size and must be a non-zero multiple of 512.
 *
 * Asynchronous requests (hvb_disk_aio_submit) go through an io_uring of FILE_RING entries,
 * set up at the first one (in builds with liburing: XDRV_HAVE_LIBURING): readv/writev SQEs
 * queued by aio_submit, handed to the kernel in one io_uring_submit by aio_kick, completions
 * peeked (no system call) or waited for by aio_reap. A short or interrupted transfer is
 * finished with preadv/pwritev before the request is returned. Where io_uring cannot be used
 * (a process in the seccomp sandbox, which denies io_uring_*; a kernel without it, or with
 * it disabled; a build without liburing) aio_submit says why once and answers -EOPNOTSUPP,
 * and the caller uses the synchronous calls.
 */
#define _GNU_SOURCE
#include "../hvb_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/sandbox.h>
#include <xdrv/util.h>
#ifdef XDRV_HAVE_LIBURING
#include <liburing.h>
#endif

#define FILE_RING 64u /* SQ entries; the CQ has twice as many */

struct file_disk {
	int fd;
	char *path;
	int aio; /* 0 not tried yet, 1 the ring is up, -1 synchronous only */
#ifdef XDRV_HAVE_LIBURING
	struct io_uring ring;
	uint32_t queued, inflight; /* SQEs not yet submitted; submitted without a CQE */
	int efd;		   /* eventfd registered with the ring (-1: none) */
#endif
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
	f->path = strdup(arg);
	if (!f->path) {
		close(fd);
		free(f);
		return xdrv_err(err, -ENOMEM, "file '%s': out of memory", arg);
	}
	*priv = f;
	*size = n;
	return 0;
}

static void file_close(void *priv)
{
	struct file_disk *f = priv;
#ifdef XDRV_HAVE_LIBURING
	if (f->aio == 1)
		io_uring_queue_exit(&f->ring); /* the disk layer reaped everything in flight */
	if (f->aio == 1 && f->efd >= 0)
		close(f->efd);
#endif
	close(f->fd);
	free(f->path);
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

/* The rest of a transfer of which `done` bytes went: element by element with file_read/
 * file_write, which retry. */
static int finish_v(struct file_disk *f, uint64_t off, const struct iovec *iov, uint32_t n,
		    uint64_t done, bool write, char **err)
{
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

/* One preadv/pwritev for the whole list; a short transfer (or EINTR) is finished element by
 * element (finish_v). */
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
	return finish_v(f, off, iov, n, done, write, err);
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

/* ---- asynchronous requests: io_uring ------------------------------------------------------- */

#ifdef XDRV_HAVE_LIBURING
/* Set the ring up at the first request: 1, or -1 (said why, once per disk). */
static int aio_setup(struct file_disk *f)
{
	if (xdrv_sandbox_entered()) {
		hvb_log("disk 'file:%s': io_uring is not allowed in the sandboxed driver host "
			"(seccomp): synchronous preadv/pwritev",
			f->path);
		return -1;
	}
	int rc = io_uring_queue_init(FILE_RING, &f->ring, 0);
	if (rc < 0) {
		hvb_log("disk 'file:%s': io_uring_queue_init: %s: synchronous preadv/pwritev",
			f->path, strerror(-rc));
		return -1;
	}
	/* for callers with an event loop of their own (xdrv-backd's vbd): readable when a
	 * completion is posted; without it they poll the ring */
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd >= 0 && io_uring_register_eventfd(&f->ring, f->efd) < 0) {
		close(f->efd);
		f->efd = -1;
	}
	return 1;
}

static int file_aio_fd(void *priv)
{
	const struct file_disk *f = priv;
	return f->aio == 1 ? f->efd : -1;
}

static void file_aio_kick(void *priv)
{
	struct file_disk *f = priv;
	if (f->aio != 1 || !f->queued)
		return;
	int rc = io_uring_submit(&f->ring);
	if (rc > 0) {
		uint32_t n = (uint32_t)rc > f->queued ? f->queued : (uint32_t)rc;
		f->queued -= n;
		f->inflight += n;
	} else if (rc < 0 && rc != -EAGAIN && rc != -EBUSY && rc != -EINTR) {
		hvb_log("disk 'file:%s': io_uring_submit: %s", f->path, strerror(-rc));
	}
}

static int file_aio_submit(void *priv, struct hvb_disk_aio *a)
{
	struct file_disk *f = priv;
	if (f->aio == 0)
		f->aio = aio_setup(f);
	if (f->aio != 1)
		return -EOPNOTSUPP;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
	if (!sqe) { /* the submission queue is full: hand it over, then there is room */
		file_aio_kick(f);
		sqe = io_uring_get_sqe(&f->ring);
		if (!sqe)
			return -EOPNOTSUPP;
	}
	if (a->write)
		io_uring_prep_writev(sqe, f->fd, a->iov, a->n, a->off);
	else
		io_uring_prep_readv(sqe, f->fd, a->iov, a->n, a->off);
	io_uring_sqe_set_data(sqe, a);
	f->queued++;
	return 0;
}

static struct hvb_disk_aio *file_aio_reap(void *priv, bool wait)
{
	struct file_disk *f = priv;
	if (f->aio != 1)
		return NULL;
	file_aio_kick(f);
	struct io_uring_cqe *cqe = NULL;
	int rc = -EAGAIN;
	while (f->inflight) {
		rc = wait ? io_uring_wait_cqe(&f->ring, &cqe) : io_uring_peek_cqe(&f->ring, &cqe);
		if (rc != -EINTR)
			break;
	}
	if (rc < 0 || !cqe)
		return NULL;
	struct hvb_disk_aio *a = io_uring_cqe_get_data(cqe);
	int res = cqe->res;
	io_uring_cqe_seen(&f->ring, cqe);
	f->inflight--;
	if (res == -EINTR || res == -EAGAIN)
		res = 0; /* nothing went: all of it synchronously */
	if (res >= 0 && (uint64_t)res < a->len)
		a->result = finish_v(f, a->off, a->iov, a->n, (uint64_t)res, a->write, NULL);
	else
		a->result = res < 0 ? res : 0;
	a->done = true;
	return a;
}
#endif

static int file_flush(void *priv, char **err)
{
	struct file_disk *f = priv;
	if (fdatasync(f->fd) != 0)
		return xdrv_err(err, -errno, "fdatasync: %s", strerror(errno));
	return 0;
}

const struct hvb_disk_ops hvb_file_disk_ops = {
	.name = "file",
	.description = "an image file or block device, pread/pwrite (preadv/pwritev or io_uring "
		       "into DMA buffers), flush = fdatasync (file:PATH)",
	.open = file_open,
	.close = file_close,
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.readv = file_readv,
	.writev = file_writev,
#ifdef XDRV_HAVE_LIBURING
	.aio_submit = file_aio_submit,
	.aio_kick = file_aio_kick,
	.aio_reap = file_aio_reap,
	.aio_fd = file_aio_fd,
#endif
};
