/* report_html.c - matrix.html: one self-contained file (inline CSS and JS,
 * a Content-Security-Policy that forbids any load, no external file).
 * Tables per family with colour-coded cells; clicking a cell (or opening
 * the file with #cell=ID) shows its detail: verdict, reason, expectation,
 * escapes, evidence, enforcement, control, transcript, reproduce command.
 * Untrusted text (the attack's output) only ever reaches the page as
 * escaped HTML or through textContent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "reports.h"
#include "report_util.h"

#define MAX_COLS 256
#define MAX_ATTACKS 1024

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}"
    "header,main{padding:0 24px}header{background:#263238;color:#fff;padding:12px 24px}"
    "header h1{margin:0 0 4px;font-size:20px}header p{margin:2px 0}"
    ".exit0{color:#a5d6a7}.exit1{color:#ff8a80;font-weight:bold}.exit3{color:#ffd180}"
    "table{border-collapse:collapse;margin:8px 0 20px;background:#fff}"
    "th,td{border:1px solid #cfd8dc;padding:3px 8px;text-align:center;white-space:nowrap}"
    "th.attack{text-align:left;font-weight:normal;white-space:normal;min-width:12em;"
    "max-width:24em}th.attack b{margin-right:6px}"
    "th.attack span{color:#546e7a;font-size:12px}"
    "td[data-id]{cursor:pointer}td[data-id]:hover,td[data-id]:focus{outline:2px solid #455a64}"
    "td.sel{outline:3px solid #1565c0}"
    ".v-BLOCKED{background:#e8f5e9;color:#1b5e20}.v-KILLED{background:#e0f2f1;color:#004d40}"
    ".v-ESCAPED{background:#ffcdd2;color:#b71c1c;font-weight:bold}"
    ".v-control{background:#eceff1;color:#37474f;font-weight:normal}"
    ".v-NA{background:#f5f5f5;color:#9e9e9e}.v-INCONCLUSIVE{background:#fff3e0;color:#e65100}"
    ".p-PARITY{background:#e8f5e9}.p-GAP{background:#ffcdd2;font-weight:bold}"
    ".p-REVERSE{background:#e3f2fd}.p-BOTH-ESCAPE{background:#f8bbd0}.p-NA{color:#9e9e9e}"
    ".o-regression{box-shadow:inset 0 0 0 3px #d50000}"
    ".o-improvement{box-shadow:inset 0 0 0 3px #2962ff}"
    ".mark{font-size:11px;vertical-align:super;margin-left:2px}"
    ".legend span{display:inline-block;padding:2px 8px;margin:2px;border:1px solid #cfd8dc}"
    "#detail{position:fixed;top:0;right:0;bottom:0;width:min(46em,60vw);overflow:auto;"
    "background:#fff;border-left:2px solid #455a64;padding:12px 18px;"
    "box-shadow:-4px 0 12px rgba(0,0,0,.2)}"
    "#detail h2{margin:4px 0;font-size:17px}#detail h3{margin:12px 0 4px;font-size:14px}"
    "#detail pre{background:#f5f5f5;padding:6px;white-space:pre-wrap;word-break:break-all;"
    "font-size:12px;max-height:24em;overflow:auto}"
    "#close{float:right;font-size:16px}ul.list{margin:4px 0;padding-left:20px}";

static const char js[] =
    "(function(){\n"
    "'use strict';\n"
    "var data=JSON.parse(document.getElementById('cells-data').textContent);\n"
    "var panel=document.getElementById('detail'),body=document.getElementById('detail-body');\n"
    "function el(tag,text,cls){var e=document.createElement(tag);"
    "if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return "
    "e;}\n"
    "function sec(title,node){body.appendChild(el('h3',title));body.appendChild(node);}\n"
    "function pre(v){return el('pre',typeof v==='string'?v:JSON.stringify(v,null,2));}\n"
    "function show(id){var c=data[id];if(!c)return;body.textContent='';\n"
    " body.appendChild(el('h2',c.id));\n"
    " body.appendChild(el('p',c.title));\n"
    " var v=el('p','');v.appendChild(el('b',c.verdict,'v-'+c.verdict.replace('/','')));"
    "v.appendChild(document.createTextNode(' '+c.reason));body.appendChild(v);\n"
    " if(c.disagreement)body.appendChild(el('p','Claim: '+c.claim+' - '+c.disagreement));\n"
    " var x=c.expectation||{};\n"
    " if(x.expected)sec('Expectation',el('p',x.outcome+': expected '+x.expected+' ('+x.set+'/'"
    "+x.entry+'). '+x.rationale+' Reference: '+x.reference));\n"
    " else sec('Expectation',el('p','no expectation covers this cell'));\n"
    " sec('Reproduce',pre(c.reproduce));\n"
    " if(c.escapes&&c.escapes.length){var ul=el('ul','','list');c.escapes.forEach(function(s)"
    "{ul.appendChild(el('li',s));});sec('What the witnesses saw',ul);}\n"
    " if(c.pcap)sec('Capture file',el('code',c.pcap));\n"
    " if(c.control)sec('Positive control (none)',pre(c.control));\n"
    " if(c.evidence)sec('Evidence (summary)',pre(c.evidence));\n"
    " if(c.enforcement)sec('Enforcement report (summary)',pre(c.enforcement));\n"
    " if(c.program)sec('The program (its own words, diagnostic only)',pre(c.program));\n"
    " if(c.timing)sec('Timing (ms)',pre(c.timing));\n"
    " panel.hidden=false;\n"
    " document.querySelectorAll('td.sel').forEach(function(t){t.classList.remove('sel');});\n"
    " var td=document.querySelector('td[data-id=\"'+CSS.escape(id)+'\"]');"
    "if(td)td.classList.add('sel');}\n"
    "document.addEventListener('click',function(ev){var td=ev.target.closest('td[data-id]');"
    "if(td)show(td.getAttribute('data-id'));});\n"
    "document.addEventListener('keydown',function(ev){if(ev.key==='Escape'){panel.hidden=true;"
    "return;}var td=ev.target.closest&&ev.target.closest('td[data-id]');"
    "if(td&&ev.key==='Enter')show(td.getAttribute('data-id'));});\n"
    "document.getElementById('close').addEventListener('click',function(){panel.hidden=true;});\n"
    "var h=decodeURIComponent(location.hash||'');if(h.indexOf('#cell=')===0)show(h.slice(6));\n"
    "document.body.setAttribute('data-ready','1');\n"
    "})();\n";

static const char *verdict_class(const char *v)
{
	if (strcmp(v, "N/A") == 0)
		return "NA";
	return v;
}

static const char *verdict_short(const char *v, bool control)
{
	if (strcmp(v, "BLOCKED") == 0)
		return "blocked";
	if (strcmp(v, "KILLED") == 0)
		return "killed";
	if (strcmp(v, "ESCAPED") == 0)
		return control ? "escaped" : "ESCAPED";
	if (strcmp(v, "N/A") == 0)
		return "n/a";
	return "?";
}

static void header(json_t *r, FILE *f)
{
	json_t *run = json_object_get(r, "run"), *sum = json_object_get(r, "summary");
	json_t *by = json_object_get(sum, "by_verdict");
	char kernel[256];

	report_kernel_line(r, kernel, sizeof(kernel));
	fprintf(f, "<header><h1>Parity matrix</h1><p>Kernel ");
	html_text(f, kernel);
	fprintf(f, " &middot; parity ");
	html_text(f, rs(run, "parity_version"));
	fprintf(f, " on ");
	html_text(f, rs(run, "host"));
	fprintf(f, " &middot; ");
	html_text(f, rs(run, "date"));
	fprintf(f,
		"</p><p>%lld cells (%lld controls): %lld blocked, %lld killed, %lld escaped, "
		"%lld n/a, %lld inconclusive</p>",
		ri(sum, "cells"), ri(sum, "controls"), ri(by, "BLOCKED"), ri(by, "KILLED"),
		ri(by, "ESCAPED"), ri(by, "N/A"), ri(by, "INCONCLUSIVE"));
	fprintf(f, "<p class=\"exit%lld\">exit %lld: ", ri(sum, "exit_code"), ri(sum, "exit_code"));
	html_text(f, rs(sum, "exit_reason"));
	fprintf(f, " &middot; %lld regression(s), %lld improvement(s)</p></header>\n",
		ri(sum, "regressions"), ri(sum, "improvements"));
}

static void legend(FILE *f)
{
	fprintf(f, "<p class=\"legend\"><span class=\"v-BLOCKED\">blocked</span>"
		   "<span class=\"v-KILLED\">killed</span>"
		   "<span class=\"v-ESCAPED\">ESCAPED</span>"
		   "<span class=\"v-ESCAPED v-control\">escaped (the control, as it must)</span>"
		   "<span class=\"v-NA\">n/a (precondition missing)</span>"
		   "<span class=\"v-INCONCLUSIVE\">? inconclusive</span>"
		   "<span class=\"o-regression\">! worse than expected</span>"
		   "<span class=\"o-improvement\">+ better than expected</span>"
		   "<span>~ differs from expected</span> &middot; click a cell for its "
		   "evidence</p>\n");
}

static void table_head(FILE *f, json_t *r, const struct rcol *cols, size_t n)
{
	json_t *abis = json_object_get(json_object_get(r, "run"), "abis");
	size_t nabis = json_array_size(abis);

	fprintf(f, "<table class=\"matrix\"><thead><tr><th rowspan=\"2\">attack</th>");
	for (size_t i = 0; i < n; i++) {
		if (cols[i].abi_index < 0)
			fprintf(f, "<th rowspan=\"2\">none<br>(control)</th>");
		else if (cols[i].abi_index == 0) {
			fprintf(f, "<th colspan=\"%zu\">", nabis);
			html_text(f, cols[i].profile);
			fprintf(f, "</th>");
		}
	}
	fprintf(f, "</tr><tr>");
	for (size_t i = 0; i < n; i++) {
		char l[64];
		if (cols[i].abi_index < 0)
			continue;
		report_abi_label(cols[i].abi, false, l, sizeof(l));
		fprintf(f, "<th title=\"%s\">%s%s</th>",
			json_is_true(json_object_get(cols[i].abi, "kernel")) ? "the kernel's own"
									     : "emulated",
			l, json_is_true(json_object_get(cols[i].abi, "kernel")) ? "*" : "");
	}
	fprintf(f, "</tr></thead><tbody>\n");
}

static void families(json_t *r, FILE *f, const struct rcol *cols, size_t ncols)
{
	const char *fams[FAM_COUNT + 1], *ids[MAX_ATTACKS];
	size_t nf = report_families(r, fams, FAM_COUNT);

	for (size_t fi = 0; fi < nf; fi++) {
		enum attack_family fam = FAM_TCP;
		size_t na = report_family_attacks(r, fams[fi], ids, MAX_ATTACKS);
		attack_family_parse(fams[fi], &fam);
		fprintf(f, "<h2>%s (%s)</h2>\n", attack_family_title(fam), fams[fi]);
		table_head(f, r, cols, ncols);
		for (size_t a = 0; a < na; a++) {
			fprintf(f, "<tr><th class=\"attack\"><b>");
			html_text(f, ids[a]);
			fprintf(f, "</b><span>");
			html_text(f, report_attack_title(r, ids[a]));
			fprintf(f, "</span></th>");
			for (size_t c = 0; c < ncols; c++) {
				json_t *cell = report_cell(r, ids[a], &cols[c]);
				const char *v, *o, *mark;
				bool control = cols[c].abi_index < 0;
				if (!cell) {
					fprintf(f, "<td></td>");
					continue;
				}
				v = rs(cell, "verdict");
				o = report_outcome(cell);
				mark = report_outcome_mark(o);
				fprintf(f, "<td tabindex=\"0\" class=\"v-%s%s o-", verdict_class(v),
					control ? " v-control" : "");
				html_text(f, o); /* from the file: never raw markup */
				fprintf(f, "\" data-id=\"");
				html_text(f, rs(cell, "id"));
				fprintf(f, "\" title=\"");
				html_text(f, rs(cell, "reason"));
				fprintf(f, "\">%s", verdict_short(v, control));
				if (*mark)
					fprintf(f, "<span class=\"mark\">%s</span>", mark);
				fprintf(f, "</td>");
			}
			fprintf(f, "</tr>\n");
		}
		fprintf(f, "</tbody></table>\n");
	}
}

