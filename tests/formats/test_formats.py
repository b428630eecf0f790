#!/usr/bin/env python3
"""lockgraph's report formats for other tools: csv, sarif, dot, svg, html.

Each case makes traces from real samples (a potential deadlock, a latent
one, a stuck deadlock, one broken by timeouts four times, a 5-lock cycle, a
clean program, and bank_transfer rebuilt from a source file and into a
program whose paths hold commas, quotes, '&', '<', '#' and '%'), renders
them with `lockgraph report --format FORMAT DIR` and checks the result with
a real parser or validator against the JSON report of the same traces:

  csv             python's csv module: header, one row per occurrence,
                  RFC 4180 quoting and CRLF, values equal to the JSON's;
                  `lockgraph run --format csv` too
  sarif           valid SARIF 2.1.0 (jsonschema with the vendored schema,
                  and a broken copy must fail), one result per finding with
                  its rule, level, fingerprint, location and a thread flow
                  per edge
  sarif-source-root
                  --source-root (through a symbolic link, with a trailing
                  slash): files under it relative with uriBaseId SRCROOT,
                  the others absolute, still valid; a missing directory or
                  a file is exit status 2, named
  dot             every lock and edge in its cluster; Graphviz reads it
                  (`dot -Tjson`, compared node by node) when installed
  svg             well-formed XML (xml.etree) holding every lock's name
  svg-no-dot      without Graphviz: exit status 2, a clear message, no
                  report, and `run` does not start the program
  html            python's html.parser: balanced tags, no script and no
                  external reference, every finding with its locks and an
                  inline picture, trace strings escaped
  html-browser    headless Chromium (DevTools over a pipe): the rendered
                  DOM has every finding and its drawn cycle, the console
                  stays clean, nothing but the page itself is loaded
  empty           a clean trace: every format still valid, exit status 0
  deterministic   the same traces give the same bytes, twice
  bad-format      `--format xml`: usage error listing the formats
  valgrind        the reporter under memcheck for every format: no errors,
                  no leaks

Usage (meson passes the paths): test_formats.py --lockgraph EXE --lib SO
    --samples-src DIR --sample NAME PATH ... CASE

Exit status 77 (meson: skipped) when a tool a case needs is missing
(Chromium, jsonschema); `.ci/install-deps test` installs them.
"""

import csv
import datetime
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import cdp  # noqa: E402
import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal, fail  # noqa: E402

SKIP = 77
SCHEMA = os.path.join(HERE, "sarif-2.1.0.json")
FORMATS = ["text", "json", "csv", "sarif", "dot", "svg", "html"]
CSV_COLUMNS = ["time", "host", "pid", "program", "signature", "kind", "locks", "function_1",
               "location_1", "function_2", "location_2"]

# The samples the reports are made of, and what each must contribute:
# (kind as CSV says it, occurrences of its finding, locks in its cycle).
SAMPLES = {
    "bank_transfer": ("potential-deadlock", 1, 2),
    "config_reload": ("latent", 1, 2),
    "transfer_deadlock": ("actual-deadlock", 1, 2),
    "retry_storm": ("actual-deadlock", 4, 2),
    "dining_philosophers": ("potential-deadlock", 1, 5),
    "job_queue": (None, 0, 0),
}

# A directory and a program whose names need quoting in CSV, escaping in
# HTML and percent-encoding in a URI; the source file too.
ODD_DIR = 'odd, "dir" & <more> #1 %41'
ODD_SOURCE = "bank <transfer> & 'co' #2.c"
ODD_PROGRAM = 'bank,"teller"&<x>'


class Skip(Exception):
    """A tool this case needs is not installed."""


# ---------------------------------------------------------------- traces


def build_odd_sample(args, tmp):
    """bank_transfer.c compiled from, and into, awkwardly named files."""
    cc = shutil.which("cc") or shutil.which("gcc")
    check(cc, "no C compiler (cc or gcc) to build the oddly named sample")
    check(args.samples_src, "--samples-src is required")
    directory = os.path.join(tmp, ODD_DIR)
    os.makedirs(directory, exist_ok=True)
    source = os.path.join(directory, ODD_SOURCE)
    shutil.copyfile(os.path.join(args.samples_src, "bank_transfer.c"), source)
    program = os.path.join(directory, ODD_PROGRAM)
    result = lgtest.run([cc, "-g", "-O1", "-pthread", "-o", program, source], cwd=tmp)
    lgtest.check_status(result, 0, "compiling the oddly named sample")
    return program


