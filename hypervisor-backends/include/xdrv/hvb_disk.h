/* SPDX-License-Identifier: MIT */
/*
 * Disk backends: where a device model's disk blocks live. A backend is a const ops table
 * (hypervisor-backends/disk/<name>.c) listed in registry.c; a disk is opened from a spec string
 * "<backend>:<argument>":
 *
 *   ram:SIZE      zero-filled memory; SIZE bytes with optional K/M/G suffix (powers of 1024), a
 *                 multiple of 512, 512..16G
 *   file:PATH     an existing regular file or block device opened O_RDWR (O_RDONLY with
 *                 read_only); size a non-zero multiple of 512; pread/pwrite; flush = fdatasync
 *   iscsi:URL     an iSCSI LUN through libiscsi (synchronous API), URL
 *                 iscsi://HOST[:PORT]/TARGET-IQN/LUN; 512-byte logical blocks only; flush =
 *                 SYNCHRONIZE CACHE(10) on the LUN
 *   blkfront:VDEV[:PHYS]
 *                 a Xen virtual block device through the blkif split-driver protocol
 *                 (xen/blkfront.c): VDEV xvda..xvdz or a virtual-device number; PHYS, the
 *                 dom0 block device, for the xen transport in toolstack mode; the transport is
 *                 the `--backend xen:...` default (loop: xdrv-backd); flush = FLUSH_DISKCACHE or
 *                 WRITE_BARRIER as the backend advertises
 *
 * Durability: a write that returned 0 followed by a flush that returned 0 survives a crash of
 * this process (file: fdatasync; iscsi: the target's SYNCHRONIZE CACHE; blkfront: the backend's
 * flush, or its word that it has no volatile cache; ram: not durable).
 * I/O is in bytes but must be 512-aligned in offset and length and inside the disk.
 * Single-threaded per disk.
 */
#ifndef XDRV_HVB_DISK_H
#define XDRV_HVB_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define HVB_DISK_BLOCK	 512u
#define HVB_DISK_RAM_MAX (16ull << 30)

struct hvb_disk;
struct hvb_disk_aio;

struct hvb_disk_ops {
	const char *name; /* "ram" */
	const char *description;
	/* Open from the part of the spec after "name:". 0 with *priv and *size (bytes), or
	 * -errno with *err. */
	int (*open)(const char *arg, bool read_only, void **priv, uint64_t *size, char **err);
	void (*close)(void *priv);
	/* Whole aligned ranges, already bounds-checked. 0 or -errno with *err. */
	int (*read)(void *priv, uint64_t off, void *buf, uint64_t len, char **err);
	int (*write)(void *priv, uint64_t off, const void *buf, uint64_t len, char **err);
	int (*flush)(void *priv, char **err);
	/* Optional (NULL: none). A page-aligned buffer of at least len bytes owned by the disk,
	 * in which read and write need no copy, or NULL if it has none of that size (left); see
	 * hvb_disk_buffer. */
	void *(*buffer)(void *priv, uint64_t len);
	/* Optional (NULL: none; the caller then stages the data in a buffer of its own and uses
	 * read/write). The same as read/write with the bytes scattered over `n` host iovecs
	 * whose lengths add up to `len` (each element may have any length and alignment). The
	 * memory is a driver's DMA buffer: it may have gone away, which must end as -EFAULT
	 * with *err (a system call's EFAULT, or a copy under a fault guard), never a fault of
	 * the process. */
	int (*readv)(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		     char **err);
	int (*writev)(void *priv, uint64_t off, const struct iovec *iov, uint32_t n, uint64_t len,
		      char **err);
	/* Optional (NULL: none), see hvb_disk_aio_submit. aio_submit queues a readv/writev
	 * (already checked, a->len set): 0, or -EOPNOTSUPP (no asynchronous I/O here, now or any
	 * more: the caller uses readv/writev); aio_kick hands what is queued to the kernel;
	 * aio_reap returns the next finished request (a->result set), NULL if none (wait: block
	 * while any is in flight). */
	int (*aio_submit)(void *priv, struct hvb_disk_aio *a);
	void (*aio_kick)(void *priv);
	struct hvb_disk_aio *(*aio_reap)(void *priv, bool wait);
	/* Optional: an fd readable once a completion may be there (see hvb_disk_aio_fd), or -1. */
	int (*aio_fd)(void *priv);
};

/* By name ("ram", "file", "iscsi"); NULL if unknown. */
const struct hvb_disk_ops *hvb_disk_backend_find(const char *name);
/* NULL-terminated list, for --help. */
const struct hvb_disk_ops *const *hvb_disk_backend_list(void);

/* Open "<backend>:<arg>". 0 with *out, or -EINVAL (malformed spec), -ENOENT (unknown backend)
 * or the backend's error, with *err naming the spec. */
