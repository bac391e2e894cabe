/* attack_docs.h - documentation generated from the registry, so the pages
 * cannot drift from the code: docs/attacks/README.md (index) and one page
 * per family. A unit test regenerates them and compares with the committed
 * files. */
#ifndef PARITY_ATTACK_DOCS_H
#define PARITY_ATTACK_DOCS_H

#include <stdio.h>

#include "attack.h"
#include "err.h"

void attack_doc_write(FILE *f, const struct attack *a);
/* The page of one family (Markdown). */
void attack_docs_family(FILE *f, enum attack_family fam);
void attack_docs_index(FILE *f);
int attack_docs_write_dir(const char *dir, struct perr *e);

#endif
