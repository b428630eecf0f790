#!/usr/bin/env python3
"""The CI recipes of README.md ("In CI"), run exactly as written there, on a
small project made in a temporary directory: one test program with a
lock-order inversion between two threads, one clean.

Each recipe is the shell block after a `<!-- recipe: NAME -->` line in
README.md; it runs with `sh -e` in the project's top directory, with the
built `lockgraph` first on the PATH and LIBLOCKGRAPH set to the built
liblockgraph.so.

Usage (meson passes the paths): test_ci_recipes.py --lockgraph EXE --lib SO CASE

Cases:
  meson     recipe "meson": `meson test --wrapper 'lockgraph run ...'`, then
            `lockgraph report traces`: one finding, the inversion's; and the
            SARIF command of the GitHub recipe on the same traces
  ctest     recipe "ctest": LD_PRELOAD around ctest (skipped, status 77,
            when cmake is not installed)
  make      recipe "make": LD_PRELOAD around `make check`
  baseline  recipes "baseline" and "baseline-check" after "meson": the
            accepted finding passes, in another checkout and build too; a
            new one fails alone
"""

import collections
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # never write __pycache__ into the source tree

import lgtest  # noqa: E402
from lgtest import FOUND, check, check_equal  # noqa: E402

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")

# A recipe runs a build and a test suite: more than lgtest's default.
RECIPE_TIMEOUT = 50

# ---------------------------------------------------------------- the project

ABBA_C = r"""/* Two threads take lock_a and lock_b in opposite orders. They take turns
 * (a semaphore), so this run never hangs; run at once, they could. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static sem_t first_done;
static int shared;

static void *lock_a_then_b(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a); /* lg:a-first */
	pthread_mutex_lock(&lock_b); /* lg:b-second */
	shared++;
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	sem_post(&first_done);
	return NULL;
}

static void *lock_b_then_a(void *arg)
{
	(void)arg;
	sem_wait(&first_done);
	pthread_mutex_lock(&lock_b); /* lg:b-first */
	pthread_mutex_lock(&lock_a); /* lg:a-second */
	shared++;
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(void)
{
	pthread_t one, two;
	sem_init(&first_done, 0, 0);
	pthread_create(&one, NULL, lock_a_then_b, NULL);
	pthread_create(&two, NULL, lock_b_then_a, NULL);
	pthread_join(one, NULL);
	pthread_join(two, NULL);
	printf("abba: %d\n", shared);
	return shared == 2 ? 0 : 1;
}
"""

ORDERED_C = r"""/* Two threads take outer_lock, then inner_lock: one order, no finding. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t outer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&outer_lock);
		pthread_mutex_lock(&inner_lock);
		counter++;
		pthread_mutex_unlock(&inner_lock);
		pthread_mutex_unlock(&outer_lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("ordered: %ld\n", counter);
	return counter == 2000 ? 0 : 1;
}
"""

MESON_BUILD = """project('ci_demo', 'c')
threads = dependency('threads')
foreach name : {tests}
  test(name, executable(name, name + '.c', dependencies: threads))
endforeach
"""

CMAKE_LISTS = """cmake_minimum_required(VERSION 3.13)
project(ci_demo C)
find_package(Threads REQUIRED)
enable_testing()
foreach(name abba ordered)
  add_executable(${name} ${name}.c)
  target_link_libraries(${name} Threads::Threads)
  add_test(NAME ${name} COMMAND ${name})
endforeach()
"""

MAKEFILE = """CFLAGS = -g -O0 -pthread
LDLIBS = -pthread

all: abba ordered

check: abba ordered
\t./abba
\t./ordered

.PHONY: all check
"""


def renamed(source, names):
    for old, new in names.items():
        source = source.replace(old, new)
    return source


# The same inversion under other names, for "a new finding".
SWAP_C = renamed(ABBA_C, {"lock_a": "lock_c", "lock_b": "lock_d", "then_a": "then_c",
                          "then_b": "then_d", "abba": "swap", "lg:a-": "lg:c-", "lg:b-": "lg:d-"})


class Inversion:
    """What the report must say about one test program's inversion: thread
    `forward` takes lock `first` (at marker lg:F-first), then `second`
    (lg:S-second); thread `backward` takes `second` (lg:S-first), then
    `first` (lg:F-second), last: that is where the order is reversed. F and
    S are the locks' last letters."""

    def __init__(self, program, source, first, second, forward, backward):
        self.program = program
        self.source = source  # its text
        self.first = first
        self.second = second
        self.forward = forward
        self.backward = backward


