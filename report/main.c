/* `lockgraph`: finds deadlocks in existing C and C++ programs. Dispatches
 * to the subcommands in cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "error.h"

#ifndef LG_VERSION
#define LG_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fputs("usage: lockgraph run [options] [--] PROGRAM [ARGS...]\n"
	      "       lockgraph report [options] TRACE|DIR...\n"
	      "\n"
	      "lockgraph finds lock-order deadlocks in C and C++ programs without\n"
	      "recompiling them: 'run' executes a program with liblockgraph.so preloaded\n"
	      "and reports; 'report' reads traces written earlier (for example by\n"
	      "LD_PRELOAD=liblockgraph.so LOCKGRAPH_OPTIONS=out=DIR in a test suite).\n"
	      "\n"
	      "'lockgraph run --help' and 'lockgraph report --help' list the options.\n"
	      "  -h, --help     show this help\n"
	      "  --version      show the version\n",
	      out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return LG_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return lg_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return lg_cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("lockgraph %s\n", LG_VERSION);
		return 0;
	}
	lg_error("unknown command '%s' (expected 'run' or 'report'; see 'lockgraph --help')", cmd);
	return LG_EXIT_USAGE;
}
