/* dns.c - the dns family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_dns[] = {
	{0},
};
