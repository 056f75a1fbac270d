// SPDX-License-Identifier: MIT
/*
 * Synchronous requests of the block and SCSI classes (runtime_priv.h, struct ldr_sreq): the
 * pending list, the bounce buffers (pooled per list), completion, and abandoning a request the
 * driver did not complete in time. What a request carries and how it is reported is the class's
 * business (runtime_block.c, runtime_scsi.c).
 */
#include "runtime_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void sreq_destroy(struct ldr_sreq *r)
{
	free(r->bounce);
	free(r);
}

void *ldr_sreq_alloc(struct ldr_sreq_list *l, size_t size, uint64_t len)
{
	struct ldr_sreq *r = NULL;
	uint32_t best = UINT32_MAX; /* the smallest pooled buffer that fits */
	for (uint32_t i = 0; i < l->pool_n; i++)
		if (l->pool[i]->size == size && l->pool[i]->bounce_cap >= len &&
		    (best == UINT32_MAX || l->pool[i]->bounce_cap < l->pool[best]->bounce_cap))
			best = i;
	if (best != UINT32_MAX) {
		r = l->pool[best];
		l->pool[best] = l->pool[--l->pool_n];
		l->pool_bytes -= r->bounce_cap;
	}
	if (r) {
		uint8_t *bounce = r->bounce;
		uint64_t cap = r->bounce_cap;
		memset(r, 0, size);
		r->bounce = bounce;
		r->bounce_cap = cap;
		r->size = size;
		return r;
	}
	r = calloc(1, size);
	if (r && len && !(r->bounce = calloc(1, len))) {
		free(r);
		return NULL;
	}
	if (r) {
		r->bounce_cap = len;
		r->size = size;
	}
	return r;
}

void ldr_sreq_free(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	if (!r)
		return;
	if (l->pool_n < LDR_SREQ_POOL && r->bounce_cap <= LDR_SREQ_POOL_MAX - l->pool_bytes) {
		l->pool[l->pool_n++] = r;
		l->pool_bytes += r->bounce_cap;
		return;
	}
	sreq_destroy(r);
}

void ldr_sreq_pool_drain(struct ldr_sreq_list *l)
{
	while (l->pool_n)
		sreq_destroy(l->pool[--l->pool_n]);
	l->pool_bytes = 0;
}

void ldr_sreq_push(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	r->next = l->head;
	l->head = r;
}

void ldr_sreq_unlink(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	for (struct ldr_sreq **pp = &l->head; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
}

struct ldr_sreq *ldr_sreq_find(const struct ldr_sreq_list *l, const void *view, size_t offset)
{
	struct ldr_sreq *r = l->head;
	while (r && (const char *)r + offset != (const char *)view)
		r = r->next;
	return r;
}

void ldr_sreq_finish(struct ldr_sreq_list *l, struct ldr_sreq *r)
{
	ldr_sreq_unlink(l, r);
	r->done = true;
	l->completions++;
	l->any_done = true;
	if (r->abandoned)
		ldr_sreq_free(l, r);
}

int ldr_sreq_wait(struct ldr_driver *drv, struct ldr_sreq *r, uint64_t timeout_ns)
{
	if (ldr_wait_done(drv, &r->done, timeout_ns) == 0)
		return 0;
	r->abandoned = true; /* freed when the driver completes it, or at shutdown */
	return -ETIMEDOUT;
}
