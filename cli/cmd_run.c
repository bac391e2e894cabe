#include <stdio.h>
#include "commands.h"
int cmd_run(int argc, char **argv)
{
	fprintf(stderr, "parity run: being written\n");
	return 3;
}
