/* timeline.h - where a start's time goes, step by step (bench/timeline.sh).
 *
 * Built only with `meson configure -Dtimeline=true`: then every process of
 * a start stamps named points (CLOCK_MONOTONIC, its pid and its role's
 * name) into one shared page that `parity run` maps before its first fork,
 * when PARITY_TIMELINE_OUT names a file, and appends them there at its
 * exit. Otherwise TL() and the functions are nothing: a normal build has
 * no trace of it.
 *
 *   timeline_init()   in main(): map the page (PARITY_TIMELINE_OUT set)
 *   TL("what")        a point; what is a string literal (its pointer is
 *                     kept, valid in every forked process until exec)
 *   timeline_dump()   in the process that mapped it, once every other has
 *                     exited: "MS ROLE WHAT" lines sorted by time (ms
 *                     from the first point), then "--" */
#ifndef PARITY_TIMELINE_H
#define PARITY_TIMELINE_H

#ifdef PARITY_TIMELINE
void timeline_init(void);
void timeline_mark(const char *what);
void timeline_dump(void);
#define TL(what) timeline_mark(what)
#else
#define TL(what) ((void)0)
static inline void timeline_init(void)
{
}
static inline void timeline_dump(void)
{
}
#endif

#endif
