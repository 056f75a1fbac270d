// SPDX-License-Identifier: MIT
/*
 * The small "key=value,key=value" config-string parser that device models and wire kinds use
 * for their options (hvb_priv.h), and disk sizes ("64M", hvb_disk_parse_size) for the disk
 * backends. Pure string work: no device, no registry.
 */
#include "hvb_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xdrv/hvb_disk.h>
#include <xdrv/util.h>

int hvb_config_next(const char *config, size_t *pos, char *key, size_t keycap, char *val,
		    size_t valcap, char **err)
{
	if (!config)
		return 0;
	const char *p = config + *pos;
	while (*p == ',')
		p++;
	if (!*p)
		return 0;
	size_t item = strcspn(p, ",");
	const char *eq = memchr(p, '=', item);
	if (!eq || eq == p)
		return xdrv_err(err, -EINVAL, "config item '%.*s': expected key=value", (int)item,
				p);
	size_t klen = (size_t)(eq - p), vlen = item - klen - 1;
	if (klen >= keycap || vlen >= valcap)
		return xdrv_err(err, -EINVAL, "config item '%.*s': too long", (int)item, p);
	memcpy(key, p, klen);
	key[klen] = '\0';
	memcpy(val, eq + 1, vlen);
	val[vlen] = '\0';
	*pos = (size_t)(p - config) + item;
	return 1;
}

int hvb_config_u64(const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!val || !isdigit((unsigned char)val[0])) /* strtoull would take space and sign */
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(val, &end, 0);
	if (errno || !end || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int hvb_config_mac(const char *val, uint8_t mac[6])
{
	if (!val || strlen(val) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = val + 3 * i;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':'))
			return -EINVAL;
		char hex[3] = {p[0], p[1], 0};
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return 0;
}

int hvb_disk_parse_size(const char *s, uint64_t *out)
{
	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !end)
		return -EINVAL;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