def make_traces(args, tmp, names=tuple(SAMPLES), odd=True):
    """Runs each sample under `lockgraph run --out DIR`; returns DIR."""
    traces = os.path.join(tmp, "traces")
    programs = [(name, lgtest.sample_path(args, name)) for name in names]
    if odd:
        programs.append(("bank_transfer", build_odd_sample(args, tmp)))
    for name, program in programs:
        result = lgtest.run([args.lockgraph, "run", "--out", traces, "--format", "json",
                             "--output", os.path.join(tmp, "run.json"), "--", program], cwd=tmp)
        want = FOUND if SAMPLES[name][0] in ("potential-deadlock", "actual-deadlock") else 0
        lgtest.check_status(result, want, f"lockgraph run on {name}")
    return traces


def report(args, tmp, fmt, traces, status=FOUND, env=None, options=()):
    """`lockgraph report [OPTIONS] --format FMT --output F TRACES`; returns F's
    bytes."""
    out = os.path.join(tmp, f"report.{fmt}")
    if os.path.exists(out):
        os.unlink(out)
    result = lgtest.run([args.lockgraph, "report"] + list(options)
                        + ["--format", fmt, "--output", out, traces], cwd=tmp, env=env)
    lgtest.check_status(result, status, f"lockgraph report --format {fmt}")
    check(not result.stdout, f"--format {fmt} with --output printed to stdout" + result.describe())
    check(os.path.exists(out), f"--format {fmt}: no report written" + result.describe())
    with open(out, "rb") as f:
        return f.read()


def json_report(args, tmp, traces, status=FOUND):
    report_bytes = report(args, tmp, "json", traces, status)
    data = json.loads(report_bytes)
    lgtest.check_report_shape(data)
    return data


def top_frame(stack):
    """The frame a stack is cited by (lg_fstack_top): the first with a
    source line outside the system headers, else the first."""
    for frame in stack:
        if frame.get("line") and not (frame.get("file") or "").startswith("/usr/include/"):
            return frame
    return stack[0] if stack else None


def cycle_locks(finding):
    """Descriptions of the cycle's locks, in order (edge i leaves lock i)."""
    by_id = {lock["id"]: lock for lock in finding["locks"]}
    return [by_id[edge["from"]]["description"] for edge in finding["edges"]]


def csv_kind(finding):
    if finding["kind"] == "actual-deadlock":
        return "actual-deadlock"
    return "latent" if finding["latent"] else "potential-deadlock"


def check_findings_cover_samples(data):
    """Each sample's finding as SAMPLES says, and the oddly named
    bank_transfer's own (its source path differs, so its signature does)."""
    summary = lgtest.findings_summary(data)
    for name, (kind, times, nlocks) in SAMPLES.items():
        mine = [f for f in data["findings"]
                if any(os.path.basename(p["exe"]) == name for p in f["processes"])]
        check_equal(len(mine), 1 if kind else 0, f"findings of {name}" + summary)
        if kind:
            f = mine[0]
            check_equal((csv_kind(f), f["occurrences"], len(f["edges"])), (kind, times, nlocks),
                        f"{name}: kind, occurrences and cycle length")
    odd = [f for f in data["findings"]
           if any(p["exe"].endswith(ODD_PROGRAM) for p in f["processes"])]
    check_equal([csv_kind(f) for f in odd], ["potential-deadlock"],
                "the oddly named bank_transfer's finding" + summary)
    check_equal(len(data["findings"]), 6, "findings" + summary)


# ---------------------------------------------------------------- csv