static void parity(json_t *r, FILE *f)
{
	json_t *run = json_object_get(r, "run"), *p, *abis = json_object_get(run, "abis"), *abi;
	json_t *row;
	size_t i, j, k;

	fprintf(f, "<h2>Parity with namespace</h2>\n");
	json_array_foreach (json_object_get(run, "profiles"), i, p) {
		const char *prof = json_string_value(p);
		const char *ids[MAX_ATTACKS];
		size_t n = 0;
		if (!prof || !strcmp(prof, "none") || !strcmp(prof, "namespace"))
			continue;
		json_array_foreach (json_object_get(r, "parity"), k, row)
			n += strcmp(rs(row, "profile"), prof) == 0;
		if (!n)
			continue;
		fprintf(f, "<h3>");
		html_text(f, prof);
		fprintf(f, " vs namespace</h3><table><thead><tr><th>attack</th>");
		json_array_foreach (abis, j, abi) {
			char l[64];
			report_abi_label(abi, false, l, sizeof(l));
			fprintf(f, "<th>%s</th>", l);
		}
		fprintf(f, "</tr></thead><tbody>\n");
		n = 0;
		json_array_foreach (json_object_get(run, "attacks"), k, row)
			if (n < MAX_ATTACKS)
				ids[n++] = json_string_value(row);
		for (size_t a = 0; a < n; a++) {
			fprintf(f, "<tr><th class=\"attack\"><b>");
			html_text(f, ids[a]);
			fprintf(f, "</b></th>");
			json_array_foreach (abis, j, abi) {
				json_t *pr = report_row(r, ids[a], prof, abi);
				const char *st = pr ? rs(pr, "status") : "";
				const char *o = pr ? report_outcome(pr) : "none";
				fprintf(f, "<td class=\"p-%s o-%s\"",
					strcmp(st, "N/A") == 0 ? "NA" : st, o);
				if (pr) {
					fprintf(f, " data-id=\"");
					html_text(f, rs(pr, "profile_cell"));
					fprintf(f, "\" tabindex=\"0\" title=\"");
					html_text(f, rs(pr, "na_reason"));
					fprintf(f, "\"");
				}
				fprintf(f, ">");
				html_text(f, st);
				if (*report_outcome_mark(o))
					fprintf(f, "<span class=\"mark\">%s</span>",
						report_outcome_mark(o));
				fprintf(f, "</td>");
			}
			fprintf(f, "</tr>\n");
		}
		fprintf(f, "</tbody></table>\n");
	}
}

