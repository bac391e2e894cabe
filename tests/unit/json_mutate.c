/* json_mutate.c - see json_mutate.h. */
#include "json_mutate.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

uint32_t json_mutate_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

void json_mutate_seed(uint64_t seed)
{
	rng = seed ? seed : 0x2545f4914f6cdd1dull;
}

long json_mutate_iters(long dflt)
{
	const char *env = getenv("PARITY_FUZZ_ITERS");
	long n = dflt;

	if (env)
		util_parse_long(env, 1, 1000000000, &n);
	return n;
}

/* A value of another type or outside the usual range. */
static json_t *odd_value(void)
{
	static char big[4097];

	switch (json_mutate_rand() % 14) {
	case 0:
		return json_null();
	case 1:
		return json_true();
	case 2:
		return json_integer(-1);
	case 3:
		return json_integer(0);
	case 4:
		return json_integer((json_int_t)1 << 40);
	case 5:
		return json_integer(65536);
	case 6:
		return json_integer(2147483648LL);
	case 7:
		return json_real(1.5);
	case 8:
		return json_string("");
	case 9:
		memset(big, 'A', sizeof(big) - 1);
		return json_string(big);
	case 10:
		return json_array();
	case 11:
		return json_object();
	case 12:
		return json_string("${exe_dir}/../../../../etc");
	default:
		return json_string("AF_INET");
	}
}

static size_t count_nodes(json_t *j, size_t max_items)
{
	size_t n = 1;
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach (j, k, v)
			n += count_nodes(v, max_items);
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v) {
			if (max_items && i >= max_items)
				break;
			n += count_nodes(v, max_items);
		}
	}
	return n;
}

/* Mutate the *nth node below j (pre-order). Returns 1 once done. */
static int mutate_nth(json_t *j, size_t *nth, size_t max_items)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, k, v)
		{
			if ((*nth)-- == 0) {
				switch (json_mutate_rand() % 4) {
				case 0:
					json_object_del(j, k);
					break;
				case 1:
					json_object_set_new(j, k, odd_value());
					break;
				case 2:
					json_object_set(j, "x_unknown", v);
					break;
				default:
					if (json_is_array(v) && json_array_size(v))
						json_array_append(
						    v, json_array_get(v, json_mutate_rand() %
									     json_array_size(v)));
					else
						json_object_set_new(j, k, odd_value());
				}
				return 1;
			}
			if (mutate_nth(v, nth, max_items))
				return 1;
		}
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v) {
			if (max_items && i >= max_items)
				break;
			if ((*nth)-- == 0) {
				switch (json_mutate_rand() % 3) {
				case 0:
					json_array_remove(j, i);
					break;
				case 1:
					json_array_set_new(j, i, odd_value());
					break;
				default: /* a list grown past any limit */
					for (int r = 0; r < 70; r++)
						json_array_append(j, v);
				}
				return 1;
			}
			if (mutate_nth(v, nth, max_items))
				return 1;
		}
	}
	return 0;
}

void json_mutate(json_t *j, int max_mutations, size_t max_items)
{
	int muts =
	    1 + (int)(json_mutate_rand() % (unsigned)(max_mutations > 0 ? max_mutations : 1));

	for (int m = 0; m < muts; m++) {
		size_t nth = json_mutate_rand() % count_nodes(j, max_items);
		mutate_nth(j, &nth, max_items);
	}
}