ABBA = Inversion("abba", ABBA_C, "lock_a", "lock_b", "lock_a_then_b", "lock_b_then_a")
SWAP = Inversion("swap", SWAP_C, "lock_c", "lock_d", "lock_c_then_d", "lock_d_then_c")


def make_project(directory, kind, tests=("abba", "ordered")):
    """Writes the project's sources and its build files for `kind` (meson,
    cmake, make)."""
    os.makedirs(directory, exist_ok=True)
    sources = {"abba": ABBA_C, "ordered": ORDERED_C, "swap": SWAP_C}
    for name in tests:
        write(os.path.join(directory, name + ".c"), sources[name])
    if kind == "meson":
        write(os.path.join(directory, "meson.build"),
              MESON_BUILD.format(tests=repr(list(tests))))
    elif kind == "cmake":
        write(os.path.join(directory, "CMakeLists.txt"), CMAKE_LISTS)
    else:
        write(os.path.join(directory, "Makefile"), MAKEFILE)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- recipes


def recipe(name):
    """The shell block after `<!-- recipe: NAME -->` in README.md."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^<!-- recipe: ([\w-]+) -->\n```sh\n(.*?)^```$", text, re.M | re.S)
    found = [body for label, body in blocks if label == name]
    check(len(found) == 1,
          f"{README}: expected one ```sh block after <!-- recipe: {name} -->, found "
          f"{len(found)} (recipes there: {[label for label, _ in blocks]})")
    return found[0]


def run_recipe(args, name, project):
    """Runs recipe `name` in project with `sh -e`; returns its Result."""
    env = lgtest.clean_env({
        "PATH": os.path.dirname(args.lockgraph) + os.pathsep + os.environ.get("PATH", ""),
        "LIBLOCKGRAPH": args.lib,
        "NO_COLOR": "1",
    })
    check(shutil.which("lockgraph", path=env["PATH"]) == args.lockgraph,
          f"the lockgraph found on the PATH is {shutil.which('lockgraph', path=env['PATH'])}, "
          f"not {args.lockgraph}")
    return lgtest.run(["sh", "-e", "-c", recipe(name)], env=env, cwd=project,
                      timeout=RECIPE_TIMEOUT)


# ---------------------------------------------------------------- checks


def trace_programs(traces):
    """{program: number of traces} for traces/PROGRAM.PID.lgt."""
    check(os.path.isdir(traces), f"the recipe made no trace directory {traces}")
    return dict(collections.Counter(os.path.basename(p).rsplit(".", 2)[0]
                                    for p in lgtest.trace_files(traces)))


def check_finding(finding, inversion, project, where):
    """The finding is `inversion`: its locks, the functions and lines of
    both orders, one process of its program."""
    source = os.path.join(project, inversion.program + ".c")
    lines = lgtest.marker_lines(source)
    check_equal(finding.get("kind"), "potential-deadlock", f"{where}: kind")
    check_equal(finding.get("latent"), False, f"{where}: latent")
    check_equal(finding.get("occurrences"), 1, f"{where}: occurrences")
    processes = finding.get("processes") or []
    check_equal([os.path.basename(p.get("exe") or "") for p in processes], [inversion.program],
                f"{where}: the processes' programs")
    names = {lock.get("id"): lock.get("name") for lock in finding.get("locks") or []}
    check_equal(sorted(map(str, names.values())), [inversion.first, inversion.second],
                f"{where}: lock names")
    first, second = inversion.first[-1], inversion.second[-1]
    want = {
        # held -> acquired: (function, marker of the held lock, marker of the acquired one)
        (inversion.first, inversion.second): (inversion.forward, f"{first}-first",
                                              f"{second}-second"),
        (inversion.second, inversion.first): (inversion.backward, f"{second}-first",
                                              f"{first}-second"),
    }
    edges = finding.get("edges") or []
    got = {(names.get(e.get("from")), names.get(e.get("to"))): e for e in edges}
    check_equal(sorted(map(str, got)), sorted(map(str, want)), f"{where}: edges (held, acquired)")
    for pair, (function, held_marker, acquired_marker) in want.items():
        edge = got[pair]
        label = f"{where}: edge {pair[0]} -> {pair[1]}"
        lgtest.check_frame(edge.get("acquire_stack"), function, os.path.basename(source),
                           lines[acquired_marker], f"{label}: acquire_stack")
        lgtest.check_frame(edge.get("held_stack"), function, os.path.basename(source),
                           lines[held_marker], f"{label}: held_stack")


def check_merged_report(args, project, traces, inversions, count, where):
    """`lockgraph report --format json traces`: exactly the findings of
    `inversions`, from `count` traces."""
    result, report = lgtest.lockgraph_json(args, "report", [], [traces], project)
    lgtest.check_status(result, FOUND if inversions else 0, where)
    check(report is not None, f"{where}: no JSON report" + result.describe())
    summary = report.get("summary") or {}
    check_equal(summary.get("traces"), count, f"{where}: summary.traces")
    findings = report["findings"]
    check(len(findings) == len(inversions),
          f"{where}: expected {len(inversions)} finding(s), got {len(findings)}:"
          f"{lgtest.findings_summary(report)}")
    by_program = {os.path.basename((f.get("processes") or [{}])[0].get("exe") or ""): f
                  for f in findings}
    for inversion in inversions:
        check(inversion.program in by_program,
              f"{where}: no finding in {inversion.program}:{lgtest.findings_summary(report)}")
        check_finding(by_program[inversion.program], inversion, project,
                      f"{where}: the {inversion.program} finding")
    return report


def reversed_at(inversion):
    """Where the report says the order is reversed: the backward function's
    second lock call, as `function (program.c:LINE)` (a path relative to the
    project, where the recipes run)."""
    marker = f"lg:{inversion.first[-1]}-second"
    line = next(n for n, text in enumerate(inversion.source.split("\n"), 1) if marker in text)
    return f"{inversion.backward} ({inversion.program}.c:{line})"


def summary_line(inversion, traces, left_out=""):
    """The text report's SUMMARY line for one finding."""
    return (f"SUMMARY: lockgraph: 1 potential deadlock, 0 latent lock-order inversions in "
            f"{traces} trace{'s' if traces != 1 else ''}; first at {reversed_at(inversion)}"
            f"{left_out}")