static void listing(json_t *x, const char *key, const char *title, FILE *f)
{
	json_t *l = json_object_get(x, key), *it;
	size_t i;

	fprintf(f, "<h3>%s (%zu)</h3>", title, json_array_size(l));
	if (!json_array_size(l))
		return;
	fprintf(f, "<ul class=\"list\">");
	json_array_foreach (l, i, it) {
		fprintf(f, "<li><code>");
		html_text(f, rs(it, "id"));
		fprintf(f, "</code>: expected ");
		html_text(f, rs(it, "expected"));
		fprintf(f, ", got ");
		html_text(f, rs(it, "got"));
		fprintf(f, ". ");
		html_text(f, rs(it, "rationale"));
		fprintf(f, " (");
		html_text(f, rs(it, "set"));
		fprintf(f, "/");
		html_text(f, rs(it, "entry"));
		fprintf(f, ")</li>");
	}
	fprintf(f, "</ul>\n");
}

/* The cells as JSON inside a <script> element: '<', '>' and '&' only occur
 * inside strings, so \u escapes keep the element closed and the data intact. */
static void cells_data(json_t *r, FILE *f)
{
	json_t *by_id = json_object(), *c;
	size_t i;
	char *s;

	json_array_foreach (json_object_get(r, "cells"), i, c)
		json_object_set(by_id, rs(c, "id"), c);
	s = json_dumps(by_id, JSON_COMPACT | JSON_ESCAPE_SLASH);
	json_decref(by_id);
	fprintf(f, "<script type=\"application/json\" id=\"cells-data\">");
	for (char *p = s; p && *p; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else if (*p == '>')
			fputs("\\u003e", f);
		else if (*p == '&')
			fputs("\\u0026", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "</script>\n");
	free(s);
}

void report_html(json_t *r, FILE *f)
{
	struct rcol cols[MAX_COLS];
	size_t ncols = report_columns(r, cols, MAX_COLS);
	json_t *x = json_object_get(r, "expectations");

	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
		"<link rel=\"icon\" href=\"data:,\">"
		"<title>parity matrix</title><style>%s</style></head><body>\n",
		css);
	header(r, f);
	fprintf(f, "<main>\n");
	legend(f);
	families(r, f, cols, ncols);
	parity(r, f);
	fprintf(f, "<h2>Expectations</h2>\n");
	listing(x, "regressions", "Worse than expected", f);
	listing(x, "improvements", "Better than expected", f);
	listing(x, "changed", "Different from expected", f);
	fprintf(f, "<p>* the kernel's own ABI; the others are emulated. results.json, matrix.md "
		   "and parity.md hold the same data.</p></main>\n");
	fprintf(f, "<aside id=\"detail\" hidden><button id=\"close\" title=\"close "
		   "(Esc)\">&times;</button><div id=\"detail-body\"></div></aside>\n");
	cells_data(r, f);
	fprintf(f, "<script>%s</script>\n</body></html>\n", js);
}
