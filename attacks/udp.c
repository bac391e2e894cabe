/* udp.c - the udp family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_udp[] = {
	{0},
};
