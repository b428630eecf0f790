/* Source lines for reports: "the line that takes each lock", read from the
 * source file when it is still there. Files are read once each. */
#ifndef LOCKGRAPH_SOURCE_LINES_H
#define LOCKGRAPH_SOURCE_LINES_H

struct lg_source_lines;

struct lg_source_lines *lg_source_lines_new(void);
void lg_source_lines_free(struct lg_source_lines *s);

/* Line `line` (1-based) of file path, without its leading white space and
 * newline, cut at 160 bytes; NULL when the file or line can not be read.
 * Owned by s. */
const char *lg_source_line(struct lg_source_lines *s, const char *path, int line);

#endif
