// SPDX-License-Identifier: MIT
/*
 * `xdrv bench`: runs the bench program, xdrv-bench, found beside the running executable (as
 * git runs git-NAME). The bench links natively compiled sample drivers built for this machine
 * only, so it is built from the source tree (`make bench`) and is not part of an installation.
 */
#include "commands.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_bench(int argc, char **argv)
{
	char self[PATH_MAX], prog[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "xdrv bench: cannot find the running executable: %s\n",
			strerror(errno));
		return 1;
	}
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(prog, sizeof prog, "%s/xdrv-bench", self) >= (int)sizeof prog) {
		fprintf(stderr, "xdrv bench: path too long: %s\n", self);
		return 1;
	}
	if (access(prog, X_OK) != 0) {
		fprintf(stderr,
			"xdrv bench: %s: not found; the bench is built from the source tree "
			"('make bench' or 'make all'), it is not part of an installation\n",
			prog);
		return 1;
	}
	argv[0] = prog;
	execv(prog, argv);
	fprintf(stderr, "xdrv bench: cannot run %s: %s\n", prog, strerror(errno));
	return 1;
}
