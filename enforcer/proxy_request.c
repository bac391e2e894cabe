/* proxy_request.c - CONNECT request parsing and HTTP responses. */
#include "proxy_request.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum req_result fail(struct connect_request *r, int status, const char *why)
{
	r->status = status;
	r->error = why;
	return REQ_ERROR;
}

/* authority-form "host:port" / "[v6]:port". */
static enum req_result parse_target(const char *t, size_t len, struct connect_request *r)
{
	const char *host, *colon;
	size_t hlen;

	if (len == 0)
		return fail(r, 400, "missing CONNECT target");
	if (t[0] == '[') {
		const char *close = memchr(t, ']', len);
		if (!close)
			return fail(r, 400, "unterminated IPv6 literal in CONNECT target");
		host = t + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		if (colon >= t + len || *colon != ':')
			return fail(r, 400, "CONNECT target has no port");
	} else {
		colon = NULL;
		for (size_t i = len; i-- > 0;)
			if (t[i] == ':') {
				colon = t + i;
				break;
			}
		if (!colon)
			return fail(r, 400, "CONNECT target has no port");
		host = t;
		hlen = (size_t)(colon - t);
		if (memchr(host, ':', hlen))
			return fail(r, 400, "IPv6 literal in CONNECT target needs brackets");
	}
	if (netaddr_parse_port(colon + 1, (size_t)(t + len - colon - 1), &r->port) != 0)
		return fail(r, 400, "CONNECT target port is not a number in 1..65535");
	if (hlen == 0 || hlen >= sizeof(r->host))
		return fail(r, 400, "CONNECT target host is empty or too long");
	memcpy(r->host, host, hlen);
	r->host[hlen] = 0;
	if (memchr(host, 0, hlen))
		return fail(r, 400, "NUL byte in CONNECT target");
	if (t[0] == '[') {
		if (netaddr_parse(r->host, &r->ip) != 0 || r->ip.family != AF_INET6)
			return fail(r, 400, "bad IPv6 literal in CONNECT target");
		r->is_ip = true;
		snprintf(r->target, sizeof(r->target), "[%s]:%u", r->host, r->port);
		return REQ_CONNECT;
	}
	if (netaddr_parse(r->host, &r->ip) == 0) {
		r->is_ip = true;
	} else {
		if (!policy_valid_hostname(r->host))
			return fail(r, 400, "CONNECT target host is not a valid host name");
		for (char *p = r->host; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	snprintf(r->target, sizeof(r->target), "%s:%u", r->host, r->port);
	return REQ_CONNECT;
}

static enum req_result parse_request_line(const char *l, size_t len, struct connect_request *r)
{
	const char *sp1 = memchr(l, ' ', len), *sp2, *ver;
	size_t mlen, vlen;

	if (!sp1)
		return fail(r, 400, "malformed request line");
	sp2 = memchr(sp1 + 1, ' ', (size_t)(l + len - sp1 - 1));
	if (!sp2)
		return fail(r, 400, "malformed request line");
	mlen = (size_t)(sp1 - l);
	ver = sp2 + 1;
	vlen = (size_t)(l + len - ver);
	if (mlen == 0)
		return fail(r, 400, "malformed request line");
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(r, 400, "malformed request method");
	if (!(vlen == 8 && (memcmp(ver, "HTTP/1.1", 8) == 0 || memcmp(ver, "HTTP/1.0", 8) == 0)))
		return fail(r, 400, "unsupported HTTP version");
	if (!(mlen == 7 && memcmp(l, "CONNECT", 7) == 0))
		return fail(r, 405, "only CONNECT is supported by this proxy");
	return parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), r);
}

static enum req_result check_header_line(const char *l, size_t len, struct connect_request *r)
{
	const char *colon = memchr(l, ':', len);

	if (l[0] == ' ' || l[0] == '\t')
		return fail(r, 400, "obsolete header line folding");
	if (!colon || colon == l)
		return fail(r, 400, "malformed header line");
	for (const char *p = l; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(r, 400, "malformed header name");
	for (const char *p = colon + 1; p < l + len; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(r, 400, "control character in header value");
	}
	return REQ_CONNECT;
}

enum req_result proxy_request_parse(const char *buf, size_t len, struct connect_request *r)
{
	size_t line_start = 0, end = 0, nlines = 0;
	bool found = false;

	memset(r, 0, sizeof(*r));
	/* Find the blank line that ends the header block (CRLF or bare LF). */
	for (size_t i = 0; i < len && i < PROXY_MAX_HEADER; i++) {
		if (buf[i] != '\n')
			continue;
		size_t llen = i - line_start;
		if (llen > 0 && buf[i - 1] == '\r')
			llen--;
		if (llen == 0 && nlines > 0) {
			end = i + 1;
			found = true;
			break;
		}
		nlines++;
		line_start = i + 1;
	}
	if (!found)
		return len >= PROXY_MAX_HEADER ? fail(r, 431, "request headers exceed 8192 bytes")
					       : REQ_INCOMPLETE;

	/* Validate each line: request line first, then headers. */
	line_start = 0;
	for (size_t n = 0; n < nlines; n++) {
		const char *l = buf + line_start;
		const char *nl = memchr(l, '\n', end - line_start);
		size_t llen = (size_t)(nl - l);
		enum req_result rc;
		if (llen > 0 && l[llen - 1] == '\r')
			llen--;
		if (memchr(l, 0, llen))
			return fail(r, 400, "NUL byte in request");
		if (memchr(l, '\r', llen))
			return fail(r, 400, "stray CR in request");
		if (llen == 0)
			return fail(r, 400, "empty request line");
		rc = n == 0 ? parse_request_line(l, llen, r) : check_header_line(l, llen, r);
		if (rc == REQ_ERROR)
			return rc;
		line_start = (size_t)(nl - buf) + 1;
	}
	r->header_len = end;
	return REQ_CONNECT;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "Connection Established";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "Error";
}

int proxy_response(int status, const char *error, const char *detail, char *buf, size_t len)
{
	json_t *o = json_pack("{s:s, s:s}", "error", error, "detail", detail);
	char *body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int n = -1;

	if (body)
		n = snprintf(buf, len,
			     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
			     status, status_text(status), strlen(body),
			     status == 405 ? "Allow: CONNECT\r\n" : "", body);
	free(body);
	json_decref(o);
	return n < 0 || (size_t)n >= len ? -1 : n;
}
