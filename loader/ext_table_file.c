// SPDX-License-Identifier: MIT
/*
 * Table files of packet extensions (xdrv/ext_host.h, ldr_ext_table_file_read): one entry a line,
 * "KEY [VALUE]", read by `xdrv run --ext ...:table=NAME=FILE` and by the boot configuration's
 * extension tables (docs/BOOT.md), so both read one format one way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/ext.h>
#include <xdrv/ext_host.h>
#include <xdrv/util.h>

static int parse_u64(const char *s, uint64_t *v)
{
	struct in_addr a;
	if (strchr(s, '.') && inet_pton(AF_INET, s, &a) == 1) {
		*v = ntohl(a.s_addr);
		return 0;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || !*s || *end || s[0] == '-')
		return -1;
	*v = x;
	return 0;
}

int ldr_ext_table_file_read(const char *path, uint64_t **keys, uint64_t **vals, size_t *n,
			    char **err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return xdrv_err(err, -errno, "table file %s: %s", path, strerror(errno));
	char line[512];
	size_t cap = *n, lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *save = NULL;
		char *k = strtok_r(line, " \t\r\n", &save);
		if (!k)
			continue;
		char *v = strtok_r(NULL, " \t\r\n", &save);
		char *extra = strtok_r(NULL, " \t\r\n", &save);
		uint64_t key = 0, val = 1;
		if (extra || parse_u64(k, &key) != 0 || (v && parse_u64(v, &val) != 0)) {
			rc = xdrv_err(err, -EINVAL,
				      "table file %s line %zu: want KEY [VALUE] (numbers or IPv4 "
				      "addresses)",
				      path, lineno);
			break;
		}
		if (*n == XDRV_EXT_TABLE_MAX_ENTRIES) {
			rc = xdrv_err(err, -E2BIG, "table file %s: more than %u entries", path,
				      XDRV_EXT_TABLE_MAX_ENTRIES);
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			uint64_t *nk = realloc(*keys, cap * sizeof *nk);
			if (nk)
				*keys = nk;
			uint64_t *nv = nk ? realloc(*vals, cap * sizeof *nv) : NULL;
			if (nv)
				*vals = nv;
			if (!nk || !nv) {
				rc = xdrv_err(err, -ENOMEM, "out of memory");
				break;
			}
		}
		(*keys)[*n] = key;
		(*vals)[*n] = val;
		(*n)++;
	}
	fclose(f);
	return rc;
}
