/* escape_fds.h - E11's run function, for escape.c's table. */
#ifndef PARITY_ESCAPE_FDS_H
#define PARITY_ESCAPE_FDS_H

#include "attack.h"

int escape_inherited_fds(const struct attack_env *env, struct attack_log *log);

#endif
