/* registry.c - the list of attack tables, one per family file. */
#include <string.h>

#include "attack.h"
#include "families.h"

static const struct attack *const tables[] = {
    attacks_tcp,    attacks_udp,    attacks_dns,    attacks_abstract,
    attacks_signal, attacks_escape, attacks_notify,
};

static const char *const family_names[FAM_COUNT] = {"tcp",    "udp",	"dns",	 "abstract",
						    "signal", "escape", "notify"};
static const char *const family_titles[FAM_COUNT] = {
    "TCP proxy bypass",
    "UDP exfiltration",
    "DNS tunnelling",
    "Abstract unix sockets",
    "Signals to the supervisor side",
    "Escape extras",
    "Attacks on seccomp user-notification mediation"};

const char *attack_family_name(enum attack_family f)
{
	return f < FAM_COUNT ? family_names[f] : "?";
}

const char *attack_family_title(enum attack_family f)
{
	return f < FAM_COUNT ? family_titles[f] : "?";
}

int attack_family_parse(const char *s, enum attack_family *f)
{
	for (int i = 0; i < FAM_COUNT; i++) {
		if (strcmp(s, family_names[i]) == 0) {
			*f = (enum attack_family)i;
			return 0;
		}
	}
	return -1;
}

size_t attack_count(void)
{
	size_t n = 0;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct attack *a = tables[t]; a->id; a++)
			n++;
	return n;
}

const struct attack *attack_at(size_t i)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct attack *a = tables[t]; a->id; a++)
			if (i-- == 0)
				return a;
	return NULL;
}

const struct attack *attack_find(const char *id)
{
	for (size_t i = 0, n = attack_count(); i < n; i++) {
		const struct attack *a = attack_at(i);
		if (strcmp(a->id, id) == 0)
			return a;
	}
	return NULL;
}
