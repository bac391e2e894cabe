/* unit.h - CUnit glue. Each test program defines
 *     void unit_register(void);
 * which adds its suites with UNIT_SUITE()/UNIT_TEST(); unit_main.c runs them
 * and exits non-zero on any failure. Unit tests need no root. */
#ifndef PARITY_UNIT_H
#define PARITY_UNIT_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

void unit_register(void);

#define UNIT_SUITE(name) CU_pSuite unit_suite_ = CU_add_suite(name, NULL, NULL)
#define UNIT_TEST(fn) CU_add_test(unit_suite_, #fn, fn)

/* Directory of the source tree (for fixtures), from meson. */
#ifndef PARITY_SOURCE_ROOT
#define PARITY_SOURCE_ROOT "."
#endif

#endif
