/* families.h - one table per family file, each terminated by {0}. */
#ifndef PARITY_FAMILIES_H
#define PARITY_FAMILIES_H

#include "attack.h"

extern const struct attack attacks_tcp[];
extern const struct attack attacks_udp[];
extern const struct attack attacks_dns[];
extern const struct attack attacks_abstract[];
extern const struct attack attacks_signal[];
extern const struct attack attacks_escape[];
extern const struct attack attacks_notify[];

#endif