def check_text_report(result, inversion, traces, where, left_out=""):
    """The recipe ended with `lockgraph report traces`: status 66, and its
    text report (on stdout, after the build's output) ends with the SUMMARY
    line for `inversion`."""
    lgtest.check_status(result, FOUND, f"{where}: the recipe ends with lockgraph report")
    lines = result.out.rstrip("\n").split("\n")
    check_equal(lines[-1], summary_line(inversion, traces, left_out),
                f"{where}: the last line of the recipe's output")
    check_equal(sum(1 for line in lines if line.startswith("==lockgraph== #")), 1,
                f"{where}: findings in the text report")


# ---------------------------------------------------------------- cases


def skip(message):
    """Ends the test as skipped: meson counts exit status 77 as a skip."""
    print(f"SKIP: {message}")
    sys.exit(77)



def case_meson(args):
    check(shutil.which("meson") and shutil.which("ninja"), "meson and ninja are needed")
    with lgtest.temp_dir() as tmp:
        project = os.path.join(tmp, "project")
        make_project(project, "meson")
        result = run_recipe(args, "meson", project)
        check_text_report(result, ABBA, 2, "recipe meson")
        # The tests passed under the wrapper (--fail-on none).
        check(re.search(r"^Ok:\s+2\s*$", result.out, re.M) and
              re.search(r"^Fail:\s+0\s*$", result.out, re.M),
              "recipe meson: expected meson test to report 2 tests Ok, 0 Fail" + result.describe())
        traces = os.path.join(project, "traces")
        check_equal(trace_programs(traces), {"abba": 1, "ordered": 1},
                    "recipe meson: traces per program")
        check_merged_report(args, project, traces, [ABBA], 2, "recipe meson")

        # The SARIF step of the GitHub recipe, on the same traces.
        sarif = os.path.join(project, "lockgraph.sarif")
        result = lgtest.run([args.lockgraph, "report", "--format", "sarif", "--output", sarif,
                             "traces"], cwd=project)
        lgtest.check_status(result, FOUND, "the SARIF report of the same traces")
        log = lgtest.load_json(sarif)
        check_equal(log.get("version"), "2.1.0", "SARIF version")
        results = [r for run in log.get("runs") or [] for r in run.get("results") or []]
        check_equal(len(results), 1, "SARIF results")
        location = results[0]["locations"][0]["physicalLocation"]
        check_equal(location["artifactLocation"]["uri"],
                    "file://" + os.path.realpath(os.path.join(project, "abba.c")),
                    "the SARIF result's file")
        check_equal(location["region"]["startLine"],
                    lgtest.marker_lines(os.path.join(project, "abba.c"))["a-second"],
                    "the SARIF result's line")


