#!/usr/bin/env python3
"""mutate.py - do the tests fail when the code they guard breaks?

Each mutant below removes or weakens one security-relevant line (a check,
a witness, a rule, a verdict rule). For each, in a throwaway git worktree
of HEAD with a build of its own, the line is changed, parity is rebuilt and
the unit and lab suites are run (all but the style check and the
benchmark). A mutant is CAUGHT when at least one test fails, SURVIVED when
all pass: then nothing tests that line. Mutants marked equivalent cannot be
caught by any test (the reason is given) and are only listed.

    sudo scripts/mutate.py [--list] [--tests T1,T2] [NAME ...]

Root (the lab suite). About 2 minutes per mutant on a 2-vCPU machine; not
part of CI. Exit 0 when every non-equivalent mutant is caught, 1 when one
survived or no longer applies (its line changed: update the table), 2 on
a usage or setup error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# name, file, the exact text (must occur once), its replacement, and for an
# equivalent mutant the reason no test can tell it apart.
MUTANTS = [
    # identity: what the command runs as
    ("ident-bounding", "enforcer/identity.c",
     "if (identity_clear_bounding(&lc) < 0) {", "if (0) {", None),
    ("ident-ambient", "enforcer/identity.c",
     "if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {", "if (0) {",
     "clearing the permitted set (capset to zero, checked) clears the ambient set with it"),
    ("ident-nnp", "enforcer/identity.c", "\tif (t->no_new_privs) {", "\tif (0) {", None),
    ("pidns-setsid", "core/pidns.c", "\tsetsid();\n", "\t;\n", None),
    ("pidns-killed-supervisor", "core/pidns.c", "\tif (WIFSIGNALED(worker_status)) {",
     "\tif (0) {", None),
    ("ident-setpcap-effective", "enforcer/identity.c",
     "} else if (geteuid() == 0 || has_effective(CAP_SETPCAP)) {",
     "} else if (geteuid() == 0 || prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1) {", None),
    ("ident-groups-read-back", "enforcer/identity.c", "\tif (kept[0])\n", "\tif (0)\n", None),
    ("landlock-path-cut", "enforcer/landlock.c",
     "return (size_t)snprintf(out, len, \"%s\", in) < len ? 0 : -1;",
     "snprintf(out, len, \"%s\", in);\n\treturn 0;", None),
    ("report-long-entry", "enforcer/report.c", "\t\tif (n < 0) {\n\t\t\t/* Too long",
     "\t\tif (0) {\n\t\t\t/* Too long", None),
    ("agent-closefds", "enforcer/agent.c",
     "\t\tutil_close_fds_from(3, keep, ARRAY_SIZE(keep)); /* a -1 keeps nothing */", "\t\t;",
     None),
    ("agent-gate", "enforcer/agent.c", "\tif (a->gate_fd >= 0) {", "\tif (0) {", None),
    # Landlock
    ("landlock-scopes", "enforcer/landlock.c", "\t\t\tp->handled.scoped |= scopes[i].bit;",
     "\t\t\t;", None),
    ("landlock-bind", "enforcer/landlock.c", "\t\twant_net |= LANDLOCK_ACCESS_NET_BIND_TCP;",
     "\t\t;", None),
    ("landlock-connect", "enforcer/landlock.c",
     "\t\twant_net |= LANDLOCK_ACCESS_NET_CONNECT_TCP;", "\t\t;", None),
    # seccomp
    ("seccomp-width32", "enforcer/seccomp_layer.c",
     "\t\tif (c->width == 32) {\n\t\t\t/* The kernel reads an int",
     "\t\tif (0) {\n\t\t\t/* The kernel reads an int", None),
    ("seccomp-width-ops", "enforcer/profile_seccomp.c",
     "if (width == 32 && c->op != SC_OP_EQ && c->op != SC_OP_MASKED_EQ)", "if (0)", None),
    ("seccomp-set-filter", "enforcer/seccomp_layer.c", "     .args = {ARG_EQ(0, 1)}},\n};",
     "     .args = {ARG_EQ(0, 77)}},\n};", None),
    ("seccomp-clone-newuser", "enforcer/seccomp_layer.c",
     "\"clone(CLONE_NEWUSER)\",\n     .action = SC_ERRNO,\n     .errno_value = EPERM,\n"
     "     .nargs = 1,\n     .args = {ARG_MASK(0, 0x10000000)}",
     "\"clone(CLONE_NEWUSER)\",\n     .action = SC_ERRNO,\n     .errno_value = EPERM,\n"
     "     .nargs = 1,\n     .args = {ARG_MASK(0, 0x40000000)}", None),
    ("platform-udp4", "enforcer/profiles/platform.json",
     "{ \"arg\": 0, \"op\": \"eq\", \"value\": \"AF_INET\" },",
     "{ \"arg\": 0, \"op\": \"eq\", \"value\": 5 },", None),
    ("strict-passcred", "enforcer/profiles/platform-strict.json",
     "{ \"arg\": 2, \"op\": \"eq\", \"value\": \"SO_PASSCRED\" } ] },",
     "{ \"arg\": 2, \"op\": \"eq\", \"value\": 9 } ] },", None),
    # nftables
    ("nft-udp6-reject", "enforcer/nft.c",
     "\"add rule inet %s %s meta nfproto ipv6 meta l4proto udp reject with icmpv6 type \"\n"
     "\t    \"port-unreachable\"",
     "\"add rule inet %s %s meta nfproto ipv6 meta l4proto udp counter\"", None),
    ("nft-lo-accept", "enforcer/nft.c", "\"add rule inet %s output oifname lo accept\"",
     "\"add rule inet %s output oifname lo counter\"", None),
    ("nft-tcp4-reject", "enforcer/nft.c",
     "\"add rule inet %s %s meta nfproto ipv4 meta l4proto tcp reject with %s\"",
     "\"add rule inet %s %s meta nfproto ipv6 meta l4proto tcp reject with %s\"", None),
    ("netns-teardown-down", "enforcer/netns.c",
     "(nl_link_down(host, sb->host_if, e) < 0 && e->sys_errno != ENODEV)", "0", None),
    ("nft-worker-check", "enforcer/netns.c", "if (rc == 0 && nft_job_check(j, e) < 0)",
     "if (0)", None),
    # reports: a merged capture comes from the shard that names it
    ("merge-capture-provenance", "cli/cmd_report.c",
     "\t\t\tif (parts && !names_capture(parts[k], rel))", "\t\t\tif (0)", None),
    # pathname unix sockets: platform-strict's reach, and the lab's witness
    ("strict-unix-reach", "enforcer/notify_workers.c", "\tif (!beneath_reach(s, real)) {",
     "\tif (0) {", None),
    ("victim-path-listeners", "matrix/victims.c", "\tif (path && *path) {", "\tif (0) {",
     None),
    # the netlink engine (nft_netlink.c): the kernel must hold what
    # libnftables would have put there, and a refused batch must not pass
    ("nftnl-reject-code", "enforcer/nft_netlink.c",
     "expr_reject_port_unreach(w, nfproto == NFPROTO_IPV4 ? 3 : 4);",
     "expr_reject_port_unreach(w, 3);", None),
    ("nftnl-proxy-port", "enforcer/nft_netlink.c", "uint16_t port = htons(cfg->proxy_port);",
     "uint16_t port = htons(cfg->proxy_port + 1);", None),
    ("nftnl-ct-related", "enforcer/nft_netlink.c",
     "uint32_t est_rel = (1u << 1) | (1u << 2), zero = 0;",
     "uint32_t est_rel = (1u << 1), zero = 0;", None),
    ("nftnl-error-ignored", "enforcer/nft_netlink.c", "\t\tif (err->error != 0) {",
     "\t\tif (0) {", None),
    ("nftnl-no-drain", "enforcer/nft_netlink.c", "\twhile (!a.bad_errno) {",
     "\twhile (!a.bad_errno && a.nacked < ncmds) {", None),
    ("nftnl-short-error", "enforcer/nft_netlink.c",
     "if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*err)) {", "if (0) {", None),
    ("nftnl-no-fallback", "enforcer/nft_worker.c",
     "if (nft_netlink_apply(batch, &failed, &e) == 0) {",
     "if (nft_netlink_apply(batch, &failed, &e) == 0 || 1) {", None),
    # the proxy's policy
    ("policy-port", "enforcer/policy.c", "\t\t\tport_ok |= r->ports[j] == port;",
     "\t\t\tport_ok = true;", None),
    ("policy-internal", "enforcer/policy.c", "\t\t\tif (netaddr_internal_kind(&addrs[i])) {",
     "\t\t\tif (0) {", None),
    ("proxy-resolved-check", "enforcer/proxy_conn.c",
     "\twhy = policy_check_addresses(c->rule, c->r.port, c->addrs, c->n_addrs, &bad);",
     "\twhy = NULL, bad = 0;", None),
    ("proxy-hostname", "enforcer/proxy_request.c", "\t\tif (!policy_valid_hostname(r->host))",
     "\t\tif (0)", None),
    ("netaddr-nat64", "enforcer/netaddr.c",
     "if (how != EMBED_NONE && c.net.family == AF_INET && netcidr_contains(&c, &v4))",
     "if (0)", None),
    ("policy-v4-reach", "enforcer/policy.c", "\tif (v4 < 16)\n", "\tif (0)\n", None),
    ("resolver-gai-bound", "enforcer/resolver.c",
     "if (atomic_fetch_add(&gai_threads, 1) >= RESOLVER_MAX_GAI_THREADS) {",
     "if (atomic_fetch_add(&gai_threads, 1) >= 100000) {", None),
    # notify mediation
    ("notify-port", "enforcer/notify_allowlist.c",
     "if (!al->port_check || p->port == 0 || p->port == port)", "if (1)", None),
    ("notify-idvalid2", "enforcer/notify_handle.c",
     "\t    !gone_if_stale(&n) && !take_socket(&n))", "\t    !take_socket(&n))", None),
    ("notify-short-read", "enforcer/notify_handle.c",
     "return (size_t)n == len ? 0 : -EFAULT;", "return 0;", None),
    ("notify-scm-rights", "enforcer/notify_handle.c",
     "\t\t\tmemcpy(CMSG_DATA(c) + k * sizeof(int), &mine, sizeof(int));\n", "", None),
    ("notify-not-socket", "enforcer/notify_handle.c",
     "if (fstat(n->fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {", "if (fstat(n->fd, &st) < 0) {",
     None),
    ("notify-cmsg-len", "enforcer/notify_handle.c",
     "c->cmsg_len > (size_t)(j->control + j->controllen - (uint8_t *)c)) {",
     "(uint8_t *)c + c->cmsg_len > j->control + j->controllen) {", None),
    ("notify-recv-ecanceled", "enforcer/notify_handle.c",
     "int err = rc == -ECANCELED ? errno : -rc;", "int err = -rc;", None),
    ("notify-zerocopy", "enforcer/notify_handle.c", "\tif (sa.flags & MSG_ZEROCOPY) {",
     "\tif (0) {", None),
    ("strict-signal-pgrp", "enforcer/notify_strict.c",
     "if (a0 == INT_MIN || !notify_strict_in_tree(t, -a0)) {", "if (a0 == INT_MIN) {", None),
    # the witnesses and the verdict
    ("judge-victim-state", "matrix/lab_judge.c",
     "lab_add_escape(o, \"signal victim %s by SIG%s\"",
     "(void)(o), (void)(\"signal victim %s by SIG%s\"", None),
    ("judge-proxy-died", "matrix/lab_judge.c", "\t\tif (shm->proxy_died_early)\n",
     "\t\tif (0)\n", None),
    ("judge-proxy-stopped", "matrix/lab_judge.c",
     "if (shm->proxy_probed && shm->proxy_fate == PROXY_FATE_STOPPED)", "if (0)", None),
    ("judge-sinks", "matrix/lab_judge.c", "if (sinks_saw_marker(sinks))", "if (0)", None),
    ("judge-proxy-outside", "matrix/lab_judge.c",
     "(strcmp(ra, LAB_ALLOWED_V4) != 0 || rp != LAB_ALLOWED_PORT))", "0)", None),
    ("judge-capture-flows", "matrix/lab_judge.c", "\t\t\t\tif (f->why)\n", "\t\t\t\tif (0)\n",
     None),
    ("judge-capture-failed", "matrix/lab_judge.c", "\t\t\tif (!v.ok) {", "\t\t\tif (0) {",
     None),
    ("judge-bait-marker", "matrix/lab_judge.c", "\t\t\t\trecs[nrec].marker_escapes = true;",
     "\t\t\t\t;", None),
    ("judge-victims-unsettled", "matrix/lab_judge.c",
     "if (shm->run_returned && !shm->victims_settled && !o->escaped && !o->infra_failed) {",
     "if (0) {", None),
    ("accomplice-abstract-one-read", "matrix/lab_program.c",
     "\t\tfound = memmem(buf, got, st->marker, mlen) != NULL;",
     "\t\tfound = memmem(buf, got, st->marker, mlen) != NULL;\n\t\tbreak;",
     None),
    ("probe-tfo-caller-netns", "core/probe_inproc.c",
     "\tprobe_in_new_netns(p, probe_fastopen_clients);",
     "\tprobe_fastopen_clients(p, \"the caller's netns\");", None),
    ("cell-sysctl-caller-netns", "matrix/cell.c",
     "\tr->fresh = unshare(CLONE_NEWNET) == 0;", "\tr->fresh = false;", None),
    ("victims-empty-datagram", "matrix/victims.c",
     "\t\t\tif (r >= 0)\n\t\t\t\tatomic_fetch_add(&l->counts->connections, 1);",
     "\t\t\tif (r > 0)\n\t\t\t\tatomic_fetch_add(&l->counts->connections, 1);", None),
    ("judge-pivot-port", "matrix/lab_judge.c", "|| rp != LAB_ALLOWED_PORT))", "|| 0))",
     None),
    ("judge-sink-failed", "matrix/lab_judge.c",
     "if (sinks_failed_witness(sinks, why, sizeof(why)) && !o->infra_failed) {",
     "if (0) {", None),
    ("pidns-watch-stops", "core/pidns.c",
     "\t\tif (pidns_watch_note(w == worker ? a->watch : NULL, status))",
     "\t\tif (pidns_watch_note(NULL, status))", None),
    ("judge-inspect-failed", "matrix/lab.c",
     "\tlab_judge_inspections(o, st.requests);\n", "\n", None),
    ("accomplice-witness-target", "matrix/lab_program.c",
     "\t} else if (accomplice_target_is_witness(st, kind, what)) {",
     "\t} else if (0) {", None),
    ("lab-setup-failure-na", "matrix/lab.c",
     "\t\tif (shm->setup_feature_missing) {", "\t\tif (1) {", None),
    ("verdict-killed-before-control", "matrix/verdict.c",
     "\tif (!control) {\n\t\tj->verdict = V_INCONCLUSIVE;",
     "\tif (WIFSIGNALED(run->status)) {\n\t\tj->verdict = V_KILLED;\n\t\treturn;\n\t}\n"
     "\tif (!control) {\n\t\tj->verdict = V_INCONCLUSIVE;", None),
    ("judge-victim-exited", "matrix/lab_judge.c",
     "\t\t\tif (state != VICTIM_EXITED && state != VICTIM_NOT_STARTED)\n\t\t\t\tcontinue;",
     "\t\t\tif (1)\n\t\t\t\tcontinue;", None),
    ("proxy-relay-client-error", "enforcer/proxy_conn.c",
     "\t\t\tif (c->st == ST_RELAY && (events & EPOLLERR))\n\t\t\t\tconn_close(c);",
     "\t\t\tif (0)\n\t\t\t\tconn_close(c);", None),
    ("proxy-half-closed-idle", "enforcer/proxy_conn.c",
     "\tcase ST_RELAY: /* half-closed, and nothing moved for too long */\n\t\tconn_close(c);",
     "\tcase ST_RELAY: /* half-closed, and nothing moved for too long */\n\t\t;", None),
    ("proxy-pipe-budget", "enforcer/proxy_conn.c",
     "\tif (c->L->n_big_pipes < RELAY_BIG_TUNNELS) {", "\tif (1) {", None),
    ("run-init-killed", "cli/cmd_run.c",
     "\tif (WIFSIGNALED(status)) {\n\t\tfprintf(stderr, \"parity run: the %s was killed",
     "\tif (0) {\n\t\tfprintf(stderr, \"parity run: the %s was killed", None),
    ("run-proxy-died", "cli/cmd_run.c", "\tif (res.proxy_died_early) {", "\tif (0) {", None),
    ("run-watch-fallback", "cli/cmd_run.c",
     "isolated ? 0 : WUNTRACED | WCONTINUED", "0", None),
    ("lab-supervisor-stopped", "matrix/lab.c",
     "\t\tst = supervisor_state(init, shm->supervisor_pid);", "\t\tst = 0;", None),
    ("victims-sacrificial-pending", "matrix/victims.c",
     "\t\t\tatomic_store(&shm->sacrificial.pending, mask);", "\t\t\t;", None),
    ("packet-class-e", "matrix/packet.c", "(v[0] >= 224 && v[0] < 240)", "(v[0] >= 224)", None),
    ("judge-supervisor-died", "matrix/lab_judge.c",
     "if (!o->supervisor_stopped && !alive && !o->infra_failed && !shm->setup_failed)",
     "if (0)", None),
    ("lab-leftovers", "matrix/lab_pod.c", "\to.on_agent_exited = pod_agent_exited;", "\t;",
     None),
    ("verdict-control", "matrix/verdict.c",
     "if (control->infra_failed || !control->escaped) {", "if (control->infra_failed) {",
     None),
    ("expect-contained", "matrix/expect_eval.c",
     "\t\treturn got == V_ESCAPED ? EO_REGRESSION : EO_MATCH;", "\t\treturn EO_MATCH;", None),
    # the sixth session: init's inherited fds, probe preconditions
    ("pidns-init-closefds", "core/pidns.c", "\tutil_close_fds_from(3, NULL, 0);\n", "\t;\n",
     None),
    ("needs-unix-oob", "attacks/signal.c", "\t\t.needs = {.probe = {\"protocols.unix_oob\"}},\n",
     "", None),
    ("probe-fsopen-refused", "core/probe_inproc.c",
     "\tif (!probe_has_cap(p, CAP_SYS_ADMIN)) {\n\t\tprobe_not_root(&p->entry.fsopen",
     "\tif (0) {\n\t\tprobe_not_root(&p->entry.fsopen", None),
    ("cell-needs-error-na", "matrix/cell.c", "\t\tif (f->state == PROBE_NO) {",
     "\t\tif (f->state != PROBE_YES) {", None),
    ("probe-refused-always-no", "core/probe.c",
     "\tf->state = probe_errno_means_absent(err) ? PROBE_NO : PROBE_ERROR;",
     "\tf->state = PROBE_NO;", None),
    ("enforcer-kill-leftovers", "enforcer/enforcer.c",
     "\tif (o->own_pidns && sb.active) {\n\t\tint fds[256]",
     "\tif (0) {\n\t\tint fds[256]", None),
    ("cli-sigchld-default", "cli/main.c", "\tsignal(SIGCHLD, SIG_DFL);", "\t;", None),
    ("nft-worker-wait", "enforcer/nft_worker.c", "\t\tr = poll(&p, 1, left);",
     "\t\tr = poll(&p, 1, -1);", None),
]

SKIP_TESTS = {"format", "net-bench"}  # style, and a benchmark


def run(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)


def suite_tests(tree):
    out = run(["meson", "test", "-C", "build", "--list"], tree).stdout
    names = []
    for line in out.splitlines():
        m = re.match(r"parity:(unit|lab) / (\S+)$", line.strip())
        if m and m.group(2) not in SKIP_TESTS:
            names.append(m.group(2))
    return sorted(set(names))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="mutants to run (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--tests", help="comma-separated tests to run (default: unit and lab)")
    a = ap.parse_args()
    table = {m[0]: m for m in MUTANTS}
    if a.list:
        for name, f, _, _, eq in MUTANTS:
            print(f"{name:24s} {f}" + (f"  (equivalent: {eq})" if eq else ""))
        return 0
    unknown = [n for n in a.names if n not in table]
    if unknown:
        print(f"mutate: unknown mutant(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("mutate: needs root (the lab suite)", file=sys.stderr)
        return 2
    src = run(["git", "rev-parse", "--show-toplevel"],
              os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    tree = tempfile.mkdtemp(prefix="parity-mutate-")
    os.chmod(tree, 0o755)  # the sandboxed programs (non-root uids) exec from it
    worst = 0
    try:
        if run(["git", "worktree", "add", "-q", "--detach", tree, "HEAD"], src).returncode:
            print("mutate: git worktree add failed", file=sys.stderr)
            return 2
        if (run(["meson", "setup", "build"], tree).returncode
                or run(["ninja", "-C", "build"], tree).returncode):
            print("mutate: the unmutated tree does not build", file=sys.stderr)
            return 2
        tests = a.tests.split(",") if a.tests else suite_tests(tree)
        base = run(["meson", "test", "-C", "build", "--no-rebuild", "--num-processes", "1"]
                   + tests, tree)
        if base.returncode:
            failed = re.findall(r"parity:\w+ / (\S+)\s+(?:FAIL|TIMEOUT)", base.stdout)
            print("mutate: the tests fail without any mutant (%s); fix that first"
                  % (", ".join(failed) or "see build/meson-logs"), file=sys.stderr)
            return 2
        for name, f, old, new, equivalent in MUTANTS:
            if a.names and name not in a.names:
                continue
            path = os.path.join(tree, f)
            text = open(path).read()
            if text.count(old) != 1:
                print(f"{name:24s} STALE     its line occurs {text.count(old)} times in {f}",
                      flush=True)
                worst = 1
                continue
            if equivalent and not a.names:
                print(f"{name:24s} EQUIVALENT {equivalent}", flush=True)
                continue
            open(path, "w").write(text.replace(old, new))
            t0 = time.time()
            if run(["ninja", "-C", "build"], tree).returncode:
                print(f"{name:24s} BUILD-FAIL the mutant does not compile: fix the table",
                      flush=True)
                worst = 1
            else:
                r = run(["meson", "test", "-C", "build", "--no-rebuild", "--num-processes", "1"]
                        + tests, tree)
                failed = re.findall(r"parity:\w+ / (\S+)\s+(?:FAIL|TIMEOUT)", r.stdout)
                verdict = "CAUGHT" if failed else "SURVIVED"
                if not failed and not equivalent:
                    worst = 1
                print(f"{name:24s} {verdict:9s} {time.time() - t0:4.0f}s  "
                      f"{', '.join(failed) if failed else '(every test passed)'}", flush=True)
            run(["git", "checkout", "-q", "--", f], tree)
        return worst
    finally:
        run(["git", "worktree", "remove", "--force", tree], src)
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