int hvb_disk_open(const char *spec, bool read_only, struct hvb_disk **out, char **err);
void hvb_disk_close(struct hvb_disk *disk);	     /* NULL-safe */
uint64_t hvb_disk_size(const struct hvb_disk *disk); /* bytes */
bool hvb_disk_read_only(const struct hvb_disk *disk);
const char *hvb_disk_spec(const struct hvb_disk *disk); /* as opened; borrowed */
/* 0; -EINVAL unaligned, -ERANGE outside the disk, -EROFS write to a read-only disk, or the
 * backend's -errno (-EIO ...), with *err (may be NULL) naming the disk and the range. */
int hvb_disk_read(struct hvb_disk *disk, uint64_t off, void *buf, uint64_t len, char **err);
int hvb_disk_write(struct hvb_disk *disk, uint64_t off, const void *buf, uint64_t len, char **err);
int hvb_disk_flush(struct hvb_disk *disk, char **err);
/*
 * A buffer of at least `len` bytes, page-aligned, owned by the disk, that I/O can use without
 * the backend copying it: blkfront hands out a range of its granted pool, which the backend
 * domain reads and writes directly (its content is then as much the backend's to see and
 * change as the disk's blocks are). Reads and writes of page-aligned parts of it take the
 * zero-copy path; any other buffer still works, with a copy. Valid until the disk is closed;
 * every call returns a different buffer. NULL if the backend has none (ram, file, iscsi), none
 * of that size left, or len is 0: the caller then uses its own memory.
 */
void *hvb_disk_buffer(struct hvb_disk *disk, uint64_t len);

/*
 * Scatter/gather I/O straight between the disk and host memory (a driver's DMA buffers, which
 * the model translated through the IOMMU): the same checks as hvb_disk_read/write on the whole
 * range [off, off + sum of iov lengths); at most HVB_DISK_IOV_MAX elements. -EOPNOTSUPP (no
 * message) if the backend has no such form for that direction (see hvb_disk_has_iov): the
 * caller then copies through a buffer of its own. -EFAULT when the host memory was not
 * accessible (part of the range may have been transferred).
 */
#define HVB_DISK_IOV_MAX 1024u
bool hvb_disk_has_iov(const struct hvb_disk *disk, bool write);
int hvb_disk_readv(struct hvb_disk *disk, uint64_t off, const struct iovec *iov, uint32_t n,
		   char **err);
int hvb_disk_writev(struct hvb_disk *disk, uint64_t off, const struct iovec *iov, uint32_t n,
		    char **err);

/*
 * Asynchronous scatter/gather I/O (the file backend: io_uring), so that several requests of a
 * driver are in flight at once. The caller owns the request and its iovecs (host memory: a
 * driver's DMA buffers) and keeps both untouched until the request comes back from
 * hvb_disk_aio_reap. hvb_disk_aio_submit checks the request as hvb_disk_readv/writev do and
 * queues it: 0; -EOPNOTSUPP (no message) if the disk has no asynchronous form (ram, iscsi,
 * blkfront, or io_uring not usable here: the backend said why once on the log), the caller
 * then uses hvb_disk_readv/writev; another -errno with *err if the request is bad (as
 * readv/writev). Queued requests reach the kernel at hvb_disk_aio_kick (one system call for a
 * batch). A finished request has a->result 0, -EFAULT (the memory was not accessible), or
 * another -errno (the backend's failure: the caller reports a medium error); a short transfer
 * is finished synchronously before the request is returned. Completion order is free: the
 * caller orders dependent requests (overlapping ranges where one writes) by waiting
 * (hvb_disk_aio_wait) before it submits the second. Single-threaded like the rest.
 */
struct hvb_disk_aio {
	uint64_t off;		 /* bytes, 512-aligned */
	const struct iovec *iov; /* n elements, lengths adding up to a multiple of 512 */
	uint32_t n;
	bool write;
	void *user; /* the caller's */
	/* set by the disk layer */
	uint64_t len;
	int result;
	bool done;
	struct hvb_disk_aio *next; /* the disk layer's lists */
};
int hvb_disk_aio_submit(struct hvb_disk *disk, struct hvb_disk_aio *a, char **err);
void hvb_disk_aio_kick(struct hvb_disk *disk);
/* The next finished request, or NULL (non-blocking). */
struct hvb_disk_aio *hvb_disk_aio_reap(struct hvb_disk *disk);
/* Block until `a` (submitted, not yet reaped) is finished: it then still comes back from
 * hvb_disk_aio_reap. */
void hvb_disk_aio_wait(struct hvb_disk *disk, struct hvb_disk_aio *a);
/* Requests submitted and not yet reaped. */
uint32_t hvb_disk_aio_pending(const struct hvb_disk *disk);
/* For a caller with an event loop of its own: an eventfd (non-blocking) that becomes readable
 * when a request finishes, or -1 (none, or not yet: the file backend sets its io_uring up at
 * the first hvb_disk_aio_submit; ask again after one). The caller reads it (8 bytes) before it
 * reaps, so that a completion after the reap makes it readable again. */
int hvb_disk_aio_fd(const struct hvb_disk *disk);

/* Parse a size "4096", "64K", "64M", "2G": 0 or -EINVAL. */
int hvb_disk_parse_size(const char *s, uint64_t *out);

#endif
