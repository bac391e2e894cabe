/* report_util.h - what the writers share: lookups in a results document,
 * its columns and families, short labels, and escaping for Markdown, HTML
 * and XML. */
#ifndef PARITY_REPORT_UTIL_H
#define PARITY_REPORT_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* A string member, "" when missing. */
const char *rs(json_t *o, const char *key);
long long ri(json_t *o, const char *key);

/* One column of the matrix: a profile at a requested ABI (abi_index -1:
 * the control, which has no ABI). */
struct rcol {
	const char *profile;
	long abi_index;
	json_t *abi; /* run.abis[abi_index], or NULL */
};
/* The columns: the control, then each other profile x each ABI. Returns
 * how many (at most max). */
size_t report_columns(json_t *r, struct rcol *cols, size_t max);
/* "ABI 7", with " (kernel)" or " (emulated)" when `long_form`. */
void report_abi_label(json_t *abi, bool long_form, char *buf, size_t len);

/* The cell of an attack in a column, or NULL. */
json_t *report_cell(json_t *r, const char *attack, const struct rcol *c);
/* The parity row of an attack, profile and requested ABI, or NULL. */
json_t *report_row(json_t *r, const char *attack, const char *profile, json_t *abi);
/* The parity row whose profile cell is this cell, or NULL. */
json_t *report_row_of_cell(json_t *r, json_t *cell);

/* Families in registry order that have attacks in this run; the attacks
 * of one family in run order. */
size_t report_families(json_t *r, const char **names, size_t max);
size_t report_family_attacks(json_t *r, const char *family, const char **ids, size_t max);
/* Title of an attack (from its cells). */
const char *report_attack_title(json_t *r, const char *attack);

/* The expectation outcome of a cell or row: "match", "regression", ... */
const char *report_outcome(json_t *item);
/* A one-character mark for an outcome: "!" regression, "+" improvement,
 * "~" changed, "" otherwise. */
const char *report_outcome_mark(const char *outcome);

/* Header facts: "6.18.44 (Landlock ABI 7, errata 0x7)". */
void report_kernel_line(json_t *r, char *buf, size_t len);

/* Escaping. */
void md_text(FILE *f, const char *s);	/* table-safe: | and < escaped, newlines to spaces */
void html_text(FILE *f, const char *s); /* & < > " ' */
void xml_text(FILE *f, const char *s);	/* as html, and no control characters */

#endif
