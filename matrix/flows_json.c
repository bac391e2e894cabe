/* flows_json.c - the capture witness's verdict as JSON for the results
 * file (shape in flows.h). */
#include "flows.h"

#include <netinet/in.h>

#include "packet.h"

const char *capture_class_name(enum capture_class c)
{
	switch (c) {
	case CAPTURE_PROXIED:
		return "proxied";
	case CAPTURE_DIRECT:
		return "direct";
	case CAPTURE_LOCAL:
		return "local";
	case CAPTURE_INBOUND:
		return "inbound";
	}
	return "?";
}

json_t *capture_flow_json(const struct capture_flow *f)
{
	char pb[32], fl[16];
	json_t *o = json_object(), *why = json_array();

	if (f->why & CAPTURE_WHY_DIRECT)
		json_array_append_new(why, json_string("direct-egress"));
	if (f->why & CAPTURE_WHY_MARKER)
		json_array_append_new(why, json_string("marker"));
	if (f->why & CAPTURE_WHY_INBOUND_DATA)
		json_array_append_new(why, json_string("inbound-data"));
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "class", json_string(capture_class_name(f->cls)));
	json_object_set_new(o, "proto",
			    json_string(pkt_proto_json(f->proto, f->ip, pb, sizeof(pb))));
	if (f->ip)
		json_object_set_new(o, "ipver", json_integer(f->ipver));
	else
		json_object_set_new(o, "ethertype", json_integer(f->ethertype));
	json_object_set_new(o, "src", json_string(f->src));
	json_object_set_new(o, "sport", json_integer(f->sport));
	json_object_set_new(o, "dst", json_string(f->dst));
	json_object_set_new(o, "dport", json_integer(f->dport));
	json_object_set_new(o, "src_is_pod", json_boolean(f->src_is_pod));
	json_object_set_new(o, "to_service", json_boolean(f->to_service));
	json_object_set_new(o, "packets", json_integer((json_int_t)f->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
	json_object_set_new(o, "pod_packets", json_integer((json_int_t)f->pod_packets));
	json_object_set_new(o, "pod_bytes", json_integer((json_int_t)f->pod_bytes));
	json_object_set_new(o, "first_ns", json_integer((json_int_t)f->first_ns));
	json_object_set_new(o, "last_ns", json_integer((json_int_t)f->last_ns));
	if (f->ip && f->proto == IPPROTO_TCP)
		json_object_set_new(o, "tcp_flags",
				    json_string(pkt_tcp_flags_str(f->tcp_flags, fl, sizeof(fl))));
	if (f->ip && f->proto == PKT_PROTO_SCTP) {
		char ch[128];
		json_object_set_new(
		    o, "sctp_chunks",
		    json_string(pkt_sctp_chunks_str(f->sctp_chunks, ch, sizeof(ch))));
	}
	json_object_set_new(o, "marker_packets", json_integer(f->marker_packets));
	json_object_set_new(o, "escape", why);
	json_object_set_new(o, "proxy_record",
			    f->record >= 0 ? json_integer(f->record) : json_null());
	json_object_set_new(o, "first_packet", json_string(f->first));
	if (f->marker_packets)
		json_object_set_new(o, "marker_packet", json_string(f->marker_first));
	return o;
}

json_t *capture_verdict_json(const struct capture_verdict *v, size_t max_flows)
{
	json_t *o = json_object(), *fl = json_object(), *mk = json_object(), *pr = json_object(),
	       *list = json_array();

	if (!max_flows)
		max_flows = 256;
	json_object_set_new(o, "witness", json_string("capture"));
	json_object_set_new(o, "ok", json_boolean(v->ok));
	json_object_set_new(o, "failure", v->ok ? json_null() : json_string(v->failure));
	json_object_set_new(o, "escaped", json_boolean(v->escaped));
	json_object_set_new(o, "packets", json_integer((json_int_t)v->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)v->bytes));
	json_object_set_new(o, "dropped", json_integer((json_int_t)v->dropped));
	json_object_set_new(o, "overflow", json_integer((json_int_t)v->overflow));
	json_object_set_new(fl, "total", json_integer(v->flows));
	json_object_set_new(fl, "direct", json_integer(v->direct_flows));
	json_object_set_new(fl, "proxied", json_integer(v->proxied_flows));
	json_object_set_new(fl, "local", json_integer(v->local_flows));
	json_object_set_new(fl, "inbound", json_integer(v->inbound_flows));
	json_object_set_new(fl, "escaping", json_integer(v->escape_flows));
	json_object_set_new(o, "flows", fl);
	json_object_set_new(mk, "packets", json_integer(v->marker_packets));
	json_object_set_new(mk, "unproxied_packets", json_integer(v->marker_unproxied_packets));
	json_object_set_new(mk, "proxied_packets", json_integer(v->marker_proxied_packets));
	json_object_set_new(o, "marker", mk);
	json_object_set_new(pr, "given", json_integer(v->records));
	json_object_set_new(pr, "unseen", json_integer(v->unseen_records));
	json_object_set_new(o, "proxy_records", pr);
	json_object_set_new(o, "evidence",
			    v->evidence ? json_deep_copy(v->evidence) : json_array());
	for (unsigned i = 0; i < v->flows && i < max_flows; i++)
		json_array_append_new(list, capture_flow_json(&v->flowv[i]));
	json_object_set_new(o, "flow_list", list);
	json_object_set_new(
	    o, "flows_omitted",
	    json_integer(v->flows > max_flows ? (json_int_t)(v->flows - max_flows) : 0));
	return o;
}
