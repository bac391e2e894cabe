/* abstract.c - the abstract family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_abstract[] = {
	{0},
};
