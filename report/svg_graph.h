/* A finding's cycle as a small SVG picture, drawn by lockgraph itself so
 * the HTML report needs no Graphviz: the cycle's locks on a circle, one
 * curved arrow per lock-order edge, labelled with the thread and the line
 * that took the lock. */
#ifndef LOCKGRAPH_SVG_GRAPH_H
#define LOCKGRAPH_SVG_GRAPH_H

#include <stdio.h>

#include "findings.h"

/* Writes one <svg> element. id makes its internal ids (arrow markers,
 * title) unique in a page holding several pictures; colour is a CSS
 * colour for the arrows and node borders. */
void lg_svg_cycle(FILE *out, const struct lg_finding *fi, const char *id, const char *colour);

#endif
