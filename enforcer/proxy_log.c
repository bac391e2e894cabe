/* proxy_log.c - JSON lines for the proxy's audit log. */
#include "proxy_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolver.h"
#include "util.h"

json_t *proxy_log_begin(const char *kind)
{
	char now[40];

	util_rfc3339(now, sizeof(now));
	return json_pack("{s:s, s:s}", "time", now, "kind", kind);
}

void proxy_log_endpoint(json_t *o, const char *prefix, const struct netaddr *a, uint16_t port)
{
	char key[64], text[NETADDR_STRLEN];

	snprintf(key, sizeof(key), "%s_addr", prefix);
	json_object_set_new(o, key,
			    a ? json_string(netaddr_str(a, text, sizeof(text))) : json_null());
	snprintf(key, sizeof(key), "%s_port", prefix);
	json_object_set_new(o, key, a ? json_integer(port) : json_null());
}

json_t *proxy_log_addrs(const struct netaddr *a, size_t n)
{
	json_t *arr = json_array();
	char text[NETADDR_STRLEN];

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(netaddr_str(&a[i], text, sizeof(text))));
	return arr;
}

void proxy_log_end(int fd, json_t *o)
{
	char *line;
	size_t len;

	if (!o)
		return;
	if (fd < 0) {
		json_decref(o);
		return;
	}
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return;
	len = strlen(line);
	/* Room for the newline is in the allocation's NUL. */
	line[len] = '\n';
	/* One write: a log file opened O_APPEND or a pipe gets whole lines. A
	 * failed write is not fatal to the relay; the auditor sees the gap. */
	ssize_t w = write(fd, line, len + 1);
	(void)w;
	free(line);
}

void proxy_log_dns_query(json_t *o, const struct dns_query *q, const char *result,
			 const struct dns_answer *a)
{
	json_object_set_new(o, "resolver", json_string("dns"));
	json_object_set_new(o, "qname", json_string(q->name));
	json_object_set_new(o, "qtype", json_string(dns_type_name(q->qtype)));
	proxy_log_endpoint(o, "local", &q->local, q->local_port);
	proxy_log_endpoint(o, "remote", &q->server, q->server_port);
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "answers", proxy_log_addrs(a ? a->addrs : NULL, a ? a->n : 0));
	json_object_set_new(o, "sends", json_integer(q->sends));
}
