// SPDX-License-Identifier: MIT
/*
 * Did-you-mean for command lines: the candidate closest to a mistyped word by Levenshtein
 * distance (insertions, deletions, substitutions), if it is close enough to be what the user
 * meant. Used for unknown subcommands and options; knows nothing about any command.
 */
#include "xdrv/util.h"

#include <string.h>

/* Longer words are not commands or options; comparing them is not worth a larger buffer. */
#define SUGGEST_MAX_LEN 64

/* Edit distance of a and b (each at most SUGGEST_MAX_LEN bytes), one row of the table at a
 * time. */
static size_t levenshtein(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[SUGGEST_MAX_LEN + 1];
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0]; /* row[i-1][j-1] */
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j]; /* row[i-1][j] */
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

const char *xdrv_suggest(const char *word, const char *const *candidates, size_t n)
{
	if (!word || !candidates)
		return NULL;
	size_t nw = strlen(word), best_d = SIZE_MAX;
	const char *best = NULL;
	if (nw == 0 || nw > SUGGEST_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *c = candidates[i];
		size_t nc = c ? strlen(c) : 0;
		if (nc == 0 || nc > SUGGEST_MAX_LEN)
			continue;
		size_t d = levenshtein(word, nw, c, nc);
		if (d < best_d) { /* ties: the earlier candidate */
			best_d = d;
			best = c;
		}
	}
	/* at most two edits, and fewer edits than the word has letters: "x" is not a typo of "ls"
	 */
	return best && best_d <= 2 && best_d < nw ? best : NULL;
}
