/* Renderers: findings to text (for people) and JSON (for tools; its keys
 * are a contract, documented in README.md: add keys, never rename), and
 * the formats other tools read: CSV (a row per occurrence), SARIF 2.1.0
 * (code scanning), Graphviz dot and SVG, and a self-contained HTML page.
 * All but text and HTML are byte-for-byte deterministic for the same
 * traces. */
#ifndef LOCKGRAPH_RENDER_H
#define LOCKGRAPH_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "findings.h"

void lg_render_text(FILE *out, const struct lg_findings *f);
void lg_render_json(FILE *out, const struct lg_findings *f);
void lg_render_csv(FILE *out, const struct lg_findings *f);
void lg_render_sarif(FILE *out, const struct lg_findings *f);
void lg_render_dot(FILE *out, const struct lg_findings *f);
void lg_render_html(FILE *out, const struct lg_findings *f);

/* SVG is dot's layout of lg_render_dot's graph: Graphviz's `dot` is run
 * as a child writing to out. lg_render_svg_available finds it on PATH
 * (its path into path[size]); lg_render_svg returns 0, or -1 after an
 * error message (no dot, or dot failed). */
bool lg_render_svg_available(char *path, size_t size);
int lg_render_svg(FILE *out, const struct lg_findings *f);

#endif
