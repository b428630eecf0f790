/* Fuzz target: any bytes as a trace. The reader must reject or accept them
 * without crashing, leaking or reading out of bounds, and whatever it
 * accepts must go through the whole analysis safely: graph and cycles, then
 * findings as `lockgraph report` builds them (lock classes and nesting
 * within a class included, symbolized against whatever modules the trace
 * names). Built
 * as a libFuzzer target with -Dfuzz=true (clang), and as a replay driver
 * over tests/fuzz/corpus in every test run (replay_main.c). */
#include <stddef.h>
#include <stdint.h>

#include "cycles.h"
#include "findings.h"
#include "lock_graph.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct lg_trace *t = lg_trace_parse("fuzz.lgt", data, size, err, sizeof(err));
	if (!t)
		return 0;
	struct lg_graph *g = lg_graph_build(t);
	struct lg_cycles cycles = {0};
	struct lg_cycle_limits lim = lg_cycle_default_limits;
	lim.max_steps = 10000; /* keep each input fast */
	lg_cycles_find(g, &lim, &cycles);
	lg_cycles_free(&cycles);
	lg_graph_free(g);
	struct lg_findings f;
	lg_findings_init(&f);
	lg_findings_add_trace(&f, t, &lim);
	lg_findings_rank(&f);
	lg_findings_free(&f);
	lg_trace_free(t);
	return 0;
}
