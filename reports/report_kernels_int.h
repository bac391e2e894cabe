/* report_kernels_int.h - internals shared by the kernel compatibility
 * report's files (not a public interface; reports.h declares the report).
 *
 *   report_kernels.c         loading the folders, computing kernel-compat.json,
 *                            writing the output folders
 *   report_kernels_md.c      kernel-compat.md from that model
 *   report_kernels_merged.c  the merged cells.tsv and junit.xml
 */
#ifndef PARITY_REPORT_KERNELS_INT_H
#define PARITY_REPORT_KERNELS_INT_H

#include <jansson.h>
#include <stdbool.h>

/* Does the array of strings `a` hold `s`. */
bool compat_has_string(json_t *a, const char *s);
/* A kernel entry's name (kernels[].name). */
const char *compat_kernel_name(json_t *k);

#endif
