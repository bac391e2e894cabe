/* notify.c - the notify family (see attacks/attack.h). */
#include "attack.h"

const struct attack attacks_notify[] = {
	{0},
};
