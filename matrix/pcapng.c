/* pcapng.c - minimal pcapng writer (see pcapng.h). */
#include "pcapng.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BOM 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2

struct pcapng_writer {
	FILE *f;
	char *path, *tmp;
	uint32_t nif;
	uint8_t *buf; /* scratch for one block */
	size_t cap;
	char iobuf[1 << 16];
};

static inline size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* A block is built in w->buf then written in one fwrite. */
struct blk {
	struct pcapng_writer *w;
	size_t len;
	int failed;
};

static void blk_reserve(struct blk *b, size_t more)
{
	struct pcapng_writer *w = b->w;
	if (b->len + more <= w->cap)
		return;
	size_t nc = w->cap ? w->cap : 256;
	while (nc < b->len + more)
		nc *= 2;
	uint8_t *nb = realloc(w->buf, nc);
	if (!nb) {
		b->failed = ENOMEM;
		return;
	}
	w->buf = nb;
	w->cap = nc;
}

static void blk_put(struct blk *b, const void *p, size_t n)
{
	size_t pn = pad4(n);
	blk_reserve(b, pn);
	if (b->failed)
		return;
	if (n)
		memcpy(b->w->buf + b->len, p, n);
	memset(b->w->buf + b->len + n, 0, pn - n);
	b->len += pn;
}

static void blk_u32(struct blk *b, uint32_t v)
{
	blk_put(b, &v, 4);
}

static void blk_opt(struct blk *b, uint16_t code, const void *val, size_t n)
{
	uint16_t h[2] = {code, (uint16_t)n};
	if (n > 0xffff) {
		b->failed = EMSGSIZE;
		return;
	}
	blk_put(b, h, 4);
	blk_put(b, val, n);
}

static void blk_opt_str(struct blk *b, uint16_t code, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > 0xfff0) /* an option value is at most 65535 bytes */
		n = 0xfff0;
	if (n)
		blk_opt(b, code, s, n);
}

static void blk_begin(struct blk *b, struct pcapng_writer *w, uint32_t type)
{
	b->w = w;
	b->len = 0;
	b->failed = 0;
	blk_u32(b, type);
	blk_u32(b, 0); /* total length, patched by blk_end */
}

static int blk_end(struct blk *b, bool has_opts, struct perr *e, const char *what)
{
	uint32_t total;

	if (has_opts)
		blk_opt(b, OPT_ENDOFOPT, NULL, 0);
	blk_u32(b, 0);
	if (b->failed)
		return perr_sys(e, b->failed, "pcapng: %s block", what);
	total = (uint32_t)b->len;
	memcpy(b->w->buf + 4, &total, 4);
	memcpy(b->w->buf + b->len - 4, &total, 4);
	if (fwrite(b->w->buf, 1, b->len, b->w->f) != b->len)
		return perr_sys(e, errno ? errno : EIO, "pcapng: write %s", b->w->tmp);
	return 0;
}

int pcapng_open(struct pcapng_writer **out, const char *path, const char *comment, struct perr *e)
{
	struct pcapng_writer *w = calloc(1, sizeof(*w));
	struct utsname u;
	struct blk b;
	char os[300];
	uint64_t section_len = UINT64_MAX;
	uint16_t ver[2] = {1, 0};

	*out = NULL;
	if (!w)
		return perr_sys(e, ENOMEM, "pcapng: %s", path);
	w->path = strdup(path);
	if (w->path && asprintf(&w->tmp, "%s.tmp", path) < 0)
		w->tmp = NULL;
	if (!w->path || !w->tmp) {
		pcapng_abort(w);
		return perr_sys(e, ENOMEM, "pcapng: %s", path);
	}
	/* Not fopen: the sandboxed program can write where --pcap points
	 * (/tmp), and plant a link under the .tmp name that root's write
	 * would follow. */
	{
		int fd = util_open_new(w->tmp);
		w->f = fd < 0 ? NULL : fdopen(fd, "wb");
		if (!w->f && fd >= 0)
			close(fd);
	}
	if (!w->f) {
		int err = errno;
		free(w->path);
		free(w->tmp);
		free(w);
		return perr_sys(e, err, "pcapng: create %s.tmp", path);
	}
	setvbuf(w->f, w->iobuf, _IOFBF, sizeof(w->iobuf));

	blk_begin(&b, w, BT_SHB);
	blk_u32(&b, BOM);
	blk_put(&b, ver, 4);
	blk_put(&b, &section_len, 8);
	blk_opt_str(&b, OPT_COMMENT, comment);
	if (uname(&u) == 0) {
		snprintf(os, sizeof(os), "%s %s %s", u.sysname, u.release, u.machine);
		blk_opt_str(&b, SHB_OS, os);
	}
	blk_opt_str(&b, SHB_USERAPPL, "parity capture witness");
	if (blk_end(&b, true, e, "section header") < 0) {
		pcapng_abort(w);
		return -1;
	}
	*out = w;
	return 0;
}

int pcapng_add_interface(struct pcapng_writer *w, uint16_t linktype, uint32_t snaplen,
			 const char *name, const char *description, struct perr *e)
{
	struct blk b;
	uint16_t lt[2] = {linktype, 0};
	uint8_t tsresol = 9; /* 10^-9 s */

	blk_begin(&b, w, BT_IDB);
	blk_put(&b, lt, 4);
	blk_u32(&b, snaplen);
	blk_opt_str(&b, IF_NAME, name);
	blk_opt_str(&b, IF_DESCRIPTION, description);
	blk_opt(&b, IF_TSRESOL, &tsresol, 1);
	if (blk_end(&b, true, e, "interface description") < 0)
		return -1;
	return (int)w->nif++;
}

int pcapng_write_packet(struct pcapng_writer *w, uint32_t ifid, uint64_t ts_ns, const void *data,
			uint32_t caplen, uint32_t origlen, int dir, const char *comment,
			struct perr *e)
{
	struct blk b;
	uint32_t hdr[5] = {ifid, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, caplen, origlen};
	bool opts = dir || (comment && *comment);

	if (ifid >= w->nif)
		return perr_set(e, "pcapng: packet for undeclared interface %u", ifid);
	blk_begin(&b, w, BT_EPB);
	blk_put(&b, hdr, sizeof(hdr));
	blk_put(&b, data, caplen);
	if (dir) {
		uint32_t fl = (uint32_t)dir & 3;
		blk_opt(&b, EPB_FLAGS, &fl, 4);
	}
	blk_opt_str(&b, OPT_COMMENT, comment);
	return blk_end(&b, opts, e, "enhanced packet");
}

int pcapng_close(struct pcapng_writer *w, struct perr *e)
{
	int rc = 0, err = 0;

	if (!w)
		return 0;
	if (fflush(w->f) != 0)
		err = errno;
	if (fclose(w->f) != 0 && !err)
		err = errno;
	w->f = NULL;
	if (err) {
		rc = perr_sys(e, err, "pcapng: write %s", w->tmp);
		unlink(w->tmp);
	} else if (rename(w->tmp, w->path) < 0) {
		rc = perr_sys(e, errno, "pcapng: rename %s to %s", w->tmp, w->path);
		unlink(w->tmp);
	}
	free(w->buf);
	free(w->path);
	free(w->tmp);
	free(w);
	return rc;
}

void pcapng_abort(struct pcapng_writer *w)
{
	if (!w)
		return;
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp);
	}
	free(w->buf);
	free(w->path);
	free(w->tmp);
	free(w);
}
