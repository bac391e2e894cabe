#include <stdio.h>
#include "commands.h"
int cmd_probe(int argc, char **argv)
{
	fprintf(stderr, "parity probe: being written\n");
	return 3;
}
