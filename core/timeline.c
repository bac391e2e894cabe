/* timeline.c - see timeline.h. Compiled to nothing without PARITY_TIMELINE. */
#include "timeline.h"

#ifdef PARITY_TIMELINE
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define TIMELINE_MAX 512

struct timeline_point {
	uint64_t ns;
	const char *what;
	char role[16];
};

struct timeline_page {
	_Atomic int n;
	struct timeline_point p[TIMELINE_MAX];
};

static struct timeline_page *page;
static const char *out_path;

void timeline_init(void)
{
	const char *out = getenv("PARITY_TIMELINE_OUT");
	void *m;

	if (!out || !*out)
		return;
	m = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	page = m;
	out_path = out;
}

void timeline_mark(const char *what)
{
	struct timespec ts;
	int i;

	if (!page)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	i = atomic_fetch_add(&page->n, 1);
	if (i >= TIMELINE_MAX)
		return;
	page->p[i].ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	page->p[i].what = what;
	prctl(PR_GET_NAME, page->p[i].role, 0, 0, 0);
}

static int by_time(const void *a, const void *b)
{
	const struct timeline_point *x = a, *y = b;
	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

void timeline_dump(void)
{
	int n, fd;
	FILE *f;

	if (!page)
		return;
	n = atomic_load(&page->n);
	if (n > TIMELINE_MAX)
		n = TIMELINE_MAX;
	qsort(page->p, (size_t)n, sizeof(page->p[0]), by_time);
	fd = open(out_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (int i = 0; i < n; i++)
		fprintf(f, "%.3f %s %s\n", (double)(page->p[i].ns - page->p[0].ns) / 1e6,
			page->p[i].role[0] ? page->p[i].role : "?", page->p[i].what);
	fprintf(f, "--\n");
	fclose(f);
	atomic_store(&page->n, 0);
}
#endif