def check_csv(raw, data, what):
    text = raw.decode("utf-8")
    check(text.endswith("\r\n"), f"{what}: RFC 4180 rows end with CRLF: {text[-40:]!r}")
    check("\n" not in text.replace("\r\n", ""), f"{what}: a bare LF outside quotes")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check_equal(rows[0], CSV_COLUMNS, f"{what}: header")
    rows = rows[1:]
    for row in rows:
        check_equal(len(row), len(CSV_COLUMNS), f"{what}: fields in row {row}")
    total = sum(f["occurrences"] for f in data["findings"])
    check_equal(len(rows), total, f"{what}: rows (one per occurrence)")
    k = 0
    for finding in data["findings"]:
        mine = rows[k:k + finding["occurrences"]]
        k += finding["occurrences"]
        sites = []
        for i in (0, 1):
            frame = top_frame(finding["edges"][i]["acquire_stack"]) if i < len(
                finding["edges"]) else None
            function = (frame or {}).get("function") or ""
            where = f"{frame['file']}:{frame['line']}" if frame and frame.get("file") and \
                frame.get("line") else ""
            sites += [function, where]
        processes = {(str(p["pid"]), p["exe"], p["host"]) for p in finding["processes"]}
        times = []
        for row in mine:
            r = dict(zip(CSV_COLUMNS, row))
            check_equal(r["signature"], finding["signature"], f"{what}: signature")
            check_equal(r["kind"], csv_kind(finding), f"{what}: kind of {r['signature']}")
            check_equal(r["locks"], " -> ".join(cycle_locks(finding)), f"{what}: locks")
            check_equal([r["function_1"], r["location_1"], r["function_2"], r["location_2"]],
                        sites, f"{what}: acquisition sites of {r['locks']}")
            check((r["pid"], r["program"], r["host"]) in processes,
                  f"{what}: process {r['pid']} {r['program']!r} is not one of the finding's "
                  f"{sorted(processes)}")
            check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]),
                  f"{what}: time {r['time']!r} is not ISO 8601 UTC with milliseconds")
            when = datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc)
            age = time.time() - when.timestamp()
            check(-60 < age < 600, f"{what}: time {r['time']} is not during this test")
            times.append(when)
        if len(processes) == 1:
            check(times == sorted(times), f"{what}: one process's occurrences out of order")
    return rows


