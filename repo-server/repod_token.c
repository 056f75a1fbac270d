// SPDX-License-Identifier: MIT
/*
 * Vendor publish tokens: `xdrv-repod vendor add --token-file F` makes one when F does not
 * exist, so that the operator never has to invent a secret. Only the file is written here; the
 * server keeps a salted hash of the token (repod_db.c), never the token.
 */
#include "xdrv/repo_server.h"
#include "xdrv/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

/* 256 bits from the system's CSPRNG: no token can be guessed, and a salted SHA-256 of it
 * needs no slow password hash (docs/REPOSITORY.md). */
#define TOKEN_BYTES 32

int repo_token_file_create(const char *path, char **err)
{
	uint8_t raw[TOKEN_BYTES];
	char line[2 * TOKEN_BYTES + 2];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return xdrv_err(err, -EIO, "token file %s: no random bytes from OpenSSL", path);
	xdrv_hex(raw, sizeof(raw), line);
	OPENSSL_cleanse(raw, sizeof(raw));
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = 0;
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = xdrv_err(err, -errno, "token file %s: %s", path, strerror(errno));
		goto out_wipe;
	}
	/* 0600 (the umask can only take bits away): readable by the operator alone */
	errno = 0; /* a short write sets none */
	if (write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1 || fsync(fd) != 0) {
		rc = xdrv_err(err, errno ? -errno : -EIO, "token file %s: %s", path,
			      strerror(errno ? errno : EIO));
		close(fd);
		unlink(path);
		goto out_wipe;
	}
	if (close(fd) != 0) {
		rc = xdrv_err(err, -errno, "token file %s: %s", path, strerror(errno));
		unlink(path);
	}
out_wipe:
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}
