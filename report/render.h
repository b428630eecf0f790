/* Renderers: findings to text (for people) and JSON (for tools; its keys
 * are a contract, documented in README.md: add keys, never rename). */
#ifndef LOCKGRAPH_RENDER_H
#define LOCKGRAPH_RENDER_H

#include <stdio.h>

#include "findings.h"

void lg_render_text(FILE *out, const struct lg_findings *f);
void lg_render_json(FILE *out, const struct lg_findings *f);

#endif