def case_csv(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        check_findings_cover_samples(data)
        raw = report(args, tmp, "csv", traces)
        rows = check_csv(raw, data, "report --format csv")
        odd = [r for r in rows if r[3].endswith(ODD_PROGRAM)]
        check_equal(len(odd), 1, "rows from the oddly named program")
        quoted = '"' + odd[0][3].replace('"', '""') + '"'
        check(quoted.encode() in raw,
              f"the program {odd[0][3]!r} is not quoted per RFC 4180 ({quoted!r})")
        storm = [r for r in rows if r[5] == "actual-deadlock" and "shards" in r[6]]
        check_equal(len(storm), 4, "rows of retry_storm's deadlock (one per time it formed)")
        check_equal(len({r[0] for r in storm}), 4, "retry_storm's four distinct times")

        # `lockgraph run` writes the same format.
        out = os.path.join(tmp, "run.csv")
        result = lgtest.run([args.lockgraph, "run", "--format", "csv", "--output", out, "--",
                             lgtest.sample_path(args, "retry_storm")], cwd=tmp)
        lgtest.check_status(result, FOUND, "lockgraph run --format csv on retry_storm")
        with open(out, "rb") as f:
            rows = list(csv.reader(io.StringIO(f.read().decode(), newline="")))
        check_equal(len(rows), 5, "run --format csv on retry_storm: header and 4 rows")


# ---------------------------------------------------------------- sarif


def jsonschema_python():
    """A python that can import jsonschema: meson's, else Debian's."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.path.exists(exe) and subprocess.run(
                [exe, "-c", "import jsonschema"], capture_output=True).returncode == 0:
            return exe
    raise Skip("no python with jsonschema (apt-get install python3-jsonschema, or "
               "'.ci/install-deps test')")


def validate_sarif(tmp, document):
    python = jsonschema_python()
    path = os.path.join(tmp, "validate.sarif")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f)
    return lgtest.run([python, os.path.join(HERE, "validate_schema.py"), SCHEMA, path])


def check_valid_sarif(tmp, raw, what):
    document = json.loads(raw)
    result = validate_sarif(tmp, document)
    check(result.status == 0, f"{what} is not valid SARIF 2.1.0" + result.describe())
    # The validator is live: the same document with a level SARIF does not
    # have must fail.
    broken = json.loads(raw)
    broken["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] = "fatal"
    result = validate_sarif(tmp, broken)
    check(result.status == 1 and "fatal" in result.out,
          "the schema validator accepted an invalid level" + result.describe())
    return document


def file_uri(path):
    if path.startswith("/"):
        return "file://" + urllib.parse.quote(path, safe="/")
    return urllib.parse.quote(path, safe="/")


def physical(location):
    p = location["physicalLocation"]
    return p["artifactLocation"]["uri"], p["region"]["startLine"]


def check_result(result, finding, rules):
    sig = finding["signature"]
    want_rule = {"actual-deadlock": "LG001", "potential-deadlock": "LG002",
                 "latent": "LG003"}[csv_kind(finding)]
    check_equal(result["ruleId"], want_rule, f"ruleId of {sig}")
    check_equal(rules[result["ruleIndex"]]["id"], want_rule, f"ruleIndex of {sig}")
    check_equal(result["level"], "warning" if finding["latent"] else "error", f"level of {sig}")
    check_equal(result["partialFingerprints"], {"lockgraph/v1": sig}, "partialFingerprints")
    text = result["message"]["text"]
    for name in cycle_locks(finding):
        check(name in text, f"the message of {sig} does not name lock {name}: {text!r}")
    for thread in finding["threads"]:
        check(thread["id"] in text, f"the message of {sig} does not name {thread['id']}: {text!r}")
    check(text.endswith(".") and text.count(". ") == 0, f"not one sentence: {text!r}")
    where = top_frame(finding["edges"][-1]["acquire_stack"])
    check_equal(physical(result["locations"][0]), (file_uri(where["file"]), where["line"]),
                f"location of {sig} (the last edge's acquisition)")
    flows = result["codeFlows"]
    check_equal(len(flows), 1, f"codeFlows of {sig}")
    threads = flows[0]["threadFlows"]
    check_equal(len(threads), len(finding["edges"]), f"thread flows of {sig} (one per edge)")
    by_id = {lock["id"]: lock["description"] for lock in finding["locks"]}
    for flow, edge in zip(threads, finding["edges"]):
        held, wanted = by_id[edge["from"]], by_id[edge["to"]]
        check(edge["thread"] in flow["message"]["text"],
              f"thread flow message names no thread: {flow['message']}")
        steps = flow["locations"]
        first = top_frame(edge["held_stack"])
        check_equal(physical(steps[0]["location"]), (file_uri(first["file"]), first["line"]),
                    f"{sig}: first step (where {held} was taken)")
        check_equal(steps[0]["location"]["message"]["text"], f"{held} taken here",
                    f"{sig}: first step's message")
        second = steps[1]["location"]
        acquire = edge["acquire_stack"][0]
        check_equal(physical(second), (file_uri(acquire["file"]), acquire["line"]),
                    f"{sig}: second step (where {wanted} was taken)")
        check(wanted in second["message"]["text"] and held in second["message"]["text"],
              f"{sig}: second step's message names neither lock: {second['message']}")
        for step in steps:
            loc = step["location"]
            check("physicalLocation" in loc or "logicalLocations" in loc,
                  f"{sig}: a step with no location: {step}")


def case_sarif(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        raw = report(args, tmp, "sarif", traces)
        sarif = check_valid_sarif(tmp, raw, "report --format sarif")
        check_equal(sarif["version"], "2.1.0", "version")
        check_equal(sarif["$schema"], "https://json.schemastore.org/sarif-2.1.0.json", "$schema")
        check_equal(len(sarif["runs"]), 1, "runs")
        run = sarif["runs"][0]
        driver = run["tool"]["driver"]
        check_equal(driver["name"], "lockgraph", "tool name")
        check_equal("lockgraph " + driver["version"], data["tool"], "tool version")
        rules = driver["rules"]
        check_equal([r["id"] for r in rules], ["LG001", "LG002", "LG003"], "rules")
        for rule in rules:
            for key in ("shortDescription", "fullDescription", "help"):
                check(rule[key]["text"], f"rule {rule['id']} has no {key}")
        results = run["results"]
        check_equal(len(results), len(data["findings"]), "results (one per finding)")
        for result, finding in zip(results, data["findings"]):
            check_result(result, finding, rules)
        odd = [r for r in results for flow in r["codeFlows"][0]["threadFlows"]
               for step in flow["locations"]
               if ODD_SOURCE.split()[0] in step["location"].get("physicalLocation", {}).get(
                   "artifactLocation", {}).get("uri", "")]
        check(odd, "no location in the oddly named source file")


def case_sarif_source_root(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        root = os.path.realpath(args.samples_src)
        # A trailing slash, and a path through a symbolic link: the same root.
        link = os.path.join(tmp, "src-link")
        os.symlink(root, link)
        raw = report(args, tmp, "sarif", traces, options=["--source-root", link + "/"])
        sarif = check_valid_sarif(tmp, raw, "report --format sarif --source-root")
        run = sarif["runs"][0]
        check_equal(run.get("originalUriBaseIds"),
                    {"SRCROOT": {"uri": file_uri(root) + "/"}}, "originalUriBaseIds")
        inside = outside = 0
        for result, finding in zip(run["results"], data["findings"]):
            where = top_frame(finding["edges"][-1]["acquire_stack"])
            artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
            if where["file"].startswith(root + "/"):
                inside += 1
                check_equal(artifact, {"uri": file_uri(where["file"][len(root) + 1:]),
                                       "uriBaseId": "SRCROOT"},
                            f"location of {finding['signature']} under the source root")
            else:
                outside += 1
                check_equal(artifact, {"uri": file_uri(where["file"])},
                            f"location of {finding['signature']} outside the source root")
        check(inside and outside, f"findings inside ({inside}) and outside ({outside}) the root")
        for bad, why in (("/nonexistent/src", "no such directory"),
                         (os.path.join(tmp, "report.sarif"), "is not a directory")):
            result = lgtest.run([args.lockgraph, "report", "--format", "sarif",
                                 "--source-root", bad, traces], cwd=tmp)
            lgtest.check_status(result, 2, f"--source-root {bad}")
            check(f"--source-root '{bad}'" in result.err and why in result.err,
                  "the error names the directory and the problem" + result.describe())


# ---------------------------------------------------------------- dot, svg


def dot_label(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def case_dot(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        text = report(args, tmp, "dot", traces).decode("utf-8")
        check(text.startswith("digraph lockgraph {") and text.rstrip().endswith("}"),
              f"not a digraph:{lgtest.clip(text, 400)}")
        colours = {"actual-deadlock": "#d62728", "potential-deadlock": "#ff7f0e",
                   "latent": "#7f7f7f"}
        for rank, finding in enumerate(data["findings"], 1):
            m = re.search(r"subgraph cluster_%d \{\n\t\tlabel=\"#%d ([^\"]*)\";\n"
                          r"\t\tcolor=\"([^\"]*)\"" % (rank, rank), text)
            check(m, f"no cluster for finding #{rank}:{lgtest.clip(text, 2000)}")
            check(finding["signature"] in m.group(1), f"cluster {rank} label: {m.group(1)}")
            check_equal(m.group(2), colours[csv_kind(finding)], f"colour of cluster {rank}")
            by_id = {lock["id"]: lock for lock in finding["locks"]}
            for edge in finding["edges"]:
                lock = by_id[edge["from"]]
                check(f'f{rank}_{lock["id"]} [label="{dot_label(lock["description"])}\\n'
                      f'{lock["kind"]}"' in text, f"no node for {lock['description']} in #{rank}")
                check(f'f{rank}_{edge["from"]} -> f{rank}_{edge["to"]} [label="{edge["thread"]}'
                      in text, f"no edge {edge['from']} -> {edge['to']} in #{rank}")
        dot = shutil.which("dot")
        if not dot:
            print("note: Graphviz is not installed; checked the structure only")
            return
        result = lgtest.run([dot, "-Tjson", os.path.join(tmp, "report.dot")])
        lgtest.check_status(result, 0, "Graphviz reading the dot report")
        graph = json.loads(result.stdout)
        nodes = {o["name"]: o for o in graph.get("objects", []) if "nodes" not in o}
        want_nodes = {f"f{rank}_{e['from']}" for rank, f in enumerate(data["findings"], 1)
                      for e in f["edges"]}
        check_equal(set(nodes), want_nodes, "nodes Graphviz read")
        check_equal(len(graph.get("edges", [])),
                    sum(len(f["edges"]) for f in data["findings"]), "edges Graphviz read")
        result = lgtest.run([dot, "-Tsvg", "-o", os.path.join(tmp, "graph.svg"),
                             os.path.join(tmp, "report.dot")])
        lgtest.check_status(result, 0, "dot -Tsvg")


def case_svg(args):
    if not shutil.which("dot"):
        raise Skip("Graphviz is not installed (svg-no-dot checks the message)")
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        raw = report(args, tmp, "svg", traces)
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as e:
            fail(f"the SVG report is not well-formed XML: {e}{lgtest.clip(raw.decode(), 600)}")
        check_equal(root.tag, "{http://www.w3.org/2000/svg}svg", "root element")
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        for finding in data["findings"]:
            for name in cycle_locks(finding):
                check(name in texts, f"lock {name} is not in the SVG's text")
            check(finding["signature"] in texts, f"signature {finding['signature']} not shown")
        clusters = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
                    if g.get("class") == "cluster"]
        check_equal(len(clusters), len(data["findings"]), "clusters drawn")


def case_svg_no_dot(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp, names=["bank_transfer"], odd=False)
        empty = os.path.join(tmp, "no-graphviz")
        os.mkdir(empty)
        env = lgtest.clean_env({"PATH": empty})
        out = os.path.join(tmp, "report.svg")
        message = "--format svg needs Graphviz's 'dot' (apt-get install graphviz)"
        result = lgtest.run([args.lockgraph, "report", "--format", "svg", "--output", out,
                             traces], cwd=tmp, env=env)
        lgtest.check_status(result, 2, "report --format svg without Graphviz")
        check(message in result.err, f"expected {message!r} on stderr" + result.describe())
        check(not os.path.exists(out), "a report was written without Graphviz")
        check(not result.stdout, "something was printed on stdout" + result.describe())
        run_out = os.path.join(tmp, "run-traces")
        result = lgtest.run([args.lockgraph, "run", "--format", "svg", "--out", run_out, "--",
                             lgtest.sample_path(args, "bank_transfer")], cwd=tmp, env=env)
        lgtest.check_status(result, 2, "run --format svg without Graphviz")
        check(message in result.err, f"expected {message!r} on stderr" + result.describe())
        check(not os.path.exists(run_out) and not result.stdout,
              "run --format svg without Graphviz still ran the program" + result.describe())


# ---------------------------------------------------------------- html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class PageChecker(html.parser.HTMLParser):
    """Collects what the checks need and every tag-nesting mistake."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text = [], [], []
        self.tags, self.ids, self.refs = {}, set(), []
        self.doctype = None
        self.finding_sections = 0

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        attrs = dict(attrs)
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.errors.append(f"duplicate id {attrs['id']!r}")
            self.ids.add(attrs["id"])
        for key in ("src", "href", "xlink:href", "action", "data"):
            if key in attrs:
                self.refs.append(attrs[key])
        if "style" in attrs and "url(" in attrs["style"]:
            self.refs.append(attrs["style"])
        if tag == "section" and "finding" in (attrs.get("class") or "").split():
            self.finding_sections += 1
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for key in ("src", "href", "xlink:href"):
            if key in dict(attrs):
                self.refs.append(dict(attrs)[key])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes "
                               f"{self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def close(self):
        super().close()
        for tag, pos in self.stack:
            self.errors.append(f"<{tag}> at line {pos[0]} is never closed")


def parse_page(raw):
    page = PageChecker()
    page.feed(raw.decode("utf-8"))
    page.close()
    page.all_text = "".join(page.text)
    return page


def check_page(raw, data, what):
    page = parse_page(raw)
    check(not page.errors, f"{what}: tags do not nest: {page.errors[:5]}")
    check_equal(page.doctype, "DOCTYPE html", f"{what}: doctype")
    check("script" not in page.tags, f"{what}: has a script")
    check(all(ref.startswith("#") for ref in page.refs),
          f"{what}: refers outside itself: {[r for r in page.refs if not r.startswith('#')]}")
    for rank, finding in enumerate(data["findings"], 1):
        check(f"finding-{rank}" in page.ids, f"{what}: no section for finding #{rank}")
        check(f"cycle-{rank}-arrow" in page.ids, f"{what}: no picture for finding #{rank}")
        for name in cycle_locks(finding):
            check(name in page.all_text, f"{what}: lock {name} is missing")
        for thread in finding["threads"]:
            if thread["name"]:
                check(thread["name"] in page.all_text, f"{what}: thread {thread['name']} missing")
        check(finding["signature"] in page.all_text, f"{what}: signature missing")
    check_equal(page.tags.get("svg", 0), len(data["findings"]), f"{what}: inline pictures")
    check_equal(page.finding_sections, len(data["findings"]), f"{what}: finding sections")
    return page


def case_html(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        raw = report(args, tmp, "html", traces)
        page = check_page(raw, data, "report --format html")
        # Strings from the trace come back unchanged through the escaping,
        # and never as markup.
        odd = [p["exe"] for f in data["findings"] for p in f["processes"]
               if p["exe"].endswith(ODD_PROGRAM)]
        check(odd and odd[0] in page.all_text, f"the program path {odd} is not shown verbatim")
        check(b"<x>" not in raw and b"<transfer>" not in raw, "an unescaped '<' from a path")
        check("Fix" in page.all_text and "Take these locks in one order" in page.all_text,
              "no fix hint")
        summary = data["summary"]
        line = (f"{summary['actual']} deadlocks, {summary['potential']} potential deadlocks, "
                f"{summary['latent']} latent lock-order inversion in {summary['traces']} traces")
        check(line in page.all_text, f"no summary line {line!r}")


BROWSER_CHECK = r"""(() => {
  const sections = [...document.querySelectorAll('section.finding')];
  return {
    title: document.title,
    rows: document.querySelectorAll('table.ranked tbody tr').length,
    scripts: document.scripts.length,
    wide: document.documentElement.scrollWidth > window.innerWidth,
    findings: sections.map(s => {
      const svg = s.querySelector('svg');
      const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      return {id: s.id, text: s.innerText, width: box.width, height: box.height,
              locks: s.querySelectorAll('svg g.lock').length,
              arrows: s.querySelectorAll('svg g.order path').length};
    }),
  };
})()"""


def case_html_browser(args):
    chromium = cdp.find_chromium()
    if not chromium:
        raise Skip("Chromium is not installed (apt-get install chromium, or "
                   "'.ci/install-deps test')")
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        data = json_report(args, tmp, traces)
        report(args, tmp, "html", traces)
        page = os.path.join(tmp, "report.html")
        bad = os.path.join(tmp, "bad.html")
        with open(bad, "w") as f:
            f.write("<!DOCTYPE html><title>bad</title><img src=missing.png>"
                    "<script>console.error('boom')</script>")
        with cdp.Browser(chromium) as browser:
            try:
                # The harness sees problems: a page with some must show them.
                session = browser.open("file://" + bad)
                found = browser.problems(session)
                check(any("boom" in p for p in found) and any("missing.png" in p or
                                                              "FILE_NOT_FOUND" in p
                                                              for p in found),
                      f"the browser check missed a console error and a failed load: {found}")

                session = browser.open("file://" + urllib.parse.quote(page))
                dom = browser.evaluate(session, BROWSER_CHECK)
                shot = os.path.join(tmp, "report.png")
                browser.screenshot(session, shot)
                problems = browser.problems(session)
                requests = browser.requests(session)
            except cdp.ProtocolError as e:
                fail(f"talking to Chromium: {e}{lgtest.clip(browser.stderr(), 2000)}")
        check_equal(problems, [], "console errors, warnings and failed loads")
        check_equal(requests, ["file://" + urllib.parse.quote(page)],
                    "requests (the page must load nothing else)")
        check_equal(dom["scripts"], 0, "scripts in the page")
        check(not dom["wide"], "the page is wider than a 1280 px window")
        check_equal(dom["rows"], len(data["findings"]), "rows of the ranked table")
        check_equal(len(dom["findings"]), len(data["findings"]), "finding sections rendered")
        for rendered, finding in zip(dom["findings"], data["findings"]):
            names = cycle_locks(finding)
            check(rendered["width"] > 100 and rendered["height"] > 40,
                  f"{rendered['id']}: the cycle picture is not drawn: {rendered}")
            check_equal(rendered["locks"], len(names), f"{rendered['id']}: locks drawn")
            check_equal(rendered["arrows"], len(finding["edges"]), f"{rendered['id']}: arrows")
            for name in names:
                check(name in rendered["text"], f"{rendered['id']}: {name} not rendered")
        check(os.path.getsize(shot) > 10000, "the screenshot is empty")
        if os.environ.get("LGTEST_KEEP"):
            print(f"screenshot: {shot}")


# ---------------------------------------------------------------- all formats


def case_empty(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp, names=["job_queue"], odd=False)
        data = json_report(args, tmp, traces, status=0)
        check_equal(data["findings"], [], "findings of a clean program")
        raw = report(args, tmp, "csv", traces, status=0)
        check_equal(raw.decode(), ",".join(CSV_COLUMNS) + "\r\n", "csv of a clean program")
        sarif = check_valid_sarif(tmp, report(args, tmp, "sarif", traces, status=0),
                                  "sarif of a clean program")
        check_equal(sarif["runs"][0]["results"], [], "results of a clean program")
        text = report(args, tmp, "dot", traces, status=0).decode()
        check("cluster" not in text, f"dot of a clean program:{lgtest.clip(text, 400)}")
        if shutil.which("dot"):
            ET.fromstring(report(args, tmp, "svg", traces, status=0))
            result = lgtest.run(["dot", "-Tsvg", os.path.join(tmp, "report.dot")])
            lgtest.check_status(result, 0, "dot on a clean program's graph")
        page = check_page(report(args, tmp, "html", traces, status=0), data, "html (clean)")
        check("No lock-order problems found in 1 trace." in page.all_text,
              "html of a clean program" + lgtest.clip(page.all_text, 300))


def case_deterministic(args):
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        for fmt in FORMATS:
            if fmt == "svg" and not shutil.which("dot"):
                continue
            first = report(args, tmp, fmt, traces)
            second = report(args, tmp, fmt, traces)
            check(first == second, f"--format {fmt} gave different bytes for the same traces")


def case_bad_format(args):
    with lgtest.temp_dir() as tmp:
        names = "text, json, csv, sarif, dot, svg or html"
        for command in (["run", "--format", "xml", "--", lgtest.sample_path(args, "job_queue")],
                        ["report", "--format", "xml", tmp]):
            result = lgtest.run([args.lockgraph] + command, cwd=tmp)
            lgtest.check_status(result, 2, f"lockgraph {command[0]} --format xml")
            check("'xml'" in result.err and names in result.err,
                  f"the error must name 'xml' and list {names}" + result.describe())
        result = lgtest.run([args.lockgraph, "report", "--help"], cwd=tmp)
        check("csv" in result.out and "sarif" in result.out and "html" in result.out,
              "--help does not list the formats" + result.describe())


def case_valgrind(args):
    valgrind = shutil.which("valgrind")
    check(valgrind, "valgrind is not installed (make test installs it)")
    with lgtest.temp_dir() as tmp:
        traces = make_traces(args, tmp)
        for fmt in FORMATS[2:]:
            if fmt == "svg" and not shutil.which("dot"):
                continue
            out = os.path.join(tmp, f"report.{fmt}")
            result = lgtest.run([valgrind, "--tool=memcheck", "--quiet", "--leak-check=full",
                                 "--show-leak-kinds=definite,indirect",
                                 "--errors-for-leak-kinds=definite,indirect",
                                 "--error-exitcode=99", args.lockgraph, "report", "--format",
                                 fmt, "--output", out, traces], cwd=tmp, timeout=300)
            lgtest.check_status(result, FOUND, f"lockgraph report --format {fmt} under memcheck "
                                "(99: memory errors or leaks)")


CASES = {
    "csv": case_csv,
    "sarif": case_sarif,
    "sarif-source-root": case_sarif_source_root,
    "dot": case_dot,
    "svg": case_svg,
    "svg-no-dot": case_svg_no_dot,
    "html": case_html,
    "html-browser": case_html_browser,
    "empty": case_empty,
    "deterministic": case_deterministic,
    "bad-format": case_bad_format,
    "valgrind": case_valgrind,
}


def main():
    """lgtest.main, plus exit status 77 (skipped) for a missing tool."""
    args = lgtest.parse_args(CASES)
    try:
        CASES[args.case](args, *args.params)
    except Skip as e:
        print(f"SKIP: {args.case}: {e}")
        sys.exit(SKIP)
    except lgtest.Failure as e:
        print(f"FAIL: {args.case}: {e}")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print(f"FAIL: {args.case}: the test itself crashed (see the traceback above)")
        sys.exit(1)
    print(f"PASS: {args.case}")
    sys.exit(0)


if __name__ == "__main__":
    main()