def case_ctest(args):
    if not (shutil.which("cmake") and shutil.which("ctest")):
        skip("cmake is not installed")
    with lgtest.temp_dir() as tmp:
        project = os.path.join(tmp, "project")
        make_project(project, "cmake")
        result = run_recipe(args, "ctest", project)
        check_text_report(result, ABBA, 3, "recipe ctest")
        check("100% tests passed" in result.out,
              "recipe ctest: expected ctest to pass every test" + result.describe())
        traces = os.path.join(project, "traces")
        check_equal(trace_programs(traces), {"abba": 1, "ctest": 1, "ordered": 1},
                    "recipe ctest: traces per program")
        check_merged_report(args, project, traces, [ABBA], 3, "recipe ctest")


def case_make(args):
    check(shutil.which("make"), "make is needed")
    with lgtest.temp_dir() as tmp:
        project = os.path.join(tmp, "project")
        make_project(project, "make")
        result = run_recipe(args, "make", project)
        check_text_report(result, ABBA, 3, "recipe make")
        traces = os.path.join(project, "traces")
        # make runs ./abba and ./ordered itself (no shell between).
        check_equal(trace_programs(traces), {"abba": 1, "make": 1, "ordered": 1},
                    "recipe make: traces per program")
        check_merged_report(args, project, traces, [ABBA], 3, "recipe make")


def case_baseline(args):
    check(shutil.which("meson") and shutil.which("ninja"), "meson and ninja are needed")
    with lgtest.temp_dir() as tmp:
        # The project as it is today: abba's inversion is accepted.
        today = os.path.join(tmp, "today")
        make_project(today, "meson")
        check_text_report(run_recipe(args, "meson", today), ABBA, 2, "recipe meson (today)")
        result = run_recipe(args, "baseline", today)
        lgtest.check_status(result, 0, "recipe baseline (--fail-on none)")
        baseline = os.path.join(today, "lockgraph-baseline.json")
        accepted = lgtest.load_json(baseline)
        check_equal(len(accepted["findings"]), 1, "findings in the baseline")
        result = run_recipe(args, "baseline-check", today)
        lgtest.check_status(result, 0, "recipe baseline-check: nothing new")
        check_equal(result.out, "lockgraph: nothing new to report; 1 in the baseline, not shown\n",
                    "recipe baseline-check (today): its output")

        # A later checkout (another directory, another build), with the
        # baseline committed and a new test with an inversion of its own:
        # abba's is recognized, only the new one is shown, and fails.
        later = os.path.join(tmp, "later")
        make_project(later, "meson", ("abba", "ordered", "swap"))
        shutil.copy(baseline, later)
        result = run_recipe(args, "meson", later)
        lgtest.check_status(result, FOUND, "recipe meson (later): two findings")
        result = run_recipe(args, "baseline-check", later)
        check_text_report(result, SWAP, 3, "recipe baseline-check (later)",
                          left_out="; 1 in the baseline, not shown")
        check("lock_a" not in result.out,
              "recipe baseline-check (later): the accepted finding is shown" + result.describe())

        # Accepting it too: the baseline made again knows both.
        result = run_recipe(args, "baseline", later)
        lgtest.check_status(result, 0, "recipe baseline again (--fail-on none)")
        result = run_recipe(args, "baseline-check", later)
        lgtest.check_status(result, 0, "recipe baseline-check after accepting both")
        check_equal(result.out, "lockgraph: nothing new to report; 2 in the baseline, not shown\n",
                    "recipe baseline-check (both accepted): its output")


CASES = {
    "meson": case_meson,
    "ctest": case_ctest,
    "make": case_make,
    "baseline": case_baseline,
}

if __name__ == "__main__":
    lgtest.main(CASES)
