/* escape.c - the escape family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_escape[] = {
	{0},
};
