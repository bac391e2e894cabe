/* json_mutate.h - a structure-aware JSON mutator for the fuzz tests
 * (test_config_fuzz.c, test_report.c): deterministic, so a failure
 * reproduces from the seed. */
#ifndef PARITY_TEST_JSON_MUTATE_H
#define PARITY_TEST_JSON_MUTATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* xorshift64; json_mutate_seed() restarts the sequence. */
uint32_t json_mutate_rand(void);
void json_mutate_seed(uint64_t seed);

/* Mutate 1..max_mutations nodes of j in place: a node deleted, replaced by a
 * value of another type or range (negative, 2^31, 2^40, a 4 KiB string, a
 * path escaping ${exe_dir}, an empty container...), a list grown past any
 * limit, an array item duplicated, or an unknown key "x_unknown" added.
 * With max_items > 0 only the first max_items items of each array are
 * candidates (large documents: keeps the mutations near the structure). */
void json_mutate(json_t *j, int max_mutations, size_t max_items);

/* PARITY_FUZZ_ITERS when set, else dflt. */
long json_mutate_iters(long dflt);

#endif
