/* The subcommands of `lockgraph`. Each returns the process exit status. */
#ifndef LOCKGRAPH_COMMANDS_H
#define LOCKGRAPH_COMMANDS_H

int lg_cmd_run(int argc, char **argv);
int lg_cmd_report(int argc, char **argv);

#endif
