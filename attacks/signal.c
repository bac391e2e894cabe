/* signal.c - the signal family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_signal[] = {
	{0},
};
