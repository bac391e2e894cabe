/* proxy_request.h - the proxy's HTTP side: parsing a CONNECT request from
 * the bytes read so far, and the responses it sends.
 *
 * proxy_request_parse() is stateless: call it with everything received so
 * far. It never reads past `len`, accepts any bytes (NUL included) and
 * answers one of: need more, a CONNECT target, or an HTTP error status:
 *   400  malformed request line, header, target or port
 *   405  a method other than CONNECT (this proxy does not forward plain
 *        http:// requests; the reference does, see docs/proxy.md)
 *   431  no end of headers within PROXY_MAX_HEADER bytes
 */
#ifndef PARITY_PROXY_REQUEST_H
#define PARITY_PROXY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

/* The reference's limit on request header bytes (request line, headers and
 * the blank line). */
#define PROXY_MAX_HEADER 8192

enum req_result {
	REQ_INCOMPLETE = 0,
	REQ_CONNECT = 1,
	REQ_ERROR = -1,
};

struct connect_request {
	char host[256]; /* lowercase name, or IP literal without brackets */
	bool is_ip;
	struct netaddr ip; /* when is_ip */
	uint16_t port;
	char target[300];  /* "host:port" / "[v6]:port", as shown in bodies and logs */
	size_t header_len; /* bytes up to and including the blank line */
	int status;	   /* REQ_ERROR: 400, 405 or 431 */
	const char *error; /* REQ_ERROR: static detail for the body and the log */
};

enum req_result proxy_request_parse(const char *buf, size_t len, struct connect_request *r);

/* Format a complete response with a JSON body {"error":..,"detail":..},
 * Content-Type: application/json and Connection: close. Returns the length
 * written (truncation never happens for bodies under ~3 KiB), or -1. */
int proxy_response(int status, const char *error, const char *detail, char *buf, size_t len);

#define PROXY_ESTABLISHED "HTTP/1.1 200 Connection Established\r\n\r\n"

#endif
