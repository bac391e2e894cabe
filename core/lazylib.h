/* lazylib.h - libpcap and libnftables, loaded on first use.
 *
 * Every exec of parity (each `parity run`, and every attack started inside a
 * sandbox with `parity __attack`) used to map libpcap's D-Bus/systemd/gcrypt
 * chain and libnftables' nftnl/xtables/gmp chain, about 1.5 ms before main()
 * on this machine, although only the lab's capture and namespace mode use
 * them. core/lazylib.c defines the libpcap and libnftables functions parity
 * calls, with the libraries' own prototypes (their headers, found through
 * pkg-config, are included there), and forwards each call to the library
 * dlopen()ed on the first one. If a library cannot be loaded, the calls fail
 * the way the library reports failure (NULL, -1, an error text naming the
 * missing library), never silently.
 */
#ifndef PARITY_LAZYLIB_H
#define PARITY_LAZYLIB_H

#include <stdbool.h>

/* Load now (tests and `parity probe` report what is missing). */
bool lazylib_pcap_available(const char **why);
bool lazylib_nft_available(const char **why);

#endif
