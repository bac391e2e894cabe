/* lazylib.c - see lazylib.h. */
#include "lazylib.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct lazy {
	const char *const *sonames;
	void *handle;
	char why[256];
	pthread_once_t once;
};

static const char *const pcap_names[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so", NULL};
static const char *const nft_names[] = {"libnftables.so.1", "libnftables.so", NULL};
static struct lazy pcap_lib = {.sonames = pcap_names, .once = PTHREAD_ONCE_INIT};
static struct lazy nft_lib = {.sonames = nft_names, .once = PTHREAD_ONCE_INIT};

static void lazy_open(struct lazy *l)
{
	for (size_t i = 0; l->sonames[i]; i++) {
		l->handle = dlopen(l->sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (l->handle)
			return;
	}
	snprintf(l->why, sizeof(l->why), "cannot load %s: %s", l->sonames[0], dlerror());
}

static void pcap_once(void)
{
	lazy_open(&pcap_lib);
}
static void nft_once(void)
{
	lazy_open(&nft_lib);
}

static void *sym(struct lazy *l, void (*once)(void), const char *name)
{
	void *p;
	pthread_once(&l->once, once);
	if (!l->handle)
		return NULL;
	p = dlsym(l->handle, name);
	if (!p)
		snprintf(l->why, sizeof(l->why), "%s: no symbol %s", l->sonames[0], name);
	return p;
}

bool lazylib_pcap_available(const char **why)
{
	pthread_once(&pcap_lib.once, pcap_once);
	if (why)
		*why = pcap_lib.handle ? "" : pcap_lib.why;
	return pcap_lib.handle != NULL;
}

bool lazylib_nft_available(const char **why)
{
	pthread_once(&nft_lib.once, nft_once);
	if (why)
		*why = nft_lib.handle ? "" : nft_lib.why;
	return nft_lib.handle != NULL;
}

/* One forwarder per function: resolve once, then call. FAIL is what the
 * function returns when the library is missing. */
#define FWD(lib, once, ret, name, FAIL, params, args)                                              \
	ret name params                                                                            \
	{                                                                                          \
		static ret(*fn) params;                                                            \
		if (!fn)                                                                           \
			fn = (ret(*) params)sym(&lib, once, #name);                                \
		if (!fn)                                                                           \
			return FAIL;                                                               \
		return fn args;                                                                    \
	}
#define FWD_VOID(lib, once, name, params, args)                                                    \
	void name params                                                                           \
	{                                                                                          \
		static void(*fn) params;                                                           \
		if (!fn)                                                                           \
			fn = (void(*) params)sym(&lib, once, #name);                               \
		if (fn)                                                                            \
			fn args;                                                                   \
	}

/* clang-format off */
#define P(ret, name, FAIL, params, args) FWD(pcap_lib, pcap_once, ret, name, FAIL, params, args)

/* pcap_create and pcap_open_* fill errbuf, so a missing library says so. */
pcap_t *pcap_create(const char *dev, char *errbuf)
{
	static pcap_t *(*fn)(const char *, char *);
	if (!fn)
		fn = (pcap_t * (*)(const char *, char *)) sym(&pcap_lib, pcap_once, "pcap_create");
	if (!fn) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_lib.why);
		return NULL;
	}
	return fn(dev, errbuf);
}
pcap_t *pcap_open_offline_with_tstamp_precision(const char *f, u_int p, char *errbuf)
{
	static pcap_t *(*fn)(const char *, u_int, char *);
	if (!fn)
		fn = (pcap_t * (*)(const char *, u_int, char *))
			sym(&pcap_lib, pcap_once, "pcap_open_offline_with_tstamp_precision");
	if (!fn) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_lib.why);
		return NULL;
	}
	return fn(f, p, errbuf);
}
P(pcap_t *, pcap_open_dead_with_tstamp_precision, NULL, (int l, int s, u_int p), (l, s, p))
P(int, pcap_set_snaplen, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_set_promisc, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_set_timeout, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_set_immediate_mode, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_set_buffer_size, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_set_tstamp_precision, PCAP_ERROR, (pcap_t *p, int v), (p, v))
P(int, pcap_get_tstamp_precision, PCAP_ERROR, (pcap_t *p), (p))
P(int, pcap_activate, PCAP_ERROR, (pcap_t *p), (p))
P(int, pcap_dispatch, PCAP_ERROR, (pcap_t *p, int c, pcap_handler h, u_char *u), (p, c, h, u))
P(int, pcap_next_ex, PCAP_ERROR, (pcap_t *p, struct pcap_pkthdr **h, const u_char **d), (p, h, d))
P(int, pcap_stats, PCAP_ERROR, (pcap_t *p, struct pcap_stat *s), (p, s))
P(int, pcap_setnonblock, PCAP_ERROR, (pcap_t *p, int n, char *e), (p, n, e))
P(char *, pcap_geterr, pcap_lib.why, (pcap_t *p), (p))
P(const char *, pcap_statustostr, pcap_lib.why, (int s), (s))
P(int, pcap_datalink, PCAP_ERROR, (pcap_t *p), (p))
P(int, pcap_snapshot, PCAP_ERROR, (pcap_t *p), (p))
P(int, pcap_get_selectable_fd, PCAP_ERROR, (pcap_t *p), (p))
P(pcap_dumper_t *, pcap_dump_open, NULL, (pcap_t *p, const char *f), (p, f))
P(pcap_dumper_t *, pcap_dump_fopen, NULL, (pcap_t *p, FILE *f), (p, f))
P(int, pcap_dump_flush, PCAP_ERROR, (pcap_dumper_t *d), (d))
FWD_VOID(pcap_lib, pcap_once, pcap_close, (pcap_t *p), (p))
FWD_VOID(pcap_lib, pcap_once, pcap_dump_close, (pcap_dumper_t *d), (d))
FWD_VOID(pcap_lib, pcap_once, pcap_dump, (u_char *u, const struct pcap_pkthdr *h, const u_char *d), (u, h, d))

#define N(ret, name, FAIL, params, args) FWD(nft_lib, nft_once, ret, name, FAIL, params, args)
N(struct nft_ctx *, nft_ctx_new, NULL, (uint32_t flags), (flags))
N(int, nft_ctx_buffer_output, -1, (struct nft_ctx *c), (c))
N(int, nft_ctx_buffer_error, -1, (struct nft_ctx *c), (c))
N(const char *, nft_ctx_get_output_buffer, "", (struct nft_ctx *c), (c))
N(const char *, nft_ctx_get_error_buffer, nft_lib.why, (struct nft_ctx *c), (c))
N(int, nft_run_cmd_from_buffer, -1, (struct nft_ctx *c, const char *b), (c, b))
FWD_VOID(nft_lib, nft_once, nft_ctx_free, (struct nft_ctx *c), (c))
/* clang-format on */
